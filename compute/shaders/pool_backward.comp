#version 450
// pool_backward.comp: the input gradient of an average pool, gathered: one
// invocation per input value (or 4 channels of it, with VEC4) visits the
// few windows that contain it, so no two invocations write the same place.
// The result is added to what the gradient buffer already holds, or
// written (POOL_OVERWRITE). Max pools scatter instead (maxpool_scatter.comp).
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 32) in;

layout(binding = 0) uniform samplerBuffer dy;     // gradient of the output
// With POOL_MASK: the activation whose > 0 lets the output gradient through.
layout(binding = 3) uniform samplerBuffer mask;
#ifdef VEC4
layout(binding = 4, rgba32f) uniform imageBuffer dx; // gradient of the input
#else
layout(binding = 4, r32f) uniform imageBuffer dx;
#endif

#include "pool.glsl"

#ifdef VEC4
#define FETCH(buf, i) texelFetch (buf, TEXEL (i))
#else
#define FETCH(buf, i) texelFetch (buf, i).x
#endif

void main ()
{
  ivec3 at = pixel_and_channel ();
  int iy = at.y, c = at.z;
  if (c >= p.channels)
    return;
  // Outputs o whose window [o*s - pad, o*s - pad + k) contains i.
  int oya = max (0, (iy + p.pad_t - p.kh + p.stride) / p.stride);
  int oyb = min (p.out_h - 1, (iy + p.pad_t) / p.stride);
  int ix_end = min (at.x + PIXELS_PER_LANE, p.in_w);
  bool masked = (p.flags & POOL_MASK) != 0;

  for (int ix = at.x; ix < ix_end; ix++)
    {
      int oxa = max (0, (ix + p.pad_l - p.kw + p.stride) / p.stride);
      int oxb = min (p.out_w - 1, (ix + p.pad_l) / p.stride);
      VALUE acc = VALUE (0.0);
      for (int oy = oya; oy <= oyb; oy++)
        for (int ox = oxa; ox <= oxb; ox++)
          {
            int y0 = oy * p.stride - p.pad_t, x0 = ox * p.stride - p.pad_l;
            if (iy < y0 || iy >= y0 + p.kh || ix < x0 || ix >= x0 + p.kw)
              continue;
            VALUE g = FETCH (dy, (oy * p.out_w + ox) * p.out_stride + p.out_off + c);
            if (masked)
              {
                VALUE m = FETCH (mask, (oy * p.out_w + ox) * p.out_stride + p.out_off + c);
#ifdef VEC4
                g = mix (vec4 (0.0), g, greaterThan (m, vec4 (0.0)));
#else
                g = m > 0.0 ? g : 0.0;
#endif
              }
            int ya = max (y0, 0), yb = min (y0 + p.kh, p.in_h);
            int xa = max (x0, 0), xb = min (x0 + p.kw, p.in_w);
            acc += g / float ((yb - ya) * (xb - xa));
          }
      int o = TEXEL (in_index (iy, ix, c));
      bool overwrite = (p.flags & POOL_OVERWRITE) != 0;
#ifdef VEC4
      imageStore (dx, o, overwrite ? acc : imageLoad (dx, o) + acc);
#else
      imageStore (dx, o, vec4 (overwrite ? acc : imageLoad (dx, o).x + acc));
#endif
    }
}
