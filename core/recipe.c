/* recipe.c: dream parameters, presets, validation and the JSON form. */
#include "core/recipe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <json-glib/json-glib.h>

G_DEFINE_QUARK (inc-recipe-error-quark, inc_recipe_error)

/* Limits that reject absurd values (typos, unit mistakes) with a message
 * rather than a run that takes a week or allocates terabytes. */
#define MAX_LAYERS        64
#define MAX_NAME_LEN      128
#define MAX_ABS_WEIGHT    1e6
#define MAX_CHANNEL       65535
#define MAX_BORDER        64
#define MAX_OCTAVES       32
#define MIN_OCTAVE_SCALE  1.01
#define MAX_OCTAVE_SCALE  4.0
#define MAX_OCTAVE_START  32
#define MAX_STEPS         100000
#define MAX_STEP_SIZE     100.0
#define MAX_LAP_LEVELS    16
#define MIN_TILE          32
#define MAX_TILE          16384
#define MAX_JITTER        4096
#define MAX_MAX_LOSS      1e12

static const char *octave_style_names[] = { "tf", "keras", "classic" };
static const char *norm_names[] = { "std", "mean-abs", "laplacian" };
static const char *start_names[] = { "photo", "noise" };
static const char *noise_names[] = { "naive", "multiscale", "laplacian" };

static const char *const preset_names[] = {
  "tf-tutorial", "keras-example", "caffe-classic", "lapnorm-noise", NULL,
};

const char *
inc_octave_style_to_string (IncOctaveStyle style)
{
  g_return_val_if_fail ((guint) style < G_N_ELEMENTS (octave_style_names), NULL);
  return octave_style_names[style];
}

const char *
inc_norm_kind_to_string (IncNormKind norm)
{
  g_return_val_if_fail ((guint) norm < G_N_ELEMENTS (norm_names), NULL);
  return norm_names[norm];
}

static int
lookup (const char *const *names, guint n, const char *text)
{
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (names[i], text) == 0)
      return (int) i;
  return -1;
}

gboolean
inc_norm_kind_from_string (const char  *text,
                           IncNormKind *out)
{
  int i = lookup (norm_names, G_N_ELEMENTS (norm_names), text);
  if (i < 0)
    return FALSE;
  *out = (IncNormKind) i;
  return TRUE;
}

void
inc_recipe_clear_layers (IncRecipe *recipe)
{
  for (guint i = 0; i < recipe->n_layers; i++)
    g_free (recipe->layers[i].name);
  g_clear_pointer (&recipe->layers, g_free);
  recipe->n_layers = 0;
}

void
inc_recipe_add_layer (IncRecipe  *recipe,
                      const char *name,
                      float       weight,
                      int         channel)
{
  g_return_if_fail (recipe != NULL && name != NULL);

  recipe->layers = g_renew (IncRecipeLayer, recipe->layers, recipe->n_layers + 1);
  recipe->layers[recipe->n_layers++] = (IncRecipeLayer) {
    g_strdup (name), weight, channel
  };
}

void
inc_recipe_free (IncRecipe *recipe)
{
  if (recipe == NULL)
    return;
  inc_recipe_clear_layers (recipe);
  g_free (recipe->guide);
  g_free (recipe);
}

IncRecipe *
inc_recipe_copy (const IncRecipe *recipe)
{
  g_return_val_if_fail (recipe != NULL, NULL);

  IncRecipe *copy = g_memdup2 (recipe, sizeof *recipe);
  copy->layers = NULL;
  copy->n_layers = 0;
  copy->guide = g_strdup (recipe->guide);
  for (guint i = 0; i < recipe->n_layers; i++)
    inc_recipe_add_layer (copy, recipe->layers[i].name,
                          recipe->layers[i].weight, recipe->layers[i].channel);
  return copy;
}

/* Seed 000 (DESIGN.md's definition): mixed3 + mixed5, mean, five octaves
 * base * 1.3^n for n = -2..2, std normalisation, step 0.01, clip, 512-px
 * tiles with a random roll; 100 steps per octave as in the tutorial's
 * run_deep_dream_with_octaves. */
