/* session.c: session files and the autosave (see session.h for the
 * format). */
#include "core/session.h"
#include "core/packed.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

G_DEFINE_QUARK (inc-session-error-quark, inc_session_error)

#define MAGIC         "INCSESS"
#define VERSION_CHAR  '1'
#define FORMAT        1
#define HEADER_SIZE   48        /* magic + version, length, SHA-256 */
#define AUTOSAVE_NAME "autosave.incsession"
/* Temporary files a killed writer left behind are removed after this. */
#define STALE_SECONDS (10 * 60)

IncSession *
inc_session_new (void)
{
  return g_new0 (IncSession, 1);
}

IncSession *
inc_session_copy (const IncSession *session)
{
  g_return_val_if_fail (session != NULL, NULL);

  IncSession *s = inc_session_new ();
  s->source_path = g_strdup (session->source_path);
  s->source = session->source ? inc_image_copy (session->source) : NULL;
  s->mask = session->mask ? inc_image_copy (session->mask) : NULL;
  s->recipe = session->recipe ? inc_recipe_copy (session->recipe) : NULL;
  s->result = session->result ? inc_image_copy (session->result) : NULL;
  s->history = session->history ? inc_history_copy (session->history) : NULL;
  return s;
}

void
inc_session_free (IncSession *session)
{
  if (session == NULL)
    return;
  g_free (session->source_path);
  inc_image_free (session->source);
  inc_image_free (session->mask);
  inc_recipe_free (session->recipe);
  inc_image_free (session->result);
  inc_history_free (session->history);
  g_free (session);
}

static gpointer
fail (GError **error, IncSessionError code, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gpointer
fail (GError **error, IncSessionError code, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, INC_SESSION_ERROR, code, message);
  return NULL;
}

static void
add_image (GVariantBuilder *dict, const char *key, const IncImage *image)
{
  if (image == NULL)
    return;
  g_autoptr (IncPacked) packed = inc_packed_new (image);
  g_variant_builder_add (dict, "{sv}", key, inc_packed_to_variant (packed));
}

GBytes *
inc_session_serialize (const IncSession  *session,
                       GError           **error)
{
  g_return_val_if_fail (session != NULL, NULL);

  const IncImage *src = session->source;
  if (src == NULL || src->channels != 3 || src->width < 1 || src->height < 1)
    return fail (error, INC_SESSION_ERROR_FAILED, "a session needs an RGB source image");
  if (session->mask != NULL &&
      (session->mask->channels != 1 || session->mask->width != src->width ||
       session->mask->height != src->height))
    return fail (error, INC_SESSION_ERROR_FAILED,
                 "the mask must be one channel of the source's size");
  if (session->result != NULL && session->result->channels != 3)
    return fail (error, INC_SESSION_ERROR_FAILED, "the result must be an RGB image");

  GVariantBuilder dict;
  g_variant_builder_init (&dict, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&dict, "{sv}", "format", g_variant_new_uint32 (FORMAT));
  if (session->source_path != NULL)
    g_variant_builder_add (&dict, "{sv}", "source-path",
                           g_variant_new_bytestring (session->source_path));
  add_image (&dict, "source", src);
  add_image (&dict, "mask", session->mask);
  add_image (&dict, "result", session->result);
  g_autoptr (IncRecipe) fallback = session->recipe ? NULL : inc_recipe_new ();
  g_autofree char *json = inc_recipe_to_json (session->recipe ? session->recipe : fallback);
  g_variant_builder_add (&dict, "{sv}", "recipe", g_variant_new_string (json));
  if (session->history != NULL)
    g_variant_builder_add (&dict, "{sv}", "history",
                           g_variant_new_variant (inc_history_to_variant (session->history)));
  g_autoptr (GVariant) payload = g_variant_ref_sink (g_variant_builder_end (&dict));

  /* One buffer: the header, then the variant stored straight after it. */
  gsize length = g_variant_get_size (payload);
  guint8 *data = g_malloc (HEADER_SIZE + length);
  guint64 le = GUINT64_TO_LE ((guint64) length);
  gsize digest_len = 32;
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  g_variant_store (payload, data + HEADER_SIZE);
  memcpy (data, MAGIC, 7);
  data[7] = VERSION_CHAR;
  memcpy (data + 8, &le, 8);
  g_checksum_update (sum, data + HEADER_SIZE, length);
  g_checksum_get_digest (sum, data + 16, &digest_len);
  return g_bytes_new_take (data, HEADER_SIZE + length);
}

