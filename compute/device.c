/* device.c: choosing and opening a Vulkan device, and the buffer and
 * submission helpers. */
#include <string.h>

#include "compute/device-private.h"
#include "compute/engine-kernels.h"

G_DEFINE_QUARK (inc-engine-error-quark, inc_engine_error)

void
_inc_vk_set_error (GError **error, VkResult result, const char *what)
{
  IncEngineError code;
  const char *hint;

  switch (result)
    {
    case VK_ERROR_DEVICE_LOST:
      code = INC_ENGINE_ERROR_DEVICE_LOST;
      hint = "the Vulkan device was lost";
      break;
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
      code = INC_ENGINE_ERROR_OUT_OF_DEVICE_MEMORY;
      hint = "out of device memory (try a smaller tile size or image)";
      break;
    case VK_ERROR_OUT_OF_HOST_MEMORY:
      code = INC_ENGINE_ERROR_OUT_OF_HOST_MEMORY;
      hint = "out of memory";
      break;
    default:
      code = INC_ENGINE_ERROR_FAILED;
      hint = "Vulkan call failed";
      break;
    }
  /* Only the first failure is kept: later ones are consequences. */
  if (error != NULL && *error == NULL)
    g_set_error (error, INC_ENGINE_ERROR, code, "%s (%s returned %d)",
                 hint, what, (int) result);
}

static const char *
device_type_name (VkPhysicalDeviceType type)
{
  switch (type)
    {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete GPU";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated GPU";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual GPU";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "CPU";
    default: return "other";
    }
}

static gboolean
create_instance (VkInstance *instance, GError **error)
{
  VkApplicationInfo app = {
    .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
    .pApplicationName = "Inceptionist",
    .apiVersion = VK_API_VERSION_1_2,
  };
  VkInstanceCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
    .pApplicationInfo = &app,
  };
  VkResult r = vkCreateInstance (&info, NULL, instance);

  if (r != VK_SUCCESS)
    {
      g_set_error (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_NO_DEVICE,
                   "no Vulkan driver could be loaded (vkCreateInstance returned %d); "
                   "install mesa-vulkan-drivers for the CPU driver", (int) r);
      return FALSE;
    }
  return TRUE;
}

static int
compute_queue_family (VkPhysicalDevice physical)
{
  guint32 n = 0;
  vkGetPhysicalDeviceQueueFamilyProperties (physical, &n, NULL);
  g_autofree VkQueueFamilyProperties *families = g_new0 (VkQueueFamilyProperties, MAX (n, 1));
  vkGetPhysicalDeviceQueueFamilyProperties (physical, &n, families);
  for (guint32 i = 0; i < n; i++)
    if (families[i].queueFlags & VK_QUEUE_COMPUTE_BIT)
      return (int) i;
  return -1;
}

/* The physical devices that have a compute queue, in Vulkan's order. */
static GArray *
usable_devices (VkInstance instance)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (VkPhysicalDevice));
  guint32 n = 0;

  if (vkEnumeratePhysicalDevices (instance, &n, NULL) != VK_SUCCESS || n == 0)
    return out;
  g_autofree VkPhysicalDevice *all = g_new0 (VkPhysicalDevice, n);
  if (vkEnumeratePhysicalDevices (instance, &n, all) < 0)
    return out;
  for (guint32 i = 0; i < n; i++)
    {
      VkPhysicalDeviceProperties props;
      vkGetPhysicalDeviceProperties (all[i], &props);
      if (props.apiVersion >= VK_API_VERSION_1_1 && compute_queue_family (all[i]) >= 0)
        g_array_append_val (out, all[i]);
    }
  return out;
}

void
inc_device_info_free (IncDeviceInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_free (info->type);
  g_free (info);
}

