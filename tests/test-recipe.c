/* test-recipe.c: presets, validation, --layers parsing and the JSON form. */
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "core/recipe.h"

static void
assert_same (const IncRecipe *a, const IncRecipe *b)
{
  g_assert_cmpuint (a->n_layers, ==, b->n_layers);
  for (guint i = 0; i < a->n_layers; i++)
    {
      g_assert_cmpstr (a->layers[i].name, ==, b->layers[i].name);
      g_assert_cmpfloat (a->layers[i].weight, ==, b->layers[i].weight);
      g_assert_cmpint (a->layers[i].channel, ==, b->layers[i].channel);
    }
  g_assert_cmpint (a->objective, ==, b->objective);
  g_assert_cmpint (a->border, ==, b->border);
  g_assert_cmpint (a->octave_style, ==, b->octave_style);
  g_assert_cmpint (a->octaves, ==, b->octaves);
  g_assert_cmpfloat (a->octave_scale, ==, b->octave_scale);
  g_assert_cmpint (a->octave_start, ==, b->octave_start);
  g_assert_cmpint (a->steps, ==, b->steps);
  g_assert_cmpfloat (a->step_size, ==, b->step_size);
  g_assert_cmpint (a->norm, ==, b->norm);
  g_assert_cmpint (a->laplacian_levels, ==, b->laplacian_levels);
  g_assert_cmpint (a->tile, ==, b->tile);
  g_assert_cmpint (a->jitter, ==, b->jitter);
  g_assert_cmpuint (a->seed, ==, b->seed);
  g_assert_cmpfloat (a->max_loss, ==, b->max_loss);
  g_assert_cmpint (a->start, ==, b->start);
  g_assert_cmpint (a->noise_render, ==, b->noise_render);
  g_assert_cmpstr (a->guide, ==, b->guide);
  g_assert_cmpint (a->clip, ==, b->clip);
}

