/* test-cli-dream.c: `inceptionist-cli dream` end to end: every preset on a
 * small image, masks, determinism, every kind of bad input (exit 1, one
 * line, no output file) and Ctrl-C (exit 130, no output file).  Runs the
 * real CLI ($INCEPTIONIST_CLI) with the real model; without the model the
 * tests that need it are skipped, unless INCEPTIONIST_REQUIRE_MODEL=1. */
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "core/image.h"
#include "core/model.h"
#include "core/recipe.h"

static char *tmpdir;

static gboolean
model_exists (void)
{
  g_autofree char *path = inc_model_default_path ();

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  if (g_strcmp0 (g_getenv ("INCEPTIONIST_REQUIRE_MODEL"), "1") == 0)
    g_error ("INCEPTIONIST_REQUIRE_MODEL=1 but there is no model at %s", path);
  return FALSE;
}

static gboolean
have_model (void)
{
  if (model_exists ())
    return TRUE;
  g_test_skip ("no model (see scripts/fetch-model.sh)");
  return FALSE;
}

static char *
tmp (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

/* Runs the CLI's dream with the given arguments; returns the exit status. */
static int
run_dream (const char *const *args, char **err)
{
  const char *cli = g_getenv ("INCEPTIONIST_CLI");
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  int status = -1;

  g_assert_nonnull (cli);
  g_ptr_array_add (argv, (char *) cli);
  g_ptr_array_add (argv, (char *) "dream");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT,
                               NULL, NULL, &out, err, &status, &error));
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

static IncImage *
make_photo (int w, int h)
{
  IncImage *img = inc_image_new (w, h, 3);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++)
        img->data[((gsize) y * w + x) * 3 + c] =
          (float) (0.7 * sin (0.19 * x + c) * cos (0.23 * y - 0.5 * c));
  return img;
}

static char *
write_photo (const char *name, int w, int h)
{
  char *path = tmp (name);
  g_autoptr (IncImage) img = make_photo (w, h);
  g_autoptr (GError) error = NULL;

  if (g_str_has_suffix (name, ".npy"))
    g_assert_true (inc_image_save_npy (img, path, &error));
  else
    g_assert_true (inc_image_save (img, path, NULL, 0, &error));
  g_assert_no_error (error);
  return path;
}

/* The "octave K/N done: WxH, S steps, T s" lines on standard error: one an
 * octave, in order, each octave larger than the one before, their seconds
 * within the run's wall time. */
static void
check_octave_lines (const char *err, int n_octaves, int steps, double wall)
{
  g_auto (GStrv) lines = g_strsplit (err, "\n", -1);
  int seen = 0, last_area = 0;
  double sum = 0.0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      int k, n, w, h, s;
      double t;
      if (strstr (lines[i], " done: ") == NULL)
        continue;
      g_assert_cmpint (sscanf (lines[i], "octave %d/%d done: %dx%d, %d steps, %lf s",
                               &k, &n, &w, &h, &s, &t), ==, 6);
      g_assert_cmpint (k, ==, ++seen);
      g_assert_cmpint (n, ==, n_octaves);
      g_assert_cmpint (s, ==, steps);
      g_assert_cmpint (w * h, >, last_area);
      last_area = w * h;
      g_assert_cmpfloat (t, >, 0.0);
      sum += t;
    }
  g_assert_cmpint (seen, ==, n_octaves);
  g_assert_cmpfloat (sum, <=, wall);
}

static void
test_presets (void)
{
  if (!have_model ())
    return;

  g_autofree char *input = write_photo ("photo.png", 80, 64);
  for (const char *const *p = inc_recipe_preset_names (); *p != NULL; p++)
    {
      g_autofree char *name = g_strdup_printf ("out-%s.png", *p);
      g_autofree char *output = tmp (name);
      g_autofree char *err = NULL;
      const char *args[] = { input, "-o", output, "--preset", *p, "--steps", "1", NULL };
      g_autoptr (GError) error = NULL;

      int status = run_dream (args, &err);
      g_test_message ("%s: %s", *p, err);
      g_assert_cmpint (status, ==, 0);

      g_autoptr (IncImage) out = inc_image_load (output, 0, &error);
      g_assert_no_error (error);
      g_assert_cmpint (out->width, ==, 80);
      g_assert_cmpint (out->height, ==, 64);

      /* The PNG carries the recipe that made it. */
      g_autofree char *json = inc_image_read_recipe (output, &error);
      g_assert_no_error (error);
      g_autoptr (IncRecipe) used = inc_recipe_from_json (json, -1, &error);
      g_assert_no_error (error);
      g_autoptr (IncRecipe) preset = inc_recipe_preset (*p, NULL);
      g_assert_cmpint (used->steps, ==, 1);
      g_assert_cmpint (used->octave_style, ==, preset->octave_style);
      g_assert_cmpint (used->octaves, ==, preset->octaves);
      g_assert_cmpint (used->norm, ==, preset->norm);
      g_assert_cmpstr (used->layers[0].name, ==, preset->layers[0].name);

      /* A dream from a photo changes it. */
      if (preset->start == INC_START_PHOTO)
        {
          g_autoptr (IncImage) in = inc_image_load (input, 0, NULL);
          double diff = 0;
          for (gsize i = 0; i < 80 * 64 * 3; i++)
            diff += fabsf (in->data[i] - out->data[i]);
          g_assert_cmpfloat (diff / (80 * 64 * 3), >, 1.0 / 255);
        }
    }
}

