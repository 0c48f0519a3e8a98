/* inc-window-history.c: undo and redo of dream runs, resets and mask edits
 * through core/history.h. The history keeps at most
 * INC_HISTORY_DEFAULT_BUDGET bytes (256 MiB) of compressed states; older
 * edits are dropped past it. Undo waits for a running dream to stop. */
#include "app/inc-window-private.h"

#include <glib/gi18n.h>

void
_inc_window_history_update (IncWindow *self)
{
  gboolean idle = !inc_dream_session_get_running (self->session) && self->stroke == NULL;
  const char *undo = inc_history_undo_label (self->history);
  const char *redo = inc_history_redo_label (self->history);
  g_autofree char *undo_tip = undo ? g_strdup_printf (_("Undo %s (Ctrl+Z)"), _(undo))
                                   : g_strdup (_("Nothing to undo"));
  g_autofree char *redo_tip = redo ? g_strdup_printf (_("Redo %s (Ctrl+Shift+Z)"), _(redo))
                                   : g_strdup (_("Nothing to redo"));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.undo",
                                 idle && inc_history_can_undo (self->history));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.redo",
                                 idle && inc_history_can_redo (self->history));
  gtk_widget_set_tooltip_text (self->undo_button, undo_tip);
  gtk_widget_set_tooltip_text (self->redo_button, redo_tip);
}

/* A new source: its image is the base, nothing to undo. */
void
_inc_window_history_reset (IncWindow *self)
{
  /* A run of the previous image still stopping is not this one's edit. */
  self->run_changed = FALSE;
  inc_history_set_base (self->history, inc_dream_session_get_source (self->session));
  _inc_window_history_update (self);
}

void
_inc_window_history_push_image (IncWindow  *self,
                                const char *label)
{
  const IncImage *image = inc_dream_session_get_image (self->session);

  if (image == NULL)
    return;
  inc_history_push_image (self->history, image, label);
  _inc_window_history_update (self);
  _inc_window_schedule_autosave (self);
}

void
_inc_window_history_push_mask (IncWindow      *self,
                               const IncImage *before,
                               const IncRect  *rect,
                               const char     *label)
{
  inc_history_push_mask (self->history, before, self->mask, rect, label);
  _inc_window_history_update (self);
}

static void
apply_change (IncWindow        *self,
              IncHistoryChange *change)
{
  if (change->kind == INC_HISTORY_IMAGE)
    {
      /* The next Dream goes on from the image shown. */
      inc_dream_session_set_image (self->session, g_steal_pointer (&change->image));
      _inc_window_schedule_autosave (self);
    }
  else
    _inc_window_mask_changed (self, &change->rect);
}

static void
step_history (IncWindow *self,
              gboolean   redo)
{
  IncHistoryChange change = { 0 };
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (inc_dream_session_get_running (self->session) || self->stroke != NULL)
    return;
  ok = redo ? inc_history_redo (self->history, self->mask, &change, &error)
            : inc_history_undo (self->history, self->mask, &change, &error);
  if (!ok)
    {
      g_autofree char *message = g_strdup_printf (redo ? _("Cannot redo: %s") : _("Cannot undo: %s"),
                                                  error->message);

      _inc_window_show_error (self, message, FALSE);
    }
  else
    apply_change (self, &change);
  inc_history_change_clear (&change);
  _inc_window_history_update (self);
  _inc_window_update_actions (self);
  _inc_window_update_status (self);
}

void
_inc_window_undo (IncWindow *self)
{
  step_history (self, FALSE);
}

void
_inc_window_redo (IncWindow *self)
{
  step_history (self, TRUE);
}
