/* gradnorm.h: gradient normalisations of the seed documents, applied in
 * place to an H x W x C gradient. */
#pragma once

#include <glib.h>
#include "core/image.h"
#include "core/recipe.h"

G_BEGIN_DECLS

/* std:       g / (std(g) + 1e-8)          (seed 000)
 * mean-abs:  g / (mean(|g|) + 1e-7)       (seeds 001, 004)
 * laplacian: seed 004's lap_normalize with `levels` bands. */
void       inc_gradient_normalize (IncImage   *gradient,
                                   IncNormKind norm,
                                   int         levels);

/* Seed 004's lap_split_n: `levels` - 1 high-frequency bands and the low
 * band, low first (a GPtrArray of IncImage, levels entries), using the
 * 5x5 binomial kernel with TF 'SAME' stride-2 convolution and its
 * transpose.  inc_laplacian_merge inverts it exactly (up to rounding). */
GPtrArray *inc_laplacian_split    (const IncImage *image,
                                   int             levels);
IncImage  *inc_laplacian_merge    (GPtrArray      *bands);

G_END_DECLS
