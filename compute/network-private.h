/* network-private.h: a model's weights on the device. */
#pragma once

#include "compute/kernels.h"
#include "compute/winograd.h"
#include "compute/col2im.h"

typedef struct {
  gint32 forward;   /* texel offset of the forward kernel, or -1 */
  gint32 bias;      /* texel offset of the bias */
  gint32 backward;  /* texel offset of the backward-data kernel */
  gint32 winograd_forward;   /* transformed forward kernels (winograd.h),
                                or -1 */
  gint32 winograd_backward;  /* transformed backward-data kernels, or -1 */
  gint32 col2im_backward;    /* the kernel as col2im.h's columns, or -1 */
  /* 1x1 convolutions that read the same tensor and run as one (siblings.c):
   * on the first of them, the kernel, bias and backward-data kernel of
   * all together, and their output channels; -1 elsewhere. */
  gint32 siblings_forward, siblings_bias, siblings_backward, siblings_cout;
  /* On each of them, the first's node and its own first channel among
   * theirs; -1 and 0 on other nodes. */
  gint32 sibling_first, sibling_off;
} IncNodeWeights;

/* Scratch buffers of the executor (winograd.h, col2im.h, pass-fuse.c). */
typedef enum {
  INC_SCRATCH_WINOGRAD_INPUT,
  INC_SCRATCH_WINOGRAD_PRODUCTS,
  INC_SCRATCH_FUSED_ACT,
  INC_SCRATCH_FUSED_GRAD,
  INC_SCRATCH_COLUMNS,
  INC_N_SCRATCH
} IncScratch;

struct _IncNetwork {
  IncDevice      *device;     /* not owned */
  IncModel       *model;      /* a private copy of the graph (no weights) */
  IncBuffer       weights;    /* RGBA32F, or RGBA16F, texels */
  IncNodeWeights *offsets;    /* per node */
  gboolean        winograd;   /* 3x3 stride-1 convolutions as Winograd:
                                 backward-data, and forward from
                                 INC_WINOGRAD_FORWARD_MIN_CIN channels */
  gboolean        col2im;     /* narrow backward-data convolutions as
                                 columns and a gather */
  gboolean        siblings;   /* sibling 1x1 convolutions as one */
  /* Shared by every pass of the network: a pass records and submits before
   * another runs (a device serves one thread), so no two passes' data
   * ever meet in them, and the memory is paid once, not per pass size. */
  IncBuffer       scratch[INC_N_SCRATCH];
};

/* Grows scratch buffer `which` to at least `bytes` (its contents are not
 * kept). */
gboolean _inc_network_reserve_scratch (IncNetwork *network, IncScratch which,
                                       gsize bytes, GError **error);

/* siblings.c: _layout finds the groups of sibling 1x1 convolutions and
 * places their merged kernels in the packed weights from float `total`
 * on, returning the new total; _pack fills them in from the model's
 * weights. */
gsize _inc_siblings_layout (IncNetwork *network, gsize total);
void  _inc_siblings_pack   (const IncNetwork *network, const IncModel *model, float *packed);
