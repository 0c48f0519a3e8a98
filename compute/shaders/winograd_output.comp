#version 450
// winograd_output.comp: Y = A^T m A for every tile and output channel
// (winograd.glsl), plus the bias and ReLU, written (or with
// FLAG_ACCUMULATE added) to the output view where it lies in the image.
#extension GL_GOOGLE_include_directive : require
#ifdef WIDE
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#endif
layout(local_size_x = 32) in;

layout(binding = 0) uniform samplerBuffer src;      // the products, S[e][t][c]
layout(binding = 1) uniform samplerBuffer weights;  // RGBA texels: the bias
#if defined(WIDE)
// Pairs of lanes store 8 channels (wide_store.glsl).
#include "wide_store.glsl"
#elif defined(VEC4)
layout(binding = 2) buffer Dst4 { vec4 dst4[]; };
#endif
#ifdef VEC4
// The output, read when adding into it: a texel fetch is cheaper than an
// SSBO load on lavapipe.
layout(binding = 6) uniform samplerBuffer dst_in4;
#else
layout(binding = 4, r32f) uniform imageBuffer dst;
#endif

#include "winograd.glsl"

#ifdef VEC4
#define FETCH(i) texelFetch (src, TEXEL (i))
#else
#define FETCH(i) texelFetch (src, i).x
#endif

#if TILE_IN == 8
// A^T applied to one line of 8 values, giving TILE (6, or 4 for a 5x5
// kernel): the points +-1, +-2 and +-1/2 in pairs, their sums feeding the
// even powers and their differences the odd ones; the point at infinity
// feeds the last.
void at_line (VALUE m[8], out VALUE y[TILE])
{
  VALUE s1 = m[1] + m[2], d1 = m[1] - m[2];
  VALUE s2 = m[3] + m[4], d2 = m[3] - m[4];
  VALUE s3 = m[5] + m[6], d3 = m[5] - m[6];
  y[0] = m[0] + s1 + s2 + s3;
  y[1] = d1 + 2.0 * d2 + 0.5 * d3;
  y[2] = s1 + 4.0 * s2 + 0.25 * s3;
  y[3] = d1 + 8.0 * d2 + 0.125 * d3;
#if TILE == 6
  y[4] = s1 + 16.0 * s2 + 0.0625 * s3;
  y[5] = d1 + 32.0 * d2 + 0.03125 * d3;
#endif
  y[TILE - 1] += m[7];
}
#else
// A^T applied to one line of 6 values, giving 4.
void at_line (VALUE m[6], out VALUE y[4])
{
  VALUE s12 = m[1] + m[2], d12 = m[1] - m[2];
  VALUE s34 = m[3] + m[4], d34 = m[3] - m[4];
  y[0] = m[0] + s12 + s34;
  y[1] = d12 + 2.0 * d34;
  y[2] = s12 + 4.0 * s34;
  y[3] = d12 + 8.0 * d34 + m[5];
}
#endif

void main ()
{
  ivec2 at = tile_and_channel ();
  int c = at.y;
  int tiles = p.tiles_h * p.tiles_w;
  if (c >= p.channels)
    return;
  bool relu = (p.flags & FLAG_RELU) != 0;
  bool accumulate = (p.flags & FLAG_ACCUMULATE) != 0;
  VALUE bias = VALUE (0.0);
  if (p.bias_off >= 0)
    {
      // Biases are RGBA texels, channel c in texel c / 4.
      vec4 b = texelFetch (weights, p.bias_off + c / 4);
#ifdef VEC4
      bias = b;
#else
      bias = b[c % 4];
#endif
    }
  int t_end = min (at.x + TILES_PER_LANE, tiles);
  // The tile's row and column, stepped along with t: lavapipe divides
  // integers lane by lane.
  ivec2 row_col = div_mod (at.x, p.tiles_w);

  for (int t = at.x; t < t_end; t++)
    {
      // Rows first: TILE_IN rows of m give TILE_IN x TILE, then columns
      // give TILE x TILE.
      VALUE r[TILE_IN][TILE];
      for (int i = 0; i < TILE_IN; i++)
        {
          VALUE m[TILE_IN];
          for (int j = 0; j < TILE_IN; j++)
            m[j] = FETCH (scratch_index (i * TILE_IN + j, t, c));
          at_line (m, r[i]);
        }
      int oy0 = row_col.x * TILE, ox0 = row_col.y * TILE;
      if (++row_col.y == p.tiles_w)
        row_col = ivec2 (row_col.x + 1, 0);
      VALUE y[TILE][TILE];  // [column][row]
      for (int j = 0; j < TILE; j++)
        {
          VALUE column[TILE_IN];
          for (int i = 0; i < TILE_IN; i++)
            column[i] = r[i][j];
          at_line (column, y[j]);
          for (int i = 0; i < TILE; i++)
            {
              y[j][i] += bias;
              if (relu)
                y[j][i] = max (y[j][i], VALUE (0.0));
            }
        }
#ifdef VEC4
      // Rows i and i + 1 of a column go as a pair; a pixel outside the
      // output stands in for itself's partner (written twice) or is skipped.
      for (int j = 0; j < TILE; j++)
        {
          int x = ox0 + j;
          if (x >= p.w)
            break;
          for (int i = 0; i < TILE; i += 2)
            {
              int ya = oy0 + i;
              if (ya >= p.h)
                break;
              bool second = ya + 1 < p.h;
              int oa = (ya * p.w + x) * p.stride + p.off + c;
              int ob = second ? oa + p.w * p.stride : oa;
              VALUE va = y[j][i], vb = second ? y[j][i + 1] : y[j][i];
              if (accumulate)
                {
                  va += texelFetch (dst_in4, oa >> 2);
                  vb += texelFetch (dst_in4, ob >> 2);
                }
#ifdef WIDE
              store_pair (oa, va, ob, vb);
#else
              dst4[oa >> 2] = va;
              dst4[ob >> 2] = vb;
#endif
            }
        }
#else
      for (int j = 0; j < TILE; j++)
        {
          int x = ox0 + j;
          if (x >= p.w)
            break;
          for (int i = 0; i < TILE; i++)
            {
              int yy = oy0 + i;
              if (yy >= p.h)
                break;
              VALUE v = y[j][i];
              int o = (yy * p.w + x) * p.stride + p.off + c;
              if (accumulate)
                v += imageLoad (dst, o).x;
              imageStore (dst, o, vec4 (v));
            }
        }
#endif
    }
}
