/* inc-model-fetch.c: the window's "Import Model" button. The same steps as
 * scripts/fetch-model.sh, but never touching the network. */
#include "app/inc-model-fetch.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "core/model-import.h"

#define NSFWJS_PACKAGE "nsfwjs@4.4.0"
#define NSFWJS_TARBALL "nsfwjs-4.4.0.tgz"

static void
remove_tree (GFile *file)
{
  g_autoptr(GFileEnumerator) children = NULL;
  GFileInfo *info;
  GFile *child;

  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  while (children != NULL &&
         g_file_enumerator_iterate (children, &info, &child, NULL, NULL) && info != NULL)
    {
      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        remove_tree (child);
      else
        g_file_delete (child, NULL, NULL);
    }
  g_file_delete (file, NULL, NULL);
}

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

static void
fetch_worker (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  const char *model_path = task_data;
  const char *npm_argv[] = { "npm", "pack", "--offline", "--silent", NSFWJS_PACKAGE, NULL };
  const char *tar_argv[] = { "tar", "-xzf", NSFWJS_TARBALL, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(IncModel) model = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *model_dir = NULL;
  g_autofree char *parent = NULL;

  g_autofree char *npm = g_find_program_in_path ("npm");

  if (npm == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _("npm is not installed; run scripts/fetch-model.sh on a "
                                 "computer with npm and network access"));
      return;
    }
  tmp = g_dir_make_tmp ("inceptionist-model-XXXXXX", &error);
  if (tmp == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!run_in (tmp, npm_argv, cancellable, &error))
    {
      g_prefix_error (&error, _("npm’s cache has no %s (run scripts/fetch-model.sh with "
                                "network access): "), NSFWJS_PACKAGE);
      goto out;
    }
  if (!run_in (tmp, tar_argv, cancellable, &error))
    goto out;

  model_dir = g_build_filename (tmp, "package", "dist", "models", "inception_v3", NULL);
  model = inc_model_import (model_dir, &error);
  if (model == NULL)
    goto out;
  parent = g_path_get_dirname (model_path);
  if (g_mkdir_with_parents (parent, 0755) != 0)
    {
      int saved = errno;

      g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot create %s: %s"), parent, g_strerror (saved));
      goto out;
    }
  inc_model_save (model, model_path, &error);

out:
  {
    g_autoptr(GFile) dir = g_file_new_for_path (tmp);

    remove_tree (dir);
  }
  if (error != NULL)
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
