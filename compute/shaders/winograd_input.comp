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

void main ()
{
  ivec2 at = tile_and_channel ();
  int c = at.y;
  int tiles = p.tiles_h * p.tiles_w;
  if (c >= p.channels)
    return;
  bool masked = (p.flags & FLAG_MASK_INPUT) != 0;
  int t_end = min (at.x + TILES_PER_LANE, tiles);

  // The first tile's place without a division per lane (lavapipe runs
  // those lane by lane); the next tile is found by stepping.
  int ty = int(float(at.x) / float(p.tiles_w));
  int tx = at.x - ty * p.tiles_w;
  if (tx < 0)
    {
      ty--;
      tx += p.tiles_w;
    }
  else if (tx >= p.tiles_w)
    {
      ty++;
      tx -= p.tiles_w;
    }

  for (int t = at.x; t < t_end; t++, tx++)
    {
      if (tx == p.tiles_w)
        {
          tx = 0;
          ty++;
        }
      int y0 = ty * 4 - p.pad_t;
      int x0 = tx * 4 - p.pad_l;
      // Every fetch first, then the arithmetic: on lavapipe a fetch is a
      // function call, and values live across a call are kept in memory.
      // Taps outside the image read element c (always in range) and use 0.
      int at_src[6][6];
      bool inside[6][6];
      for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++)
          {
            int y = y0 + i, x = x0 + j;
            inside[i][j] = y >= 0 && y < p.h && x >= 0 && x < p.w;
            at_src[i][j] = inside[i][j] ? (y * p.w + x) * p.stride + p.off + c : c;
          }
      VALUE d[6][6];
      for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++)
          d[i][j] = FETCH (src, at_src[i][j]);
      if (masked)
        {
          for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++)
#ifdef VEC4
              d[i][j] = mix (vec4 (0.0), d[i][j], greaterThan (FETCH (mask, at_src[i][j]), vec4 (0.0)));
#else
              d[i][j] = FETCH (mask, at_src[i][j]) > 0.0 ? d[i][j] : 0.0;
#endif
        }
      for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++)
          d[i][j] = inside[i][j] ? d[i][j] : VALUE (0.0);
      // Rows, then columns.
      for (int i = 0; i < 6; i++)
        bt (d[i]);
      for (int j = 0; j < 6; j++)
        {
          VALUE col[6] = VALUE[6] (d[0][j], d[1][j], d[2][j], d[3][j], d[4][j], d[5][j]);
          bt (col);
#ifdef WIDE
          for (int i = 0; i < 6; i += 2)
            store_pair (scratch_index (i * 6 + j, t, c), col[i],
                        scratch_index ((i + 1) * 6 + j, t, c), col[i + 1]);
#else
          for (int i = 0; i < 6; i++)
            STORE (scratch_index (i * 6 + j, t, c), col[i]);
#endif
        }
    }
}
