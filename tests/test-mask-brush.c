/* test-mask-brush.c: brush dabs against the documented falloff, strokes
 * with even spacing, erase, invert, fill and the changed rectangles. */
#include <math.h>
#include <string.h>

#include "core/mask-brush.h"

static IncBrush
brush (double size, double hardness, double opacity)
{
  IncBrush b;
  inc_brush_init (&b, size, hardness, opacity);
  return b;
}

static float
at (const IncImage *m, int x, int y)
{
  return m->data[(gsize) y * m->width + x];
}

/* A hard dab is exactly the pixels whose centres lie within the radius. */
static void
test_hard_disc (void)
{
  g_autoptr (IncImage) m = inc_image_new (64, 64, 1);
  IncBrush b = brush (21.0, 1.0, 1.0);
  double cx = 30.3, cy = 28.7, r = 10.5;
  IncRect changed;
  int x0 = G_MAXINT, y0 = G_MAXINT, x1 = -1, y1 = -1, inside = 0;

  inc_brush_dab (m, &b, INC_BRUSH_PAINT, cx, cy, &changed);
  for (int y = 0; y < 64; y++)
    for (int x = 0; x < 64; x++)
      {
        double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
        gboolean in = dx * dx + dy * dy <= r * r;
        g_assert_cmpfloat (at (m, x, y), ==, in ? 1.0f : 0.0f);
        if (in)
          {
            inside++;
            x0 = MIN (x0, x);
            x1 = MAX (x1, x);
            y0 = MIN (y0, y);
            y1 = MAX (y1, y);
          }
      }
  /* About pi r^2 pixels. */
  g_assert_cmpint (abs (inside - (int) round (G_PI * r * r)), <, 20);
  g_assert_cmpint (changed.x, ==, x0);
  g_assert_cmpint (changed.y, ==, y0);
  g_assert_cmpint (changed.width, ==, x1 - x0 + 1);
  g_assert_cmpint (changed.height, ==, y1 - y0 + 1);

  /* Painting the same dab again changes nothing. */
  inc_brush_dab (m, &b, INC_BRUSH_PAINT, cx, cy, &changed);
  g_assert_true (inc_rect_is_empty (&changed));

  /* Clipped at the mask's edges, no writes outside. */
  g_autoptr (IncImage) small = inc_image_new (8, 8, 1);
  inc_brush_dab (small, &b, INC_BRUSH_PAINT, -2.0, 9.0, &changed);
  g_assert_cmpint (changed.x, ==, 0);
  g_assert_cmpint (changed.x + changed.width, <=, 8);
  g_assert_cmpint (changed.y + changed.height, ==, 8);
  g_assert_cmpfloat (at (small, 0, 7), ==, 1.0f);
  g_assert_cmpfloat (at (small, 7, 0), ==, 0.0f);
}

/* Smoothstep values at known distances (mask-brush.h's formula worked by
 * hand): R = 10, centre on a pixel centre. */
