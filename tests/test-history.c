/* test-history.c: packed images come back bit for bit; undo and redo of
 * image and mask edits restore exact states; the byte budget drops the
 * oldest edits; the GVariant form round-trips. */
#include <math.h>
#include <string.h>

#include "core/history.h"
#include "core/mask-brush.h"
#include "core/packed.h"

static IncImage *
random_image (int w, int h, int c, guint32 seed)
{
  IncImage *img = inc_image_new (w, h, c);
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  for (gsize i = 0; i < (gsize) w * h * c; i++)
    img->data[i] = (float) g_rand_double_range (rand, -1.0, 1.0);
  return img;
}

static void
assert_same (const IncImage *a, const IncImage *b)
{
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_cmpint (a->width, ==, b->width);
  g_assert_cmpint (a->height, ==, b->height);
  g_assert_cmpint (a->channels, ==, b->channels);
  g_assert_cmpmem (a->data, sizeof (float) * a->width * a->height * a->channels,
                   b->data, sizeof (float) * b->width * b->height * b->channels);
}

static void
test_packed_exact (void)
{
  g_autoptr (IncImage) img = random_image (37, 29, 3, 1);
  g_autoptr (GError) error = NULL;
  /* Values that a lossy store would bend. */
  img->data[0] = -0.0f;
  img->data[1] = 1e-42f;           /* subnormal */
  img->data[2] = INFINITY;
  img->data[3] = nextafterf (1.0f, 2.0f);
  img->data[4] = NAN;

  g_autoptr (IncPacked) p = inc_packed_new (img);
  g_autoptr (IncImage) back = inc_packed_unpack (p, &error);
  g_assert_no_error (error);
  assert_same (img, back);

  /* A region goes back where it came from. */
  g_autoptr (IncPacked) region = inc_packed_new_region (img, 5, 7, 11, 13);
  g_autoptr (IncImage) blank = inc_image_new (37, 29, 3);
  g_assert_true (inc_packed_unpack_into (region, blank, 5, 7, &error));
  g_assert_no_error (error);
  for (int y = 0; y < 29; y++)
    for (int x = 0; x < 37; x++)
      for (int c = 0; c < 3; c++)
        {
          gsize i = ((gsize) y * 37 + x) * 3 + c;
          gboolean in = x >= 5 && x < 16 && y >= 7 && y < 20;
          float want = in ? img->data[i] : 0.0f;
          g_assert_cmpmem (&blank->data[i], 4, &want, 4);
        }
  /* It does not fit elsewhere. */
  g_assert_false (inc_packed_unpack_into (region, blank, 30, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* Large enough that noisy planes are sampled and stored as they are. */
  g_autoptr (IncImage) large = random_image (300, 200, 3, 4);
  g_autoptr (IncPacked) pl = inc_packed_new (large);
  g_autoptr (IncImage) large_back = inc_packed_unpack (pl, &error);
  g_assert_no_error (error);
  assert_same (large, large_back);
  g_assert_cmpuint (g_bytes_get_size (pl->data), <, 300 * 200 * 3 * 4);

  /* A smooth mask compresses well. */
  g_autoptr (IncImage) mask = inc_image_new (256, 256, 1);
  for (int i = 0; i < 256 * 256; i++)
    mask->data[i] = (i % 256) < 100 ? 1.0f : 0.0f;
  g_autoptr (IncPacked) pm = inc_packed_new (mask);
  g_assert_cmpuint (g_bytes_get_size (pm->data), <, 256 * 256 * 4 / 50);
}

/* Damaged data is an error, never a crash or a wrong image. */
static void
test_packed_damaged (void)
{
  g_autoptr (IncImage) img = random_image (20, 10, 3, 2);
  g_autoptr (IncPacked) p = inc_packed_new (img);
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (p->data, &size);

  for (gsize cut = 0; cut < size; cut += MAX (size / 7, 1))
    {
      g_autoptr (GBytes) b = g_bytes_new (data, cut);
      g_autoptr (IncPacked) q = inc_packed_new_from_bytes (20, 10, 3, b);
      g_autoptr (GError) error = NULL;
      g_autoptr (IncImage) out = inc_packed_unpack (q, &error);
      g_assert_null (out);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }
  /* Right stream, wrong declared size. */
  g_autoptr (IncPacked) big = inc_packed_new_from_bytes (20, 11, 3, p->data);
  g_autoptr (IncPacked) small = inc_packed_new_from_bytes (20, 9, 3, p->data);
  g_autoptr (GError) error = NULL;
  g_assert_null (inc_packed_unpack (big, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_null (inc_packed_unpack (small, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

static IncImage *
take_image (IncHistoryChange *change)
{
  g_assert_cmpint (change->kind, ==, INC_HISTORY_IMAGE);
  return g_steal_pointer (&change->image);
}

/* The studio's sequence: open, dream, paint, dream, invert, reset; undo it
 * all and redo it all, checking every state bit for bit. */
static void
test_undo_redo (void)
{
  g_autoptr (IncHistory) h = inc_history_new (0);
  g_autoptr (GError) error = NULL;
  g_autoptr (IncImage) photo = random_image (48, 32, 3, 10);
  g_autoptr (IncImage) dream1 = random_image (48, 32, 3, 11);
  g_autoptr (IncImage) dream2 = random_image (48, 32, 3, 12);
  g_autoptr (IncImage) mask = inc_image_new (48, 32, 1);
  IncBrush b;
  IncHistoryChange change = { 0 };

  g_assert_cmpuint (inc_history_get_budget (h), ==, INC_HISTORY_DEFAULT_BUDGET);
  inc_history_set_base (h, photo);
  g_assert_false (inc_history_can_undo (h));
  inc_history_push_image (h, dream1, "Dream");

  inc_brush_init (&b, 7.0, 0.3, 1.0);
  g_autoptr (IncImage) mask0 = inc_image_copy (mask);
  IncBrushStroke *s = inc_brush_stroke_begin (mask, &b, INC_BRUSH_PAINT, 10, 10, NULL);
  inc_brush_stroke_to (s, 30, 20, NULL);
  IncRect r = inc_brush_stroke_bounds (s);
  g_assert_true (inc_history_push_mask (h, inc_brush_stroke_before (s), mask, &r, "Paint"));
  inc_brush_stroke_free (s);
  g_autoptr (IncImage) mask1 = inc_image_copy (mask);

  inc_history_push_image (h, dream2, "Dream");
  g_autoptr (IncImage) before_invert = inc_image_copy (mask);
  inc_mask_invert (mask, &r);
  g_assert_true (inc_history_push_mask (h, before_invert, mask, &r, "Invert mask"));
  g_autoptr (IncImage) mask2 = inc_image_copy (mask);
  inc_history_push_image (h, photo, "Reset");

  g_assert_cmpuint (inc_history_get_n_edits (h), ==, 5);
  g_assert_cmpstr (inc_history_undo_label (h), ==, "Reset");
  g_assert_null (inc_history_redo_label (h));

  /* Undo: Reset, Invert, Dream, Paint, Dream. */
  g_assert_true (inc_history_undo (h, mask, &change, &error));
  g_assert_no_error (error);
  g_autoptr (IncImage) u1 = take_image (&change);
  assert_same (u1, dream2);

  g_assert_true (inc_history_undo (h, mask, &change, &error));
  g_assert_cmpint (change.kind, ==, INC_HISTORY_MASK);
  g_assert_cmpstr (change.label, ==, "Invert mask");
  assert_same (mask, mask1);

  g_assert_true (inc_history_undo (h, mask, &change, &error));
  g_autoptr (IncImage) u3 = take_image (&change);
  assert_same (u3, dream1);

  g_assert_true (inc_history_undo (h, mask, &change, &error));
  g_assert_cmpint (change.kind, ==, INC_HISTORY_MASK);
  assert_same (mask, mask0);
  g_assert_cmpint (change.rect.width, >, 0);

  g_assert_true (inc_history_undo (h, mask, &change, &error));
  g_autoptr (IncImage) u5 = take_image (&change);
  assert_same (u5, photo);
  g_assert_false (inc_history_can_undo (h));
  g_assert_false (inc_history_undo (h, mask, &change, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Redo everything. */
  g_assert_true (inc_history_redo (h, mask, &change, &error));
  g_autoptr (IncImage) r1 = take_image (&change);
  assert_same (r1, dream1);
  g_assert_true (inc_history_redo (h, mask, &change, &error));
  assert_same (mask, mask1);
  g_assert_true (inc_history_redo (h, mask, &change, &error));
  g_autoptr (IncImage) r3 = take_image (&change);
  assert_same (r3, dream2);
  g_assert_true (inc_history_redo (h, mask, &change, &error));
  assert_same (mask, mask2);
  g_assert_true (inc_history_redo (h, mask, &change, &error));
  g_autoptr (IncImage) r5 = take_image (&change);
  assert_same (r5, photo);
  g_assert_false (inc_history_can_redo (h));
  g_assert_no_error (error);

  /* A new edit after undos drops the redo branch. */
  g_assert_true (inc_history_undo (h, mask, &change, &error));
  inc_history_change_clear (&change);
  g_assert_true (inc_history_undo (h, mask, &change, &error));
  g_assert_true (inc_history_undo (h, mask, &change, &error));
  inc_history_change_clear (&change);
  g_assert_cmpuint (inc_history_get_position (h), ==, 2);
  g_autoptr (IncImage) dream3 = random_image (48, 32, 3, 13);
  inc_history_push_image (h, dream3, "Dream");
  g_assert_cmpuint (inc_history_get_n_edits (h), ==, 3);
  g_assert_false (inc_history_can_redo (h));
  g_autoptr (IncImage) cur = inc_history_current_image (h, &error);
  assert_same (cur, dream3);
  g_assert_true (inc_history_undo (h, mask, &change, &error));
  g_autoptr (IncImage) back = take_image (&change);
  assert_same (back, dream1);

  /* A mask of another size is refused and the cursor stays. */
  g_assert_true (inc_history_undo (h, mask, &change, &error));    /* Paint */
  g_assert_true (inc_history_redo (h, mask, &change, &error));
  g_autoptr (IncImage) wrong = inc_image_new (10, 10, 1);
  guint pos = inc_history_get_position (h);
  g_assert_false (inc_history_undo (h, wrong, &change, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (inc_history_get_position (h), ==, pos);
  g_clear_error (&error);

  /* An empty rectangle records nothing. */
  IncRect empty = { 0, 0, 0, 0 };
  g_assert_false (inc_history_push_mask (h, mask, mask, &empty, "Nothing"));
}

/* Random 64x64 images (48 KiB raw, most of it incompressible): a 200 KiB
 * budget keeps the newest few, the base moves up, and undo still reaches
 * every state that is kept, exactly. */
static void
test_budget (void)
{
  const gsize budget = 200 * 1024;
  g_autoptr (IncHistory) h = inc_history_new (budget);
  g_autoptr (GError) error = NULL;
  g_autoptr (IncImage) mask = inc_image_new (64, 64, 1);
  IncImage *images[21];

  for (int i = 0; i <= 20; i++)
    images[i] = random_image (64, 64, 3, 100 + i);
  inc_history_set_base (h, images[0]);
  for (int i = 1; i <= 20; i++)
    {
      inc_history_push_image (h, images[i], "Dream");
      g_assert_cmpuint (inc_history_get_bytes (h), <=, budget);
    }
  guint kept = inc_history_get_n_edits (h);
  g_assert_cmpuint (kept, >=, 2);
  g_assert_cmpuint (kept, <, 20);
  g_assert_cmpuint (inc_history_get_position (h), ==, kept);

  for (guint k = 0; k < kept; k++)
    {
      IncHistoryChange change = { 0 };
      g_assert_true (inc_history_undo (h, mask, &change, &error));
      g_assert_no_error (error);
      g_autoptr (IncImage) img = take_image (&change);
      assert_same (img, images[20 - k - 1]);
    }
  g_assert_false (inc_history_can_undo (h));

  /* A smaller budget drops more at once; with everything undone the redo
   * end goes first, so the state shown stays. */
  inc_history_set_budget (h, 1);
  g_assert_cmpuint (inc_history_get_n_edits (h), ==, 1);
  g_autoptr (IncImage) cur = inc_history_current_image (h, &error);
  assert_same (cur, images[20 - kept]);

  for (int i = 0; i <= 20; i++)
    inc_image_free (images[i]);
}

static void
test_variant (void)
{
  g_autoptr (IncHistory) h = inc_history_new (0);
  g_autoptr (GError) error = NULL;
  g_autoptr (IncImage) a = random_image (16, 12, 3, 20);
  g_autoptr (IncImage) b = random_image (16, 12, 3, 21);
  g_autoptr (IncImage) mask = inc_image_new (16, 12, 1);
  g_autoptr (IncImage) mask0 = inc_image_copy (mask);
  IncRect r;
  IncHistoryChange change = { 0 };

  inc_history_set_base (h, a);
  inc_mask_fill (mask, 0.25f, &r);
  inc_history_push_mask (h, mask0, mask, &r, "Fill");
  inc_history_push_image (h, b, "Dream ☁");
  g_assert_true (inc_history_undo (h, mask, &change, &error));
  inc_history_change_clear (&change);

  /* Through serialised bytes, as a session file holds it. */
  g_autoptr (GVariant) v = g_variant_ref_sink (inc_history_to_variant (h));
  g_autoptr (GBytes) bytes = g_variant_get_data_as_bytes (v);
  g_autoptr (GVariant) v2 = g_variant_ref_sink (
    g_variant_new_from_bytes (g_variant_get_type (v), bytes, FALSE));
  g_autoptr (IncHistory) h2 = inc_history_from_variant (v2, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (inc_history_get_n_edits (h2), ==, 2);
  g_assert_cmpuint (inc_history_get_position (h2), ==, 1);
  g_assert_cmpuint (inc_history_get_bytes (h2), ==, inc_history_get_bytes (h));
  g_assert_cmpstr (inc_history_redo_label (h2), ==, "Dream ☁");

  g_assert_true (inc_history_redo (h2, mask, &change, &error));
  g_autoptr (IncImage) redone = take_image (&change);
  assert_same (redone, b);
  g_assert_true (inc_history_undo (h2, mask, &change, &error));
  inc_history_change_clear (&change);
  g_assert_true (inc_history_undo (h2, mask, &change, &error));
  assert_same (mask, mask0);
  g_assert_true (inc_history_redo (h2, mask, &change, &error));
  for (int i = 0; i < 16 * 12; i++)
    g_assert_cmpfloat (mask->data[i], ==, 0.25f);

  /* A copy shares the data but moves on its own. */
  g_autoptr (IncHistory) copy = inc_history_copy (h2);
  g_assert_cmpuint (inc_history_get_bytes (copy), ==, inc_history_get_bytes (h2));
  g_assert_true (inc_history_undo (copy, mask, &change, &error));
  g_assert_cmpuint (inc_history_get_position (copy), ==, 0);
  g_assert_cmpuint (inc_history_get_position (h2), ==, 1);
  inc_history_push_image (h2, a, "Reset");     /* drops h2's redo edit */
  g_assert_cmpstr (inc_history_undo_label (h2), ==, "Reset");
  g_assert_cmpuint (inc_history_get_n_edits (copy), ==, 2);
  g_clear_pointer (&h2, inc_history_free);
  g_assert_true (inc_history_redo (copy, mask, &change, &error));
  g_assert_cmpint (change.kind, ==, INC_HISTORY_MASK);
  g_assert_true (inc_history_redo (copy, mask, &change, &error));
  g_autoptr (IncImage) from_copy = take_image (&change);
  assert_same (from_copy, b);

  /* A wrong type or an inconsistent position is refused. */
  g_autoptr (GVariant) junk = g_variant_ref_sink (g_variant_new_string ("x"));
  g_assert_null (inc_history_from_variant (junk, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_autoptr (GVariant) bad = g_variant_ref_sink (
    g_variant_new ("(u@a(iiiay)@a(usa(iiiay)(iiiiii)))", 7,
                   g_variant_new_array (G_VARIANT_TYPE ("(iiiay)"), NULL, 0),
                   g_variant_new_array (G_VARIANT_TYPE ("(usa(iiiay)(iiiiii))"), NULL, 0)));
  g_assert_null (inc_history_from_variant (bad, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/history/packed/exact", test_packed_exact);
  g_test_add_func ("/history/packed/damaged", test_packed_damaged);
  g_test_add_func ("/history/undo-redo", test_undo_redo);
  g_test_add_func ("/history/budget", test_budget);
  g_test_add_func ("/history/variant", test_variant);

  return g_test_run ();
}