static void
preset_tf_tutorial (IncRecipe *r)
{
  inc_recipe_add_layer (r, "mixed3", 1.0f, -1);
  inc_recipe_add_layer (r, "mixed5", 1.0f, -1);
  r->objective = INC_OBJECTIVE_MEAN;
  r->border = 0;
  r->octave_style = INC_OCTAVE_TF;
  r->octaves = 5;
  r->octave_scale = 1.3;
  r->octave_start = -2;
  r->steps = 100;
  r->step_size = 0.01;
  r->norm = INC_NORM_STD;
  r->laplacian_levels = 4;
  r->tile = 512;
  r->jitter = 0;
  r->seed = 0;
  r->max_loss = 0.0;
  r->start = INC_START_PHOTO;
  r->noise_render = INC_NOISE_NAIVE;
  r->clip = TRUE;
}

/* Seed 001: its InceptionV3 layer weights (already Keras names), the sum of
 * squares without a 2-px activation border, gradients divided by their mean
 * absolute value, 3 octaves of 1.4 with lost-detail reinjection, 20
 * iterations of step 0.01, an octave stops once the loss passes 10; it does
 * not clip. */
static void
preset_keras_example (IncRecipe *r)
{
  preset_tf_tutorial (r);
  inc_recipe_clear_layers (r);
  inc_recipe_add_layer (r, "mixed2", 2.0f, -1);
  inc_recipe_add_layer (r, "mixed3", 0.5f, -1);
  inc_recipe_add_layer (r, "mixed4", 1.0f, -1);
  inc_recipe_add_layer (r, "mixed5", 2.0f, -1);
  r->objective = INC_OBJECTIVE_MEAN_SQUARE;
  r->border = 2;
  r->octave_style = INC_OCTAVE_KERAS;
  r->octaves = 3;
  r->octave_scale = 1.4;
  r->octave_start = 0;
  r->steps = 20;
  r->step_size = 0.01;
  r->norm = INC_NORM_MEAN_ABS;
  r->max_loss = 10.0;
  r->clip = FALSE;
}

/* Seed 004's render_deepdream (google/deepdream): GoogLeNet's inception_4c
 * sits in the middle of the five stride-16 modules 4a..4e, as mixed5 does
 * among InceptionV3's mixed3..mixed7; its squared output is the objective.
 * 4 octaves of 1.4 through a detail pyramid, 10 steps of 1.5 on the
 * [0, 255] scale (1.5 / 127.5 here) over the mean absolute gradient, jitter
 * 32, clipped. */
static void
preset_caffe_classic (IncRecipe *r)
{
  preset_tf_tutorial (r);
  inc_recipe_clear_layers (r);
  inc_recipe_add_layer (r, "mixed5", 1.0f, -1);
  r->objective = INC_OBJECTIVE_MEAN_SQUARE;
  r->border = 0;
  r->octave_style = INC_OCTAVE_CLASSIC;
  r->octaves = 4;
  r->octave_scale = 1.4;
  r->octave_start = 0;
  r->steps = 10;
  r->step_size = 1.5 / 127.5;
  r->norm = INC_NORM_MEAN_ABS;
  r->jitter = 32;
}

/* Seed 004's render_lapnorm: from grey noise, 3 octaves growing by 1.4,
 * 20 steps of 1.0 on the [0, 255] scale, Laplacian normalisation with 4
 * levels, the mean of one channel. The seed's mixed4d corresponds to
 * mixed6, which this model fine-tuned; mixed5 is the nearest block that
 * keeps the ImageNet features. */
