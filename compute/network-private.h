/* network-private.h: a model's weights on the device. */
#pragma once

#include "compute/kernels.h"
#include "compute/winograd.h"

typedef struct {
  gint32 forward;   /* texel offset of the forward kernel, or -1 */
  gint32 bias;      /* texel offset of the bias */
  gint32 backward;  /* texel offset of the backward-data kernel */
  gint32 winograd_backward;  /* transformed backward-data kernels
                                (winograd.h), or -1 */
} IncNodeWeights;

struct _IncNetwork {
  IncDevice      *device;     /* not owned */
  IncModel       *model;      /* a private copy of the graph (no weights) */
  IncBuffer       weights;    /* RGBA32F, or RGBA16F, texels */
  IncNodeWeights *offsets;    /* per node */
  gboolean        winograd;   /* 3x3 stride-1 backward-data convolutions
                                 as Winograd */
};
