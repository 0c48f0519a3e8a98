/* col2im.h: backward-data convolutions into at most 4 channels (the
 * gradient into the image's colours) as a matrix product and a gather.
 *
 * The direct kernel for them (conv_narrow.comp) gives each lane one input
 * pixel and fetches the output gradient, its ReLU mask and the weights
 * tap by tap: about 20 texel fetches per tap and pixel, and on lavapipe a
 * fetch is a call. Here conv_gemm multiplies every output-gradient pixel
 * by the whole kernel at once, a 1x1 convolution into taps x cin
 * "columns" (the backward ReLU folded into its reads):
 *   cols[o][tap][c] = sum over k of dy[o][k] W[tap][c][k]
 * and col2im.comp sums, for every input pixel, the columns of the taps
 * that reached it: cin fetches a tap. A 3x3 kernel on 3 channels gives
 * 27 columns, one 32-channel block of conv_gemm. Measured on the first
 * InceptionV3 layer at 512 px: 22 ms against conv_narrow's 39. */
#pragma once

#include "compute/kernels.h"

/* Column buffers above this many floats are not used (the convolution
 * then runs directly): bounds device memory on very large images. */
#define INC_COL2IM_MAX_SCRATCH_FLOATS ((gsize) 32 << 20)

/* Whether node's backward-data convolution can run this way: a
 * convolution of at most 4 input channels. */
gboolean _inc_col2im_applies      (const IncNode *node);
/* Floats of the column buffer for a backward-data convolution with these
 * (transposed, pass.c) parameters. */
gsize    _inc_col2im_scratch      (const IncConvParams *params);
/* The kernel as the 1x1 convolution's weights: floats laid out
 * [cout][kh * kw * cin, rounded up to a multiple of 8] (col2im.c
 * column_floats), from the model's
 * [kh][kw][cin][cout]. Returns the count of floats; dst may be NULL to
 * ask for it. */
gsize    _inc_pack_col2im_weights (const float *kernel,
                                   int          kh,
                                   int          kw,
                                   int          cin,
                                   int          cout,
                                   float       *dst);
/* Records the two passes (a barrier between them, none after) for a
 * backward-data convolution with these (transposed) parameters, its column
 * kernel at texel w_off. The output gradient is masked by mask > 0 when
 * params->flags has INC_CONV_MASK_INPUT. */
void     _inc_record_col2im       (IncDevice           *device,
                                   const IncBuffer     *src,
                                   const IncBuffer     *mask,
                                   const IncBuffer     *weights,
                                   const IncBuffer     *dst,
                                   const IncConvParams *params,
                                   gint32               w_off,
                                   const IncBuffer     *scratch);
