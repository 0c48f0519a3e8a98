/* history.c: undo and redo over packed images and mask rectangles (see
 * history.h for the memory bound). */
#include "core/history.h"

#include <string.h>

#define HISTORY_VARIANT "(u@a(iiiay)@a(usa(iiiay)(iiiiii)))"
#define HISTORY_TYPE    "(ua(iiiay)a(usa(iiiay)(iiiiii)))"

typedef struct {
  IncHistoryKind  kind;
  char           *label;
  IncPacked      *image;     /* IMAGE: the image after the edit */
  IncPacked      *before;    /* MASK: rect before and after */
  IncPacked      *after;
  IncRect         rect;
  int             mask_width;
  int             mask_height;
} Edit;

struct _IncHistory {
  GPtrArray *edits;     /* of Edit*, oldest first */
  guint      cursor;    /* edits done; edits past it can be redone */
  IncPacked *base;      /* the image before the first edit */
  gsize      bytes;
  gsize      budget;
};

static void
edit_free (gpointer data)
{
  Edit *e = data;
  g_free (e->label);
  inc_packed_unref (e->image);
  inc_packed_unref (e->before);
  inc_packed_unref (e->after);
  g_free (e);
}

static gsize
edit_size (const Edit *e)
{
  gsize n = sizeof (Edit) + strlen (e->label) + 1;
  if (e->image != NULL)
    n += inc_packed_size (e->image);
  if (e->before != NULL)
    n += inc_packed_size (e->before) + inc_packed_size (e->after);
  return n;
}

void
inc_history_change_clear (IncHistoryChange *change)
{
  if (change == NULL)
    return;
  g_clear_pointer (&change->image, inc_image_free);
  change->label = NULL;
}

IncHistory *
inc_history_new (gsize budget)
{
  IncHistory *h = g_new0 (IncHistory, 1);
  h->edits = g_ptr_array_new_with_free_func (edit_free);
  h->budget = budget > 0 ? budget : INC_HISTORY_DEFAULT_BUDGET;
  return h;
}

static Edit *
edit_copy (const Edit *e)
{
  Edit *c = g_memdup2 (e, sizeof *e);
  c->label = g_strdup (e->label);
  if (e->image != NULL)
    c->image = inc_packed_ref (e->image);
  if (e->before != NULL)
    c->before = inc_packed_ref (e->before);
  if (e->after != NULL)
    c->after = inc_packed_ref (e->after);
  return c;
}

IncHistory *
inc_history_copy (IncHistory *history)
{
  g_return_val_if_fail (history != NULL, NULL);

  IncHistory *h = inc_history_new (history->budget);
  for (guint i = 0; i < history->edits->len; i++)
    g_ptr_array_add (h->edits, edit_copy (g_ptr_array_index (history->edits, i)));
  h->cursor = history->cursor;
  h->base = history->base ? inc_packed_ref (history->base) : NULL;
  h->bytes = history->bytes;
  return h;
}

void
inc_history_free (IncHistory *history)
{
  if (history == NULL)
    return;
  g_ptr_array_unref (history->edits);
  inc_packed_unref (history->base);
  g_free (history);
}

static void
set_base (IncHistory *h, IncPacked *base)
{
  if (h->base != NULL)
    h->bytes -= inc_packed_size (h->base);
  inc_packed_unref (h->base);
  h->base = base;
  if (base != NULL)
    h->bytes += inc_packed_size (base);
}

/* Oldest done edits go first; with nothing done (all undone) the newest
 * redo edits go instead, so the state at the cursor stays reachable. */
static void
enforce_budget (IncHistory *h)
{
  while (h->bytes > h->budget && h->edits->len > 1)
    {
      if (h->cursor > 0)
        {
          Edit *e = g_ptr_array_index (h->edits, 0);
          h->bytes -= edit_size (e);
          if (e->kind == INC_HISTORY_IMAGE)
            set_base (h, inc_packed_ref (e->image));
          g_ptr_array_remove_index (h->edits, 0);
          h->cursor--;
        }
      else
        {
          Edit *e = g_ptr_array_index (h->edits, h->edits->len - 1);
          h->bytes -= edit_size (e);
          g_ptr_array_remove_index (h->edits, h->edits->len - 1);
        }
    }
}

