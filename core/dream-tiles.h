/* dream-tiles.h: the gradient of an objective over an image of any size,
 * computed tile by tile (the dream's gradient stage). */
#pragma once

#include <gio/gio.h>
#include "core/gradient-source.h"
#include "core/image.h"

G_BEGIN_DECLS

/* Context each tile gets beyond its core: the network's border effects
 * (zero padding seen at a tile edge) fade within a few activation
 * positions, so pixels near a core edge still get gradient from both
 * sides and tiles leave no seam. */
#define INC_DREAM_TILE_HALO 32

/* Rolls the image by (shift_x, shift_y) (np.roll), splits it with the
 * tiler (tile <= 0: whole image), gets each tile's gradient, keeps each
 * tile's core and rolls back.  Each tile's gradient is weighted by its
 * share of the image so that tiled and untiled gradients agree; *value is
 * the area-weighted mean of the tiles' objectives.  Checks cancellable
 * between tiles. */
gboolean inc_dream_tiled_gradient (IncGradientSource  *source,
                                   const IncObjective *objective,
                                   const IncImage     *image,
                                   int                 tile,
                                   int                 halo,
                                   int                 min_side,
                                   int                 shift_x,
                                   int                 shift_y,
                                   IncImage           *gradient,
                                   double             *value,
                                   GCancellable       *cancellable,
                                   GError            **error);

/* np.roll over both axes; a new image. */
IncImage *inc_image_roll          (const IncImage     *image,
                                   int                 shift_x,
                                   int                 shift_y);

G_END_DECLS
