#version 450
// conv_naive.comp: one invocation per output value. Slow, simple and
// portable: the fallback for devices without subgroup shuffles, and the
// kernel every faster one is checked against.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;

layout(binding = 0) uniform samplerBuffer src;
layout(binding = 1) uniform samplerBuffer weights;
layout(binding = 2) buffer Dst { float dst[]; };
layout(binding = 3) uniform samplerBuffer mask;

#include "common.glsl"

void main ()
{
  int idx = int(flat_group_id () * 64u + gl_LocalInvocationID.x);
  int npix = p.out_h * p.out_w;
  if (idx >= npix * p.cout)
    return;
  int co = idx % p.cout;
  int pix = idx / p.cout;
  int oy = pix / p.out_w, ox = pix % p.out_w;
  int cout4 = (p.cout + 3) / 4;

  float acc = 0.0;
  for (int ky = 0; ky < p.kh; ky++)
    {
      int iy = src_coord (oy, ky, p.pad_t, p.in_h);
      if (iy < 0)
        continue;
      for (int kx = 0; kx < p.kw; kx++)
        {
          int ix = src_coord (ox, kx, p.pad_l, p.in_w);
          if (ix < 0)
            continue;
          int a = (iy * p.in_w + ix) * p.in_stride + p.in_off;
          int k = (ky * p.kw + kx) * p.cin;
          bool masked = (p.flags & FLAG_MASK_INPUT) != 0;
          for (int ci = 0; ci < p.cin; ci++)
            acc += (masked && texelFetch (mask, a + ci).x <= 0.0 ? 0.0 : texelFetch (src, a + ci).x) *
                   texelFetch (weights, p.w_off + (k + ci) * cout4 + co / 4)[co % 4];
        }
    }
  if (p.bias_off >= 0)
    acc += texelFetch (weights, p.bias_off + co / 4)[co % 4];
  if ((p.flags & FLAG_RELU) != 0)
    acc = max (acc, 0.0);
  int o = pix * p.out_stride + p.out_off + co;
  if ((p.flags & FLAG_ACCUMULATE) != 0)
    dst[o] += acc;
  else
    dst[o] = acc;
}