static void
preset_lapnorm_noise (IncRecipe *r)
{
  preset_tf_tutorial (r);
  inc_recipe_clear_layers (r);
  inc_recipe_add_layer (r, "mixed5", 1.0f, 139);
  r->objective = INC_OBJECTIVE_MEAN;
  r->octave_style = INC_OCTAVE_TF;
  r->octaves = 3;
  r->octave_scale = 1.4;
  r->octave_start = 0;
  r->steps = 20;
  r->step_size = 1.0 / 127.5;
  r->norm = INC_NORM_LAPLACIAN;
  r->laplacian_levels = 4;
  r->start = INC_START_NOISE;
  r->noise_render = INC_NOISE_LAPLACIAN;
}

IncRecipe *
inc_recipe_new (void)
{
  IncRecipe *r = g_new0 (IncRecipe, 1);
  preset_tf_tutorial (r);
  return r;
}

const char *const *
inc_recipe_preset_names (void)
{
  return preset_names;
}

IncRecipe *
inc_recipe_preset (const char  *name,
                   GError     **error)
{
  static void (*const fill[]) (IncRecipe *) = {
    preset_tf_tutorial, preset_keras_example, preset_caffe_classic,
    preset_lapnorm_noise,
  };
  int i = lookup ((const char *const *) preset_names, G_N_ELEMENTS (fill), name);

  if (i < 0)
    {
      g_autofree char *list = g_strjoinv (", ", (char **) preset_names);
      g_set_error (error, INC_RECIPE_ERROR, INC_RECIPE_ERROR_UNKNOWN_PRESET,
                   "unknown preset '%s' (presets: %s)", name ? name : "", list);
      return NULL;
    }
  IncRecipe *r = g_new0 (IncRecipe, 1);
  fill[i] (r);
  return r;
}

static gboolean
invalid (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError **error, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  char *message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, INC_RECIPE_ERROR, INC_RECIPE_ERROR_INVALID, message);
  g_free (message);
  return FALSE;
}

static gboolean
check_int (GError **error, const char *what, int value, int lo, int hi)
{
  if (value < lo || value > hi)
    return invalid (error, "%s must be between %d and %d (got %d)", what, lo, hi, value);
  return TRUE;
}

static gboolean
check_double (GError **error, const char *what, double value,
              double lo, gboolean lo_open, double hi)
{
  if (!isfinite (value))
    return invalid (error, "%s must be a finite number", what);
  if ((lo_open ? value <= lo : value < lo) || value > hi)
    return invalid (error, "%s must be %s %g and at most %g (got %g)", what,
                    lo_open ? "above" : "at least", lo, hi, value);
  return TRUE;
}

