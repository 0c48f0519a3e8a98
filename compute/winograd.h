/* winograd.h: 3x3 and 5x5 stride-1 convolutions as Winograd F(4x4, 3x3),
 * F(6x6, 3x3) or F(4x4, 5x5), and 1x7 and 7x1 ones as F(6, 7) along their
 * line (compute/shaders/winograd.glsl): an input transform, 36, 64 or 12
 * batched matrix products on conv_gemm, an output transform. 3.5 to 6
 * times fewer multiplies than the direct convolution, for two extra passes
 * over memory. */
#pragma once

#include "compute/kernels.h"

/* compute/shaders/winograd.glsl: WinogradParams */
typedef struct {
  gint32 h, w, off, stride, channels;
  gint32 tiles_h, tiles_w;
  gint32 pad_t, pad_l;
  gint32 bias_off;
  gint32 flags;
  gint32 groups_x;
} IncWinogradParams;

/* IncWinogradParams.flags, beside INC_CONV_RELU, INC_CONV_ACCUMULATE and
 * INC_CONV_MASK_INPUT: F(6, 7)'s lines are columns (a 7 x 1 kernel). */
#define INC_WINOGRAD_VERTICAL 8

/* Scratch buffers above this many floats are not used (the convolution
 * then runs directly): bounds device memory on very large images. */
#define INC_WINOGRAD_MAX_SCRATCH_FLOATS ((gsize) 32 << 20)

/* The transforms: output tile and kernel. */
typedef enum {
  INC_WINOGRAD_F4_3X3,
  INC_WINOGRAD_F6_3X3,
  INC_WINOGRAD_F4_5X5,
  INC_WINOGRAD_F6_7,     /* 1 x 7 or 7 x 1: 6 outputs a tile along the line */
} IncWinogradForm;

/* Whether a node is a convolution this path can run (3x3, 5x5, 1x7 or
 * 7x1, stride 1): backward, always. */
gboolean _inc_winograd_applies      (const IncNode *node);
/* Forward 3x3 convolutions run as Winograd from this many input channels.
 * Below it the products are short (a product's inner dimension is cin)
 * and the transforms cost what the products save: InceptionV3's
 * Conv2d_2b (32 -> 64) took as long either way. And rounding matters
 * forward as it does not backward (see pass.c's plan_winograd): with
 * Conv2d_2a (32 -> 32) as Winograd the input gradient moved 1.8e-3 from
 * PyTorch's, over the engine's 1e-3 bound, while the layers from 64
 * channels left it at 2e-6. */
#define INC_WINOGRAD_FORWARD_MIN_CIN 64
/* Whether a node's forward convolution runs as Winograd (where the
 * network has the path at all): 3x3 from INC_WINOGRAD_FORWARD_MIN_CIN
 * channels, 5x5 (the mixed blocks' 48 -> 64: 32 -> 11 ms a 512-px step,
 * the input gradient still 4e-6 from PyTorch's) and 1x7 / 7x1 (the
 * mixed4-7 blocks: with them the input gradient stayed 4.3e-6 to 4.9e-6
 * from PyTorch's). */
gboolean _inc_winograd_forward_applies (const IncNode *node);
/* The form of a node's forward or backward-data convolution. 5x5 kernels
 * run F(4x4, 5x5) (6.25 times fewer multiplies), 1x7 and 7x1 ones F(6, 7)
 * (3.5 times fewer; 176 -> 71 ms a 512-px step, plus 28 ms of
 * transforms). 3x3 backward runs F(6x6, 3x3): 21% fewer multiplies and
 * smaller scratch than F(4x4, 3x3)
 * (3x3 backward 117 -> 95 ms a 512-px step); its rounding, about twice
 * F(4x4, 3x3)'s, is linear there and left the input gradient 4e-6 from
 * PyTorch's. Forward 3x3 keeps F(4x4, 3x3): with F(6x6, 3x3) on
 * Conv2d_4a and the mixed blocks' 3x3s, flipped ReLUs and max-pool
 * choices moved the input gradient 1.4e-3, over the engine's 1e-3 bound. */
IncWinogradForm _inc_winograd_form  (const IncNode *node,
                                     gboolean       backward);
/* Floats of the two scratch buffers a convolution with these (direct)
 * parameters needs: transformed input and products. */
void     _inc_winograd_scratch      (const IncConvParams *params,
                                     IncWinogradForm      form,
                                     gsize               *input_floats,
                                     gsize               *product_floats);
/* The kernels transformed, G g G^T (F(6, 7): G g), from the model's
 * [kh][kw][cin][cout]: the forward convolution's as texels of RGBA32F
 * laid out [positions][cin][cout4], positions = 36, 64 or 12; with
 * `transposed`, the backward-data convolution's (flipped, channels
 * swapped), [positions][cout][cin4]. Returns the count of floats; dst may
 * be NULL to ask for it. */
gsize    _inc_pack_winograd_weights (const float *kernel,
                                     int          cin,
                                     int          cout,
                                     gboolean     transposed,
                                     IncWinogradForm form,
                                     float       *dst);
/* Records the three passes (barriers between them, none after) for a
 * convolution with these direct parameters (forward, or backward-data with
 * stride 1), its transformed kernels at texel w_off; bias and ReLU as in
 * params. The input is masked by mask > 0 when params->flags has
 * INC_CONV_MASK_INPUT. */
void     _inc_record_winograd       (IncDevice           *device,
                                     const IncBuffer     *src,
                                     const IncBuffer     *mask,
                                     const IncBuffer     *weights,
                                     const IncBuffer     *dst,
                                     const IncConvParams *params,
                                     IncWinogradForm      form,
                                     gint32               w_off,
                                     const IncBuffer     *scratch_input,
                                     const IncBuffer     *scratch_products);
