/* octaves.c: octave sizes as the seed documents compute them. */
#include "core/octaves.h"

#include <math.h>

IncSize
inc_octave_clamp (IncSize size,
                  int     min_side)
{
  size.width = MAX (size.width, 1);
  size.height = MAX (size.height, 1);
  if (min_side <= 1 || MIN (size.width, size.height) >= min_side)
    return size;

  /* Grow the short side to min_side and the long one in proportion. */
  if (size.width <= size.height)
    {
      size.height = (int) ceil ((double) size.height * min_side / size.width);
      size.width = min_side;
    }
  else
    {
      size.width = (int) ceil ((double) size.width * min_side / size.height);
      size.height = min_side;
    }
  return size;
}

static void
push (GArray *plan, int width, int height)
{
  IncSize s = { width, height };
  g_array_append_val (plan, s);
}

GArray *
inc_octave_plan (const IncRecipe *recipe,
                 int              base_width,
                 int              base_height,
                 int              min_side)
{
  g_return_val_if_fail (recipe != NULL, NULL);
  g_return_val_if_fail (base_width > 0 && base_height > 0, NULL);

  GArray *plan = g_array_new (FALSE, FALSE, sizeof (IncSize));
  int n = MAX (recipe->octaves, 1);
  double scale = recipe->octave_scale;

  if (recipe->start == INC_START_NOISE)
    {
      if (recipe->noise_render == INC_NOISE_NAIVE || n == 1)
        push (plan, base_width, base_height);
      else
        {
          /* Seed 004's resize_ratio: each octave enlarges the last one by
           * the scale, truncating; start where n - 1 enlargements end near
           * the base size. */
          double f = pow (scale, n - 1);
          int w = (int) (base_width / f), h = (int) (base_height / f);
          for (int k = 0; k < n; k++)
            {
              if (k > 0)
                {
                  w = (int) (w * scale);
                  h = (int) (h * scale);
                }
              push (plan, MAX (w, 1), MAX (h, 1));
            }
        }
    }
  else
    switch (recipe->octave_style)
      {
      case INC_OCTAVE_TF:
        /* tf.cast(float_base_shape * (OCTAVE_SCALE**n), tf.int32): float32
         * arithmetic, truncation. */
        for (int k = 0; k < n; k++)
          {
            float f = (float) pow (scale, recipe->octave_start + k);
            push (plan, MAX ((int) ((float) base_width * f), 1),
                  MAX ((int) ((float) base_height * f), 1));
          }
        break;

      case INC_OCTAVE_KERAS:
        /* int(dim / octave_scale**i) for i = num_octave-1 .. 1, then the
         * original shape. */
        for (int i = n - 1; i >= 1; i--)
          {
            double f = pow (scale, i);
            push (plan, MAX ((int) (base_width / f), 1),
                  MAX ((int) (base_height / f), 1));
          }
        push (plan, base_width, base_height);
        break;

      case INC_OCTAVE_CLASSIC:
        {
          /* np.int32(np.float32(hw) / octave_scale), level after level,
           * dreamt from the smallest. */
          g_array_set_size (plan, n);
          IncSize s = { base_width, base_height };
          for (int i = 0; i < n; i++)
            {
              g_array_index (plan, IncSize, n - 1 - i) = s;
              s.width = MAX ((int) ((float) s.width / (float) scale), 1);
              s.height = MAX ((int) ((float) s.height / (float) scale), 1);
            }
        }
        break;
      }

  for (guint i = 0; i < plan->len; i++)
    g_array_index (plan, IncSize, i) =
      inc_octave_clamp (g_array_index (plan, IncSize, i), min_side);
  return plan;
}
