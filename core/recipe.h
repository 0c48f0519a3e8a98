/* recipe.h: every parameter of a dream, its JSON form and the presets.
 *
 * Image values live in the network's space, [-1, 1]; step sizes are in that
 * space too (a step of 1.5 on the classic [0, 255] scale is 1.5 / 127.5).
 */
#pragma once

#include <glib.h>
#include "core/objective.h"

G_BEGIN_DECLS

#define INC_RECIPE_ERROR (inc_recipe_error_quark ())
GQuark inc_recipe_error_quark (void);

typedef enum {
  INC_RECIPE_ERROR_PARSE,        /* not JSON, or not an object */
  INC_RECIPE_ERROR_UNKNOWN_KEY,  /* a key this version does not know */
  INC_RECIPE_ERROR_INVALID,      /* wrong type, NaN, negative, absurd */
  INC_RECIPE_ERROR_UNKNOWN_PRESET,
} IncRecipeError;

typedef enum {
  INC_OCTAVE_TF,       /* base * scale^n for n in a range, resized back */
  INC_OCTAVE_KERAS,    /* shrinking shapes, lost detail reinjected */
  INC_OCTAVE_CLASSIC,  /* high-frequency detail pyramid added back */
} IncOctaveStyle;

typedef enum {
  INC_NORM_STD,        /* g / (std(g) + 1e-8) */
  INC_NORM_MEAN_ABS,   /* g / (mean|g| + 1e-7) */
  INC_NORM_LAPLACIAN,  /* each Laplacian band divided by its RMS */
} IncNormKind;

typedef enum {
  INC_START_PHOTO,
  INC_START_NOISE,
} IncStartKind;

/* How a dream from noise grows (seed 004): naive stays at one size;
 * multiscale and laplacian start small and enlarge by the octave scale;
 * laplacian also needs Laplacian normalisation. */
typedef enum {
  INC_NOISE_NAIVE,
  INC_NOISE_MULTISCALE,
  INC_NOISE_LAPLACIAN,
} IncNoiseRender;

typedef struct {
  char  *name;
  float  weight;    /* may be negative: suppress a layer */
  int    channel;   /* -1: all channels */
} IncRecipeLayer;

typedef struct {
  IncRecipeLayer   *layers;
  guint             n_layers;
  IncObjectiveKind  objective;     /* MEAN or MEAN_SQUARE */
  int               border;        /* MEAN_SQUARE: activation border crop */

  IncOctaveStyle    octave_style;
  int               octaves;       /* how many scales */
  double            octave_scale;  /* ratio between neighbouring scales */
  int               octave_start;  /* TF: first n of base * scale^n */
  int               steps;         /* per octave */
  double            step_size;

  IncNormKind       norm;
  int               laplacian_levels;

  int               tile;          /* 0: no tiling */
  int               jitter;        /* 0: none */
  guint32           seed;
  double            max_loss;      /* 0: no early stop */

  IncStartKind      start;
  IncNoiseRender    noise_render;
  char             *guide;         /* guide image path, or NULL */
  gboolean          clip;          /* clip to [-1, 1] after each step */
} IncRecipe;

IncRecipe  *inc_recipe_new            (void);   /* the tf-tutorial preset */
IncRecipe  *inc_recipe_copy           (const IncRecipe *recipe);
void        inc_recipe_free           (IncRecipe       *recipe);

void        inc_recipe_clear_layers   (IncRecipe       *recipe);
void        inc_recipe_add_layer      (IncRecipe       *recipe,
                                       const char      *name,
                                       float            weight,
                                       int              channel);
/* "mixed3:1.0,mixed5:1.5" (weight defaults to 1; "mixed5/139:1" picks a
 * channel) replaces the layer list. */
gboolean    inc_recipe_parse_layers   (IncRecipe       *recipe,
                                       const char      *spec,
                                       GError         **error);

/* Every value in range; the message names the first bad one. */
gboolean    inc_recipe_validate       (const IncRecipe *recipe,
                                       GError         **error);

IncRecipe  *inc_recipe_preset         (const char      *name,
                                       GError         **error);
const char *const *inc_recipe_preset_names (void);

/* JSON: an object with any of the keys
 *   "preset" (applied first), "layers": [{"name", "weight", "channel"}],
 *   "objective" ("mean" | "mean-square"), "border", "octave-style"
 *   ("tf" | "keras" | "classic"), "octaves", "octave-scale", "octave-start",
 *   "steps", "step-size", "norm" ("std" | "mean-abs" | "laplacian"),
 *   "laplacian-levels", "tile", "jitter", "seed", "max-loss",
 *   "start" ("photo" | "noise"), "noise-render" ("naive" | "multiscale" |
 *   "laplacian"), "guide" (path or null), "clip" (boolean).
 * Missing keys keep the defaults (or those of "preset" if the object names
 * one); unknown keys and bad values are errors naming the key. */
IncRecipe  *inc_recipe_from_json      (const char      *json,
                                       gssize           length,
                                       GError         **error);
/* The keys of a JSON object applied over an existing recipe ("preset"
 * first replaces it); on error the recipe is unchanged. */
gboolean    inc_recipe_apply_json     (IncRecipe       *recipe,
                                       const char      *json,
                                       gssize           length,
                                       GError         **error);
IncRecipe  *inc_recipe_load           (const char      *path,
                                       GError         **error);
char       *inc_recipe_to_json        (const IncRecipe *recipe);
gboolean    inc_recipe_save           (const IncRecipe *recipe,
                                       const char      *path,
                                       GError         **error);

const char *inc_octave_style_to_string (IncOctaveStyle style);
const char *inc_norm_kind_to_string    (IncNormKind    norm);
gboolean    inc_norm_kind_from_string  (const char    *text,
                                        IncNormKind   *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IncRecipe, inc_recipe_free)

G_END_DECLS
