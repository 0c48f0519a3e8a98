/* cli-fetch.c: `inceptionist-cli fetch-model [--source npm|keras-h5|FILE]
 * [-o OUTPUT]`: downloads (resuming), verifies and imports a model. */
#include <glib-unix.h>
#include <stdio.h>
#include <unistd.h>

#include "app/cli.h"
#include "core/model-fetch.h"

typedef struct {
  IncModelFetchRequest  req;
  GCancellable         *cancellable;
  GMainLoop            *loop;
  gboolean              tty;
  gboolean              interrupted;
  gint64                last_report;
  char                 *written;
  GError               *error;
} Fetch;

static void
on_stage (IncFetchStage stage,
          const char   *detail,
          gpointer      user_data)
{
  static const char *verbs[] = {
    [INC_FETCH_STAGE_DOWNLOAD] = "downloading",
    [INC_FETCH_STAGE_VERIFY] = "verifying",
    [INC_FETCH_STAGE_EXTRACT] = "unpacking",
    [INC_FETCH_STAGE_IMPORT] = "importing",
    [INC_FETCH_STAGE_SAVE] = "saving",
  };
  Fetch *f = user_data;

  if (f->tty && f->last_report != 0)
    fputc ('\n', stderr);
  f->last_report = 0;
  g_printerr ("fetch-model: %s %s\n", verbs[stage], detail);
}

static void
on_progress (goffset  received,
             goffset  total,
             gpointer user_data)
{
  Fetch *f = user_data;
  gint64 now = g_get_monotonic_time ();
  gboolean done = total >= 0 && received >= total;

  /* A tty gets a live line; a log one line every few seconds. */
  if (!done && now - f->last_report < (f->tty ? 200000 : 5000000))
    return;
  f->last_report = now;
  if (total > 0)
    g_printerr ("%s  %.1f of %.1f MB (%d%%)%s", f->tty ? "\r" : "",
                received / 1e6, total / 1e6, (int) (100 * received / total),
                f->tty ? "" : "\n");
  else
    g_printerr ("%s  %.1f MB%s", f->tty ? "\r" : "", received / 1e6,
                f->tty ? "" : "\n");
}

static gboolean
quit_loop (gpointer user_data)
{
  Fetch *f = user_data;
  g_main_loop_quit (f->loop);
  return G_SOURCE_REMOVE;
}

static gpointer
fetch_thread (gpointer user_data)
{
  Fetch *f = user_data;
  f->written = inc_model_fetch (&f->req, f->cancellable, &f->error);
  g_idle_add (quit_loop, f);
  return NULL;
}

static gboolean
on_sigint (gpointer user_data)
{
  Fetch *f = user_data;
  f->interrupted = TRUE;
  g_cancellable_cancel (f->cancellable);
  return G_SOURCE_CONTINUE;
}

int
inc_cli_fetch_model (int    argc,
                     char **argv)
{
  g_autofree char *source = NULL;
  g_autofree char *output = NULL;
  g_autofree char *url = NULL;
  g_autofree char *topology = NULL;
  gboolean force = FALSE;
  const GOptionEntry entries[] = {
    { "source", 's', 0, G_OPTION_ARG_FILENAME, &source,
      "npm (default): the InceptionV3 inside nsfwjs@4.4.0; keras-h5: Keras's "
      "ImageNet weights; or the path of a file you have", "npm|keras-h5|FILE" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      "where to write the model (default: the user's model directory)",
      "OUTPUT.incmodel" },
    { "url", 0, 0, G_OPTION_ARG_STRING, &url,
      "download from this mirror instead (the pinned hash still applies)",
      "URL" },
    { "topology", 0, 0, G_OPTION_ARG_FILENAME, &topology,
      "the Keras topology for HDF5 weights (default: the installed "
      "inception_v3-topology.json)", "FILE.json" },
    { "force", 'f', 0, G_OPTION_ARG_NONE, &force,
      "replace a model that is already there", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;

  g_option_context_set_summary (ctx,
    "Gets a model at first run: downloads it (resuming an interrupted\n"
    "download), checks the pinned hash and imports it, atomically.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return inc_cli_fail (error);
  if (argc != 1)
    {
      g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   "fetch-model takes no arguments; name a file with "
                   "--source FILE (see fetch-model --help)");
      return inc_cli_fail (error);
    }

  Fetch f = {
    .req = {
      .output = output, .url = url, .topology = topology, .retries = 3,
      .progress = on_progress, .stage = on_stage,
    },
    .tty = isatty (STDERR_FILENO),
  };
  f.req.user_data = &f;
  if (source == NULL || g_str_equal (source, "npm"))
    f.req.source = INC_MODEL_SOURCE_NPM;
  else if (g_str_equal (source, "keras-h5"))
    f.req.source = INC_MODEL_SOURCE_KERAS_H5;
  else
    {
      f.req.source = INC_MODEL_SOURCE_FILE;
      f.req.file = source;
    }
  if (url != NULL && f.req.source == INC_MODEL_SOURCE_FILE)
    {
      g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   "--url goes with --source npm or keras-h5");
      return inc_cli_fail (error);
    }

  g_autofree char *target = output ? g_strdup (output) : inc_model_default_path ();
  if (!force && g_file_test (target, G_FILE_TEST_EXISTS))
    {
      g_print ("%s\n", target);
      g_printerr ("fetch-model: a model is already there; --force replaces it\n");
      return INC_EXIT_OK;
    }

  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  f.loop = loop;
  f.cancellable = cancellable;
  guint sigint = g_unix_signal_add (SIGINT, on_sigint, &f);
  GThread *thread = g_thread_new ("fetch-model", fetch_thread, &f);
  g_main_loop_run (loop);
  g_thread_join (thread);
  g_source_remove (sigint);
  if (f.tty && f.last_report != 0)
    fputc ('\n', stderr);

  g_autofree char *written = f.written;
  if (written == NULL)
    {
      int status = f.interrupted ? INC_EXIT_INTERRUPTED : inc_cli_fail (f.error);
      if (f.interrupted)
        g_printerr ("inceptionist-cli: interrupted; no model was installed "
                    "(a partial download is kept and resumes next time)\n");
      g_clear_error (&f.error);
      return status;
    }
  g_print ("%s\n", written);
  return INC_EXIT_OK;
}