gboolean
inc_recipe_validate (const IncRecipe *r,
                     GError         **error)
{
  g_return_val_if_fail (r != NULL, FALSE);

  if (r->n_layers == 0)
    return invalid (error, "a recipe needs at least one layer");
  if (r->n_layers > MAX_LAYERS)
    return invalid (error, "at most %d layers (got %u)", MAX_LAYERS, r->n_layers);
  for (guint i = 0; i < r->n_layers; i++)
    {
      const IncRecipeLayer *l = &r->layers[i];
      if (l->name == NULL || l->name[0] == '\0' || strlen (l->name) > MAX_NAME_LEN)
        return invalid (error, "layer %u has an empty or overlong name", i + 1);
      if (!isfinite (l->weight) || fabsf (l->weight) > MAX_ABS_WEIGHT)
        return invalid (error, "weight of layer '%s' must be a finite number "
                        "no larger than %g in magnitude", l->name, MAX_ABS_WEIGHT);
      if (l->channel < -1 || l->channel > MAX_CHANNEL)
        return invalid (error, "channel of layer '%s' must be -1 (all) or "
                        "0..%d (got %d)", l->name, MAX_CHANNEL, l->channel);
    }
  if (r->objective != INC_OBJECTIVE_MEAN && r->objective != INC_OBJECTIVE_MEAN_SQUARE)
    return invalid (error, "objective must be 'mean' or 'mean-square'");
  if (!check_int (error, "border", r->border, 0, MAX_BORDER))
    return FALSE;
  if ((guint) r->octave_style >= G_N_ELEMENTS (octave_style_names))
    return invalid (error, "unknown octave style");
  if (!check_int (error, "octaves", r->octaves, 1, MAX_OCTAVES) ||
      !check_double (error, "octave-scale", r->octave_scale,
                     MIN_OCTAVE_SCALE, FALSE, MAX_OCTAVE_SCALE) ||
      !check_int (error, "octave-start", r->octave_start,
                  -MAX_OCTAVE_START, MAX_OCTAVE_START) ||
      !check_int (error, "steps", r->steps, 0, MAX_STEPS) ||
      !check_double (error, "step-size", r->step_size, 0.0, TRUE, MAX_STEP_SIZE))
    return FALSE;
  if ((guint) r->norm >= G_N_ELEMENTS (norm_names))
    return invalid (error, "unknown normalisation");
  if (!check_int (error, "laplacian-levels", r->laplacian_levels, 1, MAX_LAP_LEVELS))
    return FALSE;
  if (r->tile != 0 && !check_int (error, "tile (0 = no tiling)", r->tile,
                                  MIN_TILE, MAX_TILE))
    return FALSE;
  if (!check_int (error, "jitter", r->jitter, 0, MAX_JITTER) ||
      !check_double (error, "max-loss (0 = none)", r->max_loss, 0.0, FALSE, MAX_MAX_LOSS))
    return FALSE;
  if ((guint) r->start >= G_N_ELEMENTS (start_names) ||
      (guint) r->noise_render >= G_N_ELEMENTS (noise_names))
    return invalid (error, "unknown start or noise render");
  if (r->start == INC_START_NOISE && r->noise_render == INC_NOISE_LAPLACIAN &&
      r->norm != INC_NORM_LAPLACIAN)
    return invalid (error, "the laplacian noise render needs the laplacian "
                    "normalisation (or use the multiscale render)");
  if (r->guide != NULL && r->guide[0] == '\0')
    return invalid (error, "guide must be an image path or absent");
  return TRUE;
}

/* "name[/channel][:weight]" items separated by commas. */
gboolean
inc_recipe_parse_layers (IncRecipe   *recipe,
                         const char  *spec,
                         GError     **error)
{
  g_return_val_if_fail (recipe != NULL && spec != NULL, FALSE);

  g_auto (GStrv) items = g_strsplit (spec, ",", -1);
  g_autoptr (IncRecipe) parsed = g_new0 (IncRecipe, 1);

  for (guint i = 0; items[i] != NULL; i++)
    {
      char *item = g_strstrip (items[i]);
      float weight = 1.0f;
      int channel = -1;
      char *colon = strchr (item, ':');

      if (colon != NULL)
        {
          char *end = NULL;
          *colon = '\0';
          double w = g_ascii_strtod (colon + 1, &end);
          if (end == colon + 1 || *end != '\0' || !isfinite (w))
            return invalid (error, "bad weight '%s' for layer '%s' in --layers",
                            colon + 1, item);
          weight = (float) w;
        }
      char *slash = strchr (item, '/');
      if (slash != NULL)
        {
          char *end = NULL;
          *slash = '\0';
          gint64 c = g_ascii_strtoll (slash + 1, &end, 10);
          if (end == slash + 1 || *end != '\0' || c < 0 || c > MAX_CHANNEL)
            return invalid (error, "bad channel '%s' for layer '%s' in --layers",
                            slash + 1, item);
          channel = (int) c;
        }
      if (item[0] == '\0')
        return invalid (error, "empty layer name in --layers '%s'", spec);
      inc_recipe_add_layer (parsed, item, weight, channel);
    }

  if (parsed->n_layers == 0)
    return invalid (error, "--layers names no layer");
  inc_recipe_clear_layers (recipe);
  recipe->layers = g_steal_pointer (&parsed->layers);
  recipe->n_layers = parsed->n_layers;
  parsed->n_layers = 0;
  return TRUE;
}

/* JSON reading */

