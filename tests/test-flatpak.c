/* test-flatpak.c: the Flatpak manifest parses, pins every source, asks for
 * no more than it needs and bundles no model.
 *
 * The checker runs on flatpak/org.inceptionist.Studio.json and, to show it
 * can fail, on small manifests with one fault each. Where flatpak-builder is
 * installed, `flatpak-builder --show-manifest` must accept the file too.
 */
#include <json-glib/json-glib.h>
#include <string.h>

/* Everything the application may ask for (see the manifest's comments). */
static const char *allowed_finish_args[] = {
  "--device=dri",
  "--share=ipc",
  "--socket=wayland",
  "--socket=fallback-x11",
  "--share=network",
};

static char *
manifest_path (void)
{
  return g_test_build_filename (G_TEST_DIST, "..", "flatpak",
                                "org.inceptionist.Studio.json", NULL);
}

static gboolean
is_hex (const char *s,
        gsize       len)
{
  if (s == NULL || strlen (s) != len)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isxdigit (s[i]))
      return FALSE;
  return TRUE;
}

static const char *
string_member (JsonObject *obj,
               const char *name)
{
  JsonNode *n = json_object_get_member (obj, name);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) ||
      json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static gboolean
fail (GString    *why,
      const char *fmt,
      ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail (GString    *why,
      const char *fmt,
      ...)
{
  va_list args;
  va_start (args, fmt);
  g_string_append_vprintf (why, fmt, args);
  va_end (args);
  g_string_append_c (why, '\n');
  return FALSE;
}

/* Model weights are fetched at first run, never built into the bundle. */
static gboolean
names_a_model (const char *url)
{
  static const char *models[] = { ".h5", ".incmodel", "nsfwjs",
                                  "registry.npmjs.org", "keras-applications" };
  for (guint i = 0; url != NULL && i < G_N_ELEMENTS (models); i++)
    if (strstr (url, models[i]) != NULL)
      return TRUE;
  return FALSE;
}

static gboolean
check_source (JsonNode   *node,
              const char *module,
              const char *base_dir,
              GString    *why)
{
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail (why, "module %s: a source is not an object", module);
  JsonObject *src = json_node_get_object (node);
  const char *type = string_member (src, "type");
  const char *url = string_member (src, "url");

  if (names_a_model (url))
    return fail (why, "module %s: source %s would bundle a model", module, url);
  if (g_strcmp0 (type, "git") == 0)
    {
      if (!is_hex (string_member (src, "commit"), 40))
        return fail (why, "module %s: git source %s has no 40-digit commit",
                     module, url ? url : "(no url)");
      return TRUE;
    }
  if (g_strcmp0 (type, "archive") == 0 || g_strcmp0 (type, "file") == 0)
    {
      if (url == NULL)
        {
          /* A local file is pinned by the checkout itself. */
          const char *path = string_member (src, "path");
          g_autofree char *full = path ? g_build_filename (base_dir, path, NULL)
                                       : NULL;
          if (full == NULL || !g_file_test (full, G_FILE_TEST_EXISTS))
            return fail (why, "module %s: %s source without url or existing "
                         "path", module, type);
          return TRUE;
        }
      if (!is_hex (string_member (src, "sha256"), 64) &&
          !is_hex (string_member (src, "sha512"), 128))
        return fail (why, "module %s: %s %s has no sha256 or sha512", module,
                     type, url);
      return TRUE;
    }
  if (g_strcmp0 (type, "dir") == 0 || g_strcmp0 (type, "patch") == 0)
    {
      const char *path = string_member (src, "path");
      g_autofree char *full = path ? g_build_filename (base_dir, path, NULL)
                                   : NULL;
      if (full == NULL || !g_file_test (full, G_FILE_TEST_EXISTS))
        return fail (why, "module %s: %s source %s does not exist", module,
                     type, path ? path : "(no path)");
      return TRUE;
    }
  if (g_strcmp0 (type, "shell") == 0 || g_strcmp0 (type, "script") == 0)
    return TRUE;   /* commands written in the manifest itself */
  return fail (why, "module %s: source type %s is not known to be pinned",
               module, type ? type : "(none)");
}

static gboolean
check_modules (JsonArray  *modules,
               const char *base_dir,
               GString    *why)
{
  gboolean ok = TRUE;

  for (guint i = 0; i < json_array_get_length (modules); i++)
    {
      JsonNode *node = json_array_get_element (modules, i);
      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          /* A string names a module file beside the manifest. */
          ok = fail (why, "module %u is not an inline object", i) && ok;
          continue;
        }
      JsonObject *m = json_node_get_object (node);
      const char *name = string_member (m, "name");
      if (name == NULL)
        {
          ok = fail (why, "module %u has no name", i) && ok;
          continue;
        }
      JsonNode *sources = json_object_get_member (m, "sources");
      if (sources == NULL || !JSON_NODE_HOLDS_ARRAY (sources) ||
          json_array_get_length (json_node_get_array (sources)) == 0)
        {
          ok = fail (why, "module %s has no sources", name) && ok;
          continue;
        }
      JsonArray *arr = json_node_get_array (sources);
      for (guint k = 0; k < json_array_get_length (arr); k++)
        ok = check_source (json_array_get_element (arr, k), name, base_dir,
                           why) && ok;
      JsonNode *nested = json_object_get_member (m, "modules");
      if (nested != NULL && JSON_NODE_HOLDS_ARRAY (nested))
        ok = check_modules (json_node_get_array (nested), base_dir, why) && ok;
    }
  return ok;
}

