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
#ifdef WIDE_OUT
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#endif
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
//
// WIDE_OUT (as VEC4_OUT, with multiples of 8): neighbouring lanes swap
// halves and each stores 8 channels of one of two pixels (wide_store.glsl).
#if defined(VEC4_OUT) || defined(WIDE_OUT)
#ifdef WIDE_OUT
#include "wide_store.glsl"
#else
layout(binding = 2) buffer Dst4 { vec4 dst4[]; };
#endif
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
  ivec2 block = div_mod (group, cblocks);
  int pb = block.x;
  int cb = block.y;
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
  ivec2 q0 = div_mod (p0, pw), q1 = div_mod (p1, pw);
  bool in0 = p0 < npix, in1 = p1 < npix;
  // Source coordinates without a division per tap: the phase's output
  // (q * out_step + phase) reads input (o * stride - pad + k) / up for the
  // taps k = tap0 + n * tap_step, exact by the choice of tap0; that is
  // q * step_in + base + n * tap_step / up.
  int step_in = p.out_step * p.stride / p.up;
  int base_y = (p.phase_y * p.stride - p.pad_t + p.tap_y0) / p.up;
  int base_x = (p.phase_x * p.stride - p.pad_l + p.tap_x0) / p.up;
  int tap_in = p.tap_step / p.up;
  int sy0 = q0.x * step_in + base_y, sx0 = q0.y * step_in + base_x;
  int sy1 = q1.x * step_in + base_y, sx1 = q1.y * step_in + base_x;

  vec4 acc[16];
  for (int j = 0; j < 16; j++)
    acc[j] = vec4 (0.0);

  for (int ky = p.tap_y0; ky < p.kh; ky += p.tap_step, sy0 += tap_in, sy1 += tap_in)
    {
      bool vy0 = in0 && sy0 >= 0 && sy0 < p.in_h;
      bool vy1 = in1 && sy1 >= 0 && sy1 < p.in_h;
      int ix0 = sx0, ix1 = sx1;
      for (int kx = p.tap_x0; kx < p.kw; kx += p.tap_step, ix0 += tap_in, ix1 += tap_in)
        {
          bool v0 = vy0 && ix0 >= 0 && ix0 < p.in_w;
          bool v1 = vy1 && ix1 >= 0 && ix1 < p.in_w;
          // Invalid taps read texel 0 (always in range) and use zero.
          int a0 = v0 ? (sy0 * p.in_w + ix0) * p.in_stride + in_off : 0;
          int a1 = v1 ? (sy1 * p.in_w + ix1) * p.in_stride + in_off : 0;
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
              vec4 b[4];
              for (int k = 0; k < 4; k++)
                b[k] = texelFetch (weights, w + k * cout4);
              w += 4 * cout4;
              for (uint j = 0u; j < 8u; j++)
                {
                  for (int k = 0; k < 4; k++)
                    {
                      acc[j] += subgroupShuffle (x0[k], base_lane | j) * b[k];
                      acc[j + 8u] += subgroupShuffle (x1[k], base_lane | j) * b[k];
                    }
                }
            }
#else
          // 4 channels at a time as above, each a scalar fetch; channels
          // past cin read channel ci instead and count as zero.
          for (int ci = 0; ci < p.cin; ci += 4)
            {
              vec4 x0, x1;
              vec4 b[4];
              for (int k = 0; k < 4; k++)
                {
                  int c = ci + k < p.cin ? ci + k : ci;
                  x0[k] = texelFetch (src, a0 + c).x;
                  x1[k] = texelFetch (src, a1 + c).x;
#ifdef MASK_INPUT
                  x0[k] = texelFetch (mask, a0 + c).x > 0.0 ? x0[k] : 0.0;
                  x1[k] = texelFetch (mask, a1 + c).x > 0.0 ? x1[k] : 0.0;
#endif
                  b[k] = texelFetch (weights, w + (c - ci) * cout4);
                }
              w += 4 * cout4;
              bvec4 real = lessThan (ivec4 (ci) + ivec4 (0, 1, 2, 3), ivec4 (p.cin));
              x0 = v0 ? mix (vec4 (0.0), x0, real) : vec4 (0.0);
              x1 = v1 ? mix (vec4 (0.0), x1, real) : vec4 (0.0);
              for (uint j = 0u; j < 8u; j++)
                {
                  for (int k = 0; k < 4; k++)
                    {
                      acc[j] += subgroupShuffle (x0[k], base_lane | j) * b[k];
                      acc[j + 8u] += subgroupShuffle (x1[k], base_lane | j) * b[k];
                    }
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
  ivec2 qq = div_mod (q, pw);
  int qy = qq.x, qx = qq.y;
  int jn = min (16, npix - q);
#ifdef WIDE_OUT
  // A loop of fixed length, so that acc[] is indexed by constants (indexed
  // at run time it would live in memory).
  for (int j = 0; j < 16; j += 2)
    {
      if (j >= jn)
        break;
      // Pixels j and j + 1; an odd last pixel goes as both (the pair then
      // writes the same 8 values twice).
      bool second = j + 1 < jn;
      vec4 v0 = acc[j], v1 = second ? acc[j + 1] : acc[j];
      int o0 = ((qy * p.out_step + p.phase_y) * p.out_w + qx * p.out_step + p.phase_x) * p.out_stride;
      if (++qx == pw)
        {
          qx = 0;
          qy++;
        }
      int o1 = o0;
      if (second)
        {
          o1 = ((qy * p.out_step + p.phase_y) * p.out_w + qx * p.out_step + p.phase_x) * p.out_stride;
          if (++qx == pw)
            {
              qx = 0;
              qy++;
            }
        }
      o0 += out_off + co4 * 4;
      o1 += out_off + co4 * 4;
      v0 += bias;
      v1 += bias;
      if (relu)
        {
          v0 = max (v0, vec4 (0.0));
          v1 = max (v1, vec4 (0.0));
        }
      if (accumulate)
        {
          v0 += texelFetch (dst_in4, o0 >> 2);
          v1 += texelFetch (dst_in4, o1 >> 2);
        }
      store_pair (o0, v0, o1, v1);
    }
#else
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
#endif
}
