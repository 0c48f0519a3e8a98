/* profile.c: timing each dispatch with Vulkan timestamp queries, summed per
 * kind of dispatch and per layer, so every speed decision is measured. */
#include <string.h>

#include "compute/device-private.h"

#define MAX_QUERIES 8192

static void
entry_free (IncProfileEntry *entry)
{
  g_free (entry->name);
  g_free (entry);
}

gboolean
inc_device_set_profiling (IncDevice *device, gboolean enabled, GError **error)
{
  g_return_val_if_fail (device != NULL, FALSE);
  if (!enabled)
    {
      _inc_profile_clear (device);
      return TRUE;
    }
  if (device->query_pool != VK_NULL_HANDLE)
    return TRUE;
  if (!device->props.limits.timestampComputeAndGraphics)
    {
      g_set_error (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_FAILED,
                   "the device '%s' has no timestamps for compute queues",
                   device->props.deviceName);
      return FALSE;
    }
  VkQueryPoolCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
    .queryType = VK_QUERY_TYPE_TIMESTAMP,
    .queryCount = MAX_QUERIES,
  };
  CHECK (vkCreateQueryPool (device->device, &info, NULL, &device->query_pool), error);
  device->timestamp_ns = device->props.limits.timestampPeriod;
  device->query_kinds = g_ptr_array_new ();
  device->query_layers = g_ptr_array_new ();
  device->query_flops = g_array_new (FALSE, FALSE, sizeof (double));
  device->profile_kinds = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                 (GDestroyNotify) entry_free);
  device->profile_layers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                  (GDestroyNotify) entry_free);
  return TRUE;
out:
  return FALSE;
}

void
_inc_profile_clear (IncDevice *device)
{
  if (device->query_pool == VK_NULL_HANDLE)
    return;
  vkDestroyQueryPool (device->device, device->query_pool, NULL);
  device->query_pool = VK_NULL_HANDLE;
  g_clear_pointer (&device->query_kinds, g_ptr_array_unref);
  g_clear_pointer (&device->query_layers, g_ptr_array_unref);
  g_clear_pointer (&device->query_flops, g_array_unref);
  g_clear_pointer (&device->profile_kinds, g_hash_table_unref);
  g_clear_pointer (&device->profile_layers, g_hash_table_unref);
}

void
_inc_device_label (IncDevice *device, const char *kind, const char *layer, double flops)
{
  device->label_kind = kind;
  device->label_layer = layer;
  device->label_flops = flops;
}

void
_inc_profile_begin (IncDevice *device)
{
  if (device->query_pool == VK_NULL_HANDLE)
    return;
  vkCmdResetQueryPool (device->command_buffer, device->query_pool, 0, MAX_QUERIES);
  device->n_queries = 0;
  g_ptr_array_set_size (device->query_kinds, 0);
  g_ptr_array_set_size (device->query_layers, 0);
  g_array_set_size (device->query_flops, 0);
}

void
_inc_profile_before (IncDevice *device)
{
  if (device->query_pool == VK_NULL_HANDLE || device->n_queries + 2 > MAX_QUERIES)
    return;
  vkCmdWriteTimestamp (device->command_buffer, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT,
                       device->query_pool, device->n_queries);
}

void
_inc_profile_after (IncDevice *device)
{
  if (device->query_pool == VK_NULL_HANDLE || device->n_queries + 2 > MAX_QUERIES)
    return;
  vkCmdWriteTimestamp (device->command_buffer, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
                       device->query_pool, device->n_queries + 1);
  device->n_queries += 2;
  g_ptr_array_add (device->query_kinds, (gpointer) (device->label_kind ? device->label_kind : "other"));
  g_ptr_array_add (device->query_layers, (gpointer) (device->label_layer ? device->label_layer : "other"));
  g_array_append_val (device->query_flops, device->label_flops);
  /* A label covers every dispatch until the next one (a transposed
   * convolution is several); its work is counted once. */
  device->label_flops = 0.0;
}

static void
add (GHashTable *table, const char *name, double seconds, double flops)
{
  IncProfileEntry *entry = g_hash_table_lookup (table, name);
  if (entry == NULL)
    {
      entry = g_new0 (IncProfileEntry, 1);
      entry->name = g_strdup (name);
      g_hash_table_insert (table, entry->name, entry);
    }
  entry->seconds += seconds;
  entry->gflop += flops / 1e9;
  entry->dispatches++;
}

void
_inc_profile_collect (IncDevice *device)
{
  if (device->query_pool == VK_NULL_HANDLE || device->n_queries == 0)
    return;
  g_autofree guint64 *ticks = g_new0 (guint64, device->n_queries);
  if (vkGetQueryPoolResults (device->device, device->query_pool, 0, device->n_queries,
                             sizeof (guint64) * device->n_queries, ticks, sizeof (guint64),
                             VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT) != VK_SUCCESS)
    return;
  for (guint q = 0; q + 1 < device->n_queries; q += 2)
    {
      double seconds = (double) (ticks[q + 1] - ticks[q]) * device->timestamp_ns / 1e9;
      double flops = g_array_index (device->query_flops, double, q / 2);
      add (device->profile_kinds, g_ptr_array_index (device->query_kinds, q / 2), seconds, flops);
      add (device->profile_layers, g_ptr_array_index (device->query_layers, q / 2), seconds, flops);
    }
  device->n_queries = 0;
}

static int
by_time (gconstpointer a, gconstpointer b)
{
  const IncProfileEntry *x = *(IncProfileEntry *const *) a;
  const IncProfileEntry *y = *(IncProfileEntry *const *) b;
  return (x->seconds < y->seconds) - (x->seconds > y->seconds);
}

GPtrArray *
inc_device_get_profile (IncDevice *device, gboolean by_layer)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  GHashTable *table = by_layer ? device->profile_layers : device->profile_kinds;
  GHashTableIter iter;
  IncProfileEntry *entry;

  if (table == NULL)
    return out;
  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    {
      IncProfileEntry *copy = g_memdup2 (entry, sizeof *entry);
      copy->name = g_strdup (entry->name);
      g_ptr_array_add (out, copy);
    }
  g_ptr_array_sort (out, by_time);
  return out;
}

void
inc_device_reset_profile (IncDevice *device)
{
  if (device->profile_kinds != NULL)
    {
      g_hash_table_remove_all (device->profile_kinds);
      g_hash_table_remove_all (device->profile_layers);
    }
}
