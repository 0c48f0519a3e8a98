/* test-user-presets.c: the user's presets saved, listed, loaded, renamed
 * and deleted under an isolated config directory; built-ins protected; bad
 * names refused without touching the disk. */
#include <string.h>
#include <glib/gstdio.h>

#include "core/user-presets.h"

static guint
n_built_ins (void)
{
  return g_strv_length ((GStrv) inc_recipe_preset_names ());
}

/* Every file in the presets folder (none must be a leftover temporary). */
static GStrv
files_in_dir (void)
{
  g_autofree char *path = inc_user_presets_dir ();
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    g_strv_builder_add (b, name);
  return g_strv_builder_end (b);
}

static IncRecipe *
custom_recipe (void)
{
  g_autoptr (GError) error = NULL;
  IncRecipe *r = inc_recipe_preset ("keras-example", &error);
  g_assert_no_error (error);
  r->steps = 7;
  r->seed = 1234;
  r->step_size = 0.025;
  g_assert_true (inc_recipe_parse_layers (r, "mixed4:0.5,mixed2/17:-1", &error));
  return r;
}

static void
test_save_list_load (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IncRecipe) r = custom_recipe ();
  g_autofree char *dir = inc_user_presets_dir ();
  g_autofree char *config = g_build_filename (g_get_user_config_dir (), "inceptionist",
                                              "presets", NULL);

  g_assert_cmpstr (dir, ==, config);
  g_auto (GStrv) before = inc_presets_list ();
  g_assert_cmpuint (g_strv_length (before), ==, n_built_ins ());
  for (guint i = 0; i < n_built_ins (); i++)
    g_assert_cmpstr (before[i], ==, inc_recipe_preset_names ()[i]);

  g_assert_true (inc_presets_save ("Soft clouds", r, FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (inc_presets_save ("Rêve ☁ 100%", r, FALSE, &error));
  g_assert_no_error (error);
  g_autoptr (IncRecipe) other = inc_recipe_new ();
  g_assert_true (inc_presets_save ("Alpha", other, FALSE, &error));
  g_assert_no_error (error);

  g_auto (GStrv) names = inc_presets_list ();
  guint n = n_built_ins ();
  g_assert_cmpuint (g_strv_length (names), ==, n + 3);
  g_assert_cmpstr (names[0], ==, "tf-tutorial");
  g_assert_cmpstr (names[n], ==, "Alpha");
  g_assert_true (g_strv_contains ((const char *const *) names, "Soft clouds"));
  g_assert_true (g_strv_contains ((const char *const *) names, "Rêve ☁ 100%"));

  g_autoptr (IncRecipe) back = inc_presets_load ("Rêve ☁ 100%", &error);
  g_assert_no_error (error);
  g_autofree char *want = inc_recipe_to_json (r);
  g_autofree char *got = inc_recipe_to_json (back);
  g_assert_cmpstr (got, ==, want);

  /* A built-in loads by name too. */
  g_autoptr (IncRecipe) builtin = inc_presets_load ("caffe-classic", &error);
  g_assert_no_error (error);
  g_autoptr (IncRecipe) direct = inc_recipe_preset ("caffe-classic", NULL);
  g_autofree char *b1 = inc_recipe_to_json (builtin);
  g_autofree char *b2 = inc_recipe_to_json (direct);
  g_assert_cmpstr (b1, ==, b2);

  /* Saving over needs overwrite. */
  g_assert_false (inc_presets_save ("Alpha", r, FALSE, &error));
  g_assert_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_true (inc_presets_save ("Alpha", r, TRUE, &error));
  g_autoptr (IncRecipe) alpha = inc_presets_load ("Alpha", &error);
  g_assert_no_error (error);
  g_assert_cmpint (alpha->steps, ==, 7);

  /* Only the three files, no temporaries. */
  g_auto (GStrv) files = files_in_dir ();
  g_assert_cmpuint (g_strv_length (files), ==, 3);
  for (guint i = 0; files[i] != NULL; i++)
    g_assert_true (g_str_has_suffix (files[i], ".json"));

  g_assert_null (inc_presets_load ("Missing", &error));
  g_assert_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_NOT_FOUND);
}

