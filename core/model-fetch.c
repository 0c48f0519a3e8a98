/* model-fetch.c: download or find, verify, import, save. */
#include "core/model-fetch.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/model-hdf5.h"
#include "core/model-import.h"

#define NPM_MODEL_DIR "package/dist/models/inception_v3/"
#define MAX_ENTRY_SIZE (G_GINT64_CONSTANT (512) * 1024 * 1024)

void
inc_remove_tree (const char *path)
{
  GStatBuf st;

  if (g_lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          inc_remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static void
stage (const IncModelFetchRequest *req,
       IncFetchStage               s,
       const char                 *detail)
{
  if (req->stage)
    req->stage (s, detail, req->user_data);
}

static gboolean
io_error (GError    **error,
          const char *what,
          const char *path)
{
  int saved = errno;
  g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_IO, "cannot %s %s: %s",
               what, path, g_strerror (saved));
  return FALSE;
}

/* ---- the npm tarball ----------------------------------------------------- */

static gboolean
archive_failed (GError        **error,
                struct archive *a,
                const char     *tarball)
{
  g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_CORRUPT,
               "cannot unpack %s: %s", tarball,
               archive_error_string (a) ? archive_error_string (a)
                                        : "not a tar.gz archive");
  return FALSE;
}

static gboolean
extract_entry (struct archive *a,
               const char     *path,
               const char     *tarball,
               GError        **error)
{
  FILE *out = fopen (path, "wbx");
  if (out == NULL)
    return io_error (error, "create", path);

  char buf[64 * 1024];
  gboolean ok = TRUE;
  for (;;)
    {
      la_ssize_t n = archive_read_data (a, buf, sizeof buf);
      if (n == 0)
        break;
      if (n < 0)
        {
          ok = archive_failed (error, a, tarball);
          break;
        }
      if (fwrite (buf, 1, (size_t) n, out) != (size_t) n)
        {
          ok = io_error (error, "write", path);
          break;
        }
    }
  if (fclose (out) != 0 && ok)
    ok = io_error (error, "write", path);
  return ok;
}

char *
inc_npm_tarball_extract (const char *tarball,
                         const char *parent,
                         GError    **error)
{
  g_return_val_if_fail (tarball != NULL && parent != NULL, NULL);

  if (g_mkdir_with_parents (parent, 0755) != 0)
    {
      io_error (error, "create", parent);
      return NULL;
    }
  g_autofree char *dir = g_build_filename (parent, "extract-XXXXXX", NULL);
  if (g_mkdtemp (dir) == NULL)
    {
      io_error (error, "create a directory in", parent);
      return NULL;
    }

  struct archive *a = archive_read_new ();
  archive_read_support_filter_gzip (a);
  archive_read_support_format_tar (a);
  gboolean ok = TRUE;
  guint n_files = 0;

  if (archive_read_open_filename (a, tarball, 64 * 1024) != ARCHIVE_OK)
    ok = archive_failed (error, a, tarball);
  while (ok)
    {
      struct archive_entry *entry;
      int r = archive_read_next_header (a, &entry);
      if (r == ARCHIVE_EOF)
        break;
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
        {
          ok = archive_failed (error, a, tarball);
          break;
        }
      const char *name = archive_entry_pathname (entry);
      const char *base = name && g_str_has_prefix (name, NPM_MODEL_DIR)
                           ? name + strlen (NPM_MODEL_DIR) : NULL;
      /* Only plain files directly in the model directory: nothing the
       * archive names can land outside dir. */
      if (base == NULL || *base == '\0' || *base == '.' ||
          strchr (base, '/') != NULL ||
          archive_entry_filetype (entry) != AE_IFREG)
        continue;
      if (archive_entry_size (entry) > MAX_ENTRY_SIZE)
        {
          g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_CORRUPT,
                       "%s: %s is implausibly large", tarball, name);
          ok = FALSE;
          break;
        }
      g_autofree char *path = g_build_filename (dir, base, NULL);
      ok = extract_entry (a, path, tarball, error);
      n_files++;
    }
  archive_read_free (a);

  if (ok && n_files == 0)
    {
      g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_CORRUPT,
                   "%s holds no %s (not the nsfwjs package?)", tarball,
                   NPM_MODEL_DIR);
      ok = FALSE;
    }
  if (!ok)
    {
      inc_remove_tree (dir);
      return NULL;
    }
  return g_steal_pointer (&dir);
}

