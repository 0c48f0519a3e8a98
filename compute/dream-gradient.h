/* dream-gradient.h: the dream scheduler's gradients, computed on a Vulkan
 * device. */
#pragma once

#include "core/gradient-source.h"
#include "compute/engine.h"

G_BEGIN_DECLS

/* The network must outlive the source. Not thread-safe: use one source per
 * thread. */
IncGradientSource *inc_engine_gradient_source_new (IncNetwork *network);

G_END_DECLS
