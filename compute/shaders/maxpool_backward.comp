#version 450
// maxpool_backward.comp: the input gradient of a 3x3 max pool at stride 2
// (all of InceptionV3's), gathered: each input value sums the output
// gradients of the windows whose forward pass chose it (the position in
// `argmax`), and is written once, added to what the buffer holds.
//
// Window (oy, ox) covers input rows 2oy .. 2oy + 2 and columns 2ox ..
// 2ox + 2 (before padding), so input rows 2k and 2k + 1 lie in windows of
// rows k - 1 and k only, and columns 2j and 2j + 1 in windows of columns
// j - 1 and j. A lane walks a run of window columns j of one pair of
// window rows, fetching each window once, and writes the 2 x 2 inputs of
// every step; the one column of positions it needs from the windows of
// j - 1 rides the loop. Against maxpool_scatter.comp, which adds each
// window's gradient value by value into a cleared buffer (a gather of
// lanes and a store loop per channel), this reads and writes whole texels.
//
// VEC4 views only (4 channels a lane). WIDE: pairs of lanes store 8
// channels (wide_store.glsl).
#extension GL_GOOGLE_include_directive : require
#ifdef WIDE
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#endif
layout(local_size_x = 32) in;

layout(binding = 0) uniform samplerBuffer dy;      // gradient of the output
layout(binding = 3) uniform samplerBuffer argmax;  // dense out_h x out_w x C
layout(binding = 6) uniform samplerBuffer dx_in4;  // gradient of the input, read
#ifdef WIDE
#include "wide_store.glsl"                         // and written
#else
layout(binding = 2) writeonly buffer Dx4 { vec4 dx4[]; };
#endif

#ifndef VEC4
#error "maxpool_backward.comp reads whole texels: build it with VEC4"
#endif
#include "pool.glsl"

// Window (oy, ox)'s output gradient and argmax; a window outside the
// output reads the first one and gives nothing (position -1).
void fetch_window (int oy, int ox, int c, out vec4 g, out vec4 best)
{
  bool inside = oy >= 0 && oy < p.out_h && ox >= 0 && ox < p.out_w;
  int o = inside ? oy * p.out_w + ox : 0;
  g = texelFetch (dy, TEXEL (o * p.out_stride + p.out_off + c));
  best = inside ? texelFetch (argmax, TEXEL (o * p.channels + c)) : vec4 (-1.0);
}

// The window's gradient where it chose position `pos`, else 0.
vec4 chosen (vec4 g, vec4 best, float pos)
{
  return mix (vec4 (0.0), g, equal (best, vec4 (pos)));
}

// Writes the input gradient of (y, xa) and (y, xb), added to the buffer's;
// xb may repeat xa (an edge), both carrying the same value then.
void store_two (int y, int xa, vec4 a, int xb, vec4 b, int c, bool overwrite)
{
  int ia = in_index (y, xa, c), ib = in_index (y, xb, c);
  if (!overwrite)
    {
      a += texelFetch (dx_in4, TEXEL (ia));
      b += texelFetch (dx_in4, TEXEL (ib));
    }
#ifdef WIDE
  store_pair (ia, a, ib, b);
#else
  dx4[TEXEL (ia)] = a;
  dx4[TEXEL (ib)] = b;
#endif
}

void main ()
{
  ivec3 at = pixel_and_channel ();
  int k = at.y, c = at.z;
  if (c >= p.channels)
    return;
  bool overwrite = (p.flags & POOL_OVERWRITE) != 0;
  // Input rows 2k and 2k + 1, columns 2j and 2j + 1, after the padding.
  int y0 = 2 * k - p.pad_t, y1 = y0 + 1;
  bool row0 = y0 >= 0 && y0 < p.in_h, row1 = y1 >= 0 && y1 < p.in_h;
  int j_end = min (at.x + PIXELS_PER_LANE, (p.in_w + p.pad_l + 1) / 2);

  // From the windows of column j - 1: position 8 of the upper window
  // (row k - 1), positions 2 and 5 of the lower one (row k).
  vec4 g, best;
  fetch_window (k - 1, at.x - 1, c, g, best);
  vec4 up8 = chosen (g, best, 8.0);
  fetch_window (k, at.x - 1, c, g, best);
  vec4 lo2 = chosen (g, best, 2.0), lo5 = chosen (g, best, 5.0);

  for (int j = at.x; j < j_end; j++)
    {
      vec4 gu, bu, gl, bl;
      fetch_window (k - 1, j, c, gu, bu);
      fetch_window (k, j, c, gl, bl);
      // Row 2k: bottom row of the upper windows, top row of the lower.
      vec4 v00 = up8 + chosen (gu, bu, 6.0) + lo2 + chosen (gl, bl, 0.0);
      vec4 v01 = chosen (gu, bu, 7.0) + chosen (gl, bl, 1.0);
      // Row 2k + 1: middle row of the lower windows.
      vec4 v10 = lo5 + chosen (gl, bl, 3.0);
      vec4 v11 = chosen (gl, bl, 4.0);
      up8 = chosen (gu, bu, 8.0);
      lo2 = chosen (gl, bl, 2.0);
      lo5 = chosen (gl, bl, 5.0);

      // Columns outside the input are not written: an edge's lone column
      // stands in for its partner.
      int x0 = 2 * j - p.pad_l, x1 = x0 + 1;
      bool col0 = x0 >= 0 && x0 < p.in_w, col1 = x1 >= 0 && x1 < p.in_w;
      int xa = col0 ? x0 : x1, xb = col1 ? x1 : x0;
      vec4 a0 = col0 ? v00 : v01, b0 = col1 ? v01 : v00;
      vec4 a1 = col0 ? v10 : v11, b1 = col1 ? v11 : v10;
      if (!col0 && !col1)
        continue;
      if (row0)
        store_two (y0, xa, a0, xb, b0, c, overwrite);
      if (row1)
        store_two (y1, xa, a1, xb, b1, c, overwrite);
    }
}