static void
push (IncHistory *h, Edit *e)
{
  while (h->edits->len > h->cursor)
    {
      Edit *last = g_ptr_array_index (h->edits, h->edits->len - 1);
      h->bytes -= edit_size (last);
      g_ptr_array_remove_index (h->edits, h->edits->len - 1);
    }
  g_ptr_array_add (h->edits, e);
  h->bytes += edit_size (e);
  h->cursor = h->edits->len;
  enforce_budget (h);
}

void
inc_history_set_base (IncHistory     *history,
                      const IncImage *image)
{
  g_return_if_fail (history != NULL);

  g_ptr_array_set_size (history->edits, 0);
  history->cursor = 0;
  history->bytes = 0;
  set_base (history, image != NULL ? inc_packed_new (image) : NULL);
}

void
inc_history_push_packed (IncHistory *history,
                         IncPacked  *image,
                         const char *label)
{
  g_return_if_fail (history != NULL && image != NULL);

  gboolean any_image = history->base != NULL;
  for (guint i = 0; i < history->cursor && !any_image; i++)
    any_image = ((Edit *) g_ptr_array_index (history->edits, i))->kind == INC_HISTORY_IMAGE;
  if (!any_image)
    {
      set_base (history, inc_packed_ref (image));
      enforce_budget (history);
      return;
    }

  Edit *e = g_new0 (Edit, 1);
  e->kind = INC_HISTORY_IMAGE;
  e->label = g_strdup (label ? label : "");
  e->image = inc_packed_ref (image);
  push (history, e);
}

void
inc_history_push_image (IncHistory     *history,
                        const IncImage *image,
                        const char     *label)
{
  g_return_if_fail (history != NULL && image != NULL);

  g_autoptr (IncPacked) packed = inc_packed_new (image);
  inc_history_push_packed (history, packed, label);
}

gboolean
inc_history_push_mask (IncHistory     *history,
                       const IncImage *before,
                       const IncImage *after,
                       const IncRect  *rect,
                       const char     *label)
{
  g_return_val_if_fail (history != NULL && before != NULL && after != NULL, FALSE);
  g_return_val_if_fail (before->channels == 1 && after->channels == 1 &&
                        before->width == after->width &&
                        before->height == after->height, FALSE);

  if (inc_rect_is_empty (rect))
    return FALSE;
  /* Clipped to the mask. */
  int x0 = CLAMP (rect->x, 0, after->width), y0 = CLAMP (rect->y, 0, after->height);
  int x1 = CLAMP (rect->x + rect->width, 0, after->width);
  int y1 = CLAMP (rect->y + rect->height, 0, after->height);
  if (x1 <= x0 || y1 <= y0)
    return FALSE;

  Edit *e = g_new0 (Edit, 1);
  e->kind = INC_HISTORY_MASK;
  e->label = g_strdup (label ? label : "");
  e->rect = (IncRect) { x0, y0, x1 - x0, y1 - y0 };
  e->mask_width = after->width;
  e->mask_height = after->height;
  e->before = inc_packed_new_region (before, x0, y0, x1 - x0, y1 - y0);
  e->after = inc_packed_new_region (after, x0, y0, x1 - x0, y1 - y0);
  push (history, e);
  return TRUE;
}

gboolean
inc_history_can_undo (IncHistory *history)
{
  g_return_val_if_fail (history != NULL, FALSE);
  return history->cursor > 0;
}

gboolean
inc_history_can_redo (IncHistory *history)
{
  g_return_val_if_fail (history != NULL, FALSE);
  return history->cursor < history->edits->len;
}

const char *
inc_history_undo_label (IncHistory *history)
{
  g_return_val_if_fail (history != NULL, NULL);
  if (history->cursor == 0)
    return NULL;
  return ((Edit *) g_ptr_array_index (history->edits, history->cursor - 1))->label;
}

const char *
inc_history_redo_label (IncHistory *history)
{
  g_return_val_if_fail (history != NULL, NULL);
  if (history->cursor >= history->edits->len)
    return NULL;
  return ((Edit *) g_ptr_array_index (history->edits, history->cursor))->label;
}

/* The image after the first `done` edits. */
static IncPacked *
image_after (IncHistory *h, guint done)
{
  for (guint i = done; i > 0; i--)
    {
      Edit *e = g_ptr_array_index (h->edits, i - 1);
      if (e->kind == INC_HISTORY_IMAGE)
        return e->image;
    }
  return h->base;
}