GPtrArray *
inc_device_list (GError **error)
{
  VkInstance instance;

  if (!create_instance (&instance, error))
    return NULL;
  g_autoptr (GArray) devices = usable_devices (instance);
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) inc_device_info_free);
  for (guint i = 0; i < devices->len; i++)
    {
      VkPhysicalDeviceProperties props;
      IncDeviceInfo *info = g_new0 (IncDeviceInfo, 1);

      vkGetPhysicalDeviceProperties (g_array_index (devices, VkPhysicalDevice, i), &props);
      info->name = g_strdup (props.deviceName);
      info->type = g_strdup (device_type_name (props.deviceType));
      info->is_cpu = props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
      g_ptr_array_add (list, info);
    }
  vkDestroyInstance (instance, NULL);
  return list;
}

static int
type_rank (VkPhysicalDeviceType type)
{
  switch (type)
    {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 0;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 1;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return 3;
    default: return 4;
    }
}

static int
pick_device (GArray *devices, int index, GError **error)
{
  const char *env = g_getenv ("INCEPTIONIST_DEVICE");
  int best = -1, best_rank = G_MAXINT;

  if (index < 0 && env != NULL && *env != '\0')
    {
      gint64 v;
      if (!g_ascii_string_to_signed (env, 10, 0, G_MAXINT, &v, NULL))
        {
          g_set_error (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_INVALID,
                       "INCEPTIONIST_DEVICE must be a device number, not '%s'", env);
          return -1;
        }
      index = (int) v;
    }
  if (devices->len == 0)
    {
      g_set_error (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_NO_DEVICE,
                   "no Vulkan device with compute support was found; "
                   "install mesa-vulkan-drivers for the CPU driver (lavapipe)");
      return -1;
    }
  if (index >= 0)
    {
      if ((guint) index >= devices->len)
        {
          g_set_error (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_INVALID,
                       "there is no device %d (devices 0 to %u exist; see 'inceptionist-cli devices')",
                       index, devices->len - 1);
          return -1;
        }
      return index;
    }
  for (guint i = 0; i < devices->len; i++)
    {
      VkPhysicalDeviceProperties props;
      vkGetPhysicalDeviceProperties (g_array_index (devices, VkPhysicalDevice, i), &props);
      if (type_rank (props.deviceType) < best_rank)
        {
          best_rank = type_rank (props.deviceType);
          best = (int) i;
        }
    }
  return best;
}

static gboolean
has_extension (VkPhysicalDevice physical, const char *name)
{
  guint32 n = 0;
  gboolean found = FALSE;

  vkEnumerateDeviceExtensionProperties (physical, NULL, &n, NULL);
  g_autofree VkExtensionProperties *exts = g_new0 (VkExtensionProperties, MAX (n, 1));
  vkEnumerateDeviceExtensionProperties (physical, NULL, &n, exts);
  for (guint32 i = 0; i < n && !found; i++)
    found = strcmp (exts[i].extensionName, name) == 0;
  return found;
}

static int
find_memory_type (IncDevice *device, guint32 bits, VkMemoryPropertyFlags want)
{
  for (guint32 i = 0; i < device->memory_props.memoryTypeCount; i++)
    if ((bits & (1u << i)) &&
        (device->memory_props.memoryTypes[i].propertyFlags & want) == want)
      return (int) i;
  return -1;
}

/* The convolution kernel: conv_tiled (shared-memory tiles) on GPUs;
 * conv_gemm (texel fetches and subgroup shuffles) on CPU drivers, where
 * shared memory buys nothing (LAVAPIPE.md); conv_naive where neither can
 * run. $INCEPTIONIST_CONV_KERNEL=naive|gemm|tiled forces one, and
 * $INCEPTIONIST_NAIVE_KERNELS (any value) means naive. */
