/* inc-image-rgba.c: [-1, 1] floats to the bytes the canvas uploads. */
#include "app/inc-image-rgba.h"

#include <math.h>

static inline guint8
to_byte (float v)
{
  /* The inverse of pixel / 127.5 - 1, rounded and clamped. */
  float p = (v + 1.0f) * 127.5f;

  if (!(p > 0.0f))
    return 0;
  if (p >= 255.0f)
    return 255;
  return (guint8) lrintf (p);
}

GBytes *
_inc_image_to_rgba8 (const IncImage *image)
{
  gsize n;
  guint8 *out;

  g_return_val_if_fail (image != NULL && image->data != NULL, NULL);
  g_return_val_if_fail (image->channels == 3 || image->channels == 1, NULL);

  n = (gsize) image->width * image->height;
  out = g_malloc (n * 4);
  for (gsize i = 0; i < n; i++)
    {
      const float *px = image->data + i * image->channels;

      if (image->channels == 3)
        {
          out[i * 4 + 0] = to_byte (px[0]);
          out[i * 4 + 1] = to_byte (px[1]);
          out[i * 4 + 2] = to_byte (px[2]);
        }
      else
        out[i * 4 + 0] = out[i * 4 + 1] = out[i * 4 + 2] = to_byte (px[0] * 2 - 1);
      out[i * 4 + 3] = 255;
    }
  return g_bytes_new_take (out, n * 4);
}
