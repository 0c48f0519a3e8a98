/* kernels.h: the parameter blocks of the shaders (mirroring their push
 * constant blocks field for field) and the functions that record them. */
#pragma once

#include "compute/device-private.h"

/* compute/shaders/common.glsl: ConvParams */
typedef struct {
  gint32 in_h, in_w, in_off, in_stride, cin;
  gint32 out_h, out_w, out_off, out_stride, cout;
  gint32 kh, kw, stride, up, pad_t, pad_l;
  gint32 w_off, bias_off, flags;
  gint32 out_step, phase_y, phase_x, tap_y0, tap_x0, tap_step;  /* set by _inc_record_conv */
  gint32 batch_in, batch_out, batch_w;  /* _inc_record_conv_batched only */
  gint32 batches;                       /* set by record_gemm, at least 1 */
  gint32 lane_zero;                     /* always 0 (conv_gemm.comp) */
  gint32 groups_x;
} IncConvParams;

#define INC_CONV_RELU       1
#define INC_CONV_ACCUMULATE 2
#define INC_CONV_MASK_INPUT 4   /* multiply the input by (mask > 0) */

/* compute/shaders/pool.glsl: PoolParams */
typedef struct {
  gint32 in_h, in_w, in_off, in_stride;
  gint32 out_h, out_w, out_off, out_stride;
  gint32 channels, kh, kw, stride, pad_t, pad_l;
  gint32 mode;
  gint32 bias_off, flags;   /* average pools finishing a 1x1 convolution */
  gint32 phase_y, phase_x, step_y, step_x;   /* set by _inc_record_pool_backward */
  gint32 groups_x;
} IncPoolParams;

#define INC_POOL_MAX 0
#define INC_POOL_AVG 1

#define INC_POOL_RELU      1
#define INC_POOL_MASK      2   /* backward: dy times (mask > 0) */
#define INC_POOL_OVERWRITE 4   /* backward: write dx, do not add */

/* compute/shaders/elementwise.comp: Params */
typedef struct {
  gint32 h, w, off, stride, c0, c1, border;
  gint32 mode;
  float  value;
  gint32 src_off;
  gint32 groups_x;
} IncElementwiseParams;

#define INC_ELEMENTWISE_ADD_CONSTANT   0
#define INC_ELEMENTWISE_ADD_SCALED_AUX 1
#define INC_ELEMENTWISE_ADD_SRC        3

/* Whether a view of `channels` channels at offset off in pixels of stride
 * floats lies in whole texels of 4: the 4-channel shader variants need it. */
static inline gboolean
_inc_whole_texels (int channels, int off, int stride)
{
  return channels % 4 == 0 && off % 4 == 0 && stride % 4 == 0;
}

/* Whether such a view also lies in whole pairs of texels, and the device
 * stores 8 floats at once there (wide_store.glsl). */
static inline gboolean
_inc_wide_texels (const IncDevice *device, int channels, int off, int stride)
{
  return device->wide_stores && channels % 8 == 0 && off % 8 == 0 && stride % 8 == 0;
}

typedef enum {
  INC_CONV_KERNEL_AUTO,   /* the device's best */
  INC_CONV_KERNEL_NAIVE,
  INC_CONV_KERNEL_GEMM,
  INC_CONV_KERNEL_TILED,  /* shared-memory tiles: GPUs */
} IncConvKernel;

/* Each records one dispatch into the device's open command buffer; the
 * caller places barriers. */
/* mask: with INC_CONV_MASK_INPUT, the buffer whose values > 0 let the
 * input through (laid out as src). */
void _inc_record_conv        (IncDevice           *device,
                              IncConvKernel        kernel,
                              const IncBuffer     *src,
                              const IncBuffer     *weights,
                              const IncBuffer     *dst,
                              const IncBuffer     *mask,
                              const IncConvParams *params);
/* conv_gemm over `batches` products at once (workgroup z = batch; the
 * params' batch_* strides place each): no phases, no mask. */
void _inc_record_conv_batched (IncDevice           *device,
                               const IncBuffer     *src,
                               const IncBuffer     *weights,
                               const IncBuffer     *dst,
                               const IncConvParams *params,
                               guint32              batches);
/* Max pools also write, to argmax (dense out_h x out_w x channels), where
 * in its window each maximum was found; their backward pass reads it. */
/* weights: where the bias lives (params->bias_off >= 0), else NULL. */
void _inc_record_pool        (IncDevice           *device,
                              const IncBuffer     *weights,
                              const IncBuffer     *src,
                              const IncBuffer     *dst,
                              const IncBuffer     *argmax,
                              const IncPoolParams *params);
/* Whether a max pool's backward pass (params) is gathered: 3x3 at stride
 * 2 in whole texels (maxpool_backward.comp), the only kind that can write
 * its input's gradient (INC_POOL_OVERWRITE); other max pools scatter,
 * adding. */
gboolean _inc_maxpool_backward_gathers (const IncPoolParams *params);
/* dy: gradient of the pool's output; dx: gradient of its input (added to,
 * or written with INC_POOL_OVERWRITE where the pool's kind allows it);
 * argmax: as the forward pass wrote it (max pools), or the mask (average
 * pools with INC_POOL_MASK). */
void _inc_record_pool_backward (IncDevice           *device,
                                const IncBuffer     *dy,
                                const IncBuffer     *argmax,
                                const IncBuffer     *dx,
                                const IncPoolParams *params);
void _inc_record_elementwise (IncDevice                  *device,
                              const IncBuffer            *src,
                              const IncBuffer            *dst,
                              const IncBuffer            *aux,
                              const IncElementwiseParams *params);
/* The backward ReLU in place (mask_gradient.comp): zeroes the gradient
 * view (pixels x channels at off, pixel stride `stride`) where `act`, laid
 * out alike, is not > 0. FALSE, recording nothing, where the view is not
 * in whole texels. */
gboolean _inc_record_mask_gradient (IncDevice       *device,
                                    const IncBuffer *grad,
                                    const IncBuffer *act,
                                    int              pixels,
                                    int              off,
                                    int              stride,
                                    int              channels);

/* Weight layouts: texels of RGBA32F, [k][cout4] with
 * k = (ky * kw + kx) * cin + ci. Forward kernels come straight from the
 * model's [kh][kw][cin][cout]; backward-data kernels are flipped in space
 * and transposed in channels. Returns the count of floats written (a
 * multiple of 4); dst may be NULL to ask for the size. */
gsize _inc_pack_forward_weights  (const float *kernel, int kh, int kw,
                                  int cin, int cout, float *dst);
gsize _inc_pack_backward_weights (const float *kernel, int kh, int kw,
                                  int cin, int cout, float *dst);
gsize _inc_pack_bias             (const float *bias, int cout, float *dst);