static void
test_presets (void)
{
  const char *const *names = inc_recipe_preset_names ();
  guint n = 0;

  for (; names[n] != NULL; n++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (IncRecipe) r = inc_recipe_preset (names[n], &error);
      g_assert_no_error (error);
      g_assert_true (inc_recipe_validate (r, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpuint (n, ==, 4);

  /* DESIGN.md's tf-tutorial. */
  g_autoptr (IncRecipe) tf = inc_recipe_preset ("tf-tutorial", NULL);
  g_assert_cmpuint (tf->n_layers, ==, 2);
  g_assert_cmpstr (tf->layers[0].name, ==, "mixed3");
  g_assert_cmpstr (tf->layers[1].name, ==, "mixed5");
  g_assert_cmpfloat (tf->layers[0].weight, ==, 1.0f);
  g_assert_cmpfloat (tf->layers[1].weight, ==, 1.0f);
  g_assert_cmpint (tf->objective, ==, INC_OBJECTIVE_MEAN);
  g_assert_cmpint (tf->octave_style, ==, INC_OCTAVE_TF);
  g_assert_cmpint (tf->octaves, ==, 5);
  g_assert_cmpint (tf->octave_start, ==, -2);
  g_assert_cmpfloat (tf->octave_scale, ==, 1.3);
  g_assert_cmpint (tf->norm, ==, INC_NORM_STD);
  g_assert_cmpfloat (tf->step_size, ==, 0.01);
  g_assert_true (tf->clip);
  g_assert_cmpint (tf->tile, ==, 512);
  g_assert_cmpint (tf->jitter, ==, 0);

  /* Seed 001. */
  g_autoptr (IncRecipe) k = inc_recipe_preset ("keras-example", NULL);
  g_assert_cmpuint (k->n_layers, ==, 4);
  g_assert_cmpstr (k->layers[0].name, ==, "mixed2");
  g_assert_cmpfloat (k->layers[0].weight, ==, 2.0f);
  g_assert_cmpint (k->objective, ==, INC_OBJECTIVE_MEAN_SQUARE);
  g_assert_cmpint (k->border, ==, 2);
  g_assert_cmpint (k->octaves, ==, 3);
  g_assert_cmpfloat (k->octave_scale, ==, 1.4);
  g_assert_cmpint (k->steps, ==, 20);
  g_assert_cmpfloat (k->max_loss, ==, 10.0);
  g_assert_cmpint (k->norm, ==, INC_NORM_MEAN_ABS);

  /* Seed 004. */
  g_autoptr (IncRecipe) c = inc_recipe_preset ("caffe-classic", NULL);
  g_assert_cmpint (c->octave_style, ==, INC_OCTAVE_CLASSIC);
  g_assert_cmpint (c->octaves, ==, 4);
  g_assert_cmpint (c->steps, ==, 10);
  g_assert_cmpfloat (fabs (c->step_size * 127.5 - 1.5), <, 1e-12);
  g_assert_cmpint (c->jitter, ==, 32);
  g_autoptr (IncRecipe) l = inc_recipe_preset ("lapnorm-noise", NULL);
  g_assert_cmpint (l->start, ==, INC_START_NOISE);
  g_assert_cmpint (l->norm, ==, INC_NORM_LAPLACIAN);
  g_assert_cmpint (l->laplacian_levels, ==, 4);
  g_assert_cmpint (l->layers[0].channel, >=, 0);

  g_autoptr (GError) error = NULL;
  g_assert_null (inc_recipe_preset ("deep-fried", &error));
  g_assert_error (error, INC_RECIPE_ERROR, INC_RECIPE_ERROR_UNKNOWN_PRESET);
  g_assert_nonnull (strstr (error->message, "tf-tutorial"));
}

static void
test_round_trip (void)
{
  for (const char *const *n = inc_recipe_preset_names (); *n != NULL; n++)
    {
      g_autoptr (IncRecipe) r = inc_recipe_preset (*n, NULL);
      g_autoptr (GError) error = NULL;

      /* Awkward values survive too. */
      inc_recipe_add_layer (r, "conv2d_7", -0.3f, 17);
      r->seed = G_MAXUINT32;
      r->octave_scale = 1.0 + 1.0 / 3.0;
      g_free (r->guide);
      r->guide = g_strdup ("/tmp/guide \"x\".png");

      g_autofree char *json = inc_recipe_to_json (r);
      g_autoptr (IncRecipe) back = inc_recipe_from_json (json, -1, &error);
      g_assert_no_error (error);
      assert_same (r, back);

      g_autofree char *path = g_build_filename (g_get_tmp_dir (), "inc-recipe-XXXXXX.json", NULL);
      int fd = g_mkstemp (path);
      g_assert_cmpint (fd, >=, 0);
      close (fd);
      g_assert_true (inc_recipe_save (r, path, &error));
      g_autoptr (IncRecipe) loaded = inc_recipe_load (path, &error);
      g_assert_no_error (error);
      assert_same (r, loaded);
      g_unlink (path);
    }

  /* Missing keys come from the named preset. */
  g_autoptr (GError) error = NULL;
  g_autoptr (IncRecipe) partial = inc_recipe_from_json (
    "{\"preset\": \"keras-example\", \"steps\": 3}", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (partial->steps, ==, 3);
  g_assert_cmpint (partial->octave_style, ==, INC_OCTAVE_KERAS);
  g_assert_cmpuint (partial->n_layers, ==, 4);
}

static void
expect_bad (const char *json, GQuark domain, int code, const char *mentions)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IncRecipe) r = inc_recipe_from_json (json, -1, &error);

  g_assert_null (r);
  g_assert_error (error, domain, code);
  if (strstr (error->message, mentions) == NULL)
    g_error ("'%s' gave '%s', which does not mention '%s'", json, error->message, mentions);
  g_assert_null (strchr (error->message, '\n'));
}

static void
test_bad_json (void)
{
  GQuark d = INC_RECIPE_ERROR;

  expect_bad ("{", d, INC_RECIPE_ERROR_PARSE, "JSON");
  expect_bad ("[1, 2]", d, INC_RECIPE_ERROR_PARSE, "object");
  expect_bad ("{\"steps\": NaN}", d, INC_RECIPE_ERROR_PARSE, "JSON");
  expect_bad ("{\"stepz\": 3}", d, INC_RECIPE_ERROR_UNKNOWN_KEY, "stepz");
  expect_bad ("{\"layers\": [{\"name\": \"mixed3\", \"wieght\": 2}]}", d,
              INC_RECIPE_ERROR_UNKNOWN_KEY, "wieght");
  expect_bad ("{\"preset\": \"nope\"}", d, INC_RECIPE_ERROR_UNKNOWN_PRESET, "nope");
  expect_bad ("{\"preset\": 3}", d, INC_RECIPE_ERROR_INVALID, "preset");

  /* Wrong types. */
  expect_bad ("{\"steps\": \"10\"}", d, INC_RECIPE_ERROR_INVALID, "steps");
  expect_bad ("{\"steps\": 2.5}", d, INC_RECIPE_ERROR_INVALID, "steps");
  expect_bad ("{\"step-size\": true}", d, INC_RECIPE_ERROR_INVALID, "step-size");
  expect_bad ("{\"clip\": 1}", d, INC_RECIPE_ERROR_INVALID, "clip");
  expect_bad ("{\"norm\": \"l2\"}", d, INC_RECIPE_ERROR_INVALID, "norm");
  expect_bad ("{\"octave-style\": 0}", d, INC_RECIPE_ERROR_INVALID, "octave-style");
  expect_bad ("{\"layers\": \"mixed3\"}", d, INC_RECIPE_ERROR_INVALID, "layers");
  expect_bad ("{\"layers\": [3]}", d, INC_RECIPE_ERROR_INVALID, "layers[0]");
  expect_bad ("{\"layers\": [{\"weight\": 1}]}", d, INC_RECIPE_ERROR_INVALID, "name");
  expect_bad ("{\"layers\": [{\"name\": 5}]}", d, INC_RECIPE_ERROR_INVALID, "name");
  expect_bad ("{\"guide\": 5}", d, INC_RECIPE_ERROR_INVALID, "guide");

  /* Negative, infinite and absurd values. */
  expect_bad ("{\"steps\": -1}", d, INC_RECIPE_ERROR_INVALID, "steps");
  expect_bad ("{\"steps\": 1e9}", d, INC_RECIPE_ERROR_INVALID, "steps");
  expect_bad ("{\"step-size\": -0.01}", d, INC_RECIPE_ERROR_INVALID, "step-size");
  expect_bad ("{\"step-size\": 0}", d, INC_RECIPE_ERROR_INVALID, "step-size");
  expect_bad ("{\"step-size\": 1e999}", d, INC_RECIPE_ERROR_INVALID, "step-size");
  expect_bad ("{\"octaves\": 0}", d, INC_RECIPE_ERROR_INVALID, "octaves");
  expect_bad ("{\"octaves\": 1000}", d, INC_RECIPE_ERROR_INVALID, "octaves");
  expect_bad ("{\"octave-scale\": 0.5}", d, INC_RECIPE_ERROR_INVALID, "octave-scale");
  expect_bad ("{\"octave-scale\": 1}", d, INC_RECIPE_ERROR_INVALID, "octave-scale");
  expect_bad ("{\"octave-scale\": 50}", d, INC_RECIPE_ERROR_INVALID, "octave-scale");
  expect_bad ("{\"octave-start\": -100}", d, INC_RECIPE_ERROR_INVALID, "octave-start");
  expect_bad ("{\"tile\": -512}", d, INC_RECIPE_ERROR_INVALID, "tile");
  expect_bad ("{\"tile\": 3}", d, INC_RECIPE_ERROR_INVALID, "tile");
  expect_bad ("{\"tile\": 100000}", d, INC_RECIPE_ERROR_INVALID, "tile");
  expect_bad ("{\"jitter\": -1}", d, INC_RECIPE_ERROR_INVALID, "jitter");
  expect_bad ("{\"seed\": -1}", d, INC_RECIPE_ERROR_INVALID, "seed");
  expect_bad ("{\"seed\": 5000000000}", d, INC_RECIPE_ERROR_INVALID, "seed");
  expect_bad ("{\"max-loss\": -3}", d, INC_RECIPE_ERROR_INVALID, "max-loss");
  expect_bad ("{\"border\": -2}", d, INC_RECIPE_ERROR_INVALID, "border");
  expect_bad ("{\"laplacian-levels\": 0}", d, INC_RECIPE_ERROR_INVALID, "laplacian-levels");
  expect_bad ("{\"layers\": []}", d, INC_RECIPE_ERROR_INVALID, "layer");
  expect_bad ("{\"layers\": [{\"name\": \"\"}]}", d, INC_RECIPE_ERROR_INVALID, "name");
  expect_bad ("{\"layers\": [{\"name\": \"mixed3\", \"weight\": 1e300}]}", d,
              INC_RECIPE_ERROR_INVALID, "weight");
  expect_bad ("{\"layers\": [{\"name\": \"mixed3\", \"channel\": -2}]}", d,
              INC_RECIPE_ERROR_INVALID, "channel");
  expect_bad ("{\"guide\": \"\"}", d, INC_RECIPE_ERROR_INVALID, "guide");
  expect_bad ("{\"start\": \"noise\", \"noise-render\": \"laplacian\", \"norm\": \"std\"}",
              d, INC_RECIPE_ERROR_INVALID, "laplacian");
}

static void
test_validate (void)
{
  g_autoptr (IncRecipe) r = inc_recipe_new ();
  g_autoptr (GError) error = NULL;

  g_assert_true (inc_recipe_validate (r, &error));
  r->step_size = NAN;
  g_assert_false (inc_recipe_validate (r, &error));
  g_assert_nonnull (strstr (error->message, "step-size"));
  g_clear_error (&error);
  r->step_size = 0.01;
  r->layers[0].weight = INFINITY;
  g_assert_false (inc_recipe_validate (r, &error));
  g_assert_nonnull (strstr (error->message, "mixed3"));
  g_clear_error (&error);
  r->layers[0].weight = -2.0f;   /* negative weights are allowed */
  g_assert_true (inc_recipe_validate (r, &error));
  r->octave_scale = NAN;
  g_assert_false (inc_recipe_validate (r, &error));
  g_clear_error (&error);
  r->octave_scale = 1.3;
  r->max_loss = NAN;
  g_assert_false (inc_recipe_validate (r, &error));
}

static void
test_parse_layers (void)
{
  g_autoptr (IncRecipe) r = inc_recipe_new ();
  g_autoptr (GError) error = NULL;

  g_assert_true (inc_recipe_parse_layers (r, "mixed3:1.0, mixed5:-1.5,mixed4/7", &error));
  g_assert_cmpuint (r->n_layers, ==, 3);
  g_assert_cmpstr (r->layers[0].name, ==, "mixed3");
  g_assert_cmpfloat (r->layers[1].weight, ==, -1.5f);
  g_assert_cmpstr (r->layers[2].name, ==, "mixed4");
  g_assert_cmpfloat (r->layers[2].weight, ==, 1.0f);
  g_assert_cmpint (r->layers[2].channel, ==, 7);
  g_assert_cmpint (r->layers[0].channel, ==, -1);

  static const char *bad[] = { "mixed3:", "mixed3:abc", "mixed3:nan", ":1",
                               "mixed3,,mixed5", "mixed3/-1", "mixed3/x:1", "" };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (inc_recipe_parse_layers (r, bad[i], &error));
      g_assert_error (error, INC_RECIPE_ERROR, INC_RECIPE_ERROR_INVALID);
      g_clear_error (&error);
      /* A failed parse leaves the list as it was. */
      g_assert_cmpuint (r->n_layers, ==, 3);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/recipe/presets", test_presets);
  g_test_add_func ("/recipe/round-trip", test_round_trip);
  g_test_add_func ("/recipe/bad-json", test_bad_json);
  g_test_add_func ("/recipe/validate", test_validate);
  g_test_add_func ("/recipe/parse-layers", test_parse_layers);

  return g_test_run ();
}
