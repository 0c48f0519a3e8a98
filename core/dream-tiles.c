/* dream-tiles.c: tiled gradients with a random roll (seed 000's
 * TiledGradients, seed 004's calc_grad_tiled), through the tiler. */
#include "core/dream-tiles.h"
#include "core/tiler.h"

#include <string.h>

static int
wrap (int v, int n)
{
  v %= n;
  return v < 0 ? v + n : v;
}

IncImage *
inc_image_roll (const IncImage *image,
                int             shift_x,
                int             shift_y)
{
  g_return_val_if_fail (image != NULL, NULL);

  int w = image->width, h = image->height, c = image->channels;
  IncImage *out = inc_image_new (w, h, c);
  int sx = wrap (shift_x, w), sy = wrap (shift_y, h);

  for (int y = 0; y < h; y++)
    {
      const float *src = image->data + (gsize) y * w * c;
      float *dst = out->data + (gsize) wrap (y + sy, h) * w * c;
      /* Two runs per row: [0, w - sx) -> [sx, w), [w - sx, w) -> [0, sx). */
      memcpy (dst + (gsize) sx * c, src, sizeof (float) * (gsize) (w - sx) * c);
      memcpy (dst, src + (gsize) (w - sx) * c, sizeof (float) * (gsize) sx * c);
    }
  return out;
}

gboolean
inc_dream_tiled_gradient (IncGradientSource  *source,
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
                          GError            **error)
{
  g_return_val_if_fail (source != NULL && objective != NULL, FALSE);
  g_return_val_if_fail (image != NULL && image->channels == 3, FALSE);
  g_return_val_if_fail (gradient != NULL && gradient->width == image->width &&
                        gradient->height == image->height &&
                        gradient->channels == 3, FALSE);

  int w = image->width, h = image->height;
  gboolean rolled = wrap (shift_x, w) != 0 || wrap (shift_y, h) != 0;
  g_autoptr (IncImage) shifted = rolled ? inc_image_roll (image, shift_x, shift_y) : NULL;
  const IncImage *src = rolled ? shifted : image;
  IncTileNeeds needs = { MAX (halo, 0), min_side };
  g_autoptr (GArray) tiles = inc_tiler_plan (w, h, tile, &needs);
  g_autoptr (IncImage) acc = rolled ? inc_image_new (w, h, 3) : NULL;
  IncImage *dst = rolled ? acc : gradient;
  double total = 0.0, area = (double) w * h;

  for (guint t = 0; t < tiles->len; t++)
    {
      const IncTile *tl = &g_array_index (tiles, IncTile, t);
      gboolean whole = tl->width == w && tl->height == h;
      g_autofree float *in = NULL;
      g_autofree float *g = NULL;
      double v = 0.0;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (whole)
        {
          in = NULL;
          g = g_new (float, (gsize) w * h * 3);
        }
      else
        {
          in = g_new (float, (gsize) tl->width * tl->height * 3);
          g = g_new (float, (gsize) tl->width * tl->height * 3);
          for (int y = 0; y < tl->height; y++)
            memcpy (in + (gsize) y * tl->width * 3,
                    src->data + ((gsize) (tl->y + y) * w + tl->x) * 3,
                    sizeof (float) * tl->width * 3);
        }
      if (!source->gradient (source, objective, whole ? src->data : in,
                             tl->height, tl->width, g, &v, error))
        return FALSE;

      /* The tile's objective is a mean over its own positions; weighted by
       * its share of the image it is the whole image's gradient. */
      float share = (float) ((double) tl->width * tl->height / area);
      for (int y = 0; y < tl->core_height; y++)
        {
          const float *gs = g + ((gsize) (tl->core_y - tl->y + y) * tl->width +
                                 (tl->core_x - tl->x)) * 3;
          float *gd = dst->data + ((gsize) (tl->core_y + y) * w + tl->core_x) * 3;
          for (int k = 0; k < tl->core_width * 3; k++)
            gd[k] = gs[k] * share;
        }
      total += v * ((double) tl->core_width * tl->core_height / area);
    }

  if (rolled)
    {
      g_autoptr (IncImage) back = inc_image_roll (acc, -shift_x, -shift_y);
      memcpy (gradient->data, back->data, sizeof (float) * (gsize) w * h * 3);
    }
  if (value != NULL)
    *value = total;
  return TRUE;
}