static gboolean
apply_mask (Edit *e, IncPacked *pixels, IncImage *mask, IncHistoryChange *change,
            GError **error)
{
  if (mask == NULL || mask->channels != 1 || mask->width != e->mask_width ||
      mask->height != e->mask_height)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "the edit \"%s\" belongs to a %dx%d mask", e->label,
                   e->mask_width, e->mask_height);
      return FALSE;
    }
  if (!inc_packed_unpack_into (pixels, mask, e->rect.x, e->rect.y, error))
    return FALSE;
  change->rect = e->rect;
  return TRUE;
}

gboolean
inc_history_undo (IncHistory       *history,
                  IncImage         *mask,
                  IncHistoryChange *change,
                  GError          **error)
{
  g_return_val_if_fail (history != NULL && change != NULL, FALSE);

  *change = (IncHistoryChange) { 0 };
  if (history->cursor == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           "there is nothing to undo");
      return FALSE;
    }
  Edit *e = g_ptr_array_index (history->edits, history->cursor - 1);
  change->kind = e->kind;
  if (e->kind == INC_HISTORY_MASK)
    {
      if (!apply_mask (e, e->before, mask, change, error))
        return FALSE;
    }
  else
    {
      change->image = inc_packed_unpack (image_after (history, history->cursor - 1),
                                         error);
      if (change->image == NULL)
        return FALSE;
    }
  change->label = e->label;
  history->cursor--;
  return TRUE;
}

gboolean
inc_history_redo (IncHistory       *history,
                  IncImage         *mask,
                  IncHistoryChange *change,
                  GError          **error)
{
  g_return_val_if_fail (history != NULL && change != NULL, FALSE);

  *change = (IncHistoryChange) { 0 };
  if (history->cursor >= history->edits->len)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           "there is nothing to redo");
      return FALSE;
    }
  Edit *e = g_ptr_array_index (history->edits, history->cursor);
  change->kind = e->kind;
  if (e->kind == INC_HISTORY_MASK)
    {
      if (!apply_mask (e, e->after, mask, change, error))
        return FALSE;
    }
  else
    {
      change->image = inc_packed_unpack (e->image, error);
      if (change->image == NULL)
        return FALSE;
    }
  change->label = e->label;
  history->cursor++;
  return TRUE;
}

IncImage *
inc_history_current_image (IncHistory  *history,
                           GError     **error)
{
  g_return_val_if_fail (history != NULL, NULL);

  IncPacked *p = image_after (history, history->cursor);
  return p != NULL ? inc_packed_unpack (p, error) : NULL;
}

gsize
inc_history_get_bytes (IncHistory *history)
{
  g_return_val_if_fail (history != NULL, 0);
  return history->bytes;
}

gsize
inc_history_get_budget (IncHistory *history)
{
  g_return_val_if_fail (history != NULL, 0);
  return history->budget;
}

void
inc_history_set_budget (IncHistory *history,
                        gsize       budget)
{
  g_return_if_fail (history != NULL);
  history->budget = budget > 0 ? budget : INC_HISTORY_DEFAULT_BUDGET;
  enforce_budget (history);
}

guint
inc_history_get_n_edits (IncHistory *history)
{
  g_return_val_if_fail (history != NULL, 0);
  return history->edits->len;
}

guint
inc_history_get_position (IncHistory *history)
{
  g_return_val_if_fail (history != NULL, 0);
  return history->cursor;
}

/* Session form */

GVariant *
inc_history_to_variant (IncHistory *history)
{
  g_return_val_if_fail (history != NULL, NULL);

  GVariantBuilder base, edits;
  g_variant_builder_init (&base, G_VARIANT_TYPE ("a(iiiay)"));
  if (history->base != NULL)
    g_variant_builder_add_value (&base, inc_packed_to_variant (history->base));
  g_variant_builder_init (&edits, G_VARIANT_TYPE ("a(usa(iiiay)(iiiiii))"));
  for (guint i = 0; i < history->edits->len; i++)
    {
      Edit *e = g_ptr_array_index (history->edits, i);
      GVariantBuilder packed;
      g_variant_builder_init (&packed, G_VARIANT_TYPE ("a(iiiay)"));
      if (e->kind == INC_HISTORY_IMAGE)
        g_variant_builder_add_value (&packed, inc_packed_to_variant (e->image));
      else
        {
          g_variant_builder_add_value (&packed, inc_packed_to_variant (e->before));
          g_variant_builder_add_value (&packed, inc_packed_to_variant (e->after));
        }
      g_variant_builder_add (&edits, "(usa(iiiay)(iiiiii))", (guint32) e->kind,
                             e->label, &packed, e->rect.x, e->rect.y,
                             e->rect.width, e->rect.height, e->mask_width,
                             e->mask_height);
    }
  return g_variant_new (HISTORY_VARIANT, (guint32) history->cursor,
                        g_variant_builder_end (&base), g_variant_builder_end (&edits));
}