static void
test_soft_falloff (void)
{
  g_autoptr (IncImage) m = inc_image_new (101, 101, 1);
  IncBrush soft = brush (20.0, 0.0, 1.0);

  inc_brush_dab (m, &soft, INC_BRUSH_PAINT, 50.5, 50.5, NULL);
  g_assert_cmpfloat_with_epsilon (at (m, 50, 50), 1.0, 1e-6);    /* d = 0 */
  g_assert_cmpfloat_with_epsilon (at (m, 55, 50), 0.5, 1e-6);    /* d = 5, t = 0.5 */
  g_assert_cmpfloat_with_epsilon (at (m, 53, 54), 0.5, 1e-6);    /* d = 5 (3-4-5) */
  g_assert_cmpfloat_with_epsilon (at (m, 50, 56), 0.352, 1e-6);  /* d = 6, t = 0.4 */
  g_assert_cmpfloat_with_epsilon (at (m, 42, 50), 0.104, 1e-6);  /* d = 8, t = 0.2 */
  g_assert_cmpfloat (at (m, 60, 50), ==, 0.0f);                   /* d = R */
  g_assert_cmpfloat (at (m, 50, 39), ==, 0.0f);                   /* d > R */

  /* Hardness 0.5: full up to r0 = 5, then t = (10 - d) / 5. */
  g_autoptr (IncImage) h = inc_image_new (101, 101, 1);
  IncBrush half = brush (20.0, 0.5, 1.0);
  inc_brush_dab (h, &half, INC_BRUSH_PAINT, 50.5, 50.5, NULL);
  g_assert_cmpfloat (at (h, 55, 50), ==, 1.0f);
  g_assert_cmpfloat_with_epsilon (at (h, 57, 50), 0.648, 1e-6);  /* t = 0.6 */
  g_assert_cmpfloat_with_epsilon (at (h, 50, 59), 0.104, 1e-6);  /* t = 0.2 */

  /* Opacity scales the value; painting keeps the larger one. */
  g_autoptr (IncImage) o = inc_image_new (101, 101, 1);
  IncBrush faint = brush (20.0, 0.0, 0.5);
  inc_brush_dab (o, &faint, INC_BRUSH_PAINT, 50.5, 50.5, NULL);
  g_assert_cmpfloat_with_epsilon (at (o, 50, 50), 0.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (at (o, 55, 50), 0.25, 1e-6);
  inc_brush_dab (o, &soft, INC_BRUSH_PAINT, 50.5, 50.5, NULL);
  g_assert_cmpfloat_with_epsilon (at (o, 55, 50), 0.5, 1e-6);
  inc_brush_dab (o, &faint, INC_BRUSH_PAINT, 50.5, 50.5, NULL);
  g_assert_cmpfloat_with_epsilon (at (o, 55, 50), 0.5, 1e-6);

  /* The function itself. */
  g_assert_cmpfloat (inc_brush_value (&soft, 0.0), ==, 1.0);
  g_assert_cmpfloat_with_epsilon (inc_brush_value (&soft, 2.5), 0.84375, 1e-12);
  g_assert_cmpfloat (inc_brush_value (&soft, 10.0), ==, 0.0);
}

static void
test_erase (void)
{
  g_autoptr (IncImage) m = inc_image_new (101, 101, 1);
  IncBrush hard = brush (21.0, 1.0, 1.0);
  IncBrush soft = brush (20.0, 0.0, 1.0);
  IncRect changed;

  inc_mask_fill (m, 1.0f, NULL);
  inc_brush_dab (m, &hard, INC_BRUSH_ERASE, 30.0, 30.0, &changed);
  g_assert_cmpfloat (at (m, 30, 30), ==, 0.0f);
  g_assert_cmpfloat (at (m, 39, 30), ==, 0.0f);    /* d = 9.5 */
  g_assert_cmpfloat (at (m, 41, 30), ==, 1.0f);    /* d = 11.5 */
  g_assert_false (inc_rect_is_empty (&changed));

  inc_brush_dab (m, &soft, INC_BRUSH_ERASE, 70.5, 70.5, NULL);
  g_assert_cmpfloat (at (m, 70, 70), ==, 0.0f);
  g_assert_cmpfloat_with_epsilon (at (m, 75, 70), 0.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (at (m, 62, 70), 1.0 - 0.104, 1e-6);
  g_assert_cmpfloat (at (m, 80, 70), ==, 1.0f);

  /* Erasing where nothing is painted changes nothing. */
  g_autoptr (IncImage) empty = inc_image_new (20, 20, 1);
  inc_brush_dab (empty, &hard, INC_BRUSH_ERASE, 10.0, 10.0, &changed);
  g_assert_true (inc_rect_is_empty (&changed));
}

static void
test_invert_fill (void)
{
  g_autoptr (IncImage) m = inc_image_new (37, 23, 1);
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  IncRect changed;
  gsize n = 37 * 23;

  for (gsize i = 0; i < n; i++)
    m->data[i] = (float) g_rand_double (rand);
  g_autoptr (IncImage) orig = inc_image_copy (m);
  inc_mask_invert (m, &changed);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (m->data[i], ==, 1.0f - orig->data[i]);
  g_assert_cmpint (changed.x, ==, 0);
  g_assert_cmpint (changed.y, ==, 0);
  g_assert_cmpint (changed.width, ==, 37);
  g_assert_cmpint (changed.height, ==, 23);

  inc_mask_clear (m, &changed);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (m->data[i], ==, 0.0f);
  inc_mask_clear (m, &changed);
  g_assert_true (inc_rect_is_empty (&changed));

  /* One painted pixel: fill reports all but nothing more. */
  m->data[5 * 37 + 7] = 1.0f;
  inc_mask_fill (m, 1.0f, &changed);
  g_assert_cmpint (changed.width, ==, 37);
  inc_mask_clear (m, NULL);
  m->data[5 * 37 + 7] = 1.0f;
  m->data[9 * 37 + 20] = 1.0f;
  inc_mask_invert (m, NULL);
  inc_mask_fill (m, 1.0f, &changed);
  g_assert_cmpint (changed.x, ==, 7);
  g_assert_cmpint (changed.y, ==, 5);
  g_assert_cmpint (changed.width, ==, 14);
  g_assert_cmpint (changed.height, ==, 5);
  inc_mask_invert (m, NULL);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (m->data[i], ==, 0.0f);
}

/* One fast segment leaves no gap; the dab count follows the path length. */
static void
test_fast_stroke (void)
{
  g_autoptr (IncImage) m = inc_image_new (200, 40, 1);
  IncBrush b = brush (6.0, 1.0, 1.0);
  IncRect changed;

  g_autoptr (IncBrushStroke) s = inc_brush_stroke_begin (m, &b, INC_BRUSH_PAINT,
                                                         5.0, 20.0, &changed);
  inc_brush_stroke_to (s, 195.0, 20.0, &changed);
  g_assert_cmpuint (inc_brush_stroke_n_dabs (s), ==,
                    (guint) floor (190.0 / inc_brush_spacing (&b)) + 1);
  /* Pixel rows 18..21 have centres within 1.5 of the line; the dabs are
   * 0.6 apart, so every such pixel between the ends is within 3. */
  for (int y = 18; y <= 21; y++)
    for (int x = 5; x < 195; x++)
      g_assert_cmpfloat (at (m, x, y), ==, 1.0f);
  for (int x = 0; x < 200; x++)
    {
      g_assert_cmpfloat (at (m, x, 15), ==, 0.0f);
      g_assert_cmpfloat (at (m, x, 24), ==, 0.0f);
    }
  IncRect bounds = inc_brush_stroke_bounds (s);
  g_assert_cmpint (bounds.x, ==, 2);
  g_assert_cmpint (bounds.x + bounds.width, ==, 198);
  g_assert_cmpint (bounds.y, ==, 17);
  g_assert_cmpint (bounds.y + bounds.height, ==, 23);

  /* The stroke kept the mask as it was. */
  const IncImage *before = inc_brush_stroke_before (s);
  for (gsize i = 0; i < 200 * 40; i++)
    g_assert_cmpfloat (before->data[i], ==, 0.0f);
}

/* The same path drawn from one segment, from irregular pointer samples and
 * from many tiny ones gives the same dabs (spacing carried over). */
static void
test_even_spacing (void)
{
  IncBrush b = brush (9.0, 0.2, 1.0);
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);
  /* A polyline: right, then diagonally down. */
  double px[] = { 10.0, 150.0, 230.0 }, py[] = { 20.0, 20.0, 80.0 };
  IncImage *masks[3];
  guint dabs[3];

  for (int k = 0; k < 3; k++)
    {
      masks[k] = inc_image_new (256, 100, 1);
      IncBrushStroke *s = inc_brush_stroke_begin (masks[k], &b, INC_BRUSH_PAINT,
                                                  px[0], py[0], NULL);
      for (int seg = 1; seg < 3; seg++)
        {
          double x0 = px[seg - 1], y0 = py[seg - 1];
          double dx = px[seg] - x0, dy = py[seg] - y0;
          if (k == 0)
            inc_brush_stroke_to (s, px[seg], py[seg], NULL);
          else
            {
              double f = 0.0;
              while (f < 1.0)
                {
                  f += k == 1 ? g_rand_double_range (rand, 0.0, 0.2)
                              : 0.0005;
                  f = MIN (f, 1.0);
                  inc_brush_stroke_to (s, x0 + f * dx, y0 + f * dy, NULL);
                }
            }
        }
      dabs[k] = inc_brush_stroke_n_dabs (s);
      inc_brush_stroke_free (s);
    }
  double length = 140.0 + 100.0;
  g_assert_cmpuint (dabs[0], ==, (guint) floor (length / inc_brush_spacing (&b)) + 1);
  g_assert_cmpuint (dabs[1], ==, dabs[0]);
  g_assert_cmpuint (dabs[2], ==, dabs[0]);
  for (gsize i = 0; i < 256 * 100; i++)
    {
      g_assert_cmpfloat_with_epsilon (masks[1]->data[i], masks[0]->data[i], 1e-4);
      g_assert_cmpfloat_with_epsilon (masks[2]->data[i], masks[0]->data[i], 1e-4);
    }
  for (int k = 0; k < 3; k++)
    inc_image_free (masks[k]);
}

static void
test_rect_union (void)
{
  IncRect a = { 0, 0, 0, 0 }, b = { 3, 4, 2, 2 }, c = { -1, 10, 1, 1 };

  inc_rect_union (&a, &b);
  g_assert_cmpint (a.x, ==, 3);
  g_assert_cmpint (a.width, ==, 2);
  inc_rect_union (&a, &c);
  g_assert_cmpint (a.x, ==, -1);
  g_assert_cmpint (a.y, ==, 4);
  g_assert_cmpint (a.width, ==, 6);
  g_assert_cmpint (a.height, ==, 7);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mask-brush/hard-disc", test_hard_disc);
  g_test_add_func ("/mask-brush/soft-falloff", test_soft_falloff);
  g_test_add_func ("/mask-brush/erase", test_erase);
  g_test_add_func ("/mask-brush/invert-fill", test_invert_fill);
  g_test_add_func ("/mask-brush/fast-stroke", test_fast_stroke);
  g_test_add_func ("/mask-brush/even-spacing", test_even_spacing);
  g_test_add_func ("/mask-brush/rect-union", test_rect_union);

  return g_test_run ();
}
