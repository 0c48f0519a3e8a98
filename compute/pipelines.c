/* pipelines.c: the compute pipelines, built once per device, and the one
 * function that records a dispatch.
 *
 * Shapes travel as push constants rather than specialization constants: on
 * lavapipe every distinct pipeline is an LLVM compile when it is created
 * (about 30 ms on average: 1.6 to 2 s for all of them on one thread), and
 * InceptionV3 has about a hundred distinct shapes. */
#include <stdint.h>
#include <string.h>

#include "compute/device-private.h"
#include "compute/threads.h"

#include "shaders/conv_naive.spv.h"
#include "shaders/conv_gemm.spv.h"
#include "shaders/conv_gemm_vec4.spv.h"
#include "shaders/conv_gemm_mask.spv.h"
#include "shaders/conv_gemm_mask_vec4.spv.h"
#include "shaders/conv_gemm_in4.spv.h"
#include "shaders/conv_gemm_in4_vec4.spv.h"
#include "shaders/conv_gemm_in4_mask.spv.h"
#include "shaders/conv_gemm_in4_mask_vec4.spv.h"
#include "shaders/conv_gemm_wide.spv.h"
#include "shaders/conv_gemm_mask_wide.spv.h"
#include "shaders/conv_gemm_in4_wide.spv.h"
#include "shaders/conv_gemm_in4_mask_wide.spv.h"
#include "shaders/conv_narrow.spv.h"
#include "shaders/conv_narrow_vec4.spv.h"
#include "shaders/conv_tiled.spv.h"
#include "shaders/col2im.spv.h"
#include "shaders/pool_forward.spv.h"
#include "shaders/pool_backward.spv.h"
#include "shaders/winograd_input.spv.h"
#include "shaders/winograd_input_vec4.spv.h"
#include "shaders/winograd_input_wide.spv.h"
#include "shaders/winograd_output.spv.h"
#include "shaders/winograd_output_vec4.spv.h"
#include "shaders/winograd_output_wide.spv.h"
#include "shaders/winograd6_input.spv.h"
#include "shaders/winograd6_input_vec4.spv.h"
#include "shaders/winograd6_input_wide.spv.h"
#include "shaders/winograd6_output.spv.h"
#include "shaders/winograd6_output_vec4.spv.h"
#include "shaders/winograd6_output_wide.spv.h"
#include "shaders/winograd5x5_input.spv.h"
#include "shaders/winograd5x5_input_vec4.spv.h"
#include "shaders/winograd5x5_input_wide.spv.h"
#include "shaders/winograd5x5_output.spv.h"
#include "shaders/winograd5x5_output_vec4.spv.h"
#include "shaders/winograd5x5_output_wide.spv.h"
#include "shaders/conv_gemm_rgb.spv.h"
#include "shaders/conv_gemm_rgb_vec4.spv.h"
#include "shaders/conv_gemm_rgb_wide.spv.h"
#include "shaders/winograd1x7_input.spv.h"
#include "shaders/winograd1x7_input_vec4.spv.h"
#include "shaders/winograd1x7_input_wide.spv.h"
#include "shaders/winograd1x7_output.spv.h"
#include "shaders/winograd1x7_output_vec4.spv.h"
#include "shaders/winograd1x7_output_wide.spv.h"
#include "shaders/pool_forward_vec4.spv.h"
#include "shaders/maxpool_3x3s2_vec4.spv.h"
#include "shaders/avgpool_3x3s1_vec4.spv.h"
#include "shaders/avgpool_3x3s1_backward_vec4.spv.h"
#include "shaders/pool_backward_vec4.spv.h"
#include "shaders/maxpool_backward_vec4.spv.h"
#include "shaders/maxpool_backward_wide.spv.h"
#include "shaders/maxpool_scatter.spv.h"
#include "shaders/maxpool_scatter_vec4.spv.h"
#include "shaders/elementwise.spv.h"
#include "shaders/elementwise_vec4.spv.h"
#include "shaders/mask_gradient.spv.h"
#include "shaders/mask_gradient_wide.spv.h"
#include "shaders/step_copy.spv.h"
#include "shaders/step_reduce.spv.h"
#include "shaders/step_factor.spv.h"
#include "shaders/step_update.spv.h"
#include "shaders/step_down.spv.h"
#include "shaders/step_up.spv.h"

#define PUSH_CONSTANT_BYTES 128
#define MAX_GROUPS_X 32768u

