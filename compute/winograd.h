/* winograd.h: 3x3 stride-1 convolutions as F(4x4, 3x3) Winograd
 * (compute/shaders/winograd.glsl): an input transform, 36 batched matrix
 * products on conv_gemm, an output transform. 2.25x fewer multiplies than
 * the direct convolution, for two extra passes over memory. */
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

/* Scratch buffers above this many floats are not used (the convolution
 * then runs directly): bounds device memory on very large images. */
#define INC_WINOGRAD_MAX_SCRATCH_FLOATS ((gsize) 32 << 20)

/* Whether a node is a convolution this path can run (3x3, stride 1). */
gboolean _inc_winograd_applies      (const IncNode *node);
/* Forward convolutions run as Winograd from this many input channels.
 * Below it the products are short (a product's inner dimension is cin)
 * and the transforms cost what the products save: InceptionV3's
 * Conv2d_2b (32 -> 64) took as long either way. And rounding matters
 * forward as it does not backward (see pass.c's plan_winograd): with
 * Conv2d_2a (32 -> 32) as Winograd the input gradient moved 1.8e-3 from
 * PyTorch's, over the engine's 1e-3 bound, while the layers from 64
 * channels left it at 2e-6. */
#define INC_WINOGRAD_FORWARD_MIN_CIN 64
/* Whether a node's forward convolution runs as Winograd (where the
 * network has the path at all). */
gboolean _inc_winograd_forward_applies (const IncNode *node);
/* Floats of the two scratch buffers a convolution with these (direct)
 * parameters needs: transformed input and products. */
void     _inc_winograd_scratch      (const IncConvParams *params,
                                     gsize               *input_floats,
                                     gsize               *product_floats);
/* The kernels transformed, G g G^T, from the model's [3][3][cin][cout]:
 * the forward convolution's as texels of RGBA32F laid out [36][cin][cout4];
 * with `transposed`, the backward-data convolution's (flipped, channels
 * swapped), [36][cout][cin4]. Returns the count of floats; dst may be NULL
 * to ask for it. */
gsize    _inc_pack_winograd_weights (const float *kernel,
                                     int          cin,
                                     int          cout,
                                     gboolean     transposed,
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
                                     gint32               w_off,
                                     const IncBuffer     *scratch_input,
                                     const IncBuffer     *scratch_products);