static gboolean
choose_kernels (IncDevice *device, const VkPhysicalDeviceSubgroupProperties *subgroup,
                GError **error)
{
  const char *env = g_getenv ("INCEPTIONIST_CONV_KERNEL");
  const VkPhysicalDeviceLimits *limits = &device->props.limits;
  gboolean can_gemm = (subgroup->supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                      (subgroup->supportedOperations & VK_SUBGROUP_FEATURE_SHUFFLE_BIT) &&
                      subgroup->subgroupSize >= 8 && subgroup->subgroupSize % 8 == 0;
  /* 256 invocations and 8 KiB of shared memory per workgroup: more than
   * Vulkan's guaranteed minimum of 128 invocations. */
  gboolean can_tile = limits->maxComputeWorkGroupInvocations >= 256 &&
                      limits->maxComputeWorkGroupSize[0] >= 256 &&
                      limits->maxComputeSharedMemorySize >= 8192;

  if (g_getenv ("INCEPTIONIST_NAIVE_KERNELS") != NULL)
    env = "naive";
  if (env == NULL || *env == '\0')
    {
      VkPhysicalDeviceType type = device->props.deviceType;
      gboolean gpu = type == VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU ||
                     type == VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU ||
                     type == VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU;
      device->use_tiled = gpu && can_tile;
      device->use_gemm = !device->use_tiled && can_gemm;
    }
  else if (strcmp (env, "naive") == 0)
    device->use_gemm = device->use_tiled = FALSE;
  else if (strcmp (env, "gemm") == 0 && can_gemm)
    device->use_gemm = TRUE;
  else if (strcmp (env, "tiled") == 0 && can_tile)
    device->use_tiled = TRUE;
  else
    {
      if (strcmp (env, "gemm") == 0 || strcmp (env, "tiled") == 0)
        g_set_error (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_INVALID,
                     "INCEPTIONIST_CONV_KERNEL=%s: the device '%s' cannot run that kernel",
                     env, device->props.deviceName);
      else
        g_set_error (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_INVALID,
                     "INCEPTIONIST_CONV_KERNEL must be naive, gemm or tiled, not '%s'", env);
      return FALSE;
    }
  return TRUE;
}

/* $name as an on/off switch: "0" or "1" sets *on and *asked; unset or
 * empty leaves both; anything else is an error. */
static gboolean
env_switch (const char *name, gboolean *asked, gboolean *on, GError **error)
{
  const char *env = g_getenv (name);

  if (env == NULL || *env == '\0')
    return TRUE;
  if (strcmp (env, "0") != 0 && strcmp (env, "1") != 0)
    {
      g_set_error (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_INVALID,
                   "%s must be 0 or 1, not '%s'", name, env);
      return FALSE;
    }
  *asked = TRUE;
  *on = strcmp (env, "1") == 0;
  return TRUE;
}

/* Weights as RGBA16F halve their memory and bandwidth, at a relative
 * rounding error of up to 2^-11 per weight. Against the PyTorch reference
 * (tests/test-network.c) InceptionV3 then errs by about 1e-3 in the
 * activations and 5e-2 in the input gradient, past the bounds of 1e-4 and
 * 1e-3: so only on request, $INCEPTIONIST_FP16_WEIGHTS=1, and where the
 * format serves as a uniform texel buffer. */
static gboolean
choose_weight_format (IncDevice *device, GError **error)
{
  gboolean asked = FALSE, want = FALSE;
  VkFormatProperties format;

  device->half_weights = FALSE;
  if (!env_switch ("INCEPTIONIST_FP16_WEIGHTS", &asked, &want, error))
    return FALSE;
  if (!want)
    return TRUE;
  vkGetPhysicalDeviceFormatProperties (device->physical, VK_FORMAT_R16G16B16A16_SFLOAT, &format);
  if (!(format.bufferFeatures & VK_FORMAT_FEATURE_UNIFORM_TEXEL_BUFFER_BIT))
    {
      g_set_error (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_INVALID,
                   "INCEPTIONIST_FP16_WEIGHTS=1: the device '%s' cannot read RGBA16F texel buffers",
                   device->props.deviceName);
      return FALSE;
    }
  device->half_weights = TRUE;
  return TRUE;
}

/* Stores of 8 floats by one lane (wide_store.glsl) need 64-bit integers
 * in shaders; on lavapipe they halve the cost of a store, which runs lane
 * by lane, one component at a time. Used wherever the device has
 * shaderInt64; $INCEPTIONIST_WIDE_STORES=0 turns them off (to compare, and
 * to test the other variants), =1 insists on them. */
static gboolean
choose_store_width (IncDevice *device, GError **error)
{
  VkPhysicalDeviceFeatures features;
  gboolean asked = FALSE, want;

  vkGetPhysicalDeviceFeatures (device->physical, &features);
  want = features.shaderInt64;
  if (!env_switch ("INCEPTIONIST_WIDE_STORES", &asked, &want, error))
    return FALSE;
  if (asked && want && !features.shaderInt64)
    {
      g_set_error (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_INVALID,
                   "INCEPTIONIST_WIDE_STORES=1: the device '%s' has no 64-bit integers in shaders",
                   device->props.deviceName);
      return FALSE;
    }
  device->wide_stores = want;
  return TRUE;
}

#define HOST_CACHED_DEVICE_LOCAL (VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | \
                                  VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | \
                                  VK_MEMORY_PROPERTY_HOST_COHERENT_BIT | \
                                  VK_MEMORY_PROPERTY_HOST_CACHED_BIT)