static IncModel *
import_tarball (const IncModelFetchRequest *req,
                const char                 *tarball,
                const char                 *cache,
                GError                    **error)
{
  stage (req, INC_FETCH_STAGE_EXTRACT, tarball);
  g_autofree char *dir = inc_npm_tarball_extract (tarball, cache, error);
  if (dir == NULL)
    return NULL;
  stage (req, INC_FETCH_STAGE_IMPORT, dir);
  IncModel *model = inc_model_import (dir, error);
  inc_remove_tree (dir);
  if (model != NULL)
    {
      /* Name the tarball, not the temporary directory that is gone now. */
      g_autofree char *abs = g_canonicalize_filename (tarball, NULL);
      g_free (model->source);
      model->source = g_strdup_printf ("nsfwjs package %s", abs);
    }
  return model;
}

/* ---- downloads ----------------------------------------------------------- */

static char *
integrity_hex (const char *integrity)
{
  gsize len;
  g_autofree guchar *raw = g_base64_decode (integrity + strlen ("sha512-"), &len);
  GString *hex = g_string_new (NULL);
  for (gsize i = 0; i < len; i++)
    g_string_append_printf (hex, "%02x", raw[i]);
  return g_string_free (hex, FALSE);
}

/* A verified copy at dest: the one already there, or a new download. */
static gboolean
ensure_download (const IncModelFetchRequest *req,
                 const char                 *url,
                 const char                 *dest,
                 GChecksumType               type,
                 const char                 *hex,
                 GCancellable               *cancellable,
                 GError                    **error)
{
  if (g_file_test (dest, G_FILE_TEST_IS_REGULAR))
    {
      g_autoptr(GError) local = NULL;
      stage (req, INC_FETCH_STAGE_VERIFY, dest);
      if (inc_file_has_checksum (dest, type, hex, cancellable, &local))
        return TRUE;
      if (!g_error_matches (local, INC_DOWNLOAD_ERROR,
                            INC_DOWNLOAD_ERROR_CHECKSUM))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      g_unlink (dest);
    }

  IncDownloadRequest d = {
    .url = url,
    .dest = dest,
    .checksum_type = type,
    .checksum = hex,
    .retries = req->retries,
    .progress = req->progress,
    .progress_data = req->user_data,
  };
  stage (req, INC_FETCH_STAGE_DOWNLOAD, url);
  return inc_download_file (&d, cancellable, error);
}

