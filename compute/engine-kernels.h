/* engine-kernels.h: which kernel variants an open device runs, for
 * benchmarks and reports. */
#pragma once

#include "compute/engine.h"

G_BEGIN_DECLS

/* "tiled" (shared-memory tiles, GPUs), "gemm" (subgroup shuffles, CPU
 * drivers) or "naive"; $INCEPTIONIST_CONV_KERNEL forces one at open. */
const char *inc_device_conv_kernel  (IncDevice *device);
/* TRUE when convolution weights are stored as fp16
 * ($INCEPTIONIST_FP16_WEIGHTS=1 at open). */
gboolean    inc_device_half_weights (IncDevice *device);

G_END_DECLS
