/* device-private.h: the Vulkan objects behind IncDevice, and the buffer and
 * submission helpers the rest of compute/ shares. */
#pragma once

#include <vulkan/vulkan.h>
#include "compute/engine.h"

/* Never assert on a VkResult: CHECK records it in *error (naming the call)
 * and jumps to the function's `out` label. */
#define CHECK(call, error)                                              \
  G_STMT_START {                                                        \
    VkResult _r = (call);                                               \
    if (_r != VK_SUCCESS)                                               \
      {                                                                 \
        _inc_vk_set_error ((error), _r, #call);                         \
        goto out;                                                       \
      }                                                                 \
  } G_STMT_END

void _inc_vk_set_error (GError **error, VkResult result, const char *what);

typedef enum {
  INC_PIPELINE_CONV_NAIVE,
  INC_PIPELINE_CONV_GEMM,
  INC_PIPELINE_CONV_GEMM_VEC4,
  INC_PIPELINE_CONV_GEMM_MASK,
  INC_PIPELINE_CONV_GEMM_MASK_VEC4,
  INC_PIPELINE_CONV_GEMM_IN4,
  INC_PIPELINE_CONV_GEMM_IN4_VEC4,
  INC_PIPELINE_CONV_GEMM_IN4_MASK,
  INC_PIPELINE_CONV_GEMM_IN4_MASK_VEC4,
  INC_PIPELINE_CONV_GEMM_WIDE,
  INC_PIPELINE_CONV_GEMM_MASK_WIDE,
  INC_PIPELINE_CONV_GEMM_IN4_WIDE,
  INC_PIPELINE_CONV_GEMM_IN4_MASK_WIDE,
  INC_PIPELINE_CONV_GEMM_RGB,
  INC_PIPELINE_CONV_GEMM_RGB_VEC4,
  INC_PIPELINE_CONV_GEMM_RGB_WIDE,
  INC_PIPELINE_CONV_NARROW,
  INC_PIPELINE_CONV_NARROW_VEC4,
  INC_PIPELINE_CONV_TILED,
  INC_PIPELINE_COL2IM,
  INC_PIPELINE_POOL_FORWARD,
  INC_PIPELINE_POOL_BACKWARD,
  INC_PIPELINE_WINOGRAD_INPUT,
  INC_PIPELINE_WINOGRAD_INPUT_VEC4,
  INC_PIPELINE_WINOGRAD_INPUT_WIDE,
  INC_PIPELINE_WINOGRAD_OUTPUT,
  INC_PIPELINE_WINOGRAD_OUTPUT_VEC4,
  INC_PIPELINE_WINOGRAD_OUTPUT_WIDE,
  INC_PIPELINE_WINOGRAD6_INPUT,
  INC_PIPELINE_WINOGRAD6_INPUT_VEC4,
  INC_PIPELINE_WINOGRAD6_INPUT_WIDE,
  INC_PIPELINE_WINOGRAD6_OUTPUT,
  INC_PIPELINE_WINOGRAD6_OUTPUT_VEC4,
  INC_PIPELINE_WINOGRAD6_OUTPUT_WIDE,
  INC_PIPELINE_WINOGRAD5X5_INPUT,
  INC_PIPELINE_WINOGRAD5X5_INPUT_VEC4,
  INC_PIPELINE_WINOGRAD5X5_INPUT_WIDE,
  INC_PIPELINE_WINOGRAD5X5_OUTPUT,
  INC_PIPELINE_WINOGRAD5X5_OUTPUT_VEC4,
  INC_PIPELINE_WINOGRAD5X5_OUTPUT_WIDE,
  INC_PIPELINE_WINOGRAD1X7_INPUT,
  INC_PIPELINE_WINOGRAD1X7_INPUT_VEC4,
  INC_PIPELINE_WINOGRAD1X7_INPUT_WIDE,
  INC_PIPELINE_WINOGRAD1X7_OUTPUT,
  INC_PIPELINE_WINOGRAD1X7_OUTPUT_VEC4,
  INC_PIPELINE_WINOGRAD1X7_OUTPUT_WIDE,
  INC_PIPELINE_POOL_FORWARD_VEC4,
  INC_PIPELINE_MAXPOOL_3X3S2_VEC4,
  INC_PIPELINE_AVGPOOL_3X3S1_VEC4,
  INC_PIPELINE_AVGPOOL_3X3S1_BACKWARD_VEC4,
  INC_PIPELINE_POOL_BACKWARD_VEC4,
  INC_PIPELINE_MAXPOOL_BACKWARD_VEC4,
  INC_PIPELINE_MAXPOOL_BACKWARD_WIDE,
  INC_PIPELINE_MAXPOOL_SCATTER,
  INC_PIPELINE_MAXPOOL_SCATTER_VEC4,
  INC_PIPELINE_ELEMENTWISE,
  INC_PIPELINE_ELEMENTWISE_VEC4,
  INC_PIPELINE_MASK_GRADIENT,
  INC_PIPELINE_MASK_GRADIENT_WIDE,
  INC_PIPELINE_STEP_COPY,
  INC_PIPELINE_STEP_REDUCE,
  INC_PIPELINE_STEP_FACTOR,
  INC_PIPELINE_STEP_UPDATE,
  INC_PIPELINE_STEP_DOWN,
  INC_PIPELINE_STEP_UP,
  INC_N_PIPELINES
} IncPipelineId;

typedef struct {
  VkBuffer       buffer;
  VkDeviceMemory memory;
  VkDeviceSize   size;
  void          *mapped;     /* non-NULL when host-visible */
  VkBufferView   view_r32;   /* R32F uniform texel view (activations) */
  VkBufferView   view_rgba;  /* RGBA32F uniform texel view (weights) */
} IncBuffer;

struct _IncDevice {
  VkInstance        instance;
  VkPhysicalDevice  physical;
  VkDevice          device;
  VkQueue           queue;
  guint32           queue_family;
  VkCommandPool     command_pool;
  VkCommandBuffer   command_buffer;
  VkFence           fence;
  VkPhysicalDeviceProperties       props;
  VkPhysicalDeviceMemoryProperties memory_props;
  gboolean          is_cpu;
  gboolean          use_gemm;     /* subgroup-shuffle kernel usable */
  gboolean          use_tiled;    /* shared-memory tiled kernel chosen */
  gboolean          half_weights; /* weights stored as RGBA16F texels */
  gboolean          wide_stores;  /* shaderInt64: 8 floats a store (wide_store.glsl) */
  gboolean          staged_transfers; /* buffers unmapped; host copies via staging */
  guint32           subgroup_size;
  guint64           memory_in_use;
  guint64           memory_peak;
  IncBuffer         staging;      /* host-cached, for staged transfers */
  PFN_vkCmdPushDescriptorSetKHR push_descriptor_set;
  VkDescriptorSetLayout set_layout;
  VkPipelineLayout      pipeline_layout;
  VkPipeline            pipelines[INC_N_PIPELINES];
  /* Profiling (inc_device_set_profiling): timestamps around each dispatch. */
  VkQueryPool       query_pool;
  guint32           n_queries;
  double            timestamp_ns;   /* nanoseconds per tick */
  GPtrArray        *query_kinds;    /* label of each dispatch in flight */
  GPtrArray        *query_layers;
  GArray           *query_flops;    /* double */
  const char       *label_kind;     /* label for the next dispatch */
  const char       *label_layer;
  double            label_flops;
  GHashTable       *profile_kinds;  /* name -> IncProfileEntry */
  GHashTable       *profile_layers;
};

/* Names the next dispatch for the profile (strings must outlive it). */
void     _inc_device_label    (IncDevice  *device,
                               const char *kind,
                               const char *layer,
                               double      flops);
void     _inc_profile_begin   (IncDevice *device);
void     _inc_profile_before  (IncDevice *device);
void     _inc_profile_after   (IncDevice *device);
void     _inc_profile_collect (IncDevice *device);
void     _inc_profile_clear   (IncDevice *device);

/* Memory shared by many buffers (a pass's) on a CPU device (arena.c);
 * all zero is empty. */
typedef struct {
  GArray       *chunks;
  VkDeviceSize  bytes;   /* bound to buffers, counted in memory_in_use */
  VkDeviceSize  planned; /* announced by _inc_arena_plan */
} IncArena;

gboolean _inc_buffer_init     (IncDevice    *device,
                               IncBuffer    *buffer,
                               VkDeviceSize  size,
                               gboolean      texel_views,
                               GError      **error);
/* As _inc_buffer_init, in arena's memory where it takes the buffer
 * (_inc_arena_takes), else in memory of its own. Such a buffer is cleared
 * as any other, before its arena. */
gboolean _inc_buffer_init_in  (IncDevice    *device,
                               IncArena     *arena,
                               IncBuffer    *buffer,
                               VkDeviceSize  size,
                               gboolean      texel_views,
                               GError      **error);
/* arena.c. Asks the kernel for transparent huge pages on the whole 2 MiB
 * pages of mapped memory. */
void     _inc_advise_huge_pages (void *mapped, VkDeviceSize size);
gboolean _inc_arena_takes     (IncDevice                  *device,
                               int                         type,
                               const VkMemoryRequirements *req);
/* Announces a buffer of `size` bytes that the arena may get, so that its
 * chunks are sized to what it will hold; an arena with no plan makes
 * chunks of 64 MiB. */
void     _inc_arena_plan      (IncArena     *arena,
                               VkDeviceSize  size);
/* Binds buffer->buffer in the arena and sets its mapping and size. */
gboolean _inc_arena_bind      (IncDevice                  *device,
                               IncArena                   *arena,
                               IncBuffer                  *buffer,
                               int                         type,
                               const VkMemoryRequirements *req,
                               GError                    **error);
/* Frees the arena's memory; its buffers must be cleared first. */
void     _inc_arena_clear     (IncDevice    *device,
                               IncArena     *arena);
/* A buffer for convolution weights: only the RGBA view, of RGBA16F texels
 * (8 bytes each) when device->half_weights, else RGBA32F (16 bytes). */
gboolean _inc_buffer_init_weights (IncDevice    *device,
                                   IncBuffer    *buffer,
                                   VkDeviceSize  n_texels,
                                   GError      **error);
void     _inc_buffer_clear    (IncDevice    *device,
                               IncBuffer    *buffer);
gboolean _inc_buffer_upload   (IncDevice    *device,
                               IncBuffer    *buffer,
                               VkDeviceSize  offset,
                               const void   *data,
                               VkDeviceSize  size,
                               GError      **error);
gboolean _inc_buffer_download (IncDevice    *device,
                               IncBuffer    *buffer,
                               VkDeviceSize  offset,
                               void         *data,
                               VkDeviceSize  size,
                               GError      **error);

/* Recording: begin resets the device's one command buffer; submit waits. */
gboolean _inc_device_begin    (IncDevice *device, GError **error);
gboolean _inc_device_submit   (IncDevice *device, GError **error);
/* A full compute->compute memory barrier between dependent dispatches. */
void     _inc_device_barrier  (IncDevice *device);

gboolean _inc_pipelines_init  (IncDevice *device, GError **error);
void     _inc_pipelines_clear (IncDevice *device);

/* What a dispatch reads and writes; NULL = unused. */
typedef struct {
  const IncBuffer *src;      /* binding 0: R32F uniform texel buffer */
  const IncBuffer *weights;  /* binding 1: RGBA32F uniform texel buffer */
  const IncBuffer *dst;      /* binding 2: storage buffer, and binding 4:
                                R32F storage texel buffer of the same */
  const IncBuffer *aux;      /* binding 3: R32F uniform texel buffer */
  const IncBuffer *aux_out;  /* binding 5: R32F storage texel buffer */
  gboolean         vec4;     /* bindings 0, 3, 4 and 5 as RGBA32F instead */
  gboolean         dst_r32;  /* with vec4: binding 4 stays R32F */
} IncBindings;

/* Records one dispatch with these bindings. The
 * push constants are copied, their last field set to the workgroup count
 * along x; n_groups workgroups (spread over x and y when past the
 * per-dimension limit) times gz along z. */
void     _inc_dispatch        (IncDevice       *device,
                               IncPipelineId    pipeline,
                               const IncBindings *bindings,
                               const void      *push,
                               guint32          push_size,
                               guint32          n_groups,
                               guint32          gz);
