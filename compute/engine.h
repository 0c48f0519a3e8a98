/* engine.h: the Vulkan compute engine's public API.
 *
 * IncDevice   one Vulkan device with a compute queue.
 * IncNetwork  a model's weights uploaded to a device.
 * IncPass     the executor for one input size and one set of target layers:
 *             buffers for every activation and gradient are allocated once
 *             and reused for every call; only the nodes up to the deepest
 *             target layer are run.
 *
 * Images are H x W x 3 float32, channel-last, already preprocessed to [-1, 1].
 * A device records into one command buffer: use a device, and everything
 * made on it, from one thread at a time.
 * Nothing here includes GTK; errors come back as GError in INC_ENGINE_ERROR.
 */
#pragma once

#include <glib.h>
#include "core/model.h"
#include "core/objective.h"

G_BEGIN_DECLS

#define INC_ENGINE_ERROR (inc_engine_error_quark ())
GQuark inc_engine_error_quark (void);

typedef enum {
  INC_ENGINE_ERROR_NO_DEVICE,
  INC_ENGINE_ERROR_DEVICE_LOST,
  INC_ENGINE_ERROR_OUT_OF_DEVICE_MEMORY,
  INC_ENGINE_ERROR_OUT_OF_HOST_MEMORY,
  INC_ENGINE_ERROR_FAILED,           /* any other VkResult */
  INC_ENGINE_ERROR_INVALID,          /* bad argument: unknown layer, bad size */
} IncEngineError;

typedef struct _IncDevice  IncDevice;
typedef struct _IncNetwork IncNetwork;
typedef struct _IncPass    IncPass;

typedef struct {
  char     *name;
  gboolean  is_cpu;     /* lavapipe / llvmpipe */
  char     *type;       /* "discrete GPU", "integrated GPU", "CPU", ... */
} IncDeviceInfo;

/* Every Vulkan device with a compute queue, in Vulkan's order. */
GPtrArray  *inc_device_list          (GError        **error);  /* of IncDeviceInfo* */
void        inc_device_info_free     (IncDeviceInfo  *info);
/* index < 0: $INCEPTIONIST_DEVICE if set, else the first discrete GPU, else
 * an integrated one, else any (lavapipe). */
IncDevice  *inc_device_open          (int             index,
                                      GError        **error);
void        inc_device_free          (IncDevice      *device);
const char *inc_device_name          (IncDevice      *device);
gboolean    inc_device_is_cpu        (IncDevice      *device);
/* Bytes of device memory currently allocated by the engine, and the peak. */
guint64     inc_device_memory_in_use (IncDevice      *device);
guint64     inc_device_memory_peak   (IncDevice      *device);

/* Profiling: when on, every dispatch is timed (Vulkan timestamp queries)
 * and the times are summed per kind of dispatch and per layer. */
typedef struct {
  char    *name;
  double   seconds;
  double   gflop;       /* useful floating-point work, 0 where not counted */
  guint    dispatches;
} IncProfileEntry;

gboolean    inc_device_set_profiling (IncDevice      *device,
                                      gboolean        enabled,
                                      GError        **error);
/* Entries sorted by time, longest first; by_layer FALSE gives kinds. */
GPtrArray  *inc_device_get_profile   (IncDevice      *device,
                                      gboolean        by_layer);  /* of IncProfileEntry* */
void        inc_device_reset_profile (IncDevice      *device);

IncNetwork *inc_network_new          (IncDevice      *device,
                                      const IncModel *model,
                                      GError        **error);
void        inc_network_free         (IncNetwork     *network);
const IncModel *inc_network_model    (IncNetwork     *network);
/* layers: NULL-terminated names; the pass runs up to the deepest of them. */
IncPass    *inc_pass_new             (IncNetwork     *network,
                                      int             height,
                                      int             width,
                                      const char *const *layers,
                                      GError        **error);
void        inc_pass_free            (IncPass        *pass);
/* Writes every buffer of the pass (and the network's scratch it uses)
 * once. The memory of a new pass is committed page by page at its first
 * write, which made the first step at a new size 150-200 ms slower than
 * the next on lavapipe; a caller that knows the size ahead (the studio,
 * on opening an image) pays that here, in the background. Where the
 * device's memory is the host's, the host writes it, a share on each
 * processor. */
gboolean    inc_pass_prepare         (IncPass        *pass,
                                      GError        **error);
gboolean    inc_pass_set_input       (IncPass        *pass,
                                      const float    *image,
                                      GError        **error);
gboolean    inc_pass_forward         (IncPass        *pass,
                                      GError        **error);
/* Shape of a layer's activation for this pass (FALSE if not computed). */
gboolean    inc_pass_layer_shape     (IncPass        *pass,
                                      const char     *layer,
                                      int            *height,
                                      int            *width,
                                      int            *channels);
gboolean    inc_pass_read_activation (IncPass        *pass,
                                      const char     *layer,
                                      float          *out,
                                      GError        **error);
/* Seeds the backward pass from the objective (its layers must be among the
 * pass's layers), runs it to the input, and returns the objective's value
 * for the current forward pass. */
gboolean    inc_pass_backward        (IncPass        *pass,
                                      const IncObjective *objective,
                                      double         *value,
                                      GError        **error);
/* inc_pass_forward then inc_pass_backward, in one submission where the
 * objective allows: all but a guided one, whose seeds the host finds from
 * the forward pass's activations. */
gboolean    inc_pass_step            (IncPass        *pass,
                                      const IncObjective *objective,
                                      double         *value,
                                      GError        **error);
gboolean    inc_pass_read_gradient   (IncPass        *pass,
                                      float          *out,
                                      GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IncDevice, inc_device_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IncNetwork, inc_network_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (IncPass, inc_pass_free)

G_END_DECLS
