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
/* TRUE when shaders store 8 floats at a time where they can (64-bit
 * integers; $INCEPTIONIST_WIDE_STORES=0 at open turns it off). */
gboolean    inc_device_wide_stores  (IncDevice *device);
/* TRUE when buffers stay unmapped and host copies go through a staging
 * buffer: on devices without host-cached device-local memory, or with
 * $INCEPTIONIST_STAGED_TRANSFERS=1 at open. */
gboolean    inc_device_staged_transfers (IncDevice *device);

G_END_DECLS
