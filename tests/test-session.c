/* test-session.c: session files round-trip exactly (source pixels, mask,
 * recipe, result, history); damaged files are refused; the autosave lives
 * in the state directory, and one that a SIGKILL interrupts mid-write still
 * leaves the previous autosave whole (a child process writes autosaves in
 * a loop and is killed at random moments). */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "core/mask-brush.h"
#include "core/session.h"

static const char *self_path;

static IncImage *
random_image (int w, int h, int c, guint32 seed)
{
  IncImage *img = inc_image_new (w, h, c);
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  for (gsize i = 0; i < (gsize) w * h * c; i++)
    img->data[i] = (float) g_rand_double_range (rand, c == 1 ? 0.0 : -1.0, 1.0);
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

static IncSession *
make_session (int w, int h, guint32 seed)
{
  IncSession *s = inc_session_new ();
  g_autoptr (GError) error = NULL;

  s->source_path = g_strdup_printf ("/photos/été/%u.jpg", seed);
  s->source = random_image (w, h, 3, seed);
  s->mask = inc_image_new (w, h, 1);
  s->recipe = inc_recipe_preset ("lapnorm-noise", &error);
  g_assert_no_error (error);
  s->recipe->seed = seed;
  s->recipe->steps = 3;
  s->result = random_image (w, h, 3, seed + 1);
  s->history = inc_history_new (0);
  inc_history_set_base (s->history, s->source);
  inc_history_push_image (s->history, s->result, "Dream");

  IncBrush b;
  inc_brush_init (&b, 9.0, 0.5, 1.0);
  g_autoptr (IncBrushStroke) stroke = inc_brush_stroke_begin (s->mask, &b, INC_BRUSH_PAINT,
                                                              2, 3, NULL);
  inc_brush_stroke_to (stroke, w - 3, h - 2, NULL);
  IncRect r = inc_brush_stroke_bounds (stroke);
  inc_history_push_mask (s->history, inc_brush_stroke_before (stroke), s->mask, &r, "Paint");
  return s;
}

static void
assert_same_session (IncSession *a, IncSession *b)
{
  g_assert_cmpstr (a->source_path, ==, b->source_path);
  assert_same (a->source, b->source);
  assert_same (a->mask, b->mask);
  assert_same (a->result, b->result);
  g_autofree char *ja = inc_recipe_to_json (a->recipe);
  g_autofree char *jb = inc_recipe_to_json (b->recipe);
  g_assert_cmpstr (ja, ==, jb);
  g_assert_cmpuint (inc_history_get_n_edits (a->history), ==,
                    inc_history_get_n_edits (b->history));
  g_assert_cmpuint (inc_history_get_position (a->history), ==,
                    inc_history_get_position (b->history));
}

static void
test_round_trip (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IncSession) s = make_session (61, 47, 5);
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), "work.incsession", NULL);

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_data_dir (), 0700), ==, 0);
  g_assert_true (inc_session_save (s, path, &error));
  g_assert_no_error (error);
  g_autoptr (IncSession) back = inc_session_load (path, &error);
  g_assert_no_error (error);
  assert_same_session (s, back);

  /* The history still undoes: the paint stroke, then the dream. */
  g_autoptr (IncImage) mask = inc_image_copy (back->mask);
  IncHistoryChange change = { 0 };
  g_assert_true (inc_history_undo (back->history, mask, &change, &error));
  g_assert_cmpint (change.kind, ==, INC_HISTORY_MASK);
  for (int i = 0; i < 61 * 47; i++)
    g_assert_cmpfloat (mask->data[i], ==, 0.0f);
  g_assert_true (inc_history_undo (back->history, mask, &change, &error));
  g_assert_no_error (error);
  assert_same (change.image, s->source);
  inc_history_change_clear (&change);

  /* A snapshot writes the very same bytes, and stays as it was when the
   * session goes on. */
  g_autoptr (IncSession) snap = inc_session_copy (s);
  g_autoptr (GBytes) b1 = inc_session_serialize (s, &error);
  g_autoptr (GBytes) b2 = inc_session_serialize (snap, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (b1, b2));
  s->mask->data[0] = 0.5f;
  inc_history_push_image (s->history, s->source, "Reset");
  g_autoptr (GBytes) b3 = inc_session_serialize (snap, &error);
  g_assert_true (g_bytes_equal (b1, b3));
  g_assert_cmpuint (inc_history_get_n_edits (snap->history), ==, 2);

  /* The smallest session: a source alone. */
  g_autoptr (IncSession) bare = inc_session_new ();
  bare->source = random_image (3, 2, 3, 9);
  g_assert_true (inc_session_save (bare, path, &error));
  g_autoptr (IncSession) bare_back = inc_session_load (path, &error);
  g_assert_no_error (error);
  assert_same (bare->source, bare_back->source);
  g_assert_null (bare_back->mask);
  g_assert_null (bare_back->result);
  g_assert_null (bare_back->history);
  g_assert_null (bare_back->source_path);
  g_assert_nonnull (bare_back->recipe);

  /* Nothing to save without a source. */
  g_autoptr (IncSession) empty = inc_session_new ();
  g_assert_false (inc_session_save (empty, path, &error));
  g_assert_error (error, INC_SESSION_ERROR, INC_SESSION_ERROR_FAILED);
}

