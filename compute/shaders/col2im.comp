#version 450
// col2im.comp: the second half of a backward-data convolution into at
// most 4 channels (compute/col2im.h). conv_gemm has multiplied every
// output-gradient pixel o by the whole kernel: the columns
// cols[o * width + (ky * kw + kx) * cout + c] (width: kh * kw * cout
// rounded up to a multiple of 8, as col2im.c column_floats) hold what o
// sends to channel c through tap (ky, kx). Each lane owns one input pixel
// and adds up the columns of the taps that reached it in the forward pass.
//
// ConvParams, in the forward convolution's terms: in_h x in_w, its output
// (the grid of columns); out_* and cout, the input-gradient view written;
// kh, kw, stride, pad_t, pad_l as the forward convolution's; flags
// FLAG_ACCUMULATE.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;

// RGBA32F texels: a tap's cout (at most 4) values start anywhere in one
// and are picked from it and the next (two plain fetches, where R32F
// fetches would be one gather each on lavapipe).
layout(binding = 0) uniform samplerBuffer cols;
// Scalar stores at computed addresses: cheaper through an R32F storage
// texel buffer than through an SSBO on lavapipe.
layout(binding = 4, r32f) uniform imageBuffer dst;

#include "common.glsl"

void main ()
{
  int q = int(flat_group_id () * 64u + gl_LocalInvocationID.x);
  if (q >= p.out_h * p.out_w)
    return;
  ivec2 yx = div_mod (q, p.out_w);
  // Forward output o read input o * stride - pad + k, so input y took tap
  // k = y + pad - o * stride from every o with 0 <= k < kh: the first is
  // ((y + pad) / stride, (y + pad) % stride), then o - 1 with k + stride.
  ivec2 first_y = div_mod (yx.x + p.pad_t, p.stride);
  ivec2 first_x = div_mod (yx.y + p.pad_l, p.stride);
  int width = (p.kh * p.kw * p.cout + 7) & ~7;
  int last = textureSize (cols) - 1;
  vec4 acc = vec4 (0.0);
  for (int ky = first_y.y, oy = first_y.x; ky < p.kh; ky += p.stride, oy--)
    for (int kx = first_x.y, ox = first_x.x; kx < p.kw; kx += p.stride, ox--)
      {
        bool inside = oy >= 0 && oy < p.in_h && ox >= 0 && ox < p.in_w;
        // Outside the output, read value 0 (always there) and add nothing.
        int at = inside ? (oy * p.in_w + ox) * width + (ky * p.kw + kx) * p.cout : 0;
        vec4 lo = texelFetch (cols, at >> 2), hi = texelFetch (cols, min ((at >> 2) + 1, last));
        int r = at & 3;
        // Channels past cout pick up the next tap's values: never stored.
        vec4 v = r == 0 ? lo
               : r == 1 ? vec4 (lo.yzw, hi.x)
               : r == 2 ? vec4 (lo.zw, hi.xy)
                        : vec4 (lo.w, hi.xyz);
        acc += inside ? v : vec4 (0.0);
      }
  int o = q * p.out_stride + p.out_off;
  bool accumulate = (p.flags & FLAG_ACCUMULATE) != 0;
  for (int c = 0; c < p.cout; c++)
    {
      float v = acc[c];
      if (accumulate)
        v += imageLoad (dst, o + c).x;
      imageStore (dst, o + c, vec4 (v));
    }
}
