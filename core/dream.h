/* dream.h: the dream scheduler.  It walks the octaves of a recipe one
 * gradient step at a time so that a studio can show every step and change
 * parameters between steps; inc_dream_run does a whole dream at once.
 *
 * Images are 3-channel [-1, 1]; the mask is 1 channel [0, 1] at the source
 * size.  Gradients come from an IncGradientSource (not owned). */
#pragma once

#include <gio/gio.h>
#include "core/gradient-source.h"
#include "core/image.h"
#include "core/recipe.h"

G_BEGIN_DECLS

#define INC_DREAM_ERROR (inc_dream_error_quark ())
GQuark inc_dream_error_quark (void);

typedef enum {
  INC_DREAM_ERROR_INVALID,       /* bad source, mask or recipe */
  INC_DREAM_ERROR_UNKNOWN_LAYER,
} IncDreamError;

typedef struct {
  int    octave;         /* 1-based; 0 before the first step */
  int    n_octaves;
  int    step;           /* steps done in this octave */
  int    n_steps;        /* steps per octave */
  double loss;           /* objective at the last step (NaN before any) */
  int    total_done;     /* gradient steps done so far */
  int    total_planned;  /* done + still to do */
  int    width;          /* size of the current octave */
  int    height;
} IncDreamProgress;

typedef struct _IncDream IncDream;

IncDream *inc_dream_new          (const IncRecipe    *recipe,
                                  const IncImage     *source,
                                  const IncImage     *mask,
                                  IncGradientSource  *gradients,
                                  GError            **error);
/* One gradient step over the whole image (all tiles), entering or leaving
 * octaves as needed; *finished is TRUE once the last octave is done. */
gboolean  inc_dream_step         (IncDream           *dream,
                                  gboolean           *finished,
                                  GError            **error);
/* Makes the gradient source ready for the next step's sizes and layers
 * (its optional prepare method), changing nothing in the dream: the
 * studio calls it when an image is opened, so that pressing Dream does
 * not wait for the engine to set up memory. */
gboolean  inc_dream_prepare      (IncDream           *dream,
                                  GError            **error);
/* Layers, weights, objective, step size, normalisation, tiling and jitter
 * apply from the next step; octave count, scale and style from the next
 * octave.  The seed, start and guide are fixed when the dream is made.
 * The recipe must pass inc_recipe_validate and name layers the gradient
 * source knows; one that does not is refused with a warning. */
void      inc_dream_set_recipe   (IncDream           *dream,
                                  const IncRecipe    *recipe);
/* Checked between tiles: a cancelled step fails with G_IO_ERROR_CANCELLED
 * and leaves the image as it was before that step. */
void      inc_dream_set_cancellable (IncDream        *dream,
                                     GCancellable    *cancellable);
/* A guide image in memory (3 channels, [-1, 1]) instead of recipe->guide's
 * file; NULL drops the guide. */
void      inc_dream_set_guide    (IncDream           *dream,
                                  const IncImage     *guide);
void      inc_dream_get_progress (IncDream           *dream,
                                  IncDreamProgress   *out);
/* The current result at the source size, composited through the mask
 * (mask * dream + (1 - mask) * source; exactly the source where the mask
 * is 0): a new image. */
IncImage *inc_dream_render       (IncDream           *dream);
void      inc_dream_free         (IncDream           *dream);

typedef void (*IncDreamProgressFunc) (const IncDreamProgress *progress,
                                      gpointer                user_data);

/* The whole dream; progress is called after every step. */
IncImage *inc_dream_run          (const IncRecipe    *recipe,
                                  const IncImage     *source,
                                  const IncImage     *mask,
                                  IncGradientSource  *gradients,
                                  GCancellable       *cancellable,
                                  IncDreamProgressFunc progress,
                                  gpointer            user_data,
                                  GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IncDream, inc_dream_free)

G_END_DECLS