static void
test_rename_delete (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IncRecipe) r = custom_recipe ();

  g_assert_true (inc_presets_save ("First", r, FALSE, &error));
  g_assert_true (inc_presets_save ("Second", r, FALSE, &error));
  g_assert_no_error (error);

  g_assert_true (inc_presets_rename ("First", "Renamed", &error));
  g_assert_no_error (error);
  g_auto (GStrv) names = inc_presets_list ();
  g_assert_false (g_strv_contains ((const char *const *) names, "First"));
  g_assert_true (g_strv_contains ((const char *const *) names, "Renamed"));
  g_autoptr (IncRecipe) back = inc_presets_load ("Renamed", &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->seed, ==, 1234);

  g_assert_false (inc_presets_rename ("Renamed", "Second", &error));
  g_assert_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_false (inc_presets_rename ("Nobody", "Third", &error));
  g_assert_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (inc_presets_delete ("Renamed", &error));
  g_assert_no_error (error);
  g_assert_false (inc_presets_delete ("Renamed", &error));
  g_assert_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_auto (GStrv) after = inc_presets_list ();
  g_assert_cmpuint (g_strv_length (after), ==, n_built_ins () + 1);
}

static void
test_built_ins_protected (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IncRecipe) r = custom_recipe ();
  const char *const *builtins = inc_recipe_preset_names ();

  for (guint i = 0; builtins[i] != NULL; i++)
    {
      g_autofree char *upper = g_ascii_strup (builtins[i], -1);
      g_assert_true (inc_preset_is_built_in (builtins[i]));
      g_assert_false (inc_presets_save (builtins[i], r, TRUE, &error));
      g_assert_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_BUILT_IN);
      g_clear_error (&error);
      g_assert_false (inc_presets_save (upper, r, TRUE, &error));
      g_assert_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_BUILT_IN);
      g_clear_error (&error);
      g_assert_false (inc_presets_delete (builtins[i], &error));
      g_assert_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_BUILT_IN);
      g_clear_error (&error);
      g_assert_false (inc_presets_rename (builtins[i], "Mine", &error));
      g_assert_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_BUILT_IN);
      g_clear_error (&error);
    }
  g_assert_true (inc_presets_save ("Mine", r, FALSE, &error));
  g_assert_false (inc_presets_rename ("Mine", "tf-tutorial", &error));
  g_assert_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_BUILT_IN);
  g_clear_error (&error);

  /* The built-in is still itself. */
  g_autoptr (IncRecipe) tf = inc_presets_load ("tf-tutorial", &error);
  g_assert_no_error (error);
  g_assert_cmpint (tf->steps, ==, 100);
  g_auto (GStrv) files = files_in_dir ();
  g_assert_cmpuint (g_strv_length (files), ==, 1);
}

static void
test_bad_names (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IncRecipe) r = custom_recipe ();
  g_autofree char *long_name = g_strnfill (65, 'a');
  g_autofree char *just_fits = g_strnfill (64, 'b');
  const char *bad[] = {
    "", ".hidden", "..", "a/b", "a\\b", " lead", "trail ", "tab\there",
    "new\nline", "\xff\xfe", long_name,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (inc_preset_name_is_valid (bad[i], &error));
      g_assert_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_BAD_NAME);
      g_clear_error (&error);
      g_assert_false (inc_presets_save (bad[i], r, TRUE, &error));
      g_assert_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_BAD_NAME);
      g_clear_error (&error);
    }
  g_auto (GStrv) files = files_in_dir ();
  g_assert_cmpuint (g_strv_length (files), ==, 0);

  g_assert_true (inc_presets_save (just_fits, r, FALSE, &error));
  g_assert_no_error (error);
  g_assert_false (inc_presets_rename (just_fits, "../escape", &error));
  g_assert_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_BAD_NAME);
  g_clear_error (&error);

  /* An invalid recipe is not saved either. */
  r->steps = -3;
  g_assert_false (inc_presets_save ("Broken", r, FALSE, &error));
  g_assert_error (error, INC_RECIPE_ERROR, INC_RECIPE_ERROR_INVALID);
}

/* A damaged file in the folder is left out of the list, and loading it is
 * an error, not a crash. */
static void
test_damaged_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IncRecipe) r = custom_recipe ();
  g_autofree char *dir = inc_user_presets_dir ();
  g_autofree char *junk = g_build_filename (dir, "Junk.json", NULL);

  g_assert_true (inc_presets_save ("Good", r, FALSE, &error));
  g_assert_true (g_file_set_contents (junk, "{\"name\": \"Junk\", \"recipe\": {\"steps\": \"x\"}",
                                      -1, &error));
  g_auto (GStrv) names = inc_presets_list ();
  g_assert_cmpuint (g_strv_length (names), ==, n_built_ins () + 1);
  g_assert_null (inc_presets_load ("Junk", &error));
  g_assert_error (error, INC_PRESET_ERROR, INC_PRESET_ERROR_FAILED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/user-presets/save-list-load", test_save_list_load);
  g_test_add_func ("/user-presets/rename-delete", test_rename_delete);
  g_test_add_func ("/user-presets/built-ins-protected", test_built_ins_protected);
  g_test_add_func ("/user-presets/bad-names", test_bad_names);
  g_test_add_func ("/user-presets/damaged-file", test_damaged_file);

  return g_test_run ();
}
