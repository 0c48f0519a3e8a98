/* mask-brush.c: round brush dabs, evenly spaced strokes and whole-mask
 * edits (see mask-brush.h for the falloff). */
#include "core/mask-brush.h"

#include <math.h>
#include <string.h>

struct _IncBrushStroke {
  IncImage     *mask;      /* not owned */
  IncImage     *before;
  IncBrush      brush;
  IncBrushMode  mode;
  double        x, y;      /* last pointer sample */
  double        carry;     /* path length since the last dab */
  guint         n_dabs;
  IncRect       bounds;
};

gboolean
inc_rect_is_empty (const IncRect *rect)
{
  return rect == NULL || rect->width <= 0 || rect->height <= 0;
}

void
inc_rect_union (IncRect       *dest,
                const IncRect *other)
{
  g_return_if_fail (dest != NULL);

  if (inc_rect_is_empty (other))
    return;
  if (inc_rect_is_empty (dest))
    {
      *dest = *other;
      return;
    }
  int x0 = MIN (dest->x, other->x), y0 = MIN (dest->y, other->y);
  int x1 = MAX (dest->x + dest->width, other->x + other->width);
  int y1 = MAX (dest->y + dest->height, other->y + other->height);
  *dest = (IncRect) { x0, y0, x1 - x0, y1 - y0 };
}

static void
set_changed (IncRect *changed, int x0, int y0, int x1, int y1)
{
  /* x1, y1 inclusive; x1 < x0 means nothing changed. */
  if (changed == NULL)
    return;
  if (x1 < x0 || y1 < y0)
    *changed = (IncRect) { 0, 0, 0, 0 };
  else
    *changed = (IncRect) { x0, y0, x1 - x0 + 1, y1 - y0 + 1 };
}

void
inc_brush_init (IncBrush *brush,
                double    size,
                double    hardness,
                double    opacity)
{
  g_return_if_fail (brush != NULL);

  brush->size = isfinite (size) ? MAX (size, 0.5) : 0.5;
  brush->hardness = isfinite (hardness) ? CLAMP (hardness, 0.0, 1.0) : 1.0;
  brush->opacity = isfinite (opacity) ? CLAMP (opacity, 0.0, 1.0) : 1.0;
}

double
inc_brush_value (const IncBrush *brush,
                 double          distance)
{
  double r = brush->size / 2.0;
  double r0 = brush->hardness * r;

  if (distance <= r0)
    return brush->opacity;
  if (distance >= r)
    return 0.0;
  double t = (r - distance) / (r - r0);
  return brush->opacity * t * t * (3.0 - 2.0 * t);
}

double
inc_brush_spacing (const IncBrush *brush)
{
  return MAX (brush->size * 0.1, 0.5);
}

void
inc_brush_dab (IncImage       *mask,
               const IncBrush *brush,
               IncBrushMode    mode,
               double          cx,
               double          cy,
               IncRect        *changed)
{
  g_return_if_fail (mask != NULL && mask->channels == 1 && brush != NULL);

  double r = brush->size / 2.0;
  /* Pixels whose centres can lie within r of the centre. */
  int i0 = MAX ((int) ceil (cx - r - 0.5), 0);
  int i1 = MIN ((int) floor (cx + r - 0.5), mask->width - 1);
  int j0 = MAX ((int) ceil (cy - r - 0.5), 0);
  int j1 = MIN ((int) floor (cy + r - 0.5), mask->height - 1);
  int cx0 = G_MAXINT, cy0 = G_MAXINT, cx1 = -1, cy1 = -1;

  for (int j = j0; j <= j1; j++)
    {
      float *row = mask->data + (gsize) j * mask->width;
      double dy = j + 0.5 - cy;
      for (int i = i0; i <= i1; i++)
        {
          double dx = i + 0.5 - cx;
          double v = inc_brush_value (brush, sqrt (dx * dx + dy * dy));
          float old = row[i], next;

          if (v <= 0.0)
            continue;
          if (mode == INC_BRUSH_PAINT)
            next = MAX (old, (float) v);
          else
            next = MIN (old, (float) (1.0 - v));
          if (next != old)
            {
              row[i] = next;
              cx0 = MIN (cx0, i);
              cx1 = MAX (cx1, i);
              cy0 = MIN (cy0, j);
              cy1 = MAX (cy1, j);
            }
        }
    }
  set_changed (changed, cx0, cy0, cx1, cy1);
}

