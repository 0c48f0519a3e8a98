/* user-presets.c: the user's recipes as JSON files beside the built-ins
 * (see user-presets.h). */
#include "core/user-presets.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

G_DEFINE_QUARK (inc-preset-error-quark, inc_preset_error)

#define SUFFIX ".json"

char *
inc_user_presets_dir (void)
{
  return g_build_filename (g_get_user_config_dir (), "inceptionist", "presets", NULL);
}

gboolean
inc_preset_is_built_in (const char *name)
{
  const char *const *names = inc_recipe_preset_names ();

  if (name == NULL)
    return FALSE;
  /* Case-blind, so that "TF-Tutorial" cannot pass for the built-in. */
  for (guint i = 0; names[i] != NULL; i++)
    if (g_ascii_strcasecmp (names[i], name) == 0)
      return TRUE;
  return FALSE;
}

gboolean
inc_preset_name_is_valid (const char  *name,
                          GError     **error)
{
  const char *why = NULL;

  if (name == NULL || *name == '\0')
    why = "it is empty";
  else if (!g_utf8_validate (name, -1, NULL))
    why = "it is not valid UTF-8";
  else if (g_utf8_strlen (name, -1) > INC_PRESET_NAME_MAX)
    why = "it is longer than 64 characters";
  else if (name[0] == '.')
    why = "it starts with '.'";
  else if (strchr (name, '/') != NULL || strchr (name, '\\') != NULL)
    why = "it contains '/' or '\\'";
  else if (g_unichar_isspace (g_utf8_get_char (name)) ||
           g_unichar_isspace (g_utf8_get_char (g_utf8_prev_char (name + strlen (name)))))
    why = "it starts or ends with a space";
  else
    for (const char *p = name; *p; p = g_utf8_next_char (p))
      if (g_unichar_iscntrl (g_utf8_get_char (p)))
        {
          why = "it contains control characters";
          break;
        }
  if (why != NULL)
    {
      g_set_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_BAD_NAME,
                   "“%s” cannot name a preset: %s", name ? name : "", why);
      return FALSE;
    }
  return TRUE;
}

static char *
preset_path (const char *name)
{
  g_autofree char *dir = inc_user_presets_dir ();
  g_autofree char *escaped = g_uri_escape_string (name, " ", TRUE);
  g_autofree char *file = g_strconcat (escaped, SUFFIX, NULL);
  return g_build_filename (dir, file, NULL);
}

/* The recipe of a user preset file. */
static IncRecipe *
read_file (const char *path, const char *name, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;

  if (!json_parser_load_from_mapped_file (parser, path, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_set_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_NOT_FOUND,
                     "there is no preset “%s”", name);
      else
        g_set_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_FAILED,
                     "preset “%s” (%s): %s", name, path, local->message);
      return NULL;
    }
  JsonNode *root = json_parser_get_root (parser);
  JsonObject *o = root && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  JsonNode *recipe = o ? json_object_get_member (o, "recipe") : NULL;
  if (recipe == NULL || !JSON_NODE_HOLDS_OBJECT (recipe))
    {
      g_set_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_FAILED,
                   "preset “%s” (%s) holds no recipe", name, path);
      return NULL;
    }
  g_autofree char *json = json_to_string (recipe, FALSE);
  IncRecipe *r = inc_recipe_from_json (json, -1, &local);
  if (r == NULL)
    g_set_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_FAILED,
                 "preset “%s” (%s): %s", name, path, local->message);
  return r;
}

static gboolean
write_file (const char *name, const IncRecipe *recipe, GError **error)
{
  g_autofree char *dir = inc_user_presets_dir ();
  g_autofree char *path = preset_path (name);
  g_autofree char *recipe_json = inc_recipe_to_json (recipe);
  g_autoptr (JsonNode) recipe_node = json_from_string (recipe_json, NULL);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GError) local = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, name);
  json_builder_set_member_name (b, "recipe");
  json_builder_add_value (b, g_steal_pointer (&recipe_node));
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_root (gen, root);
  gsize length = 0;
  g_autofree char *text = json_generator_to_data (gen, &length);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_FAILED,
                   "cannot create %s: %s", dir, g_strerror (saved));
      return FALSE;
    }
  if (!g_file_set_contents_full (path, text, length, G_FILE_SET_CONTENTS_CONSISTENT,
                                 0644, &local))
    {
      g_set_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_FAILED,
                   "cannot save preset “%s”: %s", name, local->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
refuse_built_in (const char *name, GError **error)
{
  if (!inc_preset_is_built_in (name))
    return FALSE;
  g_set_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_BUILT_IN,
               "“%s” is a built-in preset and cannot be changed", name);
  return TRUE;
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  g_autofree char *ka = g_utf8_collate_key (*(const char **) a, -1);
  g_autofree char *kb = g_utf8_collate_key (*(const char **) b, -1);
  return strcmp (ka, kb);
}

