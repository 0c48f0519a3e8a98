/* network-private.h: a model's weights on the device. */
#pragma once

#include "compute/kernels.h"

typedef struct {
  gint32 forward;   /* texel offset of the forward kernel, or -1 */
  gint32 bias;      /* texel offset of the bias */
  gint32 backward;  /* texel offset of the backward-data kernel */
} IncNodeWeights;

struct _IncNetwork {
  IncDevice      *device;     /* not owned */
  IncModel       *model;      /* a private copy of the graph (no weights) */
  IncBuffer       weights;    /* RGBA32F texels */
  IncNodeWeights *offsets;    /* per node */
};
