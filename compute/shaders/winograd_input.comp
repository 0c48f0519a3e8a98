#version 450
// winograd_input.comp: V = B^T d B for every 6x6 input tile and channel
// (winograd.glsl), zero outside the image; with FLAG_MASK_INPUT the input
// (a ReLU output's gradient) is first let through where the activation is
// > 0, which is the backward ReLU.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 32) in;

layout(binding = 0) uniform samplerBuffer src;
layout(binding = 3) uniform samplerBuffer mask;
#ifdef VEC4
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

  for (int t = at.x; t < t_end; t++)
    {
      int y0 = (t / p.tiles_w) * 4 - p.pad_t;
      int x0 = (t % p.tiles_w) * 4 - p.pad_l;
      VALUE d[6][6];
      for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++)
          {
            int y = y0 + i, x = x0 + j;
            VALUE v = VALUE (0.0);
            if (y >= 0 && y < p.h && x >= 0 && x < p.w)
              {
                int at_src = (y * p.w + x) * p.stride + p.off + c;
                v = FETCH (src, at_src);
                if (masked)
#ifdef VEC4
                  v = mix (vec4 (0.0), v, greaterThan (FETCH (mask, at_src), vec4 (0.0)));
#else
                  v = FETCH (mask, at_src) > 0.0 ? v : 0.0;
#endif
              }
            d[i][j] = v;
          }
      // Rows, then columns.
      for (int i = 0; i < 6; i++)
        bt (d[i]);
      for (int j = 0; j < 6; j++)
        {
          VALUE col[6] = VALUE[6] (d[0][j], d[1][j], d[2][j], d[3][j], d[4][j], d[5][j]);
          bt (col);
          for (int i = 0; i < 6; i++)
            STORE (scratch_index (i * 6 + j, t, c), col[i]);
        }
    }
}
