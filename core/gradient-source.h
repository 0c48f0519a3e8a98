/* gradient-source.h: how the dream scheduler (core/) asks for gradients
 * without knowing about Vulkan. compute/ provides the real implementation
 * (inc_engine_gradient_source_new in compute/dream-gradient.h); tests may
 * provide a cheap analytic one. */
#pragma once

#include <gio/gio.h>
#include "core/objective.h"
#include "core/recipe.h"

G_BEGIN_DECLS

typedef struct _IncGradientSource IncGradientSource;

/* One whole gradient step on a device image (see device_step below). */
typedef struct {
  int          tile;              /* <= 0: one tile (dream-tiles.h) */
  int          halo;
  int          min_side;
  int          shift_x, shift_y;  /* the roll (jitter) of this step */
  IncNormKind  norm;
  int          laplacian_levels;
  float        step_size;
  gboolean     clip;              /* clip to [-1, 1] after the update */
  double       max_loss;          /* > 0: past it the update is skipped */
} IncStepParams;

struct _IncGradientSource {
  /* Gradient of the objective with respect to the image (height x width x 3,
   * in [-1, 1]), written to grad (same shape); *value gets the objective.
   * The layers named in the objective may change between calls. */
  gboolean (*gradient) (IncGradientSource  *self,
                        const IncObjective *objective,
                        const float        *image,
                        int                 height,
                        int                 width,
                        float              *grad,
                        double             *value,
                        GError            **error);
  /* The features of an image at a layer, for guided dreams: returns a newly
   * allocated n x channels array (n = positions), or NULL with error. */
  float   *(*features) (IncGradientSource  *self,
                        const char         *layer,
                        const float        *image,
                        int                 height,
                        int                 width,
                        int                *n,
                        int                *channels,
                        GError            **error);
  /* Smallest input side for which a layer's output is at least 1 x 1, or -1
   * if the layer is unknown. */
  int      (*min_input_side) (IncGradientSource *self,
                              const char        *layer);
  void     (*free) (IncGradientSource *self);

  /* Optional (NULL where the source has no device of its own; the dream
   * then takes every gradient to the host).  They keep an image on the
   * source's device, one per owner (a dream), so that a whole step runs
   * there and the image comes back only when asked for.
   *
   * upload_image: the owner's image (height x width x 3) and, if not NULL,
   * its per-pixel mask (height x width, the step is scaled by it). */
  gboolean (*upload_image)   (IncGradientSource  *self,
                              gconstpointer       owner,
                              const float        *image,
                              int                 height,
                              int                 width,
                              const float        *mask,
                              GError            **error);
  /* Exactly inc_dream_tiled_gradient, then inc_gradient_normalize, then
   * image += step_size * mask * gradient (clipped if asked), on the device.
   * *value gets the objective; the update is applied only when
   * max_loss <= 0 or *value <= max_loss (*applied says which).  Checks
   * cancellable between tiles; on failure the image is as it was. */
  gboolean (*device_step)    (IncGradientSource   *self,
                              gconstpointer        owner,
                              const IncObjective  *objective,
                              const IncStepParams *params,
                              double              *value,
                              gboolean            *applied,
                              GCancellable        *cancellable,
                              GError             **error);
  /* Copies the owner's device image into image (height x width x 3). */
  gboolean (*download_image) (IncGradientSource  *self,
                              gconstpointer       owner,
                              float              *image,
                              GError            **error);
  /* Frees the owner's device image (nothing if it has none).  A dream
   * calls it when freed: the source must outlive its dreams. */
  void     (*release_image)  (IncGradientSource  *self,
                              gconstpointer       owner);
  /* Optional: makes ready ahead of time what a gradient at these layers
   * (NULL-terminated) and this input size will need, so that the first
   * real one is not slower than the next (inc_dream_prepare). */
  gboolean (*prepare)        (IncGradientSource  *self,
                              const char *const  *layers,
                              int                 height,
                              int                 width,
                              GError            **error);
};

static inline void
inc_gradient_source_free (IncGradientSource *self)
{
  if (self != NULL)
    self->free (self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IncGradientSource, inc_gradient_source_free)

G_END_DECLS