/* The header's checks that need only its first 16 bytes and the size. */
static gboolean
check_header (const guint8 *data, gsize size, GError **error)
{
  guint64 length;

  if (size < HEADER_SIZE || memcmp (data, MAGIC, 7) != 0)
    {
      fail (error, INC_SESSION_ERROR_CORRUPT, "this is not a session file");
      return FALSE;
    }
  if (data[7] != VERSION_CHAR)
    {
      fail (error, INC_SESSION_ERROR_VERSION,
            "this session file was written by another version");
      return FALSE;
    }
  memcpy (&length, data + 8, 8);
  if (GUINT64_FROM_LE (length) != size - HEADER_SIZE)
    {
      fail (error, INC_SESSION_ERROR_CORRUPT, "the session file is cut short or too long");
      return FALSE;
    }
  return TRUE;
}

/* *out is NULL when the key is absent (an error only if required). */
static gboolean
get_image (GVariant *dict, const char *key, int channels, gboolean required,
           IncImage **out, GError **error)
{
  g_autoptr (GVariant) v = g_variant_lookup_value (dict, key, G_VARIANT_TYPE ("(iiiay)"));
  g_autoptr (GError) local = NULL;

  *out = NULL;
  if (v == NULL)
    {
      if (required)
        fail (error, INC_SESSION_ERROR_CORRUPT, "the session holds no %s image", key);
      return !required;
    }
  g_autoptr (IncPacked) packed = inc_packed_from_variant (v, &local);
  g_autoptr (IncImage) image = packed ? inc_packed_unpack (packed, &local) : NULL;
  if (image == NULL)
    {
      fail (error, INC_SESSION_ERROR_CORRUPT, "the session's %s image: %s", key,
            local->message);
      return FALSE;
    }
  if (image->channels != channels)
    {
      fail (error, INC_SESSION_ERROR_CORRUPT,
            "the session's %s image has the wrong channels", key);
      return FALSE;
    }
  *out = g_steal_pointer (&image);
  return TRUE;
}

IncSession *
inc_session_deserialize (GBytes  *bytes,
                         GError **error)
{
  g_return_val_if_fail (bytes != NULL, NULL);

  gsize size = 0;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr (GError) local = NULL;

  if (!check_header (data, size, error))
    return NULL;
  g_checksum_update (sum, data + HEADER_SIZE, size - HEADER_SIZE);
  g_checksum_get_digest (sum, digest, &digest_len);
  if (memcmp (digest, data + 16, 32) != 0)
    return fail (error, INC_SESSION_ERROR_CORRUPT, "the session file is damaged");

  g_autoptr (GBytes) payload = g_bytes_new_from_bytes (bytes, HEADER_SIZE,
                                                       size - HEADER_SIZE);
  g_autoptr (GVariant) dict = g_variant_ref_sink (
    g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, payload, FALSE));
  guint32 format = 0;
  if (!g_variant_lookup (dict, "format", "u", &format) || format > FORMAT)
    return fail (error, INC_SESSION_ERROR_VERSION,
                 "this session file was written by another version");

  g_autoptr (IncSession) s = inc_session_new ();
  const char *path = NULL;
  if (g_variant_lookup (dict, "source-path", "^&ay", &path))
    s->source_path = g_strdup (path);
  if (!get_image (dict, "source", 3, TRUE, &s->source, error) ||
      !get_image (dict, "mask", 1, FALSE, &s->mask, error) ||
      !get_image (dict, "result", 3, FALSE, &s->result, error))
    return NULL;
  if (s->mask != NULL && (s->mask->width != s->source->width ||
                          s->mask->height != s->source->height))
    return fail (error, INC_SESSION_ERROR_CORRUPT, "the session's mask has the wrong size");

  const char *json = NULL;
  if (!g_variant_lookup (dict, "recipe", "&s", &json))
    return fail (error, INC_SESSION_ERROR_CORRUPT, "the session holds no recipe");
  s->recipe = inc_recipe_from_json (json, -1, &local);
  if (s->recipe == NULL)
    return fail (error, INC_SESSION_ERROR_CORRUPT, "the session's recipe: %s",
                 local->message);

  g_autoptr (GVariant) history = NULL;
  if (g_variant_lookup (dict, "history", "v", &history))
    {
      s->history = inc_history_from_variant (history, 0, &local);
      if (s->history == NULL)
        return fail (error, INC_SESSION_ERROR_CORRUPT, "%s", local->message);
    }
  return g_steal_pointer (&s);
}