static gboolean
get_number (JsonNode *node, const char *key, double *out, GError **error)
{
  if (!JSON_NODE_HOLDS_VALUE (node))
    return invalid (error, "'%s' must be a number", key);
  GType type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    *out = (double) json_node_get_int (node);
  else if (type == G_TYPE_DOUBLE)
    *out = json_node_get_double (node);
  else
    return invalid (error, "'%s' must be a number", key);
  if (!isfinite (*out))
    return invalid (error, "'%s' must be a finite number", key);
  return TRUE;
}

static gboolean
get_int (JsonNode *node, const char *key, gint64 lo, gint64 hi, gint64 *out,
         GError **error)
{
  double v;
  if (!get_number (node, key, &v, error))
    return FALSE;
  if (v != floor (v))
    return invalid (error, "'%s' must be a whole number (got %g)", key, v);
  if (v < (double) lo || v > (double) hi)
    return invalid (error, "'%s' must be between %" G_GINT64_FORMAT " and %"
                    G_GINT64_FORMAT " (got %g)", key, lo, hi, v);
  *out = (gint64) v;
  return TRUE;
}

static gboolean
get_enum (JsonNode *node, const char *key, const char *const *names, guint n,
          int *out, GError **error)
{
  const char *text = NULL;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    text = json_node_get_string (node);
  int i = text ? lookup (names, n, text) : -1;
  if (i < 0)
    {
      g_autoptr (GString) list = g_string_new (NULL);
      for (guint k = 0; k < n; k++)
        g_string_append_printf (list, "%s'%s'", k ? ", " : "", names[k]);
      return invalid (error, "'%s' must be one of %s", key, list->str);
    }
  *out = i;
  return TRUE;
}

static gboolean
get_bool (JsonNode *node, const char *key, gboolean *out, GError **error)
{
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return invalid (error, "'%s' must be true or false", key);
  *out = json_node_get_boolean (node);
  return TRUE;
}

static gboolean
read_layers (IncRecipe *r, JsonNode *node, GError **error)
{
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return invalid (error, "'layers' must be an array of {\"name\", \"weight\", \"channel\"}");
  JsonArray *array = json_node_get_array (node);
  inc_recipe_clear_layers (r);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      if (!JSON_NODE_HOLDS_OBJECT (item))
        return invalid (error, "layers[%u] must be an object", i);
      JsonObject *o = json_node_get_object (item);
      g_autoptr (GList) members = json_object_get_members (o);
      const char *name = NULL;
      double weight = 1.0;
      gint64 channel = -1;

      for (GList *m = members; m != NULL; m = m->next)
        {
          const char *key = m->data;
          JsonNode *v = json_object_get_member (o, key);
          g_autofree char *what = g_strdup_printf ("layers[%u].%s", i, key);
          if (strcmp (key, "name") == 0)
            {
              if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_STRING)
                return invalid (error, "'%s' must be a string", what);
              name = json_node_get_string (v);
            }
          else if (strcmp (key, "weight") == 0)
            {
              if (!get_number (v, what, &weight, error))
                return FALSE;
            }
          else if (strcmp (key, "channel") == 0)
            {
              if (!get_int (v, what, -1, MAX_CHANNEL, &channel, error))
                return FALSE;
            }
          else
            {
              g_set_error (error, INC_RECIPE_ERROR, INC_RECIPE_ERROR_UNKNOWN_KEY,
                           "unknown key '%s' in the recipe", what);
              return FALSE;
            }
        }
      if (name == NULL)
        return invalid (error, "layers[%u] has no 'name'", i);
      if (fabs (weight) > MAX_ABS_WEIGHT)
        return invalid (error, "'layers[%u].weight' must be no larger than %g "
                        "in magnitude", i, MAX_ABS_WEIGHT);
      inc_recipe_add_layer (r, name, (float) weight, (int) channel);
    }
  return TRUE;
}