static gpointer
bad_history (GError **error, const char *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "the stored history is damaged (%s)", what);
  return NULL;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Edit, edit_free)

static Edit *
edit_from_variant (GVariant *v, GError **error)
{
  guint32 kind;
  const char *label;
  g_autoptr (GVariant) packed = NULL;
  int x, y, w, h, mw, mh;

  g_variant_get (v, "(u&s@a(iiiay)(iiiiii))", &kind, &label, &packed,
                 &x, &y, &w, &h, &mw, &mh);
  gsize n = g_variant_n_children (packed);
  g_autoptr (Edit) e = g_new0 (Edit, 1);
  e->kind = kind;
  e->label = g_strdup (label);

  if (kind == INC_HISTORY_IMAGE)
    {
      g_autoptr (GVariant) child = NULL;
      if (n != 1)
        return bad_history (error, "image edit");
      child = g_variant_get_child_value (packed, 0);
      e->image = inc_packed_from_variant (child, error);
      if (e->image == NULL)
        return NULL;
      return g_steal_pointer (&e);
    }
  if (kind != INC_HISTORY_MASK || n != 2)
    return bad_history (error, "kind of edit");

  g_autoptr (GVariant) b = g_variant_get_child_value (packed, 0);
  g_autoptr (GVariant) a = g_variant_get_child_value (packed, 1);
  e->before = inc_packed_from_variant (b, error);
  if (e->before == NULL)
    return NULL;
  e->after = inc_packed_from_variant (a, error);
  if (e->after == NULL)
    return NULL;
  e->rect = (IncRect) { x, y, w, h };
  e->mask_width = mw;
  e->mask_height = mh;
  if (w < 1 || h < 1 || x < 0 || y < 0 || mw > INC_IMAGE_MAX_SIDE ||
      mh > INC_IMAGE_MAX_SIDE || x > mw - w || y > mh - h ||
      e->before->width != w || e->before->height != h || e->before->channels != 1 ||
      e->after->width != w || e->after->height != h || e->after->channels != 1)
    return bad_history (error, "mask rectangle");
  return g_steal_pointer (&e);
}

IncHistory *
inc_history_from_variant (GVariant  *variant,
                          gsize      budget,
                          GError   **error)
{
  g_return_val_if_fail (variant != NULL, NULL);

  if (!g_variant_is_of_type (variant, G_VARIANT_TYPE (HISTORY_TYPE)))
    return bad_history (error, "type");

  guint32 cursor;
  g_autoptr (GVariant) base = NULL;
  g_autoptr (GVariant) edits = NULL;
  g_variant_get (variant, HISTORY_VARIANT, &cursor, &base, &edits);

  g_autoptr (IncHistory) h = inc_history_new (budget);
  if (g_variant_n_children (base) > 1)
    return bad_history (error, "base");
  if (g_variant_n_children (base) == 1)
    {
      g_autoptr (GVariant) child = g_variant_get_child_value (base, 0);
      IncPacked *p = inc_packed_from_variant (child, error);
      if (p == NULL)
        return NULL;
      set_base (h, p);
    }
  gsize n = g_variant_n_children (edits);
  if (cursor > n)
    return bad_history (error, "position");
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr (GVariant) child = g_variant_get_child_value (edits, i);
      Edit *e = edit_from_variant (child, error);
      if (e == NULL)
        return NULL;
      if (e->kind == INC_HISTORY_IMAGE && image_after (h, h->edits->len) == NULL)
        {
          edit_free (e);
          return bad_history (error, "an image edit without a base");
        }
      g_ptr_array_add (h->edits, e);
      h->bytes += edit_size (e);
    }
  h->cursor = cursor;
  enforce_budget (h);
  return g_steal_pointer (&h);
}
