/* compute-support.h: opening a Vulkan device in tests. A compute test may
 * skip only where no Vulkan device exists, and CI (which sets
 * INCEPTIONIST_REQUIRE_DEVICE=1) must have one. */
#pragma once

#include <glib.h>
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
