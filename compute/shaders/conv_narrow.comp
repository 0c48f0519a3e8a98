#version 450
// conv_narrow.comp: convolutions with at most 4 output channels, such as
// the backward pass into the image's 3 colour channels. conv_gemm gives
// each lane 4 channels of a 32-channel block, so there 7 of 8 lanes would
// idle; here each lane owns one output pixel (all its channels, one vec4)
// and needs no subgroup operations. Runs phase by phase like conv_gemm.
// VEC4_IN (the input view lies in whole texels of 4 channels): the input
// and its mask are read as RGBA32F texels, 4 channels a fetch.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;

layout(binding = 0) uniform samplerBuffer src;
layout(binding = 1) uniform samplerBuffer weights;
layout(binding = 2) buffer Dst { float dst[]; };
layout(binding = 3) uniform samplerBuffer mask;

#include "common.glsl"

void main ()
{
  int q = int(flat_group_id () * 64u + gl_LocalInvocationID.x);
  int ph = (p.out_h - p.phase_y + p.out_step - 1) / p.out_step;
  int pw = (p.out_w - p.phase_x + p.out_step - 1) / p.out_step;
  if (q >= ph * pw)
    return;
  int oy = (q / pw) * p.out_step + p.phase_y;
  int ox = (q % pw) * p.out_step + p.phase_x;
  bool masked = (p.flags & FLAG_MASK_INPUT) != 0;

  vec4 acc = vec4 (0.0);
  for (int ky = p.tap_y0; ky < p.kh; ky += p.tap_step)
    {
      int iy = src_coord (oy, ky, p.pad_t, p.in_h);
      if (iy < 0)
        continue;
      for (int kx = p.tap_x0; kx < p.kw; kx += p.tap_step)
        {
          int ix = src_coord (ox, kx, p.pad_l, p.in_w);
          if (ix < 0)
            continue;
          int a = (iy * p.in_w + ix) * p.in_stride + p.in_off;
          // One texel of weights per input channel: cout4 is 1.
          int w = p.w_off + (ky * p.kw + kx) * p.cin;
#ifdef VEC4_IN
          for (int ci = 0; ci < p.cin; ci += 4)
            {
              vec4 x = texelFetch (src, (a + ci) >> 2);
              if (masked)
                x = mix (vec4 (0.0), x, greaterThan (texelFetch (mask, (a + ci) >> 2), vec4 (0.0)));
              acc += x.x * texelFetch (weights, w + ci) + x.y * texelFetch (weights, w + ci + 1) +
                     x.z * texelFetch (weights, w + ci + 2) + x.w * texelFetch (weights, w + ci + 3);
            }
#else
          for (int ci = 0; ci < p.cin; ci++)
            {
              float x = texelFetch (src, a + ci).x;
              if (masked)
                x = texelFetch (mask, a + ci).x > 0.0 ? x : 0.0;
              acc += x * texelFetch (weights, w + ci);
            }
#endif
        }
    }
  if (p.bias_off >= 0)
    acc += texelFetch (weights, p.bias_off);
  if ((p.flags & FLAG_RELU) != 0)
    acc = max (acc, vec4 (0.0));
  int o = (oy * p.out_w + ox) * p.out_stride + p.out_off;
  for (int c = 0; c < p.cout; c++)
    {
      if ((p.flags & FLAG_ACCUMULATE) != 0)
        dst[o + c] += acc[c];
      else
        dst[o + c] = acc[c];
    }
}