/* Checks a manifest document; why collects every fault found. */
static gboolean
check_manifest (const char *json,
                const char *base_dir,
                GString    *why)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  if (!json_parser_load_from_data (parser, json, -1, &error))
    return fail (why, "not JSON: %s", error->message);
  JsonNode *root_node = json_parser_get_root (parser);
  if (root_node == NULL || !JSON_NODE_HOLDS_OBJECT (root_node))
    return fail (why, "the manifest is not an object");
  JsonObject *root = json_node_get_object (root_node);
  gboolean ok = TRUE;

  const char *id = string_member (root, "id");
  if (id == NULL)
    id = string_member (root, "app-id");
  if (g_strcmp0 (id, "org.inceptionist.Studio") != 0)
    ok = fail (why, "id is %s", id ? id : "(none)");
  if (g_strcmp0 (string_member (root, "runtime"), "org.gnome.Platform") != 0 ||
      g_strcmp0 (string_member (root, "sdk"), "org.gnome.Sdk") != 0)
    ok = fail (why, "not on the GNOME runtime and SDK");
  const char *version = string_member (root, "runtime-version");
  if (version == NULL || g_ascii_strtoull (version, NULL, 10) < 45)
    ok = fail (why, "runtime-version %s is not GNOME 45 or later",
               version ? version : "(none)");
  if (g_strcmp0 (string_member (root, "command"), "inceptionist") != 0)
    ok = fail (why, "command is not inceptionist");

  JsonNode *fa = json_object_get_member (root, "finish-args");
  gboolean has_dri = FALSE;
  if (fa == NULL || !JSON_NODE_HOLDS_ARRAY (fa))
    ok = fail (why, "no finish-args");
  else
    for (guint i = 0; i < json_array_get_length (json_node_get_array (fa)); i++)
      {
        const char *arg = json_array_get_string_element (json_node_get_array (fa), i);
        gboolean known = FALSE;
        for (guint k = 0; k < G_N_ELEMENTS (allowed_finish_args); k++)
          known |= g_strcmp0 (arg, allowed_finish_args[k]) == 0;
        if (!known)
          ok = fail (why, "finish-arg %s is more than the application needs",
                     arg ? arg : "(not a string)");
        has_dri |= g_strcmp0 (arg, "--device=dri") == 0;
      }
  if (!has_dri)
    ok = fail (why, "no --device=dri for the GPU");

  JsonNode *modules = json_object_get_member (root, "modules");
  if (modules == NULL || !JSON_NODE_HOLDS_ARRAY (modules) ||
      json_array_get_length (json_node_get_array (modules)) == 0)
    return fail (why, "no modules");
  return check_modules (json_node_get_array (modules), base_dir, why) && ok;
}

