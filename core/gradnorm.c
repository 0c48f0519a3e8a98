/* gradnorm.c: std, mean-abs and Laplacian-pyramid gradient normalisation. */
#include "core/gradnorm.h"

#include <math.h>
#include <string.h>

/* The binomial [1 4 6 4 1] kernel, separable: k5x5 / k5x5.sum() is
 * (k/16) x (k/16); the transpose uses k5x5 * 4, i.e. (k/8) x (k/8). */
static const float binomial[5] = { 1.f, 4.f, 6.f, 4.f, 1.f };

/* TF 'SAME' padding before, for a 5-tap stride-2 window. */
static int
same_pad (int in)
{
  int out = (in + 1) / 2;
  return MAX ((out - 1) * 2 + 5 - in, 0) / 2;
}

/* Strided 5-tap filter along one axis of a (n_outer, len, inner) block:
 * down: out[o] = sum_a w[a] in[2o + a - pad]   (conv2d stride 2)
 * up:   out[2o + a - pad] += w[a] in[o]        (its transpose) */
static void
filter_axis (const float *in, float *out, int n_outer, int len_in, int len_out,
             int inner, gboolean down, float norm)
{
  int full = down ? len_in : len_out;
  int pad = same_pad (full);

  for (int o = 0; o < n_outer; o++)
    {
      const float *src = in + (gsize) o * len_in * inner;
      float *dst = out + (gsize) o * len_out * inner;

      memset (dst, 0, sizeof (float) * len_out * inner);
      int n_small = down ? len_out : len_in;
      for (int s = 0; s < n_small; s++)
        for (int a = 0; a < 5; a++)
          {
            int f = 2 * s + a - pad;
            if (f < 0 || f >= full)
              continue;
            float w = binomial[a] / norm;
            if (down)
              for (int c = 0; c < inner; c++)
                dst[(gsize) s * inner + c] += w * src[(gsize) f * inner + c];
            else
              for (int c = 0; c < inner; c++)
                dst[(gsize) f * inner + c] += w * src[(gsize) s * inner + c];
          }
    }
}

/* down: (h, w) -> (ceil(h/2), ceil(w/2)); up: the transpose to (h, w). */
static IncImage *
resample (const IncImage *in, int out_w, int out_h, gboolean down)
{
  float norm = down ? 16.f : 8.f;
  int c = in->channels;
  g_autoptr (IncImage) mid = inc_image_new (out_w, in->height, c);
  IncImage *out = inc_image_new (out_w, out_h, c);

  /* Along x: rows are the outer index, channels the inner one. */
  filter_axis (in->data, mid->data, in->height, in->width, out_w, c, down, norm);
  /* Along y: one outer block, a row of out_w * c values inner. */
  filter_axis (mid->data, out->data, 1, in->height, out_h, out_w * c, down, norm);
  return out;
}

GPtrArray *
inc_laplacian_split (const IncImage *image,
                     int             levels)
{
  g_return_val_if_fail (image != NULL && levels >= 1, NULL);

  GPtrArray *bands = g_ptr_array_new_with_free_func ((GDestroyNotify) inc_image_free);
  IncImage *img = inc_image_copy (image);

  for (int i = 0; i < levels - 1; i++)
    {
      IncImage *lo = resample (img, (img->width + 1) / 2, (img->height + 1) / 2, TRUE);
      g_autoptr (IncImage) lo2 = resample (lo, img->width, img->height, FALSE);
      gsize n = (gsize) img->width * img->height * img->channels;
      for (gsize k = 0; k < n; k++)
        img->data[k] -= lo2->data[k];
      g_ptr_array_add (bands, img);   /* now the high band */
      img = lo;
    }
  g_ptr_array_add (bands, img);
  /* Low band first, as lap_split_n returns levels[::-1]. */
  for (guint i = 0; i < bands->len / 2; i++)
    {
      gpointer t = bands->pdata[i];
      bands->pdata[i] = bands->pdata[bands->len - 1 - i];
      bands->pdata[bands->len - 1 - i] = t;
    }
  return bands;
}

IncImage *
inc_laplacian_merge (GPtrArray *bands)
{
  g_return_val_if_fail (bands != NULL && bands->len > 0, NULL);

  IncImage *img = inc_image_copy (bands->pdata[0]);
  for (guint i = 1; i < bands->len; i++)
    {
      const IncImage *hi = bands->pdata[i];
      IncImage *up = resample (img, hi->width, hi->height, FALSE);
      gsize n = (gsize) hi->width * hi->height * hi->channels;
      for (gsize k = 0; k < n; k++)
        up->data[k] += hi->data[k];
      inc_image_free (img);
      img = up;
    }
  return img;
}

static void
scale (IncImage *g, double factor)
{
  gsize n = (gsize) g->width * g->height * g->channels;
  for (gsize k = 0; k < n; k++)
    g->data[k] = (float) (g->data[k] * factor);
}

void
inc_gradient_normalize (IncImage   *gradient,
                        IncNormKind norm,
                        int         levels)
{
  g_return_if_fail (gradient != NULL);

  gsize n = (gsize) gradient->width * gradient->height * gradient->channels;
  const float *d = gradient->data;
  double sum = 0, sum2 = 0, sum_abs = 0;

  if (n == 0)
    return;
  switch (norm)
    {
    case INC_NORM_STD:
      for (gsize k = 0; k < n; k++)
        sum += d[k];
      double mean = sum / n;
      for (gsize k = 0; k < n; k++)
        sum2 += (d[k] - mean) * (d[k] - mean);
      scale (gradient, 1.0 / (sqrt (sum2 / n) + 1e-8));
      break;

    case INC_NORM_MEAN_ABS:
      for (gsize k = 0; k < n; k++)
        sum_abs += fabsf (d[k]);
      scale (gradient, 1.0 / (sum_abs / n + 1e-7));
      break;

    case INC_NORM_LAPLACIAN:
      {
        g_autoptr (GPtrArray) bands = inc_laplacian_split (gradient, MAX (levels, 1));
        for (guint i = 0; i < bands->len; i++)
          {
            /* normalize_std: divide by the RMS, at least 1e-10. */
            IncImage *b = bands->pdata[i];
            gsize m = (gsize) b->width * b->height * b->channels;
            double s2 = 0;
            for (gsize k = 0; k < m; k++)
              s2 += (double) b->data[k] * b->data[k];
            scale (b, 1.0 / MAX (sqrt (s2 / m), 1e-10));
          }
        g_autoptr (IncImage) merged = inc_laplacian_merge (bands);
        memcpy (gradient->data, merged->data, n * sizeof (float));
      }
      break;
    }
}
