#version 450
// conv_gemm.comp: convolution as an implicit matrix product, shaped for
// lavapipe (see LAVAPIPE.md) and fine on GPUs: no shared memory, operands
// through texel buffers, and each group of 8 lanes computes a block of
// 16 output pixels x 32 output channels. Each lane owns 4 channels (one
// vec4 of weights) and fetches the input values of 2 of the 16 pixels; the
// other lanes' values arrive by subgroupShuffle, one instruction each.
// Groups of 8 are aligned inside the subgroup, so any subgroup size that is
// a multiple of 8 works.
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
layout(local_size_x = 128) in;

// VEC4_IN (the input view lies in whole texels of 4 channels): the input,
// and its mask, are read as RGBA32F texels, 4 channels a fetch. lavapipe
// fetches an R32F texel for 8 lanes with a gather instruction, which on
// CPUs with the gather (Downfall) mitigation costs far more than the 8
// plain 16-byte loads of an RGBA32F fetch: the scalar fetches were a
// quarter of a step's time.
layout(binding = 0) uniform samplerBuffer src;
layout(binding = 1) uniform samplerBuffer weights;
// MASK_INPUT: the input is a ReLU output's gradient, let through where the
// activation (`mask`, laid out as the input) is > 0: the backward ReLU,
// folded into the reads. A compile-time variant, so that the forward
// kernels carry no test in their inner loop.
layout(binding = 3) uniform samplerBuffer mask;
// VEC4_OUT (the output view's offset, stride and channel count are
// multiples of 4): results go out as whole vec4s, one store per pixel
// instead of four scalar stores at computed addresses, which lavapipe runs
// lane by lane (measured: vec4 SSBO stores beat RGBA32F imageStore here).
#ifdef VEC4_OUT
layout(binding = 2) buffer Dst4 { vec4 dst4[]; };
// The same buffer, read when adding into it: cheaper than the SSBO load.
layout(binding = 6) uniform samplerBuffer dst_in4;
#else
layout(binding = 2) buffer Dst { float dst[]; };
#endif

#include "common.glsl"

