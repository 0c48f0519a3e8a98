/* resize.c: bilinear resampling with half-pixel centres.
 *
 * Output pixel i samples the input at (i + 0.5) * in / out - 0.5, clamped
 * to the first pixel below zero and to the last pixel at the far edge; no
 * antialiasing when shrinking.  This is what tf.image.resize (bilinear) and
 * torch's F.interpolate (bilinear, align_corners=False) compute, so the
 * octave pyramid matches the reference recipes.
 */
#include "core/image.h"

#include <math.h>

typedef struct {
  int   lo;
  int   hi;
  float frac;   /* weight of hi */
} Tap;

static Tap *
make_taps (int in, int out)
{
  Tap *taps = g_new (Tap, out);
  float scale = (float) in / (float) out;

  for (int i = 0; i < out; i++)
    {
      float src = ((float) i + 0.5f) * scale - 0.5f;
      int lo;

      if (src < 0.0f)
        src = 0.0f;
      lo = (int) floorf (src);
      if (lo > in - 1)
        lo = in - 1;
      taps[i].lo = lo;
      taps[i].hi = lo + 1 < in ? lo + 1 : in - 1;
      taps[i].frac = src - (float) lo;
      if (taps[i].hi == lo)
        taps[i].frac = 0.0f;
    }
  return taps;
}

IncImage *
inc_image_resize (const IncImage *src,
                  int             width,
                  int             height)
{
  g_autofree Tap *xt = NULL;
  g_autofree Tap *yt = NULL;
  IncImage *dst;
  int c;

  g_return_val_if_fail (src != NULL, NULL);
  g_return_val_if_fail (src->width > 0 && src->height > 0, NULL);
  g_return_val_if_fail (width > 0 && height > 0, NULL);

  if (width == src->width && height == src->height)
    return inc_image_copy (src);

  c = src->channels;
  dst = inc_image_new (width, height, c);
  xt = make_taps (src->width, width);
  yt = make_taps (src->height, height);

  for (int y = 0; y < height; y++)
    {
      const float *r0 = src->data + (gsize) yt[y].lo * src->width * c;
      const float *r1 = src->data + (gsize) yt[y].hi * src->width * c;
      float fy = yt[y].frac;
      float *out = dst->data + (gsize) y * width * c;

      for (int x = 0; x < width; x++)
        {
          const float *a = r0 + (gsize) xt[x].lo * c;
          const float *b = r0 + (gsize) xt[x].hi * c;
          const float *d = r1 + (gsize) xt[x].lo * c;
          const float *e = r1 + (gsize) xt[x].hi * c;
          float fx = xt[x].frac;

          for (int k = 0; k < c; k++)
            {
              float top = a[k] + (b[k] - a[k]) * fx;
              float bottom = d[k] + (e[k] - d[k]) * fx;

              out[(gsize) x * c + k] = top + (bottom - top) * fy;
            }
        }
    }
  return dst;
}
