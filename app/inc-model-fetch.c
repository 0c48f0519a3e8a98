/* inc-model-fetch.c: the window's "Import Model" button: the package
 * scripts/fetch-model.sh would fetch, taken from a cache only, never from
 * the network. */
#include "app/inc-model-fetch.h"

#include <glib/gi18n.h>

#include "core/model-fetch.h"

#define NSFWJS_PACKAGE "nsfwjs@4.4.0"
#define NSFWJS_TARBALL "nsfwjs-4.4.0.tgz"

static gboolean
run_in (const char          *dir,
        const char *const   *argv,
        GCancellable        *cancellable,
        GError             **error)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *err = NULL;

  g_subprocess_launcher_set_cwd (launcher, dir);
  process = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (process == NULL)
    return FALSE;
  if (!g_subprocess_communicate_utf8 (process, NULL, cancellable, NULL, &err, error))
    return FALSE;
  if (!g_subprocess_get_successful (process))
    {
      g_set_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "%s failed: %s",
                   argv[0], err && *err ? g_strstrip (err) : _("no message"));
      return FALSE;
    }
  return TRUE;
}

/* The package as fetch-model.sh and inc_model_fetch keep it, else as npm
 * keeps it (npm pack --offline copies it out of npm's cache into tmp). */
static char *
find_tarball (const char    *tmp,
              GCancellable  *cancellable,
              GError       **error)
{
  const char *npm_argv[] = { "npm", "pack", "--offline", "--silent", NSFWJS_PACKAGE, NULL };
  g_autofree char *cached = g_build_filename (g_get_user_cache_dir (), "inceptionist",
                                              NSFWJS_TARBALL, NULL);
  g_autofree char *npm = NULL;

  if (g_file_test (cached, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&cached);

  npm = g_find_program_in_path ("npm");
  if (npm == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("%s is not in %s and npm is not installed; run "
                     "scripts/fetch-model.sh with network access"),
                   NSFWJS_TARBALL, cached);
      return NULL;
    }
  if (!run_in (tmp, npm_argv, cancellable, error))
    {
      g_prefix_error (error, _("npm’s cache has no %s (run scripts/fetch-model.sh with "
                               "network access): "), NSFWJS_PACKAGE);
      return NULL;
    }
  return g_build_filename (tmp, NSFWJS_TARBALL, NULL);
}

static void
fetch_worker (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  const char *model_path = task_data;
  IncModelFetchRequest request = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *tarball = NULL;
  g_autofree char *written = NULL;

  tmp = g_dir_make_tmp ("inceptionist-model-XXXXXX", &error);
  if (tmp == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  tarball = find_tarball (tmp, cancellable, &error);
  if (tarball != NULL)
    {
      /* A file source never touches the network: checked, unpacked,
       * imported and saved whole, or not at all. */
      request.source = INC_MODEL_SOURCE_FILE;
      request.file = tarball;
      request.output = model_path;
      written = inc_model_fetch (&request, cancellable, &error);
    }
  inc_remove_tree (tmp);

  if (written == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
_inc_model_fetch_async (const char          *model_path,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, _inc_model_fetch_async);
  g_task_set_task_data (task, g_strdup (model_path), g_free);
  g_task_run_in_thread (task, fetch_worker);
}

gboolean
_inc_model_fetch_finish (GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