void main ()
{
  uint lane = gl_SubgroupInvocationID & 7u;
  uint base_lane = gl_SubgroupInvocationID & ~7u;
  int group = int(flat_group_id () * 16u + (gl_LocalInvocationID.x >> 3));
  int cout4 = (p.cout + 3) / 4;
  int cblocks = (cout4 + 7) / 8;
  // This dispatch covers the phase grid: ph x pw outputs.
  int ph = (p.out_h - p.phase_y + p.out_step - 1) / p.out_step;
  int pw = (p.out_w - p.phase_x + p.out_step - 1) / p.out_step;
  int npix = ph * pw;
  int pblocks = (npix + 15) / 16;
  int pb = group / cblocks;
  int cb = group % cblocks;
  // The 8 lanes of a group share pb, so they leave together.
  if (pb >= pblocks)
    return;

  int batch = int(gl_WorkGroupID.z);
  int in_off = p.in_off + batch * p.batch_in;
  int out_off = p.out_off + batch * p.batch_out;
  int w_off = p.w_off + batch * p.batch_w;
  int co4 = cb * 8 + int(lane);
  bool co_ok = co4 < cout4;
  int wco = min (co4, cout4 - 1);
  int p0 = pb * 16 + int(lane);
  int p1 = p0 + 8;
  int oy0 = (p0 / pw) * p.out_step + p.phase_y, ox0 = (p0 % pw) * p.out_step + p.phase_x;
  int oy1 = (p1 / pw) * p.out_step + p.phase_y, ox1 = (p1 % pw) * p.out_step + p.phase_x;
  bool in0 = p0 < npix, in1 = p1 < npix;

  vec4 acc[16];
  for (int j = 0; j < 16; j++)
    acc[j] = vec4 (0.0);

  for (int ky = p.tap_y0; ky < p.kh; ky += p.tap_step)
    {
      int iy0 = src_coord (oy0, ky, p.pad_t, p.in_h);
      int iy1 = src_coord (oy1, ky, p.pad_t, p.in_h);
      for (int kx = p.tap_x0; kx < p.kw; kx += p.tap_step)
        {
          int ix0 = src_coord (ox0, kx, p.pad_l, p.in_w);
          int ix1 = src_coord (ox1, kx, p.pad_l, p.in_w);
          bool v0 = in0 && iy0 >= 0 && ix0 >= 0;
          bool v1 = in1 && iy1 >= 0 && ix1 >= 0;
          // Invalid taps read texel 0 (always in range) and use zero.
          int a0 = v0 ? (iy0 * p.in_w + ix0) * p.in_stride + in_off : 0;
          int a1 = v1 ? (iy1 * p.in_w + ix1) * p.in_stride + in_off : 0;
          int w = w_off + (ky * p.kw + kx) * p.cin * cout4 + wco;
#ifdef VEC4_IN
          for (int ci = 0; ci < p.cin; ci += 4)
            {
              vec4 x0 = texelFetch (src, (a0 + ci) >> 2);
              vec4 x1 = texelFetch (src, (a1 + ci) >> 2);
#ifdef MASK_INPUT
              x0 = mix (vec4 (0.0), x0, greaterThan (texelFetch (mask, (a0 + ci) >> 2), vec4 (0.0)));
              x1 = mix (vec4 (0.0), x1, greaterThan (texelFetch (mask, (a1 + ci) >> 2), vec4 (0.0)));
#endif
              x0 = v0 ? x0 : vec4 (0.0);
              x1 = v1 ? x1 : vec4 (0.0);
              for (int k = 0; k < 4; k++)
                {
                  vec4 b = texelFetch (weights, w);
                  w += cout4;
                  for (uint j = 0u; j < 8u; j++)
                    {
                      acc[j] += subgroupShuffle (x0[k], base_lane | j) * b;
                      acc[j + 8u] += subgroupShuffle (x1[k], base_lane | j) * b;
                    }
                }
            }
#else
          for (int ci = 0; ci < p.cin; ci++)
            {
              float x0 = texelFetch (src, a0 + ci).x;
              float x1 = texelFetch (src, a1 + ci).x;
#ifdef MASK_INPUT
              x0 = texelFetch (mask, a0 + ci).x > 0.0 ? x0 : 0.0;
              x1 = texelFetch (mask, a1 + ci).x > 0.0 ? x1 : 0.0;
#endif
              x0 = v0 ? x0 : 0.0;
              x1 = v1 ? x1 : 0.0;
              vec4 b = texelFetch (weights, w);
              w += cout4;
              for (uint j = 0u; j < 8u; j++)
                {
                  acc[j] += subgroupShuffle (x0, base_lane | j) * b;
                  acc[j + 8u] += subgroupShuffle (x1, base_lane | j) * b;
                }
            }
#endif
        }
    }

  if (!co_ok)
    return;
  vec4 bias = p.bias_off >= 0 ? texelFetch (weights, p.bias_off + co4) : vec4 (0.0);
  bool relu = (p.flags & FLAG_RELU) != 0;
  bool accumulate = (p.flags & FLAG_ACCUMULATE) != 0;
  int nc = min (4, p.cout - co4 * 4);
  // Walk the block's pixels without a division per pixel.
  int q = pb * 16;
  int qy = q / pw, qx = q % pw;
  int jn = min (16, npix - q);
  for (int j = 0; j < jn; j++)
    {
      int pix = (qy * p.out_step + p.phase_y) * p.out_w + qx * p.out_step + p.phase_x;
      if (++qx == pw)
        {
          qx = 0;
          qy++;
        }
      vec4 v = acc[j] + bias;
      if (relu)
        v = max (v, vec4 (0.0));
      int o = pix * p.out_stride + out_off + co4 * 4;
#ifdef VEC4_OUT
      if (accumulate)
        v += texelFetch (dst_in4, o >> 2);
      dst4[o >> 2] = v;
#else
      for (int c = 0; c < nc; c++)
        {
          if (accumulate)
            dst[o + c] += v[c];
          else
            dst[o + c] = v[c];
        }
#endif
    }
}
