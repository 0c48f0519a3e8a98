/* dream-gradient.h: the dream scheduler's gradients, computed on a Vulkan
 * device. */
#pragma once

#include "core/gradient-source.h"
#include "compute/engine.h"

G_BEGIN_DECLS

/* The network must outlive the source. Not thread-safe: use one source per
 * thread. */
IncGradientSource *inc_engine_gradient_source_new (IncNetwork *network);
/* Runs one whole step (forward, backward, Laplacian normalisation, masked
 * update) on a small image, so that every pipeline has been dispatched
 * once (a first dispatch costs more than later ones): call it while
 * loading, so the first real step is not the slow one. */
gboolean           inc_engine_gradient_source_warm_up (IncGradientSource *source,
                                                       GError           **error);

G_END_DECLS