static void
test_npy_jpeg_guide (void)
{
  if (!have_model ())
    return;

  g_autofree char *input = write_photo ("photo.npy", 50, 70);
  g_autofree char *guide = write_photo ("guide.png", 40, 40);
  g_autofree char *output = tmp ("out-npy.jpg");
  g_autofree char *err = NULL;
  const char *args[] = { input, "-o", output, "--layers", "mixed2:1,mixed3:-0.5",
                         "--octaves", "2", "--steps", "2", "--guide", guide,
                         "--norm", "laplacian", NULL };
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (run_dream (args, &err), ==, 0);
  g_autoptr (IncImage) out = inc_image_load (output, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (out->width, ==, 50);
  g_assert_cmpint (out->height, ==, 70);
}

static gboolean
files_equal (const char *a, const char *b)
{
  g_autofree char *da = NULL, *db = NULL;
  gsize na = 0, nb = 0;

  g_assert_true (g_file_get_contents (a, &da, &na, NULL));
  g_assert_true (g_file_get_contents (b, &db, &nb, NULL));
  return na == nb && memcmp (da, db, na) == 0;
}

static void
test_deterministic_and_mask (void)
{
  if (!have_model ())
    return;

  g_autofree char *input = write_photo ("photo-m.png", 64, 48);
  g_autofree char *mask_path = tmp ("mask.png");
  g_autofree char *a = tmp ("det-a.png"), *b = tmp ("det-b.png"), *m = tmp ("masked.png");
  g_autoptr (IncImage) mask = inc_image_new (64, 48, 1);
  g_autoptr (GError) error = NULL;

  /* --tile 0 --jitter 0 make the tf-tutorial dream deterministic. */
  const char *args_a[] = { input, "-o", a, "--octaves", "2", "--steps", "2",
                           "--tile", "0", "--jitter", "0", NULL };
  const char *args_b[] = { input, "-o", b, "--octaves", "2", "--steps", "2",
                           "--tile", "0", "--jitter", "0", NULL };
  g_autofree char *err_a = NULL;
  gint64 t0 = g_get_monotonic_time ();
  g_assert_cmpint (run_dream (args_a, &err_a), ==, 0);
  double wall = (g_get_monotonic_time () - t0) / 1e6;
  check_octave_lines (err_a, 2, 2, wall);
  g_assert_cmpint (run_dream (args_b, NULL), ==, 0);
  g_assert_true (files_equal (a, b));

  /* Black on the left: those pixels come out exactly as they went in. */
  for (int y = 0; y < 48; y++)
    for (int x = 32; x < 64; x++)
      mask->data[y * 64 + x] = 1.0f;
  g_assert_true (inc_image_save (mask, mask_path, NULL, 0, &error));
  const char *args_m[] = { input, "-o", m, "--octaves", "2", "--steps", "2",
                           "--mask", mask_path, "--jitter", "8", NULL };
  g_assert_cmpint (run_dream (args_m, NULL), ==, 0);
  g_autoptr (IncImage) in = inc_image_load (input, 0, &error);
  g_autoptr (IncImage) out = inc_image_load (m, 0, &error);
  g_assert_no_error (error);
  int changed = 0;
  for (int y = 0; y < 48; y++)
    for (int x = 0; x < 64; x++)
      for (int c = 0; c < 3; c++)
        {
          gsize i = ((gsize) y * 64 + x) * 3 + c;
          if (x < 32)
            g_assert_cmpfloat (in->data[i], ==, out->data[i]);
          else if (in->data[i] != out->data[i])
            changed++;
        }
  g_assert_cmpint (changed, >, 32 * 48 * 3 / 2);
}

typedef struct {
  const char *what;
  const char *args[16];
  const char *mentions;
  gboolean    needs_model;
} BadCase;

static void
test_bad_input (void)
{
  g_autofree char *good = write_photo ("good.png", 40, 30);
  g_autofree char *out = tmp ("bad-out.png");
  g_autofree char *missing = tmp ("missing.png");
  g_autofree char *truncated = tmp ("truncated.png");
  g_autofree char *corrupt = tmp ("corrupt.png");
  g_autofree char *empty = tmp ("empty.png");
  g_autofree char *zero = tmp ("zero.npy");
  g_autofree char *huge = tmp ("huge.png");
  g_autofree char *copy = tmp ("copy.png");
  g_autofree char *alias = tmp ("alias.png");
  g_autofree char *data = NULL;
  gsize len = 0;
  /* Most bad inputs are refused before the model is needed. */
  gboolean model = model_exists ();

  /* A cut file, garbage, an empty file, a (0, 5, 3) array, 16385 px. */
  g_assert_true (g_file_get_contents (good, &data, &len, NULL));
  g_assert_true (g_file_set_contents (truncated, data, len / 2, NULL));
  g_assert_true (g_file_set_contents (corrupt, "this is not an image at all", -1, NULL));
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  g_assert_true (g_file_set_contents (copy, data, len, NULL));
  g_assert_cmpint (link (copy, alias), ==, 0);
  {
    static const char header[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5, 3), }";
    GString *npy = g_string_new_len ("\x93NUMPY\x01\x00", 8);
    int hlen = 128 - 10;
    g_string_append_c (npy, (char) (hlen & 0xff));
    g_string_append_c (npy, (char) (hlen >> 8));
    g_string_append (npy, header);
    while ((int) npy->len < 127)
      g_string_append_c (npy, ' ');
    g_string_append_c (npy, '\n');
    g_assert_true (g_file_set_contents (zero, npy->str, npy->len, NULL));
    g_string_free (npy, TRUE);
  }
  {
    g_autoptr (IncImage) wide = inc_image_new (INC_IMAGE_MAX_SIDE + 1, 1, 3);
    g_assert_true (inc_image_save (wide, huge, NULL, 0, NULL));
  }

  const BadCase cases[] = {
    { "missing", { missing, "-o", out, NULL }, "missing.png", FALSE },
    { "truncated", { truncated, "-o", out, NULL }, "truncated.png", FALSE },
    { "corrupt", { corrupt, "-o", out, NULL }, "corrupt.png", FALSE },
    { "empty", { empty, "-o", out, NULL }, "empty.png", FALSE },
    { "0 pixels", { zero, "-o", out, NULL }, "zero.npy", FALSE },
    { "over 16384", { huge, "-o", out, NULL }, "16384", FALSE },
    { "unknown layer", { good, "-o", out, "--layers", "mixed3,mixed42", NULL },
      "mixed42", TRUE },
    { "unknown layer lists valid", { good, "-o", out, "--layers", "bogus:1", NULL },
      "mixed10", TRUE },
    { "bad channel", { good, "-o", out, "--layers", "mixed3/100000", NULL }, "channel", FALSE },
    { "NaN step", { good, "-o", out, "--step-size", "nan", NULL }, "--step-size", FALSE },
    { "NaN scale", { good, "-o", out, "--octave-scale", "NaN", NULL }, "--octave-scale", FALSE },
    { "NaN weight", { good, "-o", out, "--layers", "mixed3:nan", NULL }, "weight", FALSE },
    { "negative steps", { good, "-o", out, "--steps", "-5", NULL }, "steps", FALSE },
    { "negative step", { good, "-o", out, "--step-size", "-0.1", NULL }, "step-size", FALSE },
    { "negative octaves", { good, "-o", out, "--octaves", "-2", NULL }, "octaves", FALSE },
    { "negative tile", { good, "-o", out, "--tile", "-512", NULL }, "tile", FALSE },
    { "negative jitter", { good, "-o", out, "--jitter", "-4", NULL }, "jitter", FALSE },
    { "negative seed", { good, "-o", out, "--seed", "-4", NULL }, "seed", FALSE },
    { "absurd octaves", { good, "-o", out, "--octaves", "5000", NULL }, "octaves", FALSE },
    { "absurd steps", { good, "-o", out, "--steps", "99999999999", NULL }, "steps", FALSE },
    { "not a number", { good, "-o", out, "--steps", "ten", NULL }, "--steps", FALSE },
    { "bad norm", { good, "-o", out, "--norm", "l2", NULL }, "--norm", FALSE },
    { "bad preset", { good, "-o", out, "--preset", "nope", NULL }, "nope", FALSE },
    { "bad max-dim", { good, "-o", out, "--max-dim", "-1", NULL }, "--max-dim", FALSE },
    { "output is input", { good, "-o", good, NULL }, "overwrite", FALSE },
    { "output is input by another name", { copy, "-o", alias, "--steps", "1", NULL },
      "overwrite", FALSE },
    { "bad extension", { good, "-o", "out.gif", NULL }, ".png", FALSE },
    { "no output", { good, NULL }, "-o", FALSE },
    { "bad mask", { good, "-o", out, "--mask", corrupt, NULL }, "corrupt.png", FALSE },
    { "bad guide", { good, "-o", out, "--guide", truncated, NULL }, "truncated.png", FALSE },
    { "bad recipe", { good, "-o", out, "--recipe", corrupt, NULL }, "corrupt.png", FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const BadCase *c = &cases[i];
      g_autofree char *err = NULL;

      if (c->needs_model && !model)
        {
          g_test_message ("case %s needs the model: not run", c->what);
          continue;
        }
      g_test_message ("case: %s", c->what);
      int status = run_dream (c->args, &err);
      g_test_message ("  -> %d: %s", status, err);
      g_assert_cmpint (status, ==, 1);
      /* One line, which says what is wrong. */
      g_assert_true (g_str_has_prefix (err, "inceptionist-cli: "));
      g_assert_true (g_str_has_suffix (err, "\n"));
      g_assert_true (strchr (err, '\n') == err + strlen (err) - 1);
      if (strstr (err, c->mentions) == NULL)
        g_error ("%s: '%s' does not mention '%s'", c->what, err, c->mentions);
      g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
      /* The input is untouched. */
      if (g_strcmp0 (c->args[0], copy) == 0)
        {
          g_autofree char *now = NULL;
          gsize n = 0;
          g_assert_true (g_file_get_contents (copy, &now, &n, NULL));
          g_assert_true (n == len && memcmp (now, data, len) == 0);
        }
    }
}

static void
test_sigint (void)
{
  if (!have_model ())
    return;

  g_autofree char *input = write_photo ("photo-s.png", 64, 64);
  g_autofree char *output = tmp ("interrupted.png");
  const char *argv[] = { g_getenv ("INCEPTIONIST_CLI"), "dream", input, "-o", output,
                         "--steps", "100000", "--octaves", "1", "--tile", "0", NULL };
  g_autoptr (GError) error = NULL;
  GPid pid;
  int err_fd, status;

  g_assert_true (g_spawn_async_with_pipes (NULL, (char **) argv, NULL,
                                           G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                           &pid, NULL, NULL, &err_fd, &error));
  g_assert_no_error (error);

  /* Wait for the first progress line: the dream is under way. */
  GString *seen = g_string_new (NULL);
  char buf[256];
  while (strstr (seen->str, "step") == NULL)
    {
      ssize_t n = read (err_fd, buf, sizeof buf);
      g_assert_cmpint (n, >, 0);
      g_string_append_len (seen, buf, n);
    }
  g_string_free (seen, TRUE);
  gint64 sent = g_get_monotonic_time ();
  kill (pid, SIGINT);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  double took = (g_get_monotonic_time () - sent) / 1e6;
  g_spawn_close_pid (pid);
  close (err_fd);

  g_test_message ("stopped %.2f s after SIGINT", took);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 130);
  g_assert_false (g_file_test (output, G_FILE_TEST_EXISTS));
  /* "At once": well before another step could finish on a slow device. */
  g_assert_cmpfloat (took, <, 2.0);

  /* Nothing else was left in the folder either. */
  g_autoptr (GDir) dir = g_dir_open (tmpdir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_false (g_str_has_prefix (name, "interrupted") || g_str_has_prefix (name, ".interrupted"));
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      g_unlink (child);
    }
  g_rmdir (path);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("inc-cli-dream-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/cli/dream/presets", test_presets);
  g_test_add_func ("/cli/dream/npy-jpeg-guide", test_npy_jpeg_guide);
  g_test_add_func ("/cli/dream/deterministic-and-mask", test_deterministic_and_mask);
  g_test_add_func ("/cli/dream/bad-input", test_bad_input);
  g_test_add_func ("/cli/dream/sigint", test_sigint);

  status = g_test_run ();
  remove_tree (tmpdir);
  g_free (tmpdir);
  return status;
}
