/* test-arena.c: a pass's buffers in an arena on a CPU device (arena.c):
 * laid side by side from 2 MiB boundaries, each where both the device and
 * the host see it, counted in the device's memory, in chunks sized to the
 * plan, and none on devices whose buffers are not mapped. Needs the
 * private buffer helpers. */
#include <glib.h>
#include <string.h>

#include "compute/device-private.h"
#include "compute-support.h"

#define MIB ((VkDeviceSize) 1 << 20)

/* Sizes in bytes: past one chunk's 64 MiB in all, so a second chunk is
 * made; one odd size; one over a quarter of a chunk, which gets memory of
 * its own. */
static const VkDeviceSize sizes[] = {
  3 * MIB, 7 * MIB, 100, 5 * MIB + 16, 9 * MIB, 9 * MIB, 9 * MIB, 20 * MIB, 9 * MIB, 9 * MIB,
  9 * MIB, 9 * MIB,
};
#define N_BUFFERS G_N_ELEMENTS (sizes)
#define OWN_MEMORY 7  /* the 20 MiB one */

static void
test_layout (void)
{
  g_autoptr (IncDevice) device = test_open_device (FALSE);
  g_autoptr (GError) error = NULL;
  IncArena arena = { 0 };
  IncBuffer buffers[N_BUFFERS];
  guint64 before, bound = 0;

  if (device == NULL)
    return;
  if (!device->is_cpu)
    {
      g_test_skip ("arenas are for CPU devices");
      return;
    }
  before = inc_device_memory_in_use (device);
  for (guint i = 0; i < N_BUFFERS; i++)
    {
      g_assert_true (_inc_buffer_init_in (device, &arena, &buffers[i], sizes[i], TRUE, &error));
      g_assert_no_error (error);
      g_assert_nonnull (buffers[i].mapped);
      g_assert_cmpuint (buffers[i].size, >=, sizes[i]);
      bound += buffers[i].size;
      /* Only the big one has memory of its own. */
      if (i == OWN_MEMORY)
        g_assert_true (buffers[i].memory != VK_NULL_HANDLE);
      else
        g_assert_true (buffers[i].memory == VK_NULL_HANDLE);
    }
  g_assert_cmpuint (inc_device_memory_in_use (device), ==, before + bound);
  g_assert_nonnull (arena.chunks);
  g_assert_cmpuint (arena.chunks->len, ==, 2);

  /* A chunk's first buffer starts on a 2 MiB boundary, and the others
   * follow each other (up to the device's alignment): the first buffer,
   * and one more once 64 MiB are bound. */
  g_assert_cmpuint ((guintptr) buffers[0].mapped % (2 * MIB), ==, 0);
  guint chunk_starts = 1;
  const IncBuffer *prev = &buffers[0];
  for (guint i = 1; i < N_BUFFERS; i++)
    {
      const guint8 *end = (const guint8 *) prev->mapped + prev->size;
      const guint8 *here = buffers[i].mapped;

      if (i == OWN_MEMORY)
        continue;
      if (here < end || here >= end + device->props.limits.minStorageBufferOffsetAlignment + 64)
        {
          g_assert_cmpuint ((guintptr) here % (2 * MIB), ==, 0);
          chunk_starts++;
        }
      prev = &buffers[i];
    }
  g_assert_cmpuint (chunk_starts, ==, 2);

  /* No two overlap. */
  for (guint i = 0; i < N_BUFFERS; i++)
    for (guint j = i + 1; j < N_BUFFERS; j++)
      {
        guint8 *a = buffers[i].mapped, *b = buffers[j].mapped;
        g_assert_true (a + buffers[i].size <= b || b + buffers[j].size <= a);
      }

  /* The device writes each buffer through its binding; the host reads the
   * same values through the mapping. */
  g_assert_true (_inc_device_begin (device, &error));
  for (guint i = 0; i < N_BUFFERS; i++)
    vkCmdFillBuffer (device->command_buffer, buffers[i].buffer, 0, VK_WHOLE_SIZE, 0x1000 + i);
  g_assert_true (_inc_device_submit (device, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < N_BUFFERS; i++)
    {
      const guint32 *words = buffers[i].mapped;
      gsize n = buffers[i].size / 4;

      for (gsize k = 0; k < n; k += MAX (n / 4096, 1))
        g_assert_cmpuint (words[k], ==, 0x1000 + i);
      g_assert_cmpuint (words[n - 1], ==, 0x1000 + i);
    }

  for (guint i = 0; i < N_BUFFERS; i++)
    _inc_buffer_clear (device, &buffers[i]);
  _inc_arena_clear (device, &arena);
  g_assert_null (arena.chunks);
  g_assert_cmpuint (inc_device_memory_in_use (device), ==, before);
}

/* With a plan, a chunk holds what was announced and little more: the
 * announced buffers share one, and one more buffer needs another. */
static void
test_planned (void)
{
  g_autoptr (IncDevice) device = test_open_device (FALSE);
  g_autoptr (GError) error = NULL;
  IncArena arena = { 0 };
  IncBuffer buffers[4];

  if (device == NULL)
    return;
  if (!device->is_cpu)
    {
      g_test_skip ("arenas are for CPU devices");
      return;
    }
  for (guint i = 0; i < 3; i++)
    _inc_arena_plan (&arena, 5 * MIB);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_true (_inc_buffer_init_in (device, &arena, &buffers[i], 5 * MIB, TRUE, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpuint (arena.chunks->len, ==, 1);
  /* 15 MiB planned: a chunk of 16 MiB, which a fourth 5 MiB cannot join. */
  g_assert_true (_inc_buffer_init_in (device, &arena, &buffers[3], 5 * MIB, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (arena.chunks->len, ==, 2);
  g_assert_cmpuint ((guintptr) buffers[3].mapped % (2 * MIB), ==, 0);
  for (guint i = 0; i < 4; i++)
    _inc_buffer_clear (device, &buffers[i]);
  _inc_arena_clear (device, &arena);
}

/* The kernel marks a chunk's range advised for huge pages ("hg"). */
static void
test_huge_pages (void)
{
  g_autoptr (IncDevice) device = test_open_device (FALSE);
  g_autoptr (GError) error = NULL;
  IncArena arena = { 0 };
  IncBuffer buffer;

  if (device == NULL || !test_have_huge_pages ())
    return;
  if (!device->is_cpu)
    {
      g_test_skip ("arenas are for CPU devices");
      return;
    }
  g_assert_true (_inc_buffer_init_in (device, &arena, &buffer, 1 * MIB, TRUE, &error));
  g_assert_no_error (error);
  g_autofree char *flags = test_vm_flags_at ((guintptr) buffer.mapped);
  g_test_message ("%s", flags);
  g_assert_nonnull (flags);
  g_assert_nonnull (strstr (flags, " hg"));
  _inc_buffer_clear (device, &buffer);
  _inc_arena_clear (device, &arena);
}

/* Buffers copied through staging are not the host's memory: no arena. */
static void
test_staged_device (void)
{
  g_autoptr (IncDevice) device = NULL;
  g_autoptr (GError) error = NULL;
  IncArena arena = { 0 };
  IncBuffer buffer;

  g_setenv ("INCEPTIONIST_STAGED_TRANSFERS", "1", TRUE);
  device = test_open_device (FALSE);
  g_unsetenv ("INCEPTIONIST_STAGED_TRANSFERS");
  if (device == NULL)
    return;
  g_assert_true (_inc_buffer_init_in (device, &arena, &buffer, 3 * MIB, TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (buffer.memory != VK_NULL_HANDLE);
  g_assert_null (buffer.mapped);
  g_assert_null (arena.chunks);
  _inc_buffer_clear (device, &buffer);
  _inc_arena_clear (device, &arena);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/arena/layout", test_layout);
  g_test_add_func ("/arena/planned", test_planned);
  g_test_add_func ("/arena/huge-pages", test_huge_pages);
  g_test_add_func ("/arena/staged-device", test_staged_device);
  return g_test_run ();
}
