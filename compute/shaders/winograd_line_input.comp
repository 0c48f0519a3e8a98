#version 450
// winograd_line_input.comp: V = B^T d for 1 x 7 and 7 x 1 convolutions
// as Winograd F(6, 7) (winograd.glsl with LINE, TILE 6, KERNEL 7): every
// run d of 12 inputs along the kernel's direction (a line: a row, or with
// FLAG_VERTICAL a column) and channel, zero outside the image; with
// FLAG_MASK_INPUT the input is first let through where the activation is
// > 0 (the backward ReLU). Tile t of a line starts at its element
// 6 t - pad.
//
// F(6, 7) rather than F(4, 7): 2 multiplies an output instead of 2.5, and
// a 30-pixel line (the mixed4-7 blocks at 512 px) is 5 whole tiles
// instead of 8 tiles of 4. Measured, per 512-px step: direct 176 ms,
// F(4, 7) 93 + 33 ms of transforms, F(6, 7) 71 + 28 ms. Its 12 points
// round more (a float model of a 128-channel sum: 5e-6 of it, against
// 3e-6); the network test's mixed5 stays 5e-6 from PyTorch's.
#extension GL_GOOGLE_include_directive : require
#ifdef WIDE
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#endif
layout(local_size_x = 32) in;

layout(binding = 0) uniform samplerBuffer src;
layout(binding = 3) uniform samplerBuffer mask;
#if defined(WIDE)
#include "wide_store.glsl"
#elif defined(VEC4)
layout(binding = 2) writeonly buffer Dst4 { vec4 dst4[]; };
#else
layout(binding = 4, r32f) uniform writeonly imageBuffer dst;
#endif

#include "winograd.glsl"

#ifdef VEC4
#define FETCH(buf, i) texelFetch (buf, TEXEL (i))
#define STORE(i, v) dst4[TEXEL (i)] = v
#define MASKED(v, m) mix (vec4 (0.0), v, greaterThan (m, vec4 (0.0)))
#else
#define FETCH(buf, i) texelFetch (buf, i).x
#define STORE(i, v) imageStore (dst, i, vec4 (v))
#define MASKED(v, m) ((m) > 0.0 ? (v) : 0.0)
#endif

// F(6, 7): B^T for the points 0, +-1, +-2, +-1/2, +-3/2, +-3/4 and
// infinity, each finite point's row scaled to whole numbers (by 256, 128
// for +-1/2 and +-3/2, 64 for +-3/4; winograd.c's G carries the inverse).
// The rows of a pair +-p share their even part e and odd part o: e + o
// and e - o.
void bt (inout VALUE d[12])
{
  VALUE r0 = -324.0 * d[0] + 2421.0 * d[2] - 5737.0 * d[4] + 5448.0 * d[6] - 2064.0 * d[8] +
             256.0 * d[10];
  VALUE r11 = -1.265625 * d[1] + 9.45703125 * d[3] - 22.41015625 * d[5] + 21.28125 * d[7] -
              8.0625 * d[9] + d[11];
  VALUE e1 = 324.0 * d[2] - 2097.0 * d[4] + 3640.0 * d[6] - 1808.0 * d[8] + 256.0 * d[10];
  VALUE o1 = 324.0 * d[1] - 2097.0 * d[3] + 3640.0 * d[5] - 1808.0 * d[7] + 256.0 * d[9];
  VALUE e2 = 81.0 * d[2] - 585.0 * d[4] + 1288.0 * d[6] - 1040.0 * d[8] + 256.0 * d[10];
  VALUE o2 = 162.0 * d[1] - 1170.0 * d[3] + 2576.0 * d[5] - 2080.0 * d[7] + 512.0 * d[9];
  VALUE e3 = 648.0 * d[2] - 2250.0 * d[4] + 2474.0 * d[6] - 1000.0 * d[8] + 128.0 * d[10];
  VALUE o3 = 324.0 * d[1] - 1125.0 * d[3] + 1237.0 * d[5] - 500.0 * d[7] + 64.0 * d[9];
  VALUE e4 = 72.0 * d[2] - 506.0 * d[4] + 1050.0 * d[6] - 744.0 * d[8] + 128.0 * d[10];
  VALUE o4 = 108.0 * d[1] - 759.0 * d[3] + 1575.0 * d[5] - 1116.0 * d[7] + 192.0 * d[9];
  VALUE e5 = 144.0 * d[2] - 820.0 * d[4] + 1092.0 * d[6] - 480.0 * d[8] + 64.0 * d[10];
  VALUE o5 = 108.0 * d[1] - 615.0 * d[3] + 819.0 * d[5] - 360.0 * d[7] + 48.0 * d[9];
  d[0] = r0;
  d[1] = e1 + o1; d[2] = e1 - o1;
  d[3] = e2 + o2; d[4] = e2 - o2;
  d[5] = e3 + o3; d[6] = e3 - o3;
  d[7] = e4 + o4; d[8] = e4 - o4;
  d[9] = e5 + o5; d[10] = e5 - o5;
  d[11] = r11;
}