static void
stroke_dab (IncBrushStroke *s, double x, double y, IncRect *changed)
{
  IncRect r;

  inc_brush_dab (s->mask, &s->brush, s->mode, x, y, &r);
  s->n_dabs++;
  inc_rect_union (&s->bounds, &r);
  if (changed != NULL)
    inc_rect_union (changed, &r);
}

IncBrushStroke *
inc_brush_stroke_begin (IncImage       *mask,
                        const IncBrush *brush,
                        IncBrushMode    mode,
                        double          x,
                        double          y,
                        IncRect        *changed)
{
  g_return_val_if_fail (mask != NULL && mask->channels == 1 && brush != NULL, NULL);

  IncBrushStroke *s = g_new0 (IncBrushStroke, 1);
  s->mask = mask;
  s->before = inc_image_copy (mask);
  inc_brush_init (&s->brush, brush->size, brush->hardness, brush->opacity);
  s->mode = mode;
  s->x = x;
  s->y = y;
  if (changed != NULL)
    *changed = (IncRect) { 0, 0, 0, 0 };
  stroke_dab (s, x, y, changed);
  return s;
}

void
inc_brush_stroke_to (IncBrushStroke *stroke,
                     double          x,
                     double          y,
                     IncRect        *changed)
{
  g_return_if_fail (stroke != NULL);

  double dx = x - stroke->x, dy = y - stroke->y;
  double length = sqrt (dx * dx + dy * dy);
  double spacing = inc_brush_spacing (&stroke->brush);

  if (changed != NULL)
    *changed = (IncRect) { 0, 0, 0, 0 };
  if (!isfinite (length))
    return;
  /* The first dab of this segment sits where the previous segment's
   * spacing left off; positions come from the segment's start so that no
   * error accumulates along it. */
  double at = spacing - stroke->carry;
  for (; at <= length; at += spacing)
    {
      double f = at / length;
      stroke_dab (stroke, stroke->x + f * dx, stroke->y + f * dy, changed);
    }
  stroke->carry = length - (at - spacing);
  stroke->x = x;
  stroke->y = y;
}

IncRect
inc_brush_stroke_bounds (IncBrushStroke *stroke)
{
  g_return_val_if_fail (stroke != NULL, (IncRect) { 0 });
  return stroke->bounds;
}

const IncImage *
inc_brush_stroke_before (IncBrushStroke *stroke)
{
  g_return_val_if_fail (stroke != NULL, NULL);
  return stroke->before;
}

guint
inc_brush_stroke_n_dabs (IncBrushStroke *stroke)
{
  g_return_val_if_fail (stroke != NULL, 0);
  return stroke->n_dabs;
}

void
inc_brush_stroke_free (IncBrushStroke *stroke)
{
  if (stroke == NULL)
    return;
  inc_image_free (stroke->before);
  g_free (stroke);
}

/* Whole-mask edits */

static void
whole_edit (IncImage *mask, gboolean invert, float value, IncRect *changed)
{
  int cx0 = G_MAXINT, cy0 = G_MAXINT, cx1 = -1, cy1 = -1;

  for (int j = 0; j < mask->height; j++)
    {
      float *row = mask->data + (gsize) j * mask->width;
      for (int i = 0; i < mask->width; i++)
        {
          float next = invert ? 1.0f - row[i] : value;
          if (next != row[i])
            {
              row[i] = next;
              cx0 = MIN (cx0, i);
              cx1 = MAX (cx1, i);
              cy0 = MIN (cy0, j);
              cy1 = MAX (cy1, j);
            }
        }
    }
  set_changed (changed, cx0, cy0, cx1, cy1);
}

void
inc_mask_invert (IncImage *mask,
                 IncRect  *changed)
{
  g_return_if_fail (mask != NULL && mask->channels == 1);
  whole_edit (mask, TRUE, 0.0f, changed);
}

void
inc_mask_fill (IncImage *mask,
               float     value,
               IncRect  *changed)
{
  g_return_if_fail (mask != NULL && mask->channels == 1);
  whole_edit (mask, FALSE, isfinite (value) ? CLAMP (value, 0.0f, 1.0f) : 0.0f,
              changed);
}

void
inc_mask_clear (IncImage *mask,
                IncRect  *changed)
{
  inc_mask_fill (mask, 0.0f, changed);
}
