#version 450
// winograd_input.comp: V = B^T d B for every input tile and channel
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

#if TILE_IN == 8
// B^T applied to one line of 8 values (its rows paired as +-1, +-1/2,
// +-2: even and odd parts added and subtracted).
void bt (inout VALUE d[8])
{
  VALUE r0 = d[0] - d[6] + 5.25 * (d[4] - d[2]);
  VALUE r7 = d[7] - d[1] + 5.25 * (d[3] - d[5]);
  VALUE e1 = d[2] + d[6] - 4.25 * d[4];
  VALUE o1 = d[1] + d[5] - 4.25 * d[3];
  VALUE e2 = 0.25 * d[2] + d[6] - 1.25 * d[4];
  VALUE o2 = 0.5 * d[1] - 2.5 * d[3] + 2.0 * d[5];
  VALUE e3 = 4.0 * d[2] + d[6] - 5.0 * d[4];
  VALUE o3 = 2.0 * d[1] - 2.5 * d[3] + 0.5 * d[5];
  d[0] = r0;
  d[1] = e1 + o1; d[2] = e1 - o1;
  d[3] = e2 + o2; d[4] = e2 - o2;
  d[5] = e3 + o3; d[6] = e3 - o3;
  d[7] = r7;
}
#else
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
#endif

// Columns xs .. xs + n - 1 of rows y0 .. y0 + TILE_IN - 1 for channel c,
// B^T applied to each, into d[first] .. d[first + n - 1] (zero outside the
// image; masked by the activation with FLAG_MASK_INPUT). Every fetch
// first, then the arithmetic: on lavapipe a fetch is a function call, and
// values live across a call are kept in memory. Taps outside the image
// read element c (always in range).
#define COLUMNS(xs, n, first) \
  { \
    int at_src[n][TILE_IN]; \
    bool inside[n][TILE_IN]; \
    VALUE raw[n][TILE_IN]; \
    for (int k = 0; k < n; k++) \
      for (int i = 0; i < TILE_IN; i++) \
        { \
          int y = y0 + i, xx = (xs) + k; \
          inside[k][i] = y >= 0 && y < p.h && xx >= 0 && xx < p.w; \
          at_src[k][i] = inside[k][i] ? (y * p.w + xx) * p.stride + p.off + c : c; \
        } \
    for (int k = 0; k < n; k++) \
      for (int i = 0; i < TILE_IN; i++) \
        raw[k][i] = FETCH (src, at_src[k][i]); \
    if (masked) \
      for (int k = 0; k < n; k++) \
        for (int i = 0; i < TILE_IN; i++) \
          raw[k][i] = MASKED (raw[k][i], FETCH (mask, at_src[k][i])); \
    for (int k = 0; k < n; k++) \
      { \
        for (int i = 0; i < TILE_IN; i++) \
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

// B^T d B = (B^T d) B: columns first, so that the KERNEL - 1 columns a
// tile shares with the next one along its row are fetched and transformed
// once. Each lane walks a run of TILES_PER_LANE tiles of one row
// (winograd.glsl's padded rows), fetching TILE new columns a tile instead
// of TILE_IN, in runs of at most 4 (fewer values live at once).
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
  int y0 = ty * TILE - p.pad_t;
  int x = tx0 * TILE - p.pad_l;

  // d[j] = column j of the tile, transformed; the first KERNEL - 1 come
  // from the tile before (its last ones).
  VALUE d[TILE_IN][TILE_IN];
  COLUMNS (x, KERNEL - 1, TILE)
  for (int tx = tx0; tx < tx_end; tx++, x += TILE)
    {
      for (int j = 0; j < KERNEL - 1; j++)
        d[j] = d[TILE + j];
#if TILE == 6
      COLUMNS (x + 2, 3, 2)
      COLUMNS (x + 5, 3, 5)
#else
      COLUMNS (x + KERNEL - 1, 4, KERNEL - 1)
#endif
      int t = ty * p.tiles_w + tx;
      // Then the rows: position i * TILE_IN + j of the tile's POSITIONS.
      for (int i = 0; i < TILE_IN; i++)
        {
          VALUE row[TILE_IN];
          for (int j = 0; j < TILE_IN; j++)
            row[j] = d[j][i];
          bt (row);
#ifdef WIDE
          for (int j = 0; j < TILE_IN; j += 2)
            store_pair (scratch_index (i * TILE_IN + j, t, c), row[j],
                        scratch_index (i * TILE_IN + j + 1, t, c), row[j + 1]);
#else
          for (int j = 0; j < TILE_IN; j++)
            STORE (scratch_index (i * TILE_IN + j, t, c), row[j]);
#endif
        }
    }
}