static gboolean
read_member (IncRecipe *r, const char *key, JsonNode *v, GError **error)
{
  gint64 i64;
  int e;

  if (strcmp (key, "preset") == 0)
    return TRUE;   /* applied before the other keys */
  if (strcmp (key, "layers") == 0)
    return read_layers (r, v, error);
  if (strcmp (key, "objective") == 0)
    {
      static const char *const names[] = { "mean", "mean-square" };
      if (!get_enum (v, key, names, 2, &e, error))
        return FALSE;
      r->objective = e == 0 ? INC_OBJECTIVE_MEAN : INC_OBJECTIVE_MEAN_SQUARE;
      return TRUE;
    }
#define INT_KEY(k, field, lo, hi) \
  if (strcmp (key, k) == 0) \
    { \
      if (!get_int (v, key, lo, hi, &i64, error)) \
        return FALSE; \
      r->field = i64; \
      return TRUE; \
    }
#define DOUBLE_KEY(k, field) \
  if (strcmp (key, k) == 0) \
    return get_number (v, key, &r->field, error);
#define ENUM_KEY(k, field, names, type) \
  if (strcmp (key, k) == 0) \
    { \
      if (!get_enum (v, key, names, G_N_ELEMENTS (names), &e, error)) \
        return FALSE; \
      r->field = (type) e; \
      return TRUE; \
    }
  INT_KEY ("border", border, 0, MAX_BORDER)
  ENUM_KEY ("octave-style", octave_style, octave_style_names, IncOctaveStyle)
  INT_KEY ("octaves", octaves, 1, MAX_OCTAVES)
  DOUBLE_KEY ("octave-scale", octave_scale)
  INT_KEY ("octave-start", octave_start, -MAX_OCTAVE_START, MAX_OCTAVE_START)
  INT_KEY ("steps", steps, 0, MAX_STEPS)
  DOUBLE_KEY ("step-size", step_size)
  ENUM_KEY ("norm", norm, norm_names, IncNormKind)
  INT_KEY ("laplacian-levels", laplacian_levels, 1, MAX_LAP_LEVELS)
  INT_KEY ("tile", tile, 0, MAX_TILE)
  INT_KEY ("jitter", jitter, 0, MAX_JITTER)
  INT_KEY ("seed", seed, 0, G_MAXUINT32)
  DOUBLE_KEY ("max-loss", max_loss)
  ENUM_KEY ("start", start, start_names, IncStartKind)
  ENUM_KEY ("noise-render", noise_render, noise_names, IncNoiseRender)
#undef INT_KEY
#undef DOUBLE_KEY
#undef ENUM_KEY
  if (strcmp (key, "guide") == 0)
    {
      g_clear_pointer (&r->guide, g_free);
      if (JSON_NODE_HOLDS_NULL (v))
        return TRUE;
      if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_STRING)
        return invalid (error, "'guide' must be an image path or null");
      r->guide = g_strdup (json_node_get_string (v));
      return TRUE;
    }
  if (strcmp (key, "clip") == 0)
    return get_bool (v, key, &r->clip, error);

  g_set_error (error, INC_RECIPE_ERROR, INC_RECIPE_ERROR_UNKNOWN_KEY,
               "unknown key '%s' in the recipe", key);
  return FALSE;
}

gboolean
inc_recipe_apply_json (IncRecipe   *recipe,
                       const char  *json,
                       gssize       length,
                       GError     **error)
{
  g_return_val_if_fail (recipe != NULL && json != NULL, FALSE);

  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;

  if (!json_parser_load_from_data (parser, json, length, &local))
    {
      g_set_error (error, INC_RECIPE_ERROR, INC_RECIPE_ERROR_PARSE,
                   "the recipe is not valid JSON: %s", local->message);
      return FALSE;
    }
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, INC_RECIPE_ERROR, INC_RECIPE_ERROR_PARSE,
                           "the recipe must be a JSON object");
      return FALSE;
    }
  JsonObject *o = json_node_get_object (root);
  /* Work on a copy so that a bad file leaves the recipe as it was. */
  g_autoptr (IncRecipe) r = NULL;

  if (json_object_has_member (o, "preset"))
    {
      JsonNode *p = json_object_get_member (o, "preset");
      if (!JSON_NODE_HOLDS_VALUE (p) || json_node_get_value_type (p) != G_TYPE_STRING)
        return invalid (error, "'preset' must be a preset name");
      r = inc_recipe_preset (json_node_get_string (p), error);
      if (r == NULL)
        return FALSE;
    }
  else
    r = inc_recipe_copy (recipe);

  g_autoptr (GList) members = json_object_get_members (o);
  for (GList *m = members; m != NULL; m = m->next)
    if (!read_member (r, m->data, json_object_get_member (o, m->data), error))
      return FALSE;
  if (!inc_recipe_validate (r, error))
    return FALSE;

  /* Move r's contents into recipe. */
  inc_recipe_clear_layers (recipe);
  g_free (recipe->guide);
  *recipe = *r;
  r->layers = NULL;
  r->n_layers = 0;
  r->guide = NULL;
  return TRUE;
}

