#version 450
// winograd_line_output.comp: Y = A^T m for 1 x 7 and 7 x 1 convolutions
// as Winograd F(6, 7) (winograd.glsl with LINE): every tile's 12 products
// give its 6 outputs along the line, plus the bias and ReLU, written (or
// with FLAG_ACCUMULATE added) to the output view where they lie in the
// image.
#extension GL_GOOGLE_include_directive : require
#ifdef WIDE
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#endif
layout(local_size_x = 32) in;

layout(binding = 0) uniform samplerBuffer src;      // the products
layout(binding = 1) uniform samplerBuffer weights;  // RGBA texels: the bias
#if defined(WIDE)
#include "wide_store.glsl"
#elif defined(VEC4)
layout(binding = 2) buffer Dst4 { vec4 dst4[]; };
#endif
#ifdef VEC4
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

// A^T for F(6, 7)'s points (winograd_line_input.comp): a pair +-p's sum
// feeds the even powers of p, its difference the odd ones.
void at_line (VALUE m[12], out VALUE y[6])
{
  VALUE s1 = m[1] + m[2], d1 = m[1] - m[2];
  VALUE s2 = m[3] + m[4], d2 = m[3] - m[4];
  VALUE s3 = m[5] + m[6], d3 = m[5] - m[6];
  VALUE s4 = m[7] + m[8], d4 = m[7] - m[8];
  VALUE s5 = m[9] + m[10], d5 = m[9] - m[10];
  y[0] = m[0] + s1 + s2 + s3 + s4 + s5;
  y[1] = d1 + 2.0 * d2 + 0.5 * d3 + 1.5 * d4 + 0.75 * d5;
  y[2] = s1 + 4.0 * s2 + 0.25 * s3 + 2.25 * s4 + 0.5625 * s5;
  y[3] = d1 + 8.0 * d2 + 0.125 * d3 + 3.375 * d4 + 0.421875 * d5;
  y[4] = s1 + 16.0 * s2 + 0.0625 * s3 + 5.0625 * s4 + 0.31640625 * s5;
  y[5] = d1 + 32.0 * d2 + 0.03125 * d3 + 7.59375 * d4 + 0.2373046875 * d5 + m[11];
}

void main ()
{
  ivec2 at = tile_and_channel ();
  int c = at.y;
  int tiles = p.tiles_h * p.tiles_w;
  if (c >= p.channels)
    return;
  bool relu = (p.flags & FLAG_RELU) != 0;
  bool accumulate = (p.flags & FLAG_ACCUMULATE) != 0;
  bool vertical = (p.flags & FLAG_VERTICAL) != 0;
  int len = vertical ? p.h : p.w;
  int along = vertical ? p.w : 1, across = vertical ? 1 : p.w;
  VALUE bias = VALUE (0.0);
  if (p.bias_off >= 0)
    {
      vec4 b = texelFetch (weights, p.bias_off + c / 4);
#ifdef VEC4
      bias = b;
#else
      bias = b[c % 4];
#endif
    }
  int t_end = min (at.x + TILES_PER_LANE, tiles);

  for (int t = at.x; t < t_end; t++)
    {
      VALUE m[TILE_IN], y[TILE];
      for (int e = 0; e < TILE_IN; e++)
        m[e] = FETCH (scratch_index (e, t, c));
      at_line (m, y);
      for (int i = 0; i < TILE; i++)
        {
          y[i] += bias;
          if (relu)
            y[i] = max (y[i], VALUE (0.0));
        }
      ivec2 line_tile = div_mod (t, p.tiles_w);
      int l = line_tile.x, e0 = line_tile.y * TILE;
#ifdef VEC4
      // Outputs i and i + 1 go as a pair; one past the line's end stands
      // in for its partner (written twice) or is skipped.
      for (int i = 0; i < TILE; i += 2)
        {
          if (e0 + i >= len)
            break;
          bool second = e0 + i + 1 < len;
          int oa = (l * across + (e0 + i) * along) * p.stride + p.off + c;
          int ob = second ? oa + along * p.stride : oa;
          VALUE va = y[i], vb = second ? y[i + 1] : y[i];
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
#else
      for (int i = 0; i < TILE; i++)
        {
          if (e0 + i >= len)
            break;
          int o = (l * across + (e0 + i) * along) * p.stride + p.off + c;
          VALUE v = y[i];
          if (accumulate)
            v += imageLoad (dst, o).x;
          imageStore (dst, o, vec4 (v));
        }
#endif
    }
}
