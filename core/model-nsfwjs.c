/* model-nsfwjs.c: the model layout inside the nsfwjs npm package.
 *
 * dist/models/<name>/model.min.js is a UMD module whose value is the tfjs
 * model.json as a JavaScript object literal, and each weight shard
 * "group1-shardKofN" is a group1-shardKofN.min.js module whose value is one
 * base64 string. Both are unwrapped here; the literal is rewritten as JSON by
 * model-jsobject.c and read by json-glib, the shards by the tfjs reader.
 */
#include "core/model-import.h"

#include <string.h>

static gsize
skip_string (const char *s,
             gsize       len,
             gsize       i)
{
  char quote = s[i++];
  while (i < len && s[i] != quote)
    i += s[i] == '\\' ? 2 : 1;
  return MIN (i + 1, len);
}

/* Finds the object literal that has a modelTopology member, by matching
 * braces outside strings (the wrapper code holds no regex or template
 * literals). */
static gboolean
find_literal (const char *s,
              gsize       len,
              gsize      *start,
              gsize      *end)
{
  const char *key = g_strstr_len (s, (gssize) len, "modelTopology");
  if (key == NULL)
    return FALSE;
  gsize key_at = (gsize) (key - s);
  g_autoptr(GArray) opens = g_array_new (FALSE, FALSE, sizeof (gsize));
  gboolean found = FALSE;
  gsize depth_wanted = 0;

  for (gsize i = 0; i < len;)
    {
      char c = s[i];
      if (!found && (i == key_at ||
                     (i + 1 == key_at && (c == '"' || c == '\''))))
        {
          if (opens->len == 0)
            return FALSE;
          found = TRUE;
          *start = g_array_index (opens, gsize, opens->len - 1);
          depth_wanted = opens->len;
        }
      if (c == '"' || c == '\'')
        {
          i = skip_string (s, len, i);
          continue;
        }
      if (c == '{')
        g_array_append_val (opens, i);
      else if (c == '}')
        {
          if (opens->len == 0)
            return FALSE;
          if (found && opens->len == depth_wanted)
            {
              *end = i + 1;
              return TRUE;
            }
          g_array_set_size (opens, opens->len - 1);
        }
      i++;
    }
  return FALSE;
}

static gboolean
read_file (const char *path,
           char      **contents,
           gsize      *len,
           const char *what,
           GError    **error)
{
  g_autoptr(GError) local = NULL;
  if (g_file_get_contents (path, contents, len, &local))
    return TRUE;
  int code = g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT)
               ? INC_MODEL_ERROR_MISSING : INC_MODEL_ERROR_IO;
  g_set_error (error, INC_MODEL_ERROR, code, "%s: %s", what, local->message);
  return FALSE;
}

/* The longest string literal in a shard module is its base64 payload. */
GBytes *
_inc_nsfwjs_read_shard (const char *manifest_path,
                        gpointer    user_data,
                        GError    **error)
{
  const char *dir = user_data;

  if (strchr (manifest_path, '/') != NULL || strstr (manifest_path, "..") ||
      *manifest_path == '\0')
    {
      g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_CORRUPT,
                   "weight shard name '%s' is not a plain file name",
                   manifest_path);
      return NULL;
    }
  g_autofree char *base = g_str_has_suffix (manifest_path, ".js")
                            ? g_strdup (manifest_path)
                            : g_strconcat (manifest_path, ".min.js", NULL);
  g_autofree char *file = g_build_filename (dir, base, NULL);
  g_autofree char *js = NULL;
  gsize len;
  if (!read_file (file, &js, &len, "weight shard", error))
    return NULL;

  gsize best = 0, best_len = 0;
  for (gsize i = 0; i < len;)
    {
      if (js[i] != '"' && js[i] != '\'')
        {
          i++;
          continue;
        }
      gsize next = skip_string (js, len, i);
      if (next - i > best_len)
        {
          best = i + 1;
          best_len = next - i;
        }
      i = next;
    }
  gsize n = best_len >= 2 ? best_len - 2 : 0;
  gboolean ok = n > 0 && n % 4 == 0 && best + n < len &&
                js[best + n] == js[best - 1];
  for (gsize i = 0; ok && i < n; i++)
    ok = g_ascii_isalnum (js[best + i]) || js[best + i] == '+' ||
         js[best + i] == '/' || (js[best + i] == '=' && i + 2 >= n);
  if (!ok)
    {
      g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_CORRUPT,
                   "%s holds no base64 weight data", file);
      return NULL;
    }
  js[best + n] = '\0';
  gsize out_len;
  guchar *data = g_base64_decode (js + best, &out_len);
  return g_bytes_new_take (data, out_len);
}

IncModel *
_inc_nsfwjs_import (const char *dir,
                    GError    **error)
{
  g_autofree char *path = g_build_filename (dir, "model.min.js", NULL);
  g_autofree char *js = NULL;
  gsize len, start = 0, end = 0;
  if (!read_file (path, &js, &len, "model", error))
    return NULL;
  if (!find_literal (js, len, &start, &end))
    {
      g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_CORRUPT,
                   "%s holds no model object (no modelTopology)", path);
      return NULL;
    }

  g_autofree char *json = _inc_js_object_to_json (js + start, end - start,
                                                  error);
  if (json == NULL)
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local = NULL;
  if (!json_parser_load_from_data (parser, json, -1, &local))
    {
      g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_CORRUPT,
                   "%s: the model object is not valid: %s", path,
                   local->message);
      return NULL;
    }
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  if (!_inc_tfjs_check_format (root, path, error))
    return NULL;
  JsonNode *topology = json_object_get_member (root, "modelTopology");
  JsonNode *manifest = json_object_get_member (root, "weightsManifest");
  if (manifest == NULL)
    {
      g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_CORRUPT,
                   "%s has no weightsManifest", path);
      return NULL;
    }

  g_autoptr(GHashTable) tensors = _inc_tfjs_read_weights (manifest,
                                                          _inc_nsfwjs_read_shard,
                                                          (gpointer) dir,
                                                          error);
  if (tensors == NULL)
    return NULL;
  g_autofree char *abs = g_canonicalize_filename (dir, NULL);
  g_autofree char *source = g_strdup_printf ("nsfwjs model %s", abs);
  return _inc_keras_build (topology, tensors, source, error);
}
