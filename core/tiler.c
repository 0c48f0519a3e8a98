/* tiler.c: the one place tiles are computed (see tiler.h). */
#include "core/tiler.h"

typedef struct {
  int start, size;            /* input */
  int core_start, core_size;
} Span;

static Span *
plan_axis (int length, int tile, const IncTileNeeds *needs, int *n_out)
{
  int n = (tile <= 0 || length <= tile) ? 1 : (length + tile - 1) / tile;
  Span *spans = g_new (Span, n);

  for (int i = 0; i < n; i++)
    {
      /* Equal cores: the remainder is spread, not left as a sliver. */
      int c0 = (int) ((gint64) length * i / n);
      int c1 = (int) ((gint64) length * (i + 1) / n);
      int s0 = MAX (c0 - needs->halo, 0);
      int s1 = MIN (c1 + needs->halo, length);
      int want = MIN (needs->min_input, length);

      /* Too small for the stage: grow around the core, inside the image. */
      if (s1 - s0 < want)
        {
          int grow = want - (s1 - s0);
          s0 = MAX (s0 - (grow + 1) / 2, 0);
          s1 = MIN (s0 + want, length);
          s0 = s1 - want;
        }
      spans[i] = (Span) { s0, s1 - s0, c0, c1 - c0 };
    }
  *n_out = n;
  return spans;
}

GArray *
inc_tiler_plan (int                 width,
                int                 height,
                int                 tile,
                const IncTileNeeds *needs)
{
  static const IncTileNeeds none = { 0, 0 };
  int nx, ny;

  g_return_val_if_fail (width > 0 && height > 0, NULL);
  if (needs == NULL)
    needs = &none;

  g_autofree Span *xs = plan_axis (width, tile, needs, &nx);
  g_autofree Span *ys = plan_axis (height, tile, needs, &ny);
  GArray *tiles = g_array_sized_new (FALSE, FALSE, sizeof (IncTile), nx * ny);

  for (int j = 0; j < ny; j++)
    for (int i = 0; i < nx; i++)
      {
        IncTile t = {
          xs[i].start, ys[j].start, xs[i].size, ys[j].size,
          xs[i].core_start, ys[j].core_start, xs[i].core_size, ys[j].core_size,
        };
        g_array_append_val (tiles, t);
      }
  return tiles;
}

int
inc_tiler_max_input_side (int                 tile,
                          const IncTileNeeds *needs)
{
  if (tile <= 0)
    return G_MAXINT;
  return MAX (tile + 2 * (needs ? needs->halo : 0), needs ? needs->min_input : 0);
}