/* What a shader needs of the device to be built at all: 8-lane subgroup
 * shuffles (the gemm kernel, and col2im.comp, which only ever follows
 * it), those and 64-bit integers (the wide-store variants, which shuffle
 * across lanes as conv_gemm does: wide_store.glsl), or shared memory
 * (the tiled kernel). */
enum { NEEDS_GEMM = 1, NEEDS_WIDE = 2, NEEDS_TILED = 4 };

static const struct {
  const uint32_t *code;
  gsize size;
  int needs;
} shaders[INC_N_PIPELINES] = {
#define SHADER(name, needs) { name##_spv, sizeof name##_spv, needs }
  [INC_PIPELINE_CONV_NAIVE] = SHADER (conv_naive, 0),
  [INC_PIPELINE_CONV_GEMM] = SHADER (conv_gemm, NEEDS_GEMM),
  [INC_PIPELINE_CONV_GEMM_VEC4] = SHADER (conv_gemm_vec4, NEEDS_GEMM),
  [INC_PIPELINE_CONV_GEMM_MASK] = SHADER (conv_gemm_mask, NEEDS_GEMM),
  [INC_PIPELINE_CONV_GEMM_MASK_VEC4] = SHADER (conv_gemm_mask_vec4, NEEDS_GEMM),
  [INC_PIPELINE_CONV_GEMM_IN4] = SHADER (conv_gemm_in4, NEEDS_GEMM),
  [INC_PIPELINE_CONV_GEMM_IN4_VEC4] = SHADER (conv_gemm_in4_vec4, NEEDS_GEMM),
  [INC_PIPELINE_CONV_GEMM_IN4_MASK] = SHADER (conv_gemm_in4_mask, NEEDS_GEMM),
  [INC_PIPELINE_CONV_GEMM_IN4_MASK_VEC4] = SHADER (conv_gemm_in4_mask_vec4, NEEDS_GEMM),
  [INC_PIPELINE_CONV_GEMM_WIDE] = SHADER (conv_gemm_wide, NEEDS_WIDE),
  [INC_PIPELINE_CONV_GEMM_MASK_WIDE] = SHADER (conv_gemm_mask_wide, NEEDS_WIDE),
  [INC_PIPELINE_CONV_GEMM_IN4_WIDE] = SHADER (conv_gemm_in4_wide, NEEDS_WIDE),
  [INC_PIPELINE_CONV_GEMM_IN4_MASK_WIDE] = SHADER (conv_gemm_in4_mask_wide, NEEDS_WIDE),
  [INC_PIPELINE_CONV_GEMM_RGB] = SHADER (conv_gemm_rgb, NEEDS_GEMM),
  [INC_PIPELINE_CONV_GEMM_RGB_VEC4] = SHADER (conv_gemm_rgb_vec4, NEEDS_GEMM),
  [INC_PIPELINE_CONV_GEMM_RGB_WIDE] = SHADER (conv_gemm_rgb_wide, NEEDS_WIDE),
  [INC_PIPELINE_CONV_NARROW] = SHADER (conv_narrow, 0),
  [INC_PIPELINE_CONV_NARROW_VEC4] = SHADER (conv_narrow_vec4, 0),
  [INC_PIPELINE_CONV_TILED] = SHADER (conv_tiled, NEEDS_TILED),
  [INC_PIPELINE_COL2IM] = SHADER (col2im, NEEDS_GEMM),
  [INC_PIPELINE_POOL_FORWARD] = SHADER (pool_forward, 0),
  [INC_PIPELINE_POOL_BACKWARD] = SHADER (pool_backward, 0),
  [INC_PIPELINE_WINOGRAD_INPUT] = SHADER (winograd_input, 0),
  [INC_PIPELINE_WINOGRAD_INPUT_VEC4] = SHADER (winograd_input_vec4, 0),
  [INC_PIPELINE_WINOGRAD_INPUT_WIDE] = SHADER (winograd_input_wide, NEEDS_WIDE),
  [INC_PIPELINE_WINOGRAD_OUTPUT] = SHADER (winograd_output, 0),
  [INC_PIPELINE_WINOGRAD_OUTPUT_VEC4] = SHADER (winograd_output_vec4, 0),
  [INC_PIPELINE_WINOGRAD_OUTPUT_WIDE] = SHADER (winograd_output_wide, NEEDS_WIDE),
  [INC_PIPELINE_WINOGRAD6_INPUT] = SHADER (winograd6_input, 0),
  [INC_PIPELINE_WINOGRAD6_INPUT_VEC4] = SHADER (winograd6_input_vec4, 0),
  [INC_PIPELINE_WINOGRAD6_INPUT_WIDE] = SHADER (winograd6_input_wide, NEEDS_WIDE),
  [INC_PIPELINE_WINOGRAD6_OUTPUT] = SHADER (winograd6_output, 0),
  [INC_PIPELINE_WINOGRAD6_OUTPUT_VEC4] = SHADER (winograd6_output_vec4, 0),
  [INC_PIPELINE_WINOGRAD6_OUTPUT_WIDE] = SHADER (winograd6_output_wide, NEEDS_WIDE),
  [INC_PIPELINE_WINOGRAD5X5_INPUT] = SHADER (winograd5x5_input, 0),
  [INC_PIPELINE_WINOGRAD5X5_INPUT_VEC4] = SHADER (winograd5x5_input_vec4, 0),
  [INC_PIPELINE_WINOGRAD5X5_INPUT_WIDE] = SHADER (winograd5x5_input_wide, NEEDS_WIDE),
  [INC_PIPELINE_WINOGRAD5X5_OUTPUT] = SHADER (winograd5x5_output, 0),
  [INC_PIPELINE_WINOGRAD5X5_OUTPUT_VEC4] = SHADER (winograd5x5_output_vec4, 0),
  [INC_PIPELINE_WINOGRAD5X5_OUTPUT_WIDE] = SHADER (winograd5x5_output_wide, NEEDS_WIDE),
  [INC_PIPELINE_WINOGRAD1X7_INPUT] = SHADER (winograd1x7_input, 0),
  [INC_PIPELINE_WINOGRAD1X7_INPUT_VEC4] = SHADER (winograd1x7_input_vec4, 0),
  [INC_PIPELINE_WINOGRAD1X7_INPUT_WIDE] = SHADER (winograd1x7_input_wide, NEEDS_WIDE),
  [INC_PIPELINE_WINOGRAD1X7_OUTPUT] = SHADER (winograd1x7_output, 0),
  [INC_PIPELINE_WINOGRAD1X7_OUTPUT_VEC4] = SHADER (winograd1x7_output_vec4, 0),
  [INC_PIPELINE_WINOGRAD1X7_OUTPUT_WIDE] = SHADER (winograd1x7_output_wide, NEEDS_WIDE),
  [INC_PIPELINE_POOL_FORWARD_VEC4] = SHADER (pool_forward_vec4, 0),
  [INC_PIPELINE_MAXPOOL_3X3S2_VEC4] = SHADER (maxpool_3x3s2_vec4, 0),
  [INC_PIPELINE_AVGPOOL_3X3S1_VEC4] = SHADER (avgpool_3x3s1_vec4, 0),
  [INC_PIPELINE_AVGPOOL_3X3S1_BACKWARD_VEC4] = SHADER (avgpool_3x3s1_backward_vec4, 0),
  [INC_PIPELINE_POOL_BACKWARD_VEC4] = SHADER (pool_backward_vec4, 0),
  [INC_PIPELINE_MAXPOOL_BACKWARD_VEC4] = SHADER (maxpool_backward_vec4, 0),
  [INC_PIPELINE_MAXPOOL_BACKWARD_WIDE] = SHADER (maxpool_backward_wide, NEEDS_WIDE),
  [INC_PIPELINE_MAXPOOL_SCATTER] = SHADER (maxpool_scatter, 0),
  [INC_PIPELINE_MAXPOOL_SCATTER_VEC4] = SHADER (maxpool_scatter_vec4, 0),
  [INC_PIPELINE_ELEMENTWISE] = SHADER (elementwise, 0),
  [INC_PIPELINE_ELEMENTWISE_VEC4] = SHADER (elementwise_vec4, 0),
  [INC_PIPELINE_MASK_GRADIENT] = SHADER (mask_gradient, 0),
  [INC_PIPELINE_MASK_GRADIENT_WIDE] = SHADER (mask_gradient_wide, NEEDS_WIDE),
  [INC_PIPELINE_STEP_COPY] = SHADER (step_copy, 0),
  [INC_PIPELINE_STEP_REDUCE] = SHADER (step_reduce, 0),
  [INC_PIPELINE_STEP_FACTOR] = SHADER (step_factor, 0),
  [INC_PIPELINE_STEP_UPDATE] = SHADER (step_update, 0),
  [INC_PIPELINE_STEP_DOWN] = SHADER (step_down, 0),
  [INC_PIPELINE_STEP_UP] = SHADER (step_up, 0),
#undef SHADER
};

