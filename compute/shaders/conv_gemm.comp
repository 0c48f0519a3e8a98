#version 450
// conv_gemm.comp: convolution as an implicit matrix product, shaped for
// lavapipe (see LAVAPIPE.md) and fine on GPUs: no shared memory, operands
// through texel buffers, and each group of 8 lanes computes a block of
// 32 output pixels x 32 output channels. Each lane owns 4 channels (one
// vec4 of weights) and fetches the input values of 4 of the 32 pixels; the
// other lanes' values arrive by subgroupShuffle, one instruction each.
// Per 4 input channels every fetch comes first, then the multiply-adds:
// on lavapipe a fetch is a function call, and accumulators live across a
// call are stored and reloaded.
// Groups of 8 are aligned inside the subgroup, so any subgroup size that is
// a multiple of 8 works.
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#ifdef WIDE_OUT
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#endif
layout(local_size_x = 128) in;

// RGB_IN (the image: 3 channels, packed): each pixel's 3 values are picked
// from the two RGBA32F texels they straddle, instead of three R32F
// fetches (gathers, as below).
//
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

// Output pixels per group of 8 lanes, NP per lane (kernels.c
// CONV_GEMM_PIXELS). 32 rather than 16: a fetch of weights then serves
// twice the multiply-adds (measured: about 5% faster per step on lavapipe).
#define PIXELS 32
#define NP (PIXELS / 8)

// acc[j + 8 n] += (pixel j + 8 n's input, from lane j) x (this lane's
// weights), for kn (4, or 3 for the image) input channels. Written out per
// lane j: as one loop nest it is too big for the compiler to unroll, and
// acc[] indexed at run time would live in memory.
#define MAC_LANE(j, x, b, kn) \
  for (int n = 0; n < NP; n++) \
    for (int k = 0; k < kn; k++) \
      acc[j + 8 * n] += subgroupShuffle (x[n][k], base_lane | uint(j)) * b[k];
#define MAC_CHANNELS(x, b, kn) \
  MAC_LANE (0, x, b, kn) MAC_LANE (1, x, b, kn) MAC_LANE (2, x, b, kn) MAC_LANE (3, x, b, kn) \
  MAC_LANE (4, x, b, kn) MAC_LANE (5, x, b, kn) MAC_LANE (6, x, b, kn) MAC_LANE (7, x, b, kn)
#define MAC_ALL(x, b) MAC_CHANNELS (x, b, 4)

// The float index of the block's next output pixel, walking the phase's
// grid (qx, qy) without a division per pixel.
int next_pixel (inout int qx, inout int qy, int pw)
{
  int pix = (qy * p.out_step + p.phase_y) * p.out_w + qx * p.out_step + p.phase_x;
  if (++qx == pw)
    {
      qx = 0;
      qy++;
    }
  return pix * p.out_stride;
}

#if defined(VEC4_OUT) || defined(WIDE_OUT)
// An accumulator made output at float index o: bias, ReLU, and what the
// output holds when adding into it.
vec4 finish (vec4 v, int o, vec4 bias, bool relu, bool accumulate)
{
  v += bias;
  if (relu)
    v = max (v, vec4 (0.0));
  if (accumulate)
    v += texelFetch (dst_in4, o >> 2);
  return v;
}
#endif

#ifdef WIDE_OUT
// Stores the block's next pixel and, if `second`, the one after it.
void write_pair (vec4 v0, vec4 v1, bool second, inout int qx, inout int qy, int pw, vec4 bias,
                 bool relu, bool accumulate, int base)
{
  int o0 = next_pixel (qx, qy, pw) + base;
  int o1 = o0;
  if (second)
    o1 = next_pixel (qx, qy, pw) + base;
  store_pair (o0, finish (v0, o0, bias, relu, accumulate), o1, finish (v1, o1, bias, relu, accumulate));
}
#endif

