/* compute-support.h: opening a Vulkan device in tests. A compute test may
 * skip only where no Vulkan device exists, and CI (which sets
 * INCEPTIONIST_REQUIRE_DEVICE=1) must have one. */
#pragma once

#include <glib.h>
#include <stdio.h>
#include "compute/engine.h"

static inline IncDevice *
test_open_device (gboolean naive_kernels)
{
  g_autoptr (GError) error = NULL;
  IncDevice *device;

  if (naive_kernels)
    g_setenv ("INCEPTIONIST_NAIVE_KERNELS", "1", TRUE);
  device = inc_device_open (-1, &error);
  g_unsetenv ("INCEPTIONIST_NAIVE_KERNELS");
  if (device == NULL)
    {
      if (g_strcmp0 (g_getenv ("INCEPTIONIST_REQUIRE_DEVICE"), "1") == 0)
        g_error ("no Vulkan device, and one is required: %s", error->message);
      g_test_skip_printf ("no Vulkan device: %s", error->message);
    }
  return device;
}

/* Whether the kernel has transparent huge pages and /proc/self/smaps to
 * show them; the test is skipped if not. */
static inline gboolean
test_have_huge_pages (void)
{
  if (!g_file_test ("/sys/kernel/mm/transparent_hugepage/enabled", G_FILE_TEST_EXISTS) ||
      !g_file_test ("/proc/self/smaps", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("this kernel has no transparent huge pages");
      return FALSE;
    }
  return TRUE;
}

/* The VmFlags of the mapping that holds address `at`, from
 * /proc/self/smaps; NULL if none does. */
static inline char *
test_vm_flags_at (guintptr at)
{
  g_autofree char *smaps = NULL;
  gboolean inside = FALSE;

  g_assert_true (g_file_get_contents ("/proc/self/smaps", &smaps, NULL, NULL));
  g_auto (GStrv) lines = g_strsplit (smaps, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      unsigned long start, end;
      char dash;
      if (sscanf (lines[i], "%lx%c%lx ", &start, &dash, &end) == 3 && dash == '-')
        inside = start <= at && at < end;
      else if (inside && g_str_has_prefix (lines[i], "VmFlags:"))
        return g_strdup (lines[i]);
    }
  return NULL;
}