/* Mapped buffers spare the copies only where the host reads them at
 * memory speed: memory that is device-local and host-cached (CPU drivers,
 * integrated GPUs). A discrete GPU's host-visible video memory (resizable
 * BAR) is write-combined: reading the objective's layers back through it
 * took 0.47 s of a 0.55 s step on an H200, and a small BAR (256 MB) could
 * not hold the network at all. There buffers are device-local and
 * transfers go through a host-cached staging buffer.
 * $INCEPTIONIST_STAGED_TRANSFERS=1 stages on any device (to test that path
 * on lavapipe); =0 maps wherever memory is host-visible (to compare). */
static gboolean
choose_transfers (IncDevice *device, GError **error)
{
  gboolean asked = FALSE;
  gboolean staged = find_memory_type (device, ~0u, HOST_CACHED_DEVICE_LOCAL) < 0;

  if (!env_switch ("INCEPTIONIST_STAGED_TRANSFERS", &asked, &staged, error))
    return FALSE;
  device->staged_transfers = staged;
  return TRUE;
}

IncDevice *
inc_device_open (int index, GError **error)
{
  g_autoptr (IncDevice) device = g_new0 (IncDevice, 1);
  g_autoptr (GArray) devices = NULL;
  int chosen;

  if (!create_instance (&device->instance, error))
    return NULL;
  devices = usable_devices (device->instance);
  chosen = pick_device (devices, index, error);
  if (chosen < 0)
    return NULL;
  device->physical = g_array_index (devices, VkPhysicalDevice, chosen);
  vkGetPhysicalDeviceProperties (device->physical, &device->props);
  vkGetPhysicalDeviceMemoryProperties (device->physical, &device->memory_props);
  device->is_cpu = device->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
  device->queue_family = (guint32) compute_queue_family (device->physical);

  if (!has_extension (device->physical, VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME))
    {
      g_set_error (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_NO_DEVICE,
                   "the Vulkan device '%s' lacks %s, which the engine needs",
                   device->props.deviceName, VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME);
      return NULL;
    }

  /* The GEMM convolution spreads values across groups of 8 lanes with
   * subgroupShuffle; it needs subgroups of a multiple of 8 lanes. */
  VkPhysicalDeviceSubgroupProperties subgroup = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES,
  };
  VkPhysicalDeviceProperties2 props2 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
    .pNext = &subgroup,
  };
  vkGetPhysicalDeviceProperties2 (device->physical, &props2);
  device->subgroup_size = subgroup.subgroupSize;
  if (!choose_kernels (device, &subgroup, error) || !choose_weight_format (device, error) ||
      !choose_store_width (device, error) || !choose_transfers (device, error))
    return NULL;

  float priority = 1.0f;
  VkDeviceQueueCreateInfo queue_info = {
    .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
    .queueFamilyIndex = device->queue_family,
    .queueCount = 1,
    .pQueuePriorities = &priority,
  };
  const char *extensions[] = { VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME };
  VkPhysicalDeviceFeatures wanted = { .shaderInt64 = device->wide_stores };
  VkDeviceCreateInfo device_info = {
    .pEnabledFeatures = &wanted,
    .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
    .queueCreateInfoCount = 1,
    .pQueueCreateInfos = &queue_info,
    .enabledExtensionCount = G_N_ELEMENTS (extensions),
    .ppEnabledExtensionNames = extensions,
  };
  CHECK (vkCreateDevice (device->physical, &device_info, NULL, &device->device), error);
  vkGetDeviceQueue (device->device, device->queue_family, 0, &device->queue);
  device->push_descriptor_set = (PFN_vkCmdPushDescriptorSetKHR)
    vkGetDeviceProcAddr (device->device, "vkCmdPushDescriptorSetKHR");

  VkCommandPoolCreateInfo pool_info = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
    .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
    .queueFamilyIndex = device->queue_family,
  };
  CHECK (vkCreateCommandPool (device->device, &pool_info, NULL, &device->command_pool), error);
  VkCommandBufferAllocateInfo cb_info = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
    .commandPool = device->command_pool,
    .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
    .commandBufferCount = 1,
  };
  CHECK (vkAllocateCommandBuffers (device->device, &cb_info, &device->command_buffer), error);
  VkFenceCreateInfo fence_info = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
  CHECK (vkCreateFence (device->device, &fence_info, NULL, &device->fence), error);

  if (!_inc_pipelines_init (device, error))
    return NULL;
  return g_steal_pointer (&device);