void main ()
{
  uint lane = gl_SubgroupInvocationID & 7u;
  // The first lane of this group of 8, with p.lane_zero (0) added: a
  // shuffle's source lane that lavapipe's compiler sees as a run-time value
  // becomes one vpermps, where a constant lane j made a splat of two
  // shuffle instructions (vpermilps and vbroadcastsd), each taking a
  // floating-point pipe from the multiply-adds (measured on an AMD EPYC,
  // medians of 17 alternated profiles: the convolution kinds 278 -> 269 ms
  // a 512-px step).
  uint base_lane = (gl_SubgroupInvocationID & ~7u) + uint(p.lane_zero);
  int cout4 = (p.cout + 3) / 4;
  int cblocks = (cout4 + 7) / 8;
  // This dispatch covers the phase grid: ph x pw outputs.
  int ph = (p.out_h - p.phase_y + p.out_step - 1) / p.out_step;
  int pw = (p.out_w - p.phase_x + p.out_step - 1) / p.out_step;
  int npix = ph * pw;
  int pblocks = (npix + PIXELS - 1) / PIXELS;
  // The groups of all batches in one run, batch-major: a batch's few
  // groups (a Winograd product of a small image) do not leave the rest of
  // a workgroup idle, which lavapipe runs all the same.
  int group = int(flat_group_id () * 16u + (gl_LocalInvocationID.x >> 3));
  ivec2 batch_rest = div_mod (group, pblocks * cblocks);
  int batch = batch_rest.x;
  // The 8 lanes of a group share it, so they leave together.
  if (batch >= p.batches)
    return;
  ivec2 block = div_mod (batch_rest.y, cblocks);
  int pb = block.x;
  int cb = block.y;

  int in_off = p.in_off + batch * p.batch_in;
  int out_off = p.out_off + batch * p.batch_out;
  int w_off = p.w_off + batch * p.batch_w;
  int co4 = cb * 8 + int(lane);
  bool co_ok = co4 < cout4;
  int wco = min (co4, cout4 - 1);
  // Source coordinates without a division per tap: the phase's output
  // (q * out_step + phase) reads input (o * stride - pad + k) / up for the
  // taps k = tap0 + n * tap_step, exact by the choice of tap0; that is
  // q * step_in + base + n * tap_step / up.
  int step_in = p.out_step * p.stride / p.up;
  int base_y = (p.phase_y * p.stride - p.pad_t + p.tap_y0) / p.up;
  int base_x = (p.phase_x * p.stride - p.pad_l + p.tap_x0) / p.up;
  int tap_in = p.tap_step / p.up;
  // This lane fetches pixels pb * PIXELS + lane + 8 n, n < NP.
  int sy[NP], sx[NP];
  bool in_grid[NP];
  for (int n = 0; n < NP; n++)
    {
      int pn = pb * PIXELS + int(lane) + 8 * n;
      ivec2 q = div_mod (pn, pw);
      in_grid[n] = pn < npix;
      sy[n] = q.x * step_in + base_y;
      sx[n] = q.y * step_in + base_x;
    }

  vec4 acc[PIXELS];
  for (int j = 0; j < PIXELS; j++)
    acc[j] = vec4 (0.0);

  // dy and dx: n * tap_step / up above, stepped by tap_in.
  for (int ky = p.tap_y0, dy = 0; ky < p.kh; ky += p.tap_step, dy += tap_in)
    {
      bool vy[NP];
      int iy[NP];
      for (int n = 0; n < NP; n++)
        {
          iy[n] = sy[n] + dy;
          vy[n] = in_grid[n] && iy[n] >= 0 && iy[n] < p.in_h;
        }
      for (int kx = p.tap_x0, dx = 0; kx < p.kw; kx += p.tap_step, dx += tap_in)
        {
          bool v[NP];
          int a[NP];
          for (int n = 0; n < NP; n++)
            {
              int ix = sx[n] + dx;
              v[n] = vy[n] && ix >= 0 && ix < p.in_w;
              // Invalid taps read texel 0 (always in range) and use zero.
              a[n] = v[n] ? (iy[n] * p.in_w + ix) * p.in_stride + in_off : 0;
            }
          int w = w_off + (ky * p.kw + kx) * p.cin * cout4 + wco;
#ifdef VEC4_IN
          for (int ci = 0; ci < p.cin; ci += 4)
            {
              vec4 x[NP];
              for (int n = 0; n < NP; n++)
                x[n] = texelFetch (src, (a[n] + ci) >> 2);
#ifdef MASK_INPUT
              for (int n = 0; n < NP; n++)
                x[n] = mix (vec4 (0.0), x[n], greaterThan (texelFetch (mask, (a[n] + ci) >> 2), vec4 (0.0)));
#endif
              for (int n = 0; n < NP; n++)
                x[n] = v[n] ? x[n] : vec4 (0.0);
              vec4 b[4];
              for (int k = 0; k < 4; k++)
                b[k] = texelFetch (weights, w + k * cout4);
              w += 4 * cout4;
              MAC_ALL (x, b)
            }
#elif defined(RGB_IN)
          {
            // cin 3, in_stride 3: pixel values start anywhere in a texel.
            int last = textureSize (src) - 1;
            vec4 lo[NP], hi[NP], x[NP];
            for (int n = 0; n < NP; n++)
              {
                lo[n] = texelFetch (src, a[n] >> 2);
                hi[n] = texelFetch (src, min ((a[n] >> 2) + 1, last));
              }
            vec4 b[3];
            for (int k = 0; k < 3; k++)
              b[k] = texelFetch (weights, w + k * cout4);
            for (int n = 0; n < NP; n++)
              {
                int r = a[n] & 3;
                vec3 rgb = r == 0 ? lo[n].xyz
                         : r == 1 ? lo[n].yzw
                         : r == 2 ? vec3 (lo[n].zw, hi[n].x)
                                  : vec3 (lo[n].w, hi[n].xy);
                x[n] = v[n] ? vec4 (rgb, 0.0) : vec4 (0.0);
              }
            MAC_CHANNELS (x, b, 3)
          }
#else
          // 4 channels at a time as above, each a scalar fetch; channels
          // past cin read channel ci instead and count as zero.
          for (int ci = 0; ci < p.cin; ci += 4)
            {
              vec4 x[NP];
              vec4 b[4];
              for (int k = 0; k < 4; k++)
                {
                  int c = ci + k < p.cin ? ci + k : ci;
                  for (int n = 0; n < NP; n++)
                    {
                      x[n][k] = texelFetch (src, a[n] + c).x;
#ifdef MASK_INPUT
                      x[n][k] = texelFetch (mask, a[n] + c).x > 0.0 ? x[n][k] : 0.0;
#endif
                    }
                  b[k] = texelFetch (weights, w + (c - ci) * cout4);
                }
              w += 4 * cout4;
              bvec4 real = lessThan (ivec4 (ci) + ivec4 (0, 1, 2, 3), ivec4 (p.cin));
              for (int n = 0; n < NP; n++)
                x[n] = v[n] ? mix (vec4 (0.0), x[n], real) : vec4 (0.0);
              MAC_ALL (x, b)
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
  int q = pb * PIXELS;
  ivec2 qq = div_mod (q, pw);
  int qy = qq.x, qx = qq.y;
  int jn = min (PIXELS, npix - q);
#ifdef WIDE_OUT
  // Pixels j and j + 1 as a pair; an odd last pixel goes as both (the pair
  // then writes the same 8 values twice). Written out with constant j: a
  // loop too long to unroll would index acc[] at run time, and keep it in
  // memory throughout.
#define PAIR(j) \
  if (j < jn) \
    write_pair (acc[j], j + 1 < jn ? acc[j + 1] : acc[j], j + 1 < jn, qx, qy, pw, bias, relu, \
                accumulate, out_off + co4 * 4);
  PAIR (0) PAIR (2) PAIR (4) PAIR (6) PAIR (8) PAIR (10) PAIR (12) PAIR (14)
  PAIR (16) PAIR (18) PAIR (20) PAIR (22) PAIR (24) PAIR (26) PAIR (28) PAIR (30)
#undef PAIR
#else
  for (int j = 0; j < jn; j++)
    {
      int o = next_pixel (qx, qy, pw) + out_off + co4 * 4;
#ifdef VEC4_OUT
      dst4[o >> 2] = finish (acc[j], o, bias, relu, accumulate);
#else
      vec4 v = acc[j] + bias;
      if (relu)
        v = max (v, vec4 (0.0));
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
