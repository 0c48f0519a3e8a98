#version 450
// conv_tiled.comp: convolution as an implicit matrix product in the classic
// shape for GPUs with fast shared memory. A workgroup of 256 invocations
// computes a block of 64 output pixels x 64 output channels; the reduction
// (kernel taps x input channels) advances in chunks of 16, each chunk's
// input values (gathered with the implicit im2col addressing) and weights
// (vec4 texels) staged in shared memory; each invocation keeps a 4 x 4
// register tile (4 pixels x one vec4 of channels). Slow on lavapipe, where
// shared memory buys nothing (LAVAPIPE.md); conv_gemm serves there.
//
// Transposed strided convolutions (up > 1) run in one dispatch: workgroup z
// is the output phase (py, px) of the up x up grid, and each phase visits
// only the kernel taps that land on real input values. The phase fields of
// ConvParams are not used.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 256) in;

layout(binding = 0) uniform samplerBuffer src;
layout(binding = 1) uniform samplerBuffer weights;
layout(binding = 2) buffer Dst { float dst[]; };
layout(binding = 3) uniform samplerBuffer mask;

#include "common.glsl"

#define TILE_PIX 64
#define TILE_C4 16      // 64 channels as vec4
#define KCHUNK 16

// One float of padding per row: the 16 rows a warp stores at once fall in
// different banks.
shared float a_tile[KCHUNK][TILE_PIX + 1];
shared vec4 b_tile[KCHUNK][TILE_C4];

void main ()
{
  int lid = int(gl_LocalInvocationID.x);
  int u = p.up;
  int py = int(gl_WorkGroupID.z) / u, px = int(gl_WorkGroupID.z) % u;
  // This phase's output grid (every output when u == 1): ph x pw pixels,
  // pixel q at ((q / pw) * u + py, (q % pw) * u + px).
  int ph = (p.out_h - py + u - 1) / u;
  int pw = (p.out_w - px + u - 1) / u;
  int npix = ph * pw;
  int cout4 = (p.cout + 3) / 4;
  int cblocks = (cout4 + TILE_C4 - 1) / TILE_C4;
  int group = int(flat_group_id ());
  int pb = group / cblocks, cb = group % cblocks;
  // Uniform across the workgroup: the barriers below stay legal.
  if (pb * TILE_PIX >= npix)
    return;

  // Taps v = o * stride - pad + k with v % u == 0: k = tap0 + u * j.
  int tap_y0 = ((p.pad_t - py * p.stride) % u + u) % u;
  int tap_x0 = ((p.pad_l - px * p.stride) % u + u) % u;
  int nty = tap_y0 < p.kh ? (p.kh - tap_y0 + u - 1) / u : 0;
  int ntx = tap_x0 < p.kw ? (p.kw - tap_x0 + u - 1) / u : 0;
  int ktotal = nty * ntx * p.cin;

  // What this invocation stages: one row of the chunk (neighbouring
  // invocations read neighbouring input channels, contiguous in memory)
  // for 4 pixels, and one weight texel.
  int a_row = lid % KCHUNK;
  int a_pix = lid / KCHUNK;              // pixels a_pix + 16 * j
  int a_oy[4], a_ox[4];
  bool a_ok[4];
  for (int j = 0; j < 4; j++)
    {
      int q = pb * TILE_PIX + a_pix + 16 * j;
      a_ok[j] = q < npix;
      a_oy[j] = (q / pw) * u + py;
      a_ox[j] = (q % pw) * u + px;
    }
  int b_c4 = lid % TILE_C4;
  int b_row = lid / TILE_C4;             // 0 .. KCHUNK - 1
  int b_co4 = min (cb * TILE_C4 + b_c4, cout4 - 1);
  bool masked = (p.flags & FLAG_MASK_INPUT) != 0;

  // What this invocation computes: pixels t_pix + 16 * i, channels
  // (cb * 16 + t_c4) * 4 .. + 3.
  int t_c4 = lid % TILE_C4;
  int t_pix = lid / TILE_C4;
  vec4 acc[4];
  for (int i = 0; i < 4; i++)
    acc[i] = vec4 (0.0);

  for (int k0 = 0; k0 < ktotal; k0 += KCHUNK)
    {
      {
        int k = k0 + a_row;
        bool k_ok = k < ktotal;
        int t = k / p.cin, ci = k % p.cin;
        int ky = tap_y0 + (t / ntx) * u, kx = tap_x0 + (t % ntx) * u;
        for (int j = 0; j < 4; j++)
          {
            float x = 0.0;
            int iy = src_coord (a_oy[j], ky, p.pad_t, p.in_h);
            int ix = src_coord (a_ox[j], kx, p.pad_l, p.in_w);
            if (k_ok && a_ok[j] && iy >= 0 && ix >= 0)
              {
                int a = (iy * p.in_w + ix) * p.in_stride + p.in_off + ci;
                x = texelFetch (src, a).x;
                if (masked && texelFetch (mask, a).x <= 0.0)
                  x = 0.0;
              }
            a_tile[a_row][a_pix + 16 * j] = x;
          }
      }
      {
        int k = k0 + b_row;
        vec4 w = vec4 (0.0);
        if (k < ktotal)
          {
            int t = k / p.cin, ci = k % p.cin;
            int ky = tap_y0 + (t / ntx) * u, kx = tap_x0 + (t % ntx) * u;
            w = texelFetch (weights, p.w_off + ((ky * p.kw + kx) * p.cin + ci) * cout4 + b_co4);
          }
        b_tile[b_row][b_c4] = w;
      }
      barrier ();

      for (int kk = 0; kk < KCHUNK; kk++)
        {
          vec4 b = b_tile[kk][t_c4];
          for (int i = 0; i < 4; i++)
            acc[i] += a_tile[kk][t_pix + 16 * i] * b;
        }
      barrier ();
    }

  int co4 = cb * TILE_C4 + t_c4;
  if (co4 >= cout4)
    return;
  vec4 bias = p.bias_off >= 0 ? texelFetch (weights, p.bias_off + co4) : vec4 (0.0);
  bool relu = (p.flags & FLAG_RELU) != 0;
  bool accumulate = (p.flags & FLAG_ACCUMULATE) != 0;
  int nc = min (4, p.cout - co4 * 4);
  for (int i = 0; i < 4; i++)
    {
      int q = pb * TILE_PIX + t_pix + 16 * i;
      if (q >= npix)
        break;
      int pix = ((q / pw) * u + py) * p.out_w + (q % pw) * u + px;
      vec4 v = acc[i] + bias;
      if (relu)
        v = max (v, vec4 (0.0));
      int o = pix * p.out_stride + p.out_off + co4 * 4;
      for (int c = 0; c < nc; c++)
        {
          if (accumulate)
            dst[o + c] += v[c];
          else
            dst[o + c] = v[c];
        }
    }
}
