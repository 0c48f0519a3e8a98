// common.glsl: what every convolution shader shares.
//
// Tensors are channel-last. A tensor "view" is (offset, stride): element
// (y, x, c) of an h x w image lives at (y * w + x) * stride + offset + c, so
// a branch of a concatenation is a view into the concatenated buffer.
// Activations are read through R32F texel buffers (cheap on lavapipe), weights
// through RGBA32F texel buffers laid out [k][cout4] with
// k = (ky * kw + kx) * cin + ci, couts padded to a multiple of 4 with zeros.
//
// One kernel serves forward and backward-data convolution: the input is
// addressed through a virtual coordinate v = o * stride - pad + k that is
// valid when v >= 0, v % up == 0 and v / up < in_size. Forward uses up = 1;
// the transposed convolution of the backward pass uses stride 1, up = the
// forward stride, and flipped, transposed weights.

layout(push_constant) uniform ConvParams {
  int in_h, in_w, in_off, in_stride, cin;
  int out_h, out_w, out_off, out_stride, cout;
  int kh, kw, stride, up, pad_t, pad_l;
  int w_off;     // first texel of this layer's kernel in `weights`
  int bias_off;  // first texel of its bias, or -1
  int flags;     // FLAG_RELU, FLAG_ACCUMULATE
  // A phase of the output (conv_gemm only): outputs out_step * o + phase,
  // kernel taps tap0, tap0 + tap_step, ... A transposed convolution with
  // up-sampling u, run as u x u phases, visits only the taps that land on
  // real input values instead of multiplying zeros.
  int out_step, phase_y, phase_x, tap_y0, tap_x0, tap_step;
  // Batched products (conv_gemm only; the Winograd convolution's 12 to 64):
  // batch b of `batches` reads at in_off + b * batch_in, writes at
  // out_off + b * batch_out, with weights from w_off + b * batch_w.
  int batch_in, batch_out, batch_w, batches;
  // Always 0: added to the source lanes of conv_gemm's shuffles, so that
  // lavapipe's compiler sees a run-time lane index (conv_gemm.comp).
  int lane_zero;
  int groups_x;  // workgroups along x, to flatten 2D dispatches
} p;

#define FLAG_RELU 1
#define FLAG_ACCUMULATE 2
// Backward: the input is a ReLU output's gradient; multiply it by
// (activation > 0), read from `mask` at the same place.
#define FLAG_MASK_INPUT 4

// The source coordinate for output coordinate o and kernel tap k, or -1.
int src_coord (int o, int k, int pad, int in_size)
{
  int v = o * p.stride - pad + k;
  if (v < 0 || (v % p.up) != 0)
    return -1;
  v /= p.up;
  return v < in_size ? v : -1;
}

#include "div_mod.glsl"

uint flat_group_id ()
{
  return gl_WorkGroupID.y * uint(p.groups_x) + gl_WorkGroupID.x;
}
