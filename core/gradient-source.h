/* gradient-source.h: how the dream scheduler (core/) asks for gradients
 * without knowing about Vulkan. compute/ provides the real implementation
 * (inc_engine_gradient_source_new in compute/dream-gradient.h); tests may
 * provide a cheap analytic one. */
#pragma once

#include <glib.h>
#include "core/objective.h"

G_BEGIN_DECLS

typedef struct _IncGradientSource IncGradientSource;

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
};

static inline void
inc_gradient_source_free (IncGradientSource *self)
{
  if (self != NULL)
    self->free (self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IncGradientSource, inc_gradient_source_free)

G_END_DECLS