out:
  return NULL;
}

static void staging_clear (IncDevice *device);

void
inc_device_free (IncDevice *device)
{
  if (device == NULL)
    return;
  if (device->device != VK_NULL_HANDLE)
    {
      vkDeviceWaitIdle (device->device);
      _inc_profile_clear (device);
      _inc_pipelines_clear (device);
      staging_clear (device);
      if (device->fence)
        vkDestroyFence (device->device, device->fence, NULL);
      if (device->command_pool)
        vkDestroyCommandPool (device->device, device->command_pool, NULL);
      vkDestroyDevice (device->device, NULL);
    }
  if (device->instance != VK_NULL_HANDLE)
    vkDestroyInstance (device->instance, NULL);
  g_free (device);
}

const char *
inc_device_name (IncDevice *device)
{
  g_return_val_if_fail (device != NULL, NULL);
  return device->props.deviceName;
}

const char *
inc_device_conv_kernel (IncDevice *device)
{
  g_return_val_if_fail (device != NULL, NULL);
  return device->use_tiled ? "tiled" : device->use_gemm ? "gemm" : "naive";
}

gboolean
inc_device_half_weights (IncDevice *device)
{
  g_return_val_if_fail (device != NULL, FALSE);
  return device->half_weights;
}

gboolean
inc_device_wide_stores (IncDevice *device)
{
  g_return_val_if_fail (device != NULL, FALSE);
  return device->wide_stores;
}

gboolean
inc_device_staged_transfers (IncDevice *device)
{
  g_return_val_if_fail (device != NULL, FALSE);
  return device->staged_transfers;
}

gboolean
inc_device_is_cpu (IncDevice *device)
{
  g_return_val_if_fail (device != NULL, FALSE);
  return device->is_cpu;
}

guint64
inc_device_memory_in_use (IncDevice *device)
{
  return device->memory_in_use;
}