static void
test_manifest (void)
{
  g_autofree char *path = manifest_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *json = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) why = g_string_new (NULL);

  g_assert_true (g_file_get_contents (path, &json, NULL, &error));
  g_assert_no_error (error);
  gboolean ok = check_manifest (json, dir, why);
  if (!ok)
    g_test_message ("%s", why->str);
  g_assert_cmpstr (why->str, ==, "");
  g_assert_true (ok);
}

/* Each of these has one fault the checker must find. */
static void
test_faults (void)
{
  static const struct {
    const char *fault;
    const char *modules;
    const char *finish_args;
  } cases[] = {
    { "git branch only",
      "[{\"name\":\"a\",\"sources\":[{\"type\":\"git\",\"url\":\"https://x/a.git\",\"branch\":\"main\"}]}]",
      "[\"--device=dri\"]" },
    { "git tag only",
      "[{\"name\":\"a\",\"sources\":[{\"type\":\"git\",\"url\":\"https://x/a.git\",\"tag\":\"v1\"}]}]",
      "[\"--device=dri\"]" },
    { "archive without hash",
      "[{\"name\":\"a\",\"sources\":[{\"type\":\"archive\",\"url\":\"https://x/a.tar.gz\"}]}]",
      "[\"--device=dri\"]" },
    { "short sha256",
      "[{\"name\":\"a\",\"sources\":[{\"type\":\"archive\",\"url\":\"https://x/a.tar.gz\",\"sha256\":\"abcd\"}]}]",
      "[\"--device=dri\"]" },
    { "nested unpinned module",
      "[{\"name\":\"a\",\"sources\":[{\"type\":\"shell\",\"commands\":[]}],\"modules\":[{\"name\":\"b\",\"sources\":[{\"type\":\"file\",\"url\":\"https://x/b\"}]}]}]",
      "[\"--device=dri\"]" },
    { "model in the bundle",
      "[{\"name\":\"m\",\"sources\":[{\"type\":\"file\",\"url\":\"https://registry.npmjs.org/nsfwjs/-/nsfwjs-4.4.0.tgz\",\"sha512\":\"" 
      "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\"}]}]",
      "[\"--device=dri\"]" },
    { "home directory access",
      "[{\"name\":\"a\",\"sources\":[{\"type\":\"shell\",\"commands\":[]}]}]",
      "[\"--device=dri\",\"--filesystem=home\"]" },
    { "no GPU",
      "[{\"name\":\"a\",\"sources\":[{\"type\":\"shell\",\"commands\":[]}]}]",
      "[\"--share=ipc\"]" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *json = g_strdup_printf (
        "{\"id\":\"org.inceptionist.Studio\",\"runtime\":\"org.gnome.Platform\","
        "\"runtime-version\":\"47\",\"sdk\":\"org.gnome.Sdk\","
        "\"command\":\"inceptionist\",\"finish-args\":%s,\"modules\":%s}",
        cases[i].finish_args, cases[i].modules);
      g_autoptr(GString) why = g_string_new (NULL);
      g_test_message ("case: %s", cases[i].fault);
      g_assert_false (check_manifest (json, ".", why));
      g_assert_cmpuint (why->len, >, 0);
    }
}

static void
test_flatpak_builder (void)
{
  g_autofree char *builder = g_find_program_in_path ("flatpak-builder");
  if (builder == NULL)
    {
      g_test_skip ("flatpak-builder is not installed");
      return;
    }
  g_autofree char *path = manifest_path ();
  const char *argv[] = { builder, "--show-manifest", path, NULL };
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT,
                               NULL, NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_test_message ("flatpak-builder: %s", err);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (out, "org.inceptionist.Studio"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/flatpak/manifest", test_manifest);
  g_test_add_func ("/flatpak/faults", test_faults);
  g_test_add_func ("/flatpak/flatpak-builder", test_flatpak_builder);
  return g_test_run ();
}