static void
test_damaged (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IncSession) s = make_session (20, 10, 7);
  g_autoptr (GBytes) bytes = inc_session_serialize (s, &error);
  g_assert_no_error (error);
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  /* Cut short anywhere. */
  for (gsize cut = 0; cut < size; cut += MAX (size / 13, 1))
    {
      g_autoptr (GBytes) b = g_bytes_new (data, cut);
      g_assert_null (inc_session_deserialize (b, &error));
      g_assert_error (error, INC_SESSION_ERROR, INC_SESSION_ERROR_CORRUPT);
      g_clear_error (&error);
    }
  /* One byte changed anywhere after the magic. */
  for (gsize at = 8; at < size; at += MAX (size / 17, 1))
    {
      g_autofree guint8 *copy = g_memdup2 (data, size);
      copy[at] ^= 0x20;
      g_autoptr (GBytes) b = g_bytes_new_take (g_steal_pointer (&copy), size);
      g_assert_null (inc_session_deserialize (b, &error));
      g_assert_error (error, INC_SESSION_ERROR, INC_SESSION_ERROR_CORRUPT);
      g_clear_error (&error);
    }
  /* A newer format. */
  g_autofree guint8 *newer = g_memdup2 (data, size);
  newer[7] = '2';
  g_autoptr (GBytes) nb = g_bytes_new_take (g_steal_pointer (&newer), size);
  g_assert_null (inc_session_deserialize (nb, &error));
  g_assert_error (error, INC_SESSION_ERROR, INC_SESSION_ERROR_VERSION);
  g_clear_error (&error);

  g_autofree char *missing = g_build_filename (g_get_user_data_dir (), "none.incsession", NULL);
  g_assert_null (inc_session_load (missing, &error));
  g_assert_error (error, INC_SESSION_ERROR, INC_SESSION_ERROR_NOT_FOUND);
}

static void
test_autosave (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = inc_session_autosave_path ();
  g_autoptr (IncSession) s = make_session (33, 21, 11);

  g_assert_true (g_str_has_prefix (path, g_get_user_state_dir ()));
  g_assert_false (inc_session_autosave_exists ());
  g_assert_null (inc_session_load_autosave (&error));
  g_assert_error (error, INC_SESSION_ERROR, INC_SESSION_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (inc_session_autosave (s, &error));
  g_assert_no_error (error);
  g_assert_true (inc_session_autosave_exists ());
  g_autoptr (IncSession) back = inc_session_load_autosave (&error);
  g_assert_no_error (error);
  assert_same_session (s, back);

  /* A file cut short is not offered. */
  g_autofree char *text = NULL;
  gsize size;
  g_assert_true (g_file_get_contents (path, &text, &size, NULL));
  g_assert_true (g_file_set_contents (path, text, size / 2, NULL));
  g_assert_false (inc_session_autosave_exists ());

  g_assert_true (inc_session_discard_autosave (&error));
  g_assert_false (inc_session_autosave_exists ());
  g_assert_true (inc_session_discard_autosave (&error));
  g_assert_no_error (error);
}

/* Sessions large enough that writing one takes a while. */
#define KILL_W 640
#define KILL_H 480

/* The child: writes two sessions (seeds 1 and 2) in turn to the autosave
 * path, recording in progress_path how many writes have finished.  They
 * are serialised once, so nearly all of the loop is the atomic write. */
static int
autosave_child (const char *progress_path)
{
  g_autofree char *path = inc_session_autosave_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr (GError) error = NULL;
  GBytes *bytes[2];

  g_mkdir_with_parents (dir, 0700);
  for (int k = 0; k < 2; k++)
    {
      g_autoptr (IncSession) s = make_session (KILL_W, KILL_H, k + 1);
      bytes[k] = inc_session_serialize (s, &error);
      g_assert_no_error (error);
    }
  for (guint n = 1; ; n++)
    {
      g_autofree char *count = g_strdup_printf ("%u", n);
      if (!inc_session_write_bytes (bytes[(n - 1) % 2], path, &error) ||
          !g_file_set_contents (progress_path, count, -1, &error))
        {
          g_printerr ("autosave child: %s\n", error->message);
          return 1;
        }
    }
  return 0;
}

static guint
read_progress (const char *path)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  return (guint) g_ascii_strtoull (text, NULL, 10);
}