// Elements ks .. ks + n - 1 of line l for channel c into d[first] ..
// d[first + n - 1]: every fetch first, then the masking (a fetch is a
// call on lavapipe). Elements outside the image read element c (always in
// range) and count as zero.
#define ELEMENTS(ks, n, first) \
  { \
    int at_src[n]; \
    bool inside[n]; \
    VALUE raw[n]; \
    for (int k = 0; k < n; k++) \
      { \
        int e = (ks) + k; \
        inside[k] = e >= 0 && e < len; \
        at_src[k] = inside[k] ? (l * across + e * along) * p.stride + p.off + c : c; \
      } \
    for (int k = 0; k < n; k++) \
      raw[k] = FETCH (src, at_src[k]); \
    if (masked) \
      for (int k = 0; k < n; k++) \
        raw[k] = MASKED (raw[k], FETCH (mask, at_src[k])); \
    for (int k = 0; k < n; k++) \
      d[first + k] = inside[k] ? raw[k] : VALUE (0.0); \
  }

// Each lane walks a run of TILES_PER_LANE tiles of one line: neighbouring
// tiles share KERNEL - 1 inputs, so each tile fetches its TILE new ones.
void main ()
{
  ivec2 at = tile_and_channel ();
  int c = at.y;
  if (c >= p.channels)
    return;
  bool masked = (p.flags & FLAG_MASK_INPUT) != 0;
  bool vertical = (p.flags & FLAG_VERTICAL) != 0;
  ivec2 line_tile = tile_in_row (at.x);
  int l = line_tile.x, t0 = line_tile.y;
  if (l >= p.tiles_h)
    return;
  int t_end = min (t0 + TILES_PER_LANE, p.tiles_w);
  // Element e of line l is pixel l * across + e * along.
  int len = vertical ? p.h : p.w;
  int along = vertical ? p.w : 1, across = vertical ? 1 : p.w;
  int start = t0 * TILE - (vertical ? p.pad_t : p.pad_l);

  VALUE d[TILE_IN];
  ELEMENTS (start, KERNEL - 1, TILE)
  for (int t = t0; t < t_end; t++, start += TILE)
    {
      for (int j = 0; j < KERNEL - 1; j++)
        d[j] = d[TILE + j];
      ELEMENTS (start + KERNEL - 1, TILE, KERNEL - 1)
      VALUE v[TILE_IN] = d;
      bt (v);
      int tile = l * p.tiles_w + t;
#ifdef WIDE
      for (int e = 0; e < TILE_IN; e += 2)
        store_pair (scratch_index (e, tile, c), v[e], scratch_index (e + 1, tile, c), v[e + 1]);
#else
      for (int e = 0; e < TILE_IN; e++)
        STORE (scratch_index (e, tile, c), v[e]);
#endif
    }
}