static gboolean
create_pipeline (IncDevice *device, IncPipelineId id, GError **error)
{
  VkShaderModule module = VK_NULL_HANDLE;
  gboolean ok = FALSE;
  VkShaderModuleCreateInfo module_info = {
    .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
    .codeSize = shaders[id].size,
    .pCode = shaders[id].code,
  };
  CHECK (vkCreateShaderModule (device->device, &module_info, NULL, &module), error);
  VkComputePipelineCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
    .stage = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
      .stage = VK_SHADER_STAGE_COMPUTE_BIT,
      .module = module,
      .pName = "main",
    },
    .layout = device->pipeline_layout,
  };
  CHECK (vkCreateComputePipelines (device->device, VK_NULL_HANDLE, 1, &info, NULL,
                                   &device->pipelines[id]), error);
  ok = TRUE;
out:
  if (module != VK_NULL_HANDLE)
    vkDestroyShaderModule (device->device, module, NULL);
  return ok;
}

/* Whether the device runs pipeline id at all. */
static gboolean
wanted (IncDevice *device, int id)
{
  int needs = shaders[id].needs;

  return !(((needs & NEEDS_GEMM) && !device->use_gemm) ||
           ((needs & NEEDS_WIDE) && !(device->wide_stores && device->use_gemm)) ||
           ((needs & NEEDS_TILED) && !device->use_tiled));
}