guint64
inc_device_memory_peak (IncDevice *device)
{
  return device->memory_peak;
}

static gboolean
create_view (IncDevice *device, IncBuffer *buffer, VkFormat format,
             VkBufferView *view, GError **error)
{
  VkBufferViewCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO,
    .buffer = buffer->buffer,
    .format = format,
    .offset = 0,
    .range = VK_WHOLE_SIZE,
  };
  CHECK (vkCreateBufferView (device->device, &info, NULL, view), error);
  return TRUE;
out:
  return FALSE;
}

/* Creates buffer->buffer and binds it to memory of the first type in
 * `prefs` (property sets, ending with 0) that the buffer accepts: in the
 * arena where it takes the buffer, else new memory of its own. Returns
 * that type, or -1 (error set; the caller clears the buffer). */
static int
create_bound (IncDevice *device, IncBuffer *buffer, VkDeviceSize size, VkBufferUsageFlags usage,
              const VkMemoryPropertyFlags *prefs, IncArena *arena, GError **error)
{
  VkMemoryRequirements req;
  int type = -1;
  VkBufferCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
    .size = size,
    .usage = usage,
    .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
  };

  CHECK (vkCreateBuffer (device->device, &info, NULL, &buffer->buffer), error);
  vkGetBufferMemoryRequirements (device->device, buffer->buffer, &req);
  for (; *prefs != 0 && type < 0; prefs++)
    type = find_memory_type (device, req.memoryTypeBits, *prefs);
  if (type < 0)
    {
      g_set_error (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_FAILED,
                   "no usable memory type for a %" G_GUINT64_FORMAT "-byte buffer",
                   (guint64) size);
      return -1;
    }
  if (arena != NULL && _inc_arena_takes (device, type, &req))
    return _inc_arena_bind (device, arena, buffer, type, &req, error) ? type : -1;
  VkMemoryAllocateInfo alloc = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
    .allocationSize = req.size,
    .memoryTypeIndex = (guint32) type,
  };
  CHECK (vkAllocateMemory (device->device, &alloc, NULL, &buffer->memory), error);
  CHECK (vkBindBufferMemory (device->device, buffer->buffer, buffer->memory, 0), error);
  buffer->size = req.size;
  return type;
out:
  return -1;
}

gboolean
_inc_buffer_init (IncDevice *device, IncBuffer *buffer, VkDeviceSize size,
                  gboolean texel_views, GError **error)
{
  return _inc_buffer_init_in (device, NULL, buffer, size, texel_views, error);
}

gboolean
_inc_buffer_init_in (IncDevice *device, IncArena *arena, IncBuffer *buffer, VkDeviceSize size,
                     gboolean texel_views, GError **error)
{
  /* Mapped where host reads are cheap (choose_transfers); else plain
   * device-local memory, or host memory on a device with none. */
  static const VkMemoryPropertyFlags mapped[] = {
    HOST_CACHED_DEVICE_LOCAL,
    VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
      VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
    VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT,
    VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
    0,
  };
  /* The same without the two host-visible device-local kinds. */
  const VkMemoryPropertyFlags *prefs = device->staged_transfers ? mapped + 2 : mapped;
  int type;

  memset (buffer, 0, sizeof *buffer);
  size = MAX (size, 16);
  /* Texel views address whole 16-byte texels. */
  size = (size + 15) & ~(VkDeviceSize) 15;
  type = create_bound (device, buffer, size,
                       VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
                       VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT |
                       VK_BUFFER_USAGE_STORAGE_TEXEL_BUFFER_BIT |
                       VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                       prefs, arena, error);
  if (type < 0)
    goto out;
  device->memory_in_use += buffer->size;
  device->memory_peak = MAX (device->memory_peak, device->memory_in_use);

  /* (An arena's buffers are mapped already.) On a CPU device the shaders
   * touch this memory first: huge pages make that much cheaper (arena.c). */
  if (buffer->mapped == NULL && !device->staged_transfers &&
      (device->memory_props.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT))
    {
      CHECK (vkMapMemory (device->device, buffer->memory, 0, VK_WHOLE_SIZE, 0, &buffer->mapped),
             error);
      if (device->is_cpu)
        _inc_advise_huge_pages (buffer->mapped, buffer->size);
    }

  if (texel_views)
    {
      if (!create_view (device, buffer, VK_FORMAT_R32_SFLOAT, &buffer->view_r32, error) ||
          !create_view (device, buffer, VK_FORMAT_R32G32B32A32_SFLOAT, &buffer->view_rgba, error))
        goto out;
    }
  return TRUE;

out:
  _inc_buffer_clear (device, buffer);
  return FALSE;
}