IncRecipe *
inc_recipe_from_json (const char  *json,
                      gssize       length,
                      GError     **error)
{
  g_autoptr (IncRecipe) r = inc_recipe_new ();

  if (!inc_recipe_apply_json (r, json, length, error))
    return NULL;
  return g_steal_pointer (&r);
}

IncRecipe *
inc_recipe_load (const char  *path,
                 GError     **error)
{
  g_autofree char *text = NULL;
  gsize length = 0;
  g_autoptr (GError) local = NULL;

  if (!g_file_get_contents (path, &text, &length, &local))
    {
      g_set_error (error, INC_RECIPE_ERROR, INC_RECIPE_ERROR_PARSE,
                   "cannot read recipe: %s", local->message);
      return NULL;
    }
  IncRecipe *r = inc_recipe_from_json (text, length, &local);
  if (r == NULL)
    g_set_error (error, local->domain, local->code, "%s: %s", path, local->message);
  return r;
}

char *
inc_recipe_to_json (const IncRecipe *r)
{
  g_return_val_if_fail (r != NULL, NULL);

  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "layers");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->n_layers; i++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, r->layers[i].name);
      json_builder_set_member_name (b, "weight");
      json_builder_add_double_value (b, r->layers[i].weight);
      json_builder_set_member_name (b, "channel");
      json_builder_add_int_value (b, r->layers[i].channel);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
#define STR(k, v) json_builder_set_member_name (b, k); json_builder_add_string_value (b, v)
#define INT(k, v) json_builder_set_member_name (b, k); json_builder_add_int_value (b, v)
#define DBL(k, v) json_builder_set_member_name (b, k); json_builder_add_double_value (b, v)
  STR ("objective", r->objective == INC_OBJECTIVE_MEAN_SQUARE ? "mean-square" : "mean");
  INT ("border", r->border);
  STR ("octave-style", octave_style_names[r->octave_style]);
  INT ("octaves", r->octaves);
  DBL ("octave-scale", r->octave_scale);
  INT ("octave-start", r->octave_start);
  INT ("steps", r->steps);
  DBL ("step-size", r->step_size);
  STR ("norm", norm_names[r->norm]);
  INT ("laplacian-levels", r->laplacian_levels);
  INT ("tile", r->tile);
  INT ("jitter", r->jitter);
  INT ("seed", r->seed);
  DBL ("max-loss", r->max_loss);
  STR ("start", start_names[r->start]);
  STR ("noise-render", noise_names[r->noise_render]);
#undef STR
#undef INT
#undef DBL
  json_builder_set_member_name (b, "guide");
  if (r->guide != NULL)
    json_builder_add_string_value (b, r->guide);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "clip");
  json_builder_add_boolean_value (b, r->clip);
  json_builder_end_object (b);

  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, NULL);
}

gboolean
inc_recipe_save (const IncRecipe  *recipe,
                 const char       *path,
                 GError          **error)
{
  g_autofree char *json = inc_recipe_to_json (recipe);
  /* g_file_set_contents writes a temporary file and renames it. */
  return g_file_set_contents (path, json, -1, error);
}