/* Every step-th pipeline from first, built on one thread. */
typedef struct {
  IncDevice *device;
  int        first, step;
  GError    *error;
} PipelineShare;

static gpointer
build_share (gpointer data)
{
  PipelineShare *share = data;

  for (int id = share->first; id < INC_N_PIPELINES && share->error == NULL; id += share->step)
    if (wanted (share->device, id))
      create_pipeline (share->device, id, &share->error);
  return NULL;
}

/* The pipelines, built on one thread per processor (threads.h): on
 * lavapipe they took 1.6 to 2 s of a start on one thread, 0.95 to 1.06 s
 * on two. Pipeline creation is free-threaded in Vulkan, and each thread
 * writes its own entries of device->pipelines. */
static gboolean
build_pipelines (IncDevice *device, GError **error)
{
  int n = (int) _inc_share_count ();
  PipelineShare shares[INC_MAX_SHARES];
  gboolean ok = TRUE;

  for (int k = 0; k < n; k++)
    shares[k] = (PipelineShare) { device, k, n, NULL };
  _inc_run_shares ("inc-pipelines", build_share, shares, sizeof shares[0], (guint) n);
  for (int k = 0; k < n; k++)
    {
      if (shares[k].error != NULL && ok)
        {
          g_propagate_error (error, shares[k].error);
          ok = FALSE;
        }
      else
        g_clear_error (&shares[k].error);
    }
  return ok;
}

gboolean
_inc_pipelines_init (IncDevice *device, GError **error)
{
  VkDescriptorSetLayoutBinding bindings[] = {
    { 0, VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, NULL },
    { 1, VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, NULL },
    { 2, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, NULL },
    { 3, VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, NULL },
    { 4, VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, NULL },
    { 5, VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, NULL },
    { 6, VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, NULL },
  };
  VkDescriptorSetLayoutCreateInfo set_info = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
    .flags = VK_DESCRIPTOR_SET_LAYOUT_CREATE_PUSH_DESCRIPTOR_BIT_KHR,
    .bindingCount = G_N_ELEMENTS (bindings),
    .pBindings = bindings,
  };
  CHECK (vkCreateDescriptorSetLayout (device->device, &set_info, NULL, &device->set_layout), error);
  VkPushConstantRange range = {
    .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
    .offset = 0,
    .size = PUSH_CONSTANT_BYTES,
  };
  VkPipelineLayoutCreateInfo layout_info = {
    .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
    .setLayoutCount = 1,
    .pSetLayouts = &device->set_layout,
    .pushConstantRangeCount = 1,
    .pPushConstantRanges = &range,
  };
  CHECK (vkCreatePipelineLayout (device->device, &layout_info, NULL, &device->pipeline_layout), error);
  return build_pipelines (device, error);
out:
  return FALSE;
}

void
_inc_pipelines_clear (IncDevice *device)
{
  for (int i = 0; i < INC_N_PIPELINES; i++)
    if (device->pipelines[i])
      vkDestroyPipeline (device->device, device->pipelines[i], NULL);
  if (device->pipeline_layout)
    vkDestroyPipelineLayout (device->device, device->pipeline_layout, NULL);
  if (device->set_layout)
    vkDestroyDescriptorSetLayout (device->device, device->set_layout, NULL);
}