gboolean
_inc_buffer_init_weights (IncDevice *device, IncBuffer *buffer, VkDeviceSize n_texels,
                          GError **error)
{
  VkFormat format = device->half_weights ? VK_FORMAT_R16G16B16A16_SFLOAT
                                         : VK_FORMAT_R32G32B32A32_SFLOAT;

  if (!_inc_buffer_init (device, buffer, n_texels * (device->half_weights ? 8 : 16), FALSE, error))
    return FALSE;
  if (!create_view (device, buffer, format, &buffer->view_rgba, error))
    {
      _inc_buffer_clear (device, buffer);
      return FALSE;
    }
  return TRUE;
}

void
_inc_buffer_clear (IncDevice *device, IncBuffer *buffer)
{
  if (buffer->view_r32)
    vkDestroyBufferView (device->device, buffer->view_r32, NULL);
  if (buffer->view_rgba)
    vkDestroyBufferView (device->device, buffer->view_rgba, NULL);
  if (buffer->buffer)
    vkDestroyBuffer (device->device, buffer->buffer, NULL);
  if (buffer->memory)
    {
      device->memory_in_use -= MIN (device->memory_in_use, buffer->size);
      vkFreeMemory (device->device, buffer->memory, NULL);
    }
  memset (buffer, 0, sizeof *buffer);
}

/* The staging buffer: host memory, host-cached where the device offers
 * it (host reads of it run at memory speed), kept between transfers. */
static void
staging_clear (IncDevice *device)
{
  IncBuffer *staging = &device->staging;

  if (staging->buffer)
    vkDestroyBuffer (device->device, staging->buffer, NULL);
  if (staging->memory)
    vkFreeMemory (device->device, staging->memory, NULL);
  memset (staging, 0, sizeof *staging);
}

static gboolean
staging_init (IncDevice *device, VkDeviceSize size, GError **error)
{
  static const VkMemoryPropertyFlags host[] = {
    VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT |
      VK_MEMORY_PROPERTY_HOST_CACHED_BIT,
    VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
    0,
  };
  IncBuffer *staging = &device->staging;

  if (create_bound (device, staging, size,
                    VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                    host, NULL, error) < 0)
    goto out;
  CHECK (vkMapMemory (device->device, staging->memory, 0, VK_WHOLE_SIZE, 0, &staging->mapped),
         error);
  return TRUE;
out:
  staging_clear (device);
  return FALSE;
}

/* At most this much is staged at a time: the weights' upload (87 MB) does
 * not keep their size in host memory for the device's life. */
#define STAGING_CHUNK ((VkDeviceSize) 16 << 20)

/* Copies between the host and an unmapped buffer through the staging
 * buffer, a chunk a submission. Each command buffer begins with a barrier
 * for the earlier submissions' writes and ends with one for the later
 * submissions' reads: queue order alone does not make writes visible. */
