#version 450
// winograd_input.comp: V = B^T d B for every 6x6 input tile and channel
// (winograd.glsl), zero outside the image; with FLAG_MASK_INPUT the input
// (a ReLU output's gradient) is first let through where the activation is
// > 0, which is the backward ReLU.
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
#else
#define FETCH(buf, i) texelFetch (buf, i).x
#define STORE(i, v) imageStore (dst, i, vec4 (v))
#endif

// B^T applied to one line of 6 values.
void bt (inout VALUE d[6])
{
  VALUE r0 = 4.0 * d[0] - 5.0 * d[2] + d[4];
  VALUE r1 = -4.0 * (d[1] + d[2]) + d[3] + d[4];
  VALUE r2 = 4.0 * (d[1] - d[2]) - d[3] + d[4];
  VALUE r3 = 2.0 * (d[3] - d[1]) - d[2] + d[4];
  VALUE r4 = 2.0 * (d[1] - d[3]) - d[2] + d[4];
  VALUE r5 = 4.0 * d[1] - 5.0 * d[3] + d[5];
  d[0] = r0; d[1] = r1; d[2] = r2; d[3] = r3; d[4] = r4; d[5] = r5;
}

// Columns xs .. xs + n - 1 of rows y0 .. y0 + 5 for channel c, B^T applied
// to each, into d[first] .. d[first + n - 1] (zero outside the image;
// masked by the activation with FLAG_MASK_INPUT). Every fetch first, then the arithmetic: on lavapipe a
// fetch is a function call, and values live across a call are kept in
// memory. Taps outside the image read element c (always in range).
#define COLUMNS(xs, n, first) \
  { \
    int at_src[n][6]; \
    bool inside[n][6]; \
    VALUE raw[n][6]; \
    for (int k = 0; k < n; k++) \
      for (int i = 0; i < 6; i++) \
        { \
          int y = y0 + i, xx = (xs) + k; \
          inside[k][i] = y >= 0 && y < p.h && xx >= 0 && xx < p.w; \
          at_src[k][i] = inside[k][i] ? (y * p.w + xx) * p.stride + p.off + c : c; \
        } \
    for (int k = 0; k < n; k++) \
      for (int i = 0; i < 6; i++) \
        raw[k][i] = FETCH (src, at_src[k][i]); \
    if (masked) \
      for (int k = 0; k < n; k++) \
        for (int i = 0; i < 6; i++) \
          raw[k][i] = MASKED (raw[k][i], FETCH (mask, at_src[k][i])); \
    for (int k = 0; k < n; k++) \
      { \
        for (int i = 0; i < 6; i++) \
          raw[k][i] = inside[k][i] ? raw[k][i] : VALUE (0.0); \
        bt (raw[k]); \
        d[first + k] = raw[k]; \
      } \
  }
#ifdef VEC4
#define MASKED(v, m) mix (vec4 (0.0), v, greaterThan (m, vec4 (0.0)))
#else
#define MASKED(v, m) ((m) > 0.0 ? (v) : 0.0)
#endif

// B^T d B = (B^T d) B: columns first, so that the two columns a tile shares
// with the next one along its row are fetched and transformed once. Each
// lane walks a run of TILES_PER_LANE tiles of one row (winograd.glsl's
// padded rows), fetching 4 new columns a tile instead of 6.
void main ()
{
  ivec2 at = tile_and_channel ();
  int c = at.y;
  if (c >= p.channels)
    return;
  bool masked = (p.flags & FLAG_MASK_INPUT) != 0;
  ivec2 row_tile = tile_in_row (at.x);
  int ty = row_tile.x, tx0 = row_tile.y;
  if (ty >= p.tiles_h)
    return;
  int tx_end = min (tx0 + TILES_PER_LANE, p.tiles_w);
  int y0 = ty * 4 - p.pad_t;
  int x = tx0 * 4 - p.pad_l;

  // d[j] = column j of the tile, transformed; columns 0 and 1 come from
  // the tile before (columns 4 and 5 there).
  VALUE d[6][6];
  COLUMNS (x, 2, 4)
  for (int tx = tx0; tx < tx_end; tx++, x += 4)
    {
      d[0] = d[4];
      d[1] = d[5];
      COLUMNS (x + 2, 4, 2)
      int t = ty * p.tiles_w + tx;
      // Then the rows: position i * 6 + j of the tile's 36.
      for (int i = 0; i < 6; i++)
        {
          VALUE row[6] = VALUE[6] (d[0][i], d[1][i], d[2][i], d[3][i], d[4][i], d[5][i]);
          bt (row);
#ifdef WIDE
          for (int j = 0; j < 6; j += 2)
            store_pair (scratch_index (i * 6 + j, t, c), row[j],
                        scratch_index (i * 6 + j + 1, t, c), row[j + 1]);
#else
          for (int j = 0; j < 6; j++)
            STORE (scratch_index (i * 6 + j, t, c), row[j]);
#endif
        }
    }
}