/* Temporary files of interrupted writes beside the autosave. */
static guint
count_temporaries (void)
{
  g_autofree char *path = inc_session_autosave_path ();
  g_autofree char *dir_path = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;
  guint n = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, base) && strcmp (name, base) != 0)
      n++;
  return n;
}

/* Killed at random moments until at least two kills have landed inside a
 * write (a temporary file is left behind); every time, the autosave is one
 * of the two sessions, whole and exact. */
static void
test_autosave_killed (void)
{
  g_autofree char *progress = g_build_filename (g_get_user_runtime_dir (), "progress", NULL);
  g_autoptr (GRand) rand = g_rand_new_with_seed (g_test_rand_int ());
  g_autoptr (IncSession) want1 = make_session (KILL_W, KILL_H, 1);
  g_autoptr (IncSession) want2 = make_session (KILL_W, KILL_H, 2);
  int round;

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_runtime_dir (), 0700), ==, 0);
  for (round = 0; round < 40 && count_temporaries () < 2; round++)
    {
      g_autoptr (GError) error = NULL;
      const char *argv[] = { self_path, "--autosave-child", progress, NULL };
      GPid pid;
      int status;

      g_unlink (progress);
      /* The isolated state directory is this process's alone: hand it on. */
      g_auto (GStrv) envp = g_environ_setenv (g_get_environ (), "XDG_STATE_HOME",
                                              g_get_user_state_dir (), TRUE);
      g_assert_true (g_spawn_async (NULL, (char **) argv, envp, G_SPAWN_DO_NOT_REAP_CHILD,
                                    NULL, NULL, &pid, &error));
      g_assert_no_error (error);
      gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
      while (read_progress (progress) < 2)
        {
          g_assert_cmpint (g_get_monotonic_time (), <, deadline);
          g_assert_cmpint (waitpid (pid, &status, WNOHANG), ==, 0);
          g_usleep (1000);
        }
      g_usleep (g_rand_int_range (rand, 0, 100000));
      g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
      g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
      g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
      g_spawn_close_pid (pid);
      guint done = read_progress (progress);

      g_assert_true (inc_session_autosave_exists ());
      g_autoptr (IncSession) back = inc_session_load_autosave (&error);
      g_assert_no_error (error);
      guint32 n = back->recipe->seed;
      g_assert_true (n == 1 || n == 2);
      assert_same_session (n == 1 ? want1 : want2, back);
      g_test_message ("round %d: killed after %u writes; %u interrupted writes so far",
                      round, done, count_temporaries ());
    }
  g_assert_cmpuint (count_temporaries (), >=, 2);
}

int
main (int argc, char **argv)
{
  if (argc == 3 && strcmp (argv[1], "--autosave-child") == 0)
    return autosave_child (argv[2]);

  self_path = argv[0];
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/session/round-trip", test_round_trip);
  g_test_add_func ("/session/damaged", test_damaged);
  g_test_add_func ("/session/autosave", test_autosave);
  g_test_add_func ("/session/autosave-killed", test_autosave_killed);

  return g_test_run ();
}