static gboolean
staged_copy (IncDevice *device, IncBuffer *buffer, VkDeviceSize offset,
             void *data, VkDeviceSize size, gboolean upload, GError **error)
{
  VkDeviceSize chunk = MIN (size, STAGING_CHUNK);
  VkMemoryBarrier written = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
  };
  VkMemoryBarrier copied = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                     VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
  };

  if (size == 0)
    return TRUE;
  if (device->staging.size < chunk)
    {
      staging_clear (device);
      if (!staging_init (device, chunk, error))
        return FALSE;
    }
  for (VkDeviceSize done = 0; done < size; done += chunk)
    {
      VkDeviceSize n = MIN (chunk, size - done);
      VkBufferCopy region = {
        .srcOffset = upload ? 0 : offset + done,
        .dstOffset = upload ? offset + done : 0,
        .size = n,
      };

      if (upload)
        memcpy (device->staging.mapped, (const char *) data + done, n);
      if (!_inc_device_begin (device, error))
        return FALSE;
      vkCmdPipelineBarrier (device->command_buffer,
                            VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                            VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &written, 0, NULL, 0, NULL);
      vkCmdCopyBuffer (device->command_buffer,
                       upload ? device->staging.buffer : buffer->buffer,
                       upload ? buffer->buffer : device->staging.buffer, 1, &region);
      vkCmdPipelineBarrier (device->command_buffer, VK_PIPELINE_STAGE_TRANSFER_BIT,
                            VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                            0, 1, &copied, 0, NULL, 0, NULL);
      if (!_inc_device_submit (device, error))
        return FALSE;
      if (!upload)
        memcpy ((char *) data + done, device->staging.mapped, n);
    }
  return TRUE;
}

gboolean
_inc_buffer_upload (IncDevice *device, IncBuffer *buffer, VkDeviceSize offset,
                    const void *data, VkDeviceSize size, GError **error)
{
  g_return_val_if_fail (offset + size <= buffer->size, FALSE);
  if (buffer->mapped != NULL)
    {
      memcpy ((char *) buffer->mapped + offset, data, size);
      return TRUE;
    }
  return staged_copy (device, buffer, offset, (void *) data, size, TRUE, error);
}

gboolean
_inc_buffer_download (IncDevice *device, IncBuffer *buffer, VkDeviceSize offset,
                      void *data, VkDeviceSize size, GError **error)
{
  g_return_val_if_fail (offset + size <= buffer->size, FALSE);
  if (buffer->mapped != NULL)
    {
      memcpy (data, (const char *) buffer->mapped + offset, size);
      return TRUE;
    }
  return staged_copy (device, buffer, offset, data, size, FALSE, error);
}

gboolean
_inc_device_begin (IncDevice *device, GError **error)
{
  VkCommandBufferBeginInfo info = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
    .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
  };
  CHECK (vkResetCommandBuffer (device->command_buffer, 0), error);
  CHECK (vkBeginCommandBuffer (device->command_buffer, &info), error);
  _inc_profile_begin (device);
  return TRUE;
out:
  return FALSE;
}

gboolean
_inc_device_submit (IncDevice *device, GError **error)
{
  VkSubmitInfo submit = {
    .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
    .commandBufferCount = 1,
    .pCommandBuffers = &device->command_buffer,
  };
  /* Make device writes visible to host reads of mapped memory. */
  VkMemoryBarrier barrier = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
  };
  vkCmdPipelineBarrier (device->command_buffer,
                        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                        VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &barrier, 0, NULL, 0, NULL);
  CHECK (vkEndCommandBuffer (device->command_buffer), error);
  CHECK (vkResetFences (device->device, 1, &device->fence), error);
  CHECK (vkQueueSubmit (device->queue, 1, &submit, device->fence), error);
  CHECK (vkWaitForFences (device->device, 1, &device->fence, VK_TRUE, UINT64_MAX), error);
  _inc_profile_collect (device);
  return TRUE;
out:
  return FALSE;
}

void
_inc_device_barrier (IncDevice *device)
{
  VkMemoryBarrier barrier = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
    .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT,
  };
  vkCmdPipelineBarrier (device->command_buffer,
                        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &barrier, 0, NULL, 0, NULL);
}
