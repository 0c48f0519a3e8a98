#version 450
// pool_forward.comp: max or average pooling, one invocation per output.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 32) in;

layout(binding = 0) uniform samplerBuffer src;
layout(binding = 4, r32f) uniform writeonly imageBuffer dst;
// Max pools: the position of the maximum in its window, (y - y0) * kw +
// (x - x0) of the first maximum in scan order, dense out_h x out_w x C.
layout(binding = 5, r32f) uniform writeonly imageBuffer argmax;

#include "pool.glsl"

void main ()
{
  ivec3 at = pixel_and_channel ();
  int oy = at.y, c = at.z;
  if (c >= p.channels)
    return;
  int y0 = oy * p.stride - p.pad_t;
  int ya = max (y0, 0), yb = min (y0 + p.kh, p.in_h);
  int ox_end = min (at.x + PIXELS_PER_GROUP, p.out_w);

  for (int ox = at.x; ox < ox_end; ox++)
    {
      int x0 = ox * p.stride - p.pad_l;
      int xa = max (x0, 0), xb = min (x0 + p.kw, p.in_w);
      float acc = p.mode == MODE_MAX ? -3.0e38 : 0.0;
      int best = 0;
      for (int y = ya; y < yb; y++)
        for (int x = xa; x < xb; x++)
          {
            float v = texelFetch (src, in_index (y, x, c)).x;
            if (p.mode == MODE_AVG)
              acc += v;
            else if (v > acc)
              {
                acc = v;
                best = (y - y0) * p.kw + (x - x0);
              }
          }
      if (p.mode == MODE_AVG)
        acc /= float ((yb - ya) * (xb - xa));
      else
        imageStore (argmax, (oy * p.out_w + ox) * p.channels + c, vec4 (float (best)));
      imageStore (dst, (oy * p.out_w + ox) * p.out_stride + p.out_off + c, vec4 (acc));
    }
}
