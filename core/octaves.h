/* octaves.h: the sizes a dream visits, per octave style (the seeds'
 * formulas), with the smallest octave clamped to what the network needs. */
#pragma once

#include <glib.h>
#include "core/recipe.h"

G_BEGIN_DECLS

typedef struct {
  int width;
  int height;
} IncSize;

/* Octave sizes in the order they are dreamt (smallest first for every style
 * but TF, whose range may go either way).  No side is below min_side: a too
 * small octave is scaled up keeping its aspect ratio.  Returns a GArray of
 * IncSize with recipe->octaves entries (1 for a naive render from noise). */
GArray  *inc_octave_plan  (const IncRecipe *recipe,
                           int              base_width,
                           int              base_height,
                           int              min_side);

/* Scales a size up so its shorter side is at least min_side. */
IncSize  inc_octave_clamp (IncSize          size,
                           int              min_side);

G_END_DECLS
