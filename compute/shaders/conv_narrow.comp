#version 450
// conv_narrow.comp: convolutions with at most 4 output channels, such as
// the backward pass into the image's 3 colour channels. conv_gemm gives
// each lane 4 channels of a 32-channel block, so there 7 of 8 lanes would
// idle; here each lane owns one output pixel (all its channels, one vec4).
// Runs phase by phase like conv_gemm.
//
// VEC4_IN (the input view lies in whole texels of 4 channels): the input
// and its mask are read as RGBA32F texels, 4 channels a fetch, and the
// weights, the same for every lane, are fetched 8 input channels at a
// time, one per lane, and handed round by subgroupShuffle: a texel fetch
// is a call on lavapipe, a shuffle one instruction.
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
layout(local_size_x = 64) in;

layout(binding = 0) uniform samplerBuffer src;
layout(binding = 1) uniform samplerBuffer weights;
// Scalar stores at computed addresses: cheaper through an R32F storage
// texel buffer than through an SSBO on lavapipe.
layout(binding = 4, r32f) uniform imageBuffer dst;
layout(binding = 3) uniform samplerBuffer mask;

#include "common.glsl"

#ifdef VEC4_IN
// Channels c to c + 3 of a pixel's masked input at a (a whole texel),
// zero past cin or where the tap is outside the input.
vec4 input_texel (int a, int c, bool valid, bool masked)
{
  if (c >= p.cin)
    return vec4 (0.0);
  vec4 x = texelFetch (src, (a + c) >> 2);
  if (masked)
    x = mix (vec4 (0.0), x, greaterThan (texelFetch (mask, (a + c) >> 2), vec4 (0.0)));
  return valid ? x : vec4 (0.0);
}
#endif

void main ()
{
  int q = int(flat_group_id () * 64u + gl_LocalInvocationID.x);
  int ph = (p.out_h - p.phase_y + p.out_step - 1) / p.out_step;
  int pw = (p.out_w - p.phase_x + p.out_step - 1) / p.out_step;
  bool live = q < ph * pw;
#ifdef VEC4_IN
  // Every lane takes part in the shuffles: the ones past the end compute
  // the last pixel again and store nothing.
  q = min (q, ph * pw - 1);
  uint lane = gl_SubgroupInvocationID & 7u;
  uint base_lane = gl_SubgroupInvocationID & ~7u;
#else
  if (!live)
    return;
#endif
  int oy = (q / pw) * p.out_step + p.phase_y;
  int ox = (q % pw) * p.out_step + p.phase_x;
  bool masked = (p.flags & FLAG_MASK_INPUT) != 0;

  vec4 acc = vec4 (0.0);
  for (int ky = p.tap_y0; ky < p.kh; ky += p.tap_step)
    {
      int iy = src_coord (oy, ky, p.pad_t, p.in_h);
#ifndef VEC4_IN
      if (iy < 0)
        continue;
#endif
      for (int kx = p.tap_x0; kx < p.kw; kx += p.tap_step)
        {
          int ix = src_coord (ox, kx, p.pad_l, p.in_w);
          // One texel of weights per input channel: cout4 is 1.
          int w = p.w_off + (ky * p.kw + kx) * p.cin;
#ifdef VEC4_IN
          bool valid = iy >= 0 && ix >= 0;
          int a = valid ? (iy * p.in_w + ix) * p.in_stride + p.in_off : 0;
          for (int ci = 0; ci < p.cin; ci += 8)
            {
              vec4 mine = texelFetch (weights, w + min (ci + int(lane), p.cin - 1));
              vec4 x0 = input_texel (a, ci, valid, masked);
              vec4 x1 = input_texel (a, ci + 4, valid, masked);
              for (uint k = 0u; k < 4u; k++)
                acc += x0[k] * subgroupShuffle (mine, base_lane | k) +
                       x1[k] * subgroupShuffle (mine, base_lane | (k + 4u));
            }
#else
          if (ix < 0)
            continue;
          int a = (iy * p.in_w + ix) * p.in_stride + p.in_off;
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
  if (!live)
    return;
  if (p.bias_off >= 0)
    acc += texelFetch (weights, p.bias_off);
  if ((p.flags & FLAG_RELU) != 0)
    acc = max (acc, vec4 (0.0));
  int o = (oy * p.out_w + ox) * p.out_stride + p.out_off;
  for (int c = 0; c < p.cout; c++)
    {
      float v = acc[c];
      if ((p.flags & FLAG_ACCUMULATE) != 0)
        v += imageLoad (dst, o + c).x;
      imageStore (dst, o + c, vec4 (v));
    }
}