GStrv
inc_presets_list (void)
{
  g_autoptr (GStrvBuilder) out = g_strv_builder_new ();
  g_autoptr (GPtrArray) user = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *dir_path = inc_user_presets_dir ();
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *file;

  g_strv_builder_addv (out, (const char **) inc_recipe_preset_names ());
  while (dir != NULL && (file = g_dir_read_name (dir)) != NULL)
    {
      if (!g_str_has_suffix (file, SUFFIX) || file[0] == '.')
        continue;
      g_autofree char *escaped = g_strndup (file, strlen (file) - strlen (SUFFIX));
      g_autofree char *name = g_uri_unescape_string (escaped, NULL);
      g_autofree char *path = g_build_filename (dir_path, file, NULL);
      g_autoptr (IncRecipe) r = NULL;
      g_autofree char *canonical = NULL;

      if (name == NULL || !inc_preset_name_is_valid (name, NULL) ||
          inc_preset_is_built_in (name))
        continue;
      /* Only the file the name maps to counts (no aliases by escaping). */
      canonical = preset_path (name);
      if (strcmp (canonical, path) != 0)
        continue;
      r = read_file (path, name, NULL);
      if (r != NULL)
        g_ptr_array_add (user, g_steal_pointer (&name));
    }
  g_ptr_array_sort (user, compare_names);
  for (guint i = 0; i < user->len; i++)
    g_strv_builder_add (out, g_ptr_array_index (user, i));
  return g_strv_builder_end (out);
}

IncRecipe *
inc_presets_load (const char  *name,
                  GError     **error)
{
  g_return_val_if_fail (name != NULL, NULL);

  if (inc_preset_is_built_in (name))
    {
      const char *const *names = inc_recipe_preset_names ();
      for (guint i = 0; names[i] != NULL; i++)
        if (g_ascii_strcasecmp (names[i], name) == 0)
          return inc_recipe_preset (names[i], error);
    }
  if (!inc_preset_name_is_valid (name, error))
    return NULL;
  g_autofree char *path = preset_path (name);
  return read_file (path, name, error);
}

gboolean
inc_presets_save (const char      *name,
                  const IncRecipe *recipe,
                  gboolean         overwrite,
                  GError         **error)
{
  g_return_val_if_fail (name != NULL && recipe != NULL, FALSE);

  if (refuse_built_in (name, error) || !inc_preset_name_is_valid (name, error) ||
      !inc_recipe_validate (recipe, error))
    return FALSE;
  g_autofree char *path = preset_path (name);
  if (!overwrite && g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_EXISTS,
                   "there is already a preset “%s”", name);
      return FALSE;
    }
  return write_file (name, recipe, error);
}

gboolean
inc_presets_rename (const char  *old_name,
                    const char  *new_name,
                    GError     **error)
{
  g_return_val_if_fail (old_name != NULL && new_name != NULL, FALSE);

  if (refuse_built_in (old_name, error) || refuse_built_in (new_name, error) ||
      !inc_preset_name_is_valid (old_name, error) ||
      !inc_preset_name_is_valid (new_name, error))
    return FALSE;

  g_autofree char *old_path = preset_path (old_name);
  g_autofree char *new_path = preset_path (new_name);
  g_autoptr (IncRecipe) recipe = read_file (old_path, old_name, error);
  if (recipe == NULL)
    return FALSE;
  if (strcmp (old_path, new_path) == 0)
    return TRUE;
  if (g_file_test (new_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_EXISTS,
                   "there is already a preset “%s”", new_name);
      return FALSE;
    }
  /* The new file is whole before the old one goes. */
  if (!write_file (new_name, recipe, error))
    return FALSE;
  if (g_unlink (old_path) != 0)
    {
      int saved = errno;
      g_unlink (new_path);
      g_set_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_FAILED,
                   "cannot rename preset “%s”: %s", old_name, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

gboolean
inc_presets_delete (const char  *name,
                    GError     **error)
{
  g_return_val_if_fail (name != NULL, FALSE);

  if (refuse_built_in (name, error) || !inc_preset_name_is_valid (name, error))
    return FALSE;
  g_autofree char *path = preset_path (name);
  if (g_unlink (path) != 0)
    {
      int saved = errno;
      if (saved == ENOENT)
        g_set_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_NOT_FOUND,
                     "there is no preset “%s”", name);
      else
        g_set_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_FAILED,
                     "cannot delete preset “%s”: %s", name, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}
