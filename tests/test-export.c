/* test-export.c: print-size export with the real engine: a 2x export has
 * the right size, the recipe chunk, and leaves the unmasked area as the
 * resized source; a cancelled or refused export leaves no file.  Needs the
 * default model; skipped without it unless INCEPTIONIST_REQUIRE_MODEL=1. */
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "compute/dream-gradient.h"
#include "core/export.h"
#include "core/image.h"
#include "core/model.h"
#include "compute-support.h"

typedef struct {
  IncDevice         *device;
  IncNetwork        *network;
  IncGradientSource *gradients;
  char              *dir;
} Engine;

static void
engine_clear (Engine *e)
{
  inc_gradient_source_free (e->gradients);
  inc_network_free (e->network);
  inc_device_free (e->device);
  if (e->dir != NULL)
    g_rmdir (e->dir);
  g_free (e->dir);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Engine, engine_clear)

static gboolean
engine_open (Engine *e)
{
  g_autofree char *path = inc_model_default_path ();
  g_autoptr (GError) error = NULL;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      if (g_strcmp0 (g_getenv ("INCEPTIONIST_REQUIRE_MODEL"), "1") == 0)
        g_error ("no model at %s, and one is required", path);
      g_test_skip_printf ("no model at %s; run scripts/fetch-model.sh", path);
      return FALSE;
    }
  g_autoptr (IncModel) model = inc_model_load (path, &error);
  g_assert_no_error (error);
  e->device = test_open_device (FALSE);
  if (e->device == NULL)
    return FALSE;
  e->network = inc_network_new (e->device, model, &error);
  g_assert_no_error (error);
  e->gradients = inc_engine_gradient_source_new (e->network);
  e->dir = g_dir_make_tmp ("test-export-XXXXXX", &error);
  g_assert_no_error (error);
  return TRUE;
}

static guint
files_in (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;
  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* A smooth colourful pattern in [-1, 1]. */
static IncImage *
pattern (int w, int h)
{
  IncImage *img = inc_image_new (w, h, 3);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++)
        img->data[((gsize) y * w + x) * 3 + c] =
          0.8f * sinf (0.21f * x * (c + 1) + 0.13f * y - c);
  return img;
}

/* Small and quick: one octave, one step, tiles smaller than the image. */
static IncRecipe *
tiny_recipe (void)
{
  g_autoptr (GError) error = NULL;
  IncRecipe *r = inc_recipe_from_json (
    "{\"layers\": [{\"name\": \"mixed3\", \"weight\": 1.0}], \"octaves\": 1,"
    " \"octave-start\": 0, \"steps\": 1, \"step-size\": 0.05, \"tile\": 96,"
    " \"seed\": 3}", -1, &error);
  g_assert_no_error (error);
  return r;
}

