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
// The same buffer as an SSBO, and as a uniform texel buffer: whole-vec4
// stores and reads at computed addresses are cheaper there on lavapipe
// (AVG_3X3_S1 uses them).
layout(binding = 2) writeonly buffer Dx4 { vec4 dx4[]; };
layout(binding = 6) uniform samplerBuffer dx_in4;
#else
layout(binding = 4, r32f) uniform imageBuffer dx;
#endif

#include "pool.glsl"

#ifdef VEC4
#define FETCH(buf, i) texelFetch (buf, TEXEL (i))
#else
#define FETCH(buf, i) texelFetch (buf, i).x
#endif

#ifdef AVG_3X3_S1
// The output gradient at (oy, ox), let through the mask, over its
// window's count of real pixels; zero outside the output.
VALUE share (int oy, int ox, int c, bool masked)
{
  bool inside = oy >= 0 && oy < p.out_h && ox >= 0 && ox < p.out_w;
  int o = inside ? (oy * p.out_w + ox) * p.out_stride + p.out_off + c : p.out_off + c;
  VALUE g = FETCH (dy, o);
  if (masked)
    g = mix (VALUE (0.0), g, greaterThan (FETCH (mask, o), VALUE (0.0)));
  int y0 = oy - p.pad_t, x0 = ox - p.pad_l;
  int count = (min (y0 + 3, p.in_h) - max (y0, 0)) * (min (x0 + 3, p.in_w) - max (x0, 0));
  return inside ? g / float (max (count, 1)) : VALUE (0.0);
}

// The shares of outputs oy0 .. oy0 + 2 in column ox, summed.
VALUE share_column (int oy0, int ox, int c, bool masked)
{
  return share (oy0, ox, c, masked) + share (oy0 + 1, ox, c, masked) +
         share (oy0 + 2, ox, c, masked);
}

// Average pools of 3x3 windows at stride 1, 4 channels a lane: input
// (iy, ix) lies in the windows of outputs iy + pad - 2 .. iy + pad (and
// likewise in x), so it sums a 3x3 block of shares; neighbouring inputs
// share two columns of it, so each fetches one new column.
void main ()
{
  ivec3 at = pixel_and_channel ();
  int iy = at.y, c = at.z;
  if (c >= p.channels)
    return;
  bool masked = (p.flags & POOL_MASK) != 0;
  bool overwrite = (p.flags & POOL_OVERWRITE) != 0;
  int oy0 = iy + p.pad_t - 2;
  int ox = at.x + p.pad_l - 2;
  int ix_end = min (at.x + PIXELS_PER_LANE, p.in_w);
  VALUE s0 = share_column (oy0, ox, c, masked), s1 = share_column (oy0, ox + 1, c, masked);
  for (int ix = at.x; ix < ix_end; ix++, ox++)
    {
      VALUE s2 = share_column (oy0, ox + 2, c, masked);
      VALUE acc = s0 + s1 + s2;
      int o = in_index (iy, ix, c);
      if (!overwrite)
        acc += texelFetch (dx_in4, TEXEL (o));
      dx4[TEXEL (o)] = acc;
      s0 = s1;
      s1 = s2;
    }
}
#else
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
#endif
