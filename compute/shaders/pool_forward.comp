#version 450
// pool_forward.comp: max or average pooling, one invocation per output.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 32) in;

layout(binding = 0) uniform samplerBuffer src;
layout(binding = 4, r32f) uniform writeonly imageBuffer dst;

#include "pool.glsl"

void main ()
{
  ivec3 at = pixel_and_channel (p.out_w);
  int ox = at.x, oy = at.y, c = at.z;
  if (ox >= p.out_w || c >= p.channels)
    return;
  int pix = oy * p.out_w + ox;
  int y0 = oy * p.stride - p.pad_t, x0 = ox * p.stride - p.pad_l;
  int ya = max (y0, 0), yb = min (y0 + p.kh, p.in_h);
  int xa = max (x0, 0), xb = min (x0 + p.kw, p.in_w);

  float acc = p.mode == MODE_MAX ? -3.0e38 : 0.0;
  for (int y = ya; y < yb; y++)
    for (int x = xa; x < xb; x++)
      {
        float v = texelFetch (src, in_index (y, x, c)).x;
        acc = p.mode == MODE_MAX ? max (acc, v) : acc + v;
      }
  if (p.mode == MODE_AVG)
    acc /= float ((yb - ya) * (xb - xa));
  imageStore (dst, pix * p.out_stride + p.out_off + c, vec4 (acc));
}
