/* mask-brush.h: painting on a 1-channel [0, 1] mask (where the dream may
 * grow): a round brush, strokes through pointer samples, invert, fill.
 *
 * Coordinates are in mask pixels: pixel (i, j) covers [i, i + 1) x
 * [j, j + 1), so its centre is (i + 0.5, j + 0.5).
 *
 * Falloff.  A dab centred at (cx, cy) with radius R = size / 2 and inner
 * radius r0 = hardness * R gives the pixel whose centre lies at distance d
 * the coverage
 *
 *     a(d) = 1                              d <= r0
 *     a(d) = 0                              d >= R  (and d > r0)
 *     a(d) = t * t * (3 - 2 * t),           otherwise, t = (R - d) / (R - r0)
 *
 * (smoothstep from the rim to the inner radius), times the brush's opacity:
 * v = opacity * a(d).  Painting sets m = max(m, v), erasing m = min(m,
 * 1 - v), so repeated dabs within a stroke never build up beyond one dab's
 * value and the result does not depend on the pointer's speed.  A hard
 * brush (hardness 1) paints exactly the pixels whose centres lie within R.
 *
 * Strokes.  Dabs are placed along the polyline of pointer samples every
 * inc_brush_spacing() pixels of path length, carried across segments, so
 * their spacing is even however far apart the samples are. */
#pragma once

#include <glib.h>
#include "core/image.h"

G_BEGIN_DECLS

typedef struct {
  int x, y, width, height;      /* width or height 0: empty */
} IncRect;

typedef enum {
  INC_BRUSH_PAINT,
  INC_BRUSH_ERASE,
} IncBrushMode;

typedef struct {
  double size;      /* diameter in pixels, > 0 */
  double hardness;  /* 0 (soft to the centre) .. 1 (hard edge) */
  double opacity;   /* 0 .. 1 */
} IncBrush;

/* Clamped to their ranges; a size under 0.5 counts as 0.5. */
void     inc_brush_init         (IncBrush       *brush,
                                 double          size,
                                 double          hardness,
                                 double          opacity);
/* a(d) times the opacity, as above. */
double   inc_brush_value        (const IncBrush *brush,
                                 double          distance);
/* Path length between dabs: a tenth of the diameter, at least 0.5 px. */
double   inc_brush_spacing      (const IncBrush *brush);

/* One dab; *changed (may be NULL) gets the pixels whose value changed. */
void     inc_brush_dab          (IncImage       *mask,
                                 const IncBrush *brush,
                                 IncBrushMode    mode,
                                 double          cx,
                                 double          cy,
                                 IncRect        *changed);

typedef struct _IncBrushStroke IncBrushStroke;

/* Starts a stroke with a dab at (x, y).  The stroke keeps a copy of the
 * mask as it was (for undo) and a pointer to the mask, which must outlive
 * it.  *changed (may be NULL) gets the pixels this call changed. */
IncBrushStroke *inc_brush_stroke_begin (IncImage       *mask,
                                        const IncBrush *brush,
                                        IncBrushMode    mode,
                                        double          x,
                                        double          y,
                                        IncRect        *changed);
/* Continues the stroke in a straight line to (x, y). */
void            inc_brush_stroke_to    (IncBrushStroke *stroke,
                                        double          x,
                                        double          y,
                                        IncRect        *changed);
/* Every pixel the stroke changed so far (empty if none). */
IncRect         inc_brush_stroke_bounds (IncBrushStroke *stroke);
/* The mask as it was before the stroke. */
const IncImage *inc_brush_stroke_before (IncBrushStroke *stroke);
guint           inc_brush_stroke_n_dabs (IncBrushStroke *stroke);
void            inc_brush_stroke_free   (IncBrushStroke *stroke);

/* Whole-mask edits; *changed (may be NULL) gets the pixels that changed. */
void     inc_mask_invert        (IncImage       *mask,
                                 IncRect        *changed);
void     inc_mask_fill          (IncImage       *mask,
                                 float           value,
                                 IncRect        *changed);
void     inc_mask_clear         (IncImage       *mask,
                                 IncRect        *changed);

gboolean inc_rect_is_empty      (const IncRect  *rect);
/* The smallest rectangle holding both (either may be empty). */
void     inc_rect_union         (IncRect        *dest,
                                 const IncRect  *other);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IncBrushStroke, inc_brush_stroke_free)

G_END_DECLS
