/* tiler.h: splits an image into tiles for a stage that declares how much
 * context (halo) and how large an input it needs, so that any image size
 * runs in bounded memory.  Each pixel belongs to exactly one tile's core;
 * a tile's input is its core grown by the halo (clipped to the image) and,
 * where the stage needs it, to at least min_input per side. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  int halo;       /* context pixels the stage needs on each side of a core */
  int min_input;  /* smallest input side the stage can compute */
} IncTileNeeds;

typedef struct {
  int x, y, width, height;                      /* input, halo included */
  int core_x, core_y, core_width, core_height;  /* pixels this tile owns */
} IncTile;

/* tile <= 0, or an image that fits one tile: a single tile of the whole
 * image.  Otherwise ceil(side / tile) tiles per axis with cores of equal
 * size (+-1), so no sliver tile is left at an edge.  Returns a GArray of
 * IncTile, row-major. */
GArray *inc_tiler_plan          (int                 width,
                                 int                 height,
                                 int                 tile,
                                 const IncTileNeeds *needs);

/* The largest tile input side the plan can produce (memory bound). */
int     inc_tiler_max_input_side (int                 tile,
                                  const IncTileNeeds *needs);

G_END_DECLS