char *
inc_model_fetch_find_topology (GError **error)
{
  const char *env = g_getenv ("INCEPTIONIST_TOPOLOGY");
  if (env != NULL && *env != '\0')
    return g_strdup (env);

  g_autofree char *user = g_build_filename (g_get_user_data_dir (),
                                            "inceptionist", INC_TOPOLOGY_NAME,
                                            NULL);
  if (g_file_test (user, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&user);
  for (const char *const *d = g_get_system_data_dirs (); *d; d++)
    {
      g_autofree char *path = g_build_filename (*d, "inceptionist",
                                                INC_TOPOLOGY_NAME, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }
  g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_MISSING,
               "the InceptionV3 topology (%s) is not installed in any data "
               "directory; set INCEPTIONIST_TOPOLOGY to its path",
               INC_TOPOLOGY_NAME);
  return NULL;
}

static IncModel *
import_h5 (const IncModelFetchRequest *req,
           const char                 *h5,
           GError                    **error)
{
  g_autofree char *topology_path = req->topology
                                     ? g_strdup (req->topology)
                                     : inc_model_fetch_find_topology (error);
  if (topology_path == NULL)
    return NULL;
  g_autoptr(JsonNode) topology = inc_keras_topology_load (topology_path, error);
  if (topology == NULL)
    return NULL;
  stage (req, INC_FETCH_STAGE_IMPORT, h5);
  return inc_hdf5_import (h5, topology, error);
}

static gboolean
is_gzip (const char *path)
{
  guchar head[2] = { 0 };
  FILE *f = fopen (path, "rb");
  gboolean yes = f != NULL && fread (head, 1, 2, f) == 2 &&
                 head[0] == 0x1f && head[1] == 0x8b;
  if (f)
    fclose (f);
  return yes;
}

static IncModel *
import_user_file (const IncModelFetchRequest *req,
                  const char                 *cache,
                  GError                    **error)
{
  const char *file = req->file;

  if (file == NULL || !g_file_test (file, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_MISSING,
                   "%s does not exist", file ? file : "(no file)");
      return NULL;
    }
  if (g_file_test (file, G_FILE_TEST_IS_REGULAR) && inc_hdf5_is_hdf5 (file))
    return import_h5 (req, file, error);
  if (g_file_test (file, G_FILE_TEST_IS_REGULAR) && is_gzip (file))
    return import_tarball (req, file, cache, error);
  stage (req, INC_FETCH_STAGE_IMPORT, file);
  return inc_model_import (file, error);
}

/* ---- the whole way ------------------------------------------------------- */

char *
inc_model_fetch (const IncModelFetchRequest *req,
                 GCancellable               *cancellable,
                 GError                    **error)
{
  g_return_val_if_fail (req != NULL, NULL);

  g_autofree char *output = req->output ? g_strdup (req->output)
                                        : inc_model_default_path ();
  g_autofree char *cache = req->cache_dir
                             ? g_strdup (req->cache_dir)
                             : g_build_filename (g_get_user_cache_dir (),
                                                 "inceptionist", NULL);
  g_autoptr(IncModel) model = NULL;

  switch (req->source)
    {
    case INC_MODEL_SOURCE_NPM:
      {
        g_autofree char *hex = integrity_hex (INC_NPM_INTEGRITY);
        g_autofree char *tarball = g_build_filename (
          cache, INC_NPM_PACKAGE "-" INC_NPM_VERSION ".tgz", NULL);
        if (!ensure_download (req, req->url ? req->url : INC_NPM_URL, tarball,
                              G_CHECKSUM_SHA512, hex, cancellable, error))
          return NULL;
        model = import_tarball (req, tarball, cache, error);
        break;
      }
    case INC_MODEL_SOURCE_KERAS_H5:
      {
        /* The copy Keras itself keeps, when it is the right file. */
        g_autofree char *keras = g_build_filename (g_get_home_dir (), ".keras",
                                                   "models", INC_KERAS_H5_NAME,
                                                   NULL);
        g_autofree char *h5 = g_build_filename (cache, INC_KERAS_H5_NAME, NULL);
        if (req->url == NULL && g_file_test (keras, G_FILE_TEST_IS_REGULAR) &&
            inc_file_has_checksum (keras, G_CHECKSUM_MD5, INC_KERAS_H5_MD5,
                                   cancellable, NULL))
          {
            g_free (h5);
            h5 = g_steal_pointer (&keras);
          }
        else if (!ensure_download (req, req->url ? req->url : INC_KERAS_H5_URL,
                                   h5, G_CHECKSUM_MD5, INC_KERAS_H5_MD5,
                                   cancellable, error))
          return NULL;
        model = import_h5 (req, h5, error);
        break;
      }
    case INC_MODEL_SOURCE_FILE:
      model = import_user_file (req, cache, error);
      break;
    default:
      g_return_val_if_reached (NULL);
    }
  if (model == NULL)
    return NULL;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  stage (req, INC_FETCH_STAGE_SAVE, output);
  g_autofree char *dir = g_path_get_dirname (output);
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      io_error (error, "create", dir);
      return NULL;
    }
  if (!inc_model_save (model, output, error))
    return NULL;
  return g_steal_pointer (&output);
}