static void
test_target_size (void)
{
  IncExportOptions o = { .scale = 2 };
  g_autoptr (GError) error = NULL;
  int w, h;

  g_assert_true (inc_export_target_size (&o, 500, 333, &w, &h, &error));
  g_assert_cmpint (w, ==, 1000);
  g_assert_cmpint (h, ==, 666);
  o.scale = 4;
  g_assert_true (inc_export_target_size (&o, 500, 333, &w, &h, &error));
  g_assert_cmpint (w, ==, 2000);
  g_assert_cmpint (h, ==, 1332);
  o.long_edge = 4096;
  g_assert_true (inc_export_target_size (&o, 500, 333, &w, &h, &error));
  g_assert_cmpint (w, ==, 4096);
  g_assert_cmpint (h, ==, 2728);   /* 333 * 8.192 = 2727.9 */
  g_assert_true (inc_export_target_size (&o, 333, 500, &w, &h, &error));
  g_assert_cmpint (w, ==, 2728);
  g_assert_cmpint (h, ==, 4096);
  o.long_edge = 16384;
  g_assert_true (inc_export_target_size (&o, 500, 333, &w, &h, &error));
  g_assert_cmpint (w, ==, 16384);
  g_assert_no_error (error);

  IncExportOptions bad[] = {
    { .scale = 3 }, { .scale = 0 }, { .long_edge = 16385 }, { .long_edge = -5 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (inc_export_target_size (&bad[i], 500, 333, &w, &h, &error));
      g_assert_error (error, INC_EXPORT_ERROR, INC_EXPORT_ERROR_INVALID);
      g_clear_error (&error);
    }
  o = (IncExportOptions) { .scale = 4 };
  g_assert_false (inc_export_target_size (&o, 5000, 100, &w, &h, &error));
  g_assert_error (error, INC_EXPORT_ERROR, INC_EXPORT_ERROR_INVALID);
}

typedef struct {
  int      calls;
  double   last_fraction;
  gboolean wrote;
} Progress;

static void
on_progress (const IncExportProgress *p, gpointer user_data)
{
  Progress *pr = user_data;
  g_assert_cmpfloat (p->fraction, >=, pr->last_fraction);
  g_assert_cmpfloat (p->fraction, <=, 1.0);
  pr->last_fraction = p->fraction;
  pr->wrote |= p->writing;
  pr->calls++;
}

/* 2x with a mask on the left half: the file is 2x the size and carries the
 * recipe; right of the scaled-up mask's edge the pixels are the resized
 * source (to 8 bits), left of it the dream changed them. */
static void
test_export_2x (void)
{
  g_auto (Engine) e = { 0 };
  g_autoptr (GError) error = NULL;

  if (!engine_open (&e))
    return;
  const int W = 100, H = 76;
  g_autoptr (IncImage) source = pattern (W, H);
  g_autoptr (IncImage) mask = inc_image_new (W, H, 1);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W / 2; x++)
      mask->data[y * W + x] = 1.0f;
  g_autoptr (IncRecipe) recipe = tiny_recipe ();
  g_autofree char *path = g_build_filename (e.dir, "print.png", NULL);
  IncExportOptions options = { .scale = 2 };
  Progress pr = { 0 };

  g_assert_true (inc_export_run (&options, recipe, source, mask, e.gradients, path,
                                 NULL, on_progress, &pr, &error));
  g_assert_no_error (error);
  g_assert_true (pr.wrote);
  g_assert_cmpfloat (pr.last_fraction, ==, 1.0);
  g_assert_cmpint (pr.calls, >=, 2);

  g_autoptr (IncImage) out = inc_image_load (path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (out->width, ==, 2 * W);
  g_assert_cmpint (out->height, ==, 2 * H);

  g_autofree char *json = inc_image_read_recipe (path, &error);
  g_assert_no_error (error);
  g_autoptr (IncRecipe) embedded = inc_recipe_from_json (json, -1, &error);
  g_assert_no_error (error);
  g_autofree char *want = inc_recipe_to_json (recipe);
  g_autofree char *got = inc_recipe_to_json (embedded);
  g_assert_cmpstr (got, ==, want);

  /* Only the file itself in the folder. */
  g_assert_cmpuint (files_in (e.dir), ==, 1);

  g_autoptr (IncImage) big = inc_image_resize (source, 2 * W, 2 * H);
  double kept = 0.0, changed = 0.0;
  for (int y = 0; y < 2 * H; y++)
    for (int x = 0; x < 2 * W; x++)
      for (int c = 0; c < 3; c++)
        {
          gsize i = ((gsize) y * 2 * W + x) * 3 + c;
          double d = fabs (out->data[i] - big->data[i]);
          if (x >= W + 2)
            kept = MAX (kept, d);
          else if (x < W - 2)
            changed = MAX (changed, d);
        }
  /* Half a step of 8 bits apart at most, where the mask is 0. */
  g_assert_cmpfloat (kept, <=, 0.5 / 127.5 + 1e-6);
  g_assert_cmpfloat (changed, >, 0.02);
  g_unlink (path);

  /* JPEG at a long edge, recipe tile 0 rendered through tiles anyway. */
  g_autofree char *jpeg = g_build_filename (e.dir, "print.jpg", NULL);
  recipe->tile = 0;
  options = (IncExportOptions) { .long_edge = 150, .jpeg_quality = 80 };
  g_assert_true (inc_export_run (&options, recipe, source, NULL, e.gradients, jpeg,
                                 NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_autoptr (IncImage) jout = inc_image_load (jpeg, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (jout->width, ==, 150);
  g_assert_cmpint (jout->height, ==, 114);
  g_unlink (jpeg);
}

static void
cancel_after_first_step (const IncExportProgress *p, gpointer user_data)
{
  if (p->dream.total_done >= 1)
    g_cancellable_cancel (user_data);
}

static void
test_cancel (void)
{
  g_auto (Engine) e = { 0 };
  g_autoptr (GError) error = NULL;

  if (!engine_open (&e))
    return;
  g_autoptr (IncImage) source = pattern (90, 60);
  g_autoptr (IncRecipe) recipe = tiny_recipe ();
  recipe->steps = 3;
  g_autofree char *path = g_build_filename (e.dir, "never.png", NULL);
  IncExportOptions options = { .scale = 2 };
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();

  g_assert_false (inc_export_run (&options, recipe, source, NULL, e.gradients, path,
                                  cancellable, cancel_after_first_step, cancellable,
                                  &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (files_in (e.dir), ==, 0);

  /* Cancelled before it starts: nothing either, and an existing file with
   * that name is left as it was. */
  g_assert_true (g_file_set_contents (path, "old", -1, NULL));
  g_assert_false (inc_export_run (&options, recipe, source, NULL, e.gradients, path,
                                  cancellable, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "old");
  g_assert_cmpuint (files_in (e.dir), ==, 1);
  g_unlink (path);

  /* Refused before any work: a bad name, a bad size, a mask of the wrong
   * size; no file. */
  g_autofree char *gif = g_build_filename (e.dir, "x.gif", NULL);
  g_assert_false (inc_export_run (&options, recipe, source, NULL, e.gradients, gif,
                                  NULL, NULL, NULL, &error));
  g_assert_error (error, INC_EXPORT_ERROR, INC_EXPORT_ERROR_INVALID);
  g_clear_error (&error);
  IncExportOptions huge = { .scale = 4 };
  g_autoptr (IncImage) wide = pattern (5000, 2);
  g_assert_false (inc_export_run (&huge, recipe, wide, NULL, e.gradients, path,
                                  NULL, NULL, NULL, &error));
  g_assert_error (error, INC_EXPORT_ERROR, INC_EXPORT_ERROR_INVALID);
  g_clear_error (&error);
  g_autoptr (IncImage) small_mask = inc_image_new (10, 10, 1);
  g_assert_false (inc_export_run (&options, recipe, source, small_mask, e.gradients,
                                  path, NULL, NULL, NULL, &error));
  g_assert_error (error, INC_EXPORT_ERROR, INC_EXPORT_ERROR_INVALID);
  g_assert_cmpuint (files_in (e.dir), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/export/target-size", test_target_size);
  g_test_add_func ("/export/2x", test_export_2x);
  g_test_add_func ("/export/cancel", test_cancel);

  return g_test_run ();
}