gboolean
inc_session_write_bytes (GBytes      *bytes,
                         const char  *path,
                         GError     **error)
{
  g_return_val_if_fail (bytes != NULL && path != NULL, FALSE);

  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);
  g_autoptr (GError) local = NULL;

  /* A temporary file beside the target, fsync'ed, renamed over it. */
  if (!g_file_set_contents_full (path, data, size,
                                 G_FILE_SET_CONTENTS_CONSISTENT |
                                 G_FILE_SET_CONTENTS_DURABLE, 0644, &local))
    {
      fail (error, INC_SESSION_ERROR_FAILED, "cannot save the session: %s",
            local->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
inc_session_save (const IncSession  *session,
                  const char        *path,
                  GError           **error)
{
  g_return_val_if_fail (session != NULL && path != NULL, FALSE);

  g_autoptr (GBytes) bytes = inc_session_serialize (session, error);
  return bytes != NULL && inc_session_write_bytes (bytes, path, error);
}

IncSession *
inc_session_load (const char  *path,
                  GError     **error)
{
  g_return_val_if_fail (path != NULL, NULL);

  g_autofree char *data = NULL;
  gsize size = 0;
  g_autoptr (GError) local = NULL;

  if (!g_file_get_contents (path, &data, &size, &local))
    return fail (error, g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT)
                 ? INC_SESSION_ERROR_NOT_FOUND : INC_SESSION_ERROR_FAILED,
                 "%s", local->message);
  g_autoptr (GBytes) bytes = g_bytes_new_take (g_steal_pointer (&data), size);
  IncSession *s = inc_session_deserialize (bytes, &local);
  if (s == NULL)
    return fail (error, local->code, "%s: %s", path, local->message);
  return s;
}

/* Autosave */

char *
inc_session_autosave_path (void)
{
  return g_build_filename (g_get_user_state_dir (), "inceptionist", AUTOSAVE_NAME, NULL);
}

gboolean
inc_session_autosave_exists (void)
{
  g_autofree char *path = inc_session_autosave_path ();
  guint8 header[HEADER_SIZE];
  GStatBuf st;
  FILE *f;
  gboolean ok;

  if (g_stat (path, &st) != 0 || !S_ISREG (st.st_mode))
    return FALSE;
  f = g_fopen (path, "rb");
  if (f == NULL)
    return FALSE;
  ok = fread (header, 1, HEADER_SIZE, f) == HEADER_SIZE &&
       check_header (header, st.st_size, NULL);
  fclose (f);
  return ok;
}

/* Temporary files of g_file_set_contents ("NAME.XXXXXX") that a killed
 * writer left, once they are old enough not to be another one's. */
static void
remove_stale (const char *dir_path)
{
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      GStatBuf st;
      if (!g_str_has_prefix (name, AUTOSAVE_NAME ".") ||
          strlen (name) != strlen (AUTOSAVE_NAME) + 7)
        continue;
      g_autofree char *path = g_build_filename (dir_path, name, NULL);
      if (g_stat (path, &st) == 0 && S_ISREG (st.st_mode) &&
          now - (gint64) st.st_mtime > STALE_SECONDS)
        g_unlink (path);
    }
}

gboolean
inc_session_autosave (const IncSession  *session,
                      GError           **error)
{
  g_return_val_if_fail (session != NULL, FALSE);

  g_autofree char *path = inc_session_autosave_path ();
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      fail (error, INC_SESSION_ERROR_FAILED, "cannot create %s: %s", dir,
            g_strerror (saved));
      return FALSE;
    }
  if (!inc_session_save (session, path, error))
    return FALSE;
  remove_stale (dir);
  return TRUE;
}

IncSession *
inc_session_load_autosave (GError **error)
{
  g_autofree char *path = inc_session_autosave_path ();
  return inc_session_load (path, error);
}

gboolean
inc_session_discard_autosave (GError **error)
{
  g_autofree char *path = inc_session_autosave_path ();

  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved = errno;
      fail (error, INC_SESSION_ERROR_FAILED, "cannot remove %s: %s", path,
            g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}