void
_inc_dispatch (IncDevice       *device,
               IncPipelineId    pipeline,
               const IncBindings *bindings,
               const void      *push,
               guint32          push_size,
               guint32          n_groups,
               guint32          gz)
{
  VkWriteDescriptorSet writes[7];
  const IncBuffer *src = bindings->src, *weights = bindings->weights;
  const IncBuffer *dst = bindings->dst, *aux = bindings->aux, *aux_out = bindings->aux_out;
  VkDescriptorBufferInfo dst_info;
  guint32 n = 0;
  guint8 constants[PUSH_CONSTANT_BYTES] = { 0 };
  guint32 gx, gy;

  g_return_if_fail (push_size <= PUSH_CONSTANT_BYTES);
  if (n_groups == 0 || gz == 0)
    return;
  /* Counts beyond the per-dimension limit are spread over x and y (the
   * shaders flatten them back with groups_x). */
  gx = MIN (n_groups, MAX_GROUPS_X);
  gy = (n_groups + gx - 1) / gx;

  if (src != NULL)
    writes[n++] = (VkWriteDescriptorSet) {
      .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, .dstBinding = 0,
      .descriptorCount = 1, .descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER,
      .pTexelBufferView = bindings->vec4 ? &src->view_rgba : &src->view_r32,
    };
  if (weights != NULL)
    writes[n++] = (VkWriteDescriptorSet) {
      .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, .dstBinding = 1,
      .descriptorCount = 1, .descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER,
      .pTexelBufferView = &weights->view_rgba,
    };
  if (dst != NULL)
    {
      dst_info = (VkDescriptorBufferInfo) { dst->buffer, 0, VK_WHOLE_SIZE };
      writes[n++] = (VkWriteDescriptorSet) {
        .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, .dstBinding = 2,
        .descriptorCount = 1, .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .pBufferInfo = &dst_info,
      };
    }
  /* The destination is also bound as a storage texel buffer: on lavapipe
   * scalar imageLoad/imageStore are much cheaper than scalar SSBO accesses
   * at computed addresses. (Whole vec4s are another matter: the 4-channel
   * convolution and Winograd stores go through the SSBO, measured faster.) */
  if (dst != NULL && dst->view_r32 != VK_NULL_HANDLE)
    writes[n++] = (VkWriteDescriptorSet) {
      .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, .dstBinding = 4,
      .descriptorCount = 1, .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER,
      .pTexelBufferView = bindings->vec4 && !bindings->dst_r32 ? &dst->view_rgba : &dst->view_r32,
    };
  /* And its RGBA32F view as a uniform texel buffer, for adding into whole
   * texels: a texelFetch is much cheaper there than an SSBO load. */
  if (dst != NULL && dst->view_rgba != VK_NULL_HANDLE)
    writes[n++] = (VkWriteDescriptorSet) {
      .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, .dstBinding = 6,
      .descriptorCount = 1, .descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER,
      .pTexelBufferView = &dst->view_rgba,
    };
  if (aux != NULL)
    writes[n++] = (VkWriteDescriptorSet) {
      .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, .dstBinding = 3,
      .descriptorCount = 1, .descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER,
      .pTexelBufferView = bindings->vec4 ? &aux->view_rgba : &aux->view_r32,
    };

  if (aux_out != NULL)
    writes[n++] = (VkWriteDescriptorSet) {
      .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, .dstBinding = 5,
      .descriptorCount = 1, .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER,
      .pTexelBufferView = bindings->vec4 ? &aux_out->view_rgba : &aux_out->view_r32,
    };

  /* Every parameter block ends with groups_x, for flattening 2D grids. */
  memcpy (constants, push, push_size);
  memcpy (constants + push_size - 4, &gx, 4);

  vkCmdBindPipeline (device->command_buffer, VK_PIPELINE_BIND_POINT_COMPUTE,
                     device->pipelines[pipeline]);
  device->push_descriptor_set (device->command_buffer, VK_PIPELINE_BIND_POINT_COMPUTE,
                               device->pipeline_layout, 0, n, writes);
  vkCmdPushConstants (device->command_buffer, device->pipeline_layout,
                      VK_SHADER_STAGE_COMPUTE_BIT, 0, PUSH_CONSTANT_BYTES, constants);
  _inc_profile_before (device);
  vkCmdDispatch (device->command_buffer, gx, gy, gz);
  _inc_profile_after (device);
}
