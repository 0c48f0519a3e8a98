/* model-import.c: inc_model_import() picks the importer for a path. */
#include "core/model-import.h"

#include <stdio.h>
#include <string.h>

const char *
_inc_json_string (JsonObject *obj,
                  const char *member,
                  const char *fallback)
{
  JsonNode *n = json_object_get_member (obj, member);
  if (n == NULL)
    return fallback;
  if (!JSON_NODE_HOLDS_VALUE (n) ||
      json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static gboolean
is_incmodel (const char *path)
{
  if (g_str_has_suffix (path, ".incmodel"))
    return TRUE;
  FILE *f = fopen (path, "rb");
  char magic[8] = { 0 };
  gboolean yes = f != NULL && fread (magic, 1, 8, f) == 8 &&
                 memcmp (magic, "INCMODL1", 8) == 0;
  if (f)
    fclose (f);
  return yes;
}

IncModel *
inc_model_import (const char *path,
                  GError    **error)
{
  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_MISSING,
                   "%s does not exist", path);
      return NULL;
    }

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *js = g_build_filename (path, "model.min.js", NULL);
      g_autofree char *json = g_build_filename (path, "model.json", NULL);
      if (g_file_test (js, G_FILE_TEST_EXISTS))
        return _inc_nsfwjs_import (path, error);
      if (g_file_test (json, G_FILE_TEST_EXISTS))
        return _inc_tfjs_import (path, error);
      g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_UNSUPPORTED,
                   "%s holds neither model.min.js (nsfwjs) nor model.json "
                   "(tfjs)", path);
      return NULL;
    }

  g_autofree char *base = g_path_get_basename (path);
  if (is_incmodel (path))
    return inc_model_load (path, error);
  if (g_str_equal (base, "model.min.js"))
    {
      g_autofree char *dir = g_path_get_dirname (path);
      return _inc_nsfwjs_import (dir, error);
    }
  if (g_str_has_suffix (base, ".json"))
    return _inc_tfjs_import (path, error);

  g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_UNSUPPORTED,
               "%s is not a model this program can import (expected an "
               "nsfwjs or tfjs model directory, a model.json or an "
               ".incmodel)", path);
  return NULL;
}
