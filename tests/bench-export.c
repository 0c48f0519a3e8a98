/* bench-export.c: one print-size export (core/export.h) with the real
 * engine, reporting wall time, peak process memory and peak device memory.
 * Run by scripts/bench-export.sh; not a test.
 *
 *   bench-export [--long-edge N] [--output FILE] [--model PATH] INPUT */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <glib/gstdio.h>

#include "compute/dream-gradient.h"
#include "compute/engine.h"
#include "core/export.h"
#include "core/image.h"
#include "core/model.h"
#include "core/recipe.h"

/* Light enough for lavapipe: two octaves (the last at the full size) of
 * two steps each, on one mid-level layer, through 512-px tiles. */
static const char *bench_recipe =
  "{\"preset\": \"tf-tutorial\", \"layers\": [{\"name\": \"mixed3\", \"weight\": 1.0}],"
  " \"octaves\": 2, \"octave-start\": -1, \"octave-scale\": 1.3, \"steps\": 2,"
  " \"tile\": 512, \"seed\": 1}";

/* Kilobytes of a /proc/self/status field (VmHWM, VmRSS); -1 if absent. */
static long
status_kb (const char *field)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents ("/proc/self/status", &text, NULL, NULL))
    return -1;
  for (char *line = text; line != NULL && *line; )
    {
      char *next = strchr (line, '\n');
      if (g_str_has_prefix (line, field) && line[strlen (field)] == ':')
        return strtol (line + strlen (field) + 1, NULL, 10);
      line = next ? next + 1 : NULL;
    }
  return -1;
}

static double
mib (double bytes)
{
  return bytes / (1024.0 * 1024.0);
}

static void
on_progress (const IncExportProgress *p, gpointer user_data)
{
  gint64 *started = user_data;
  double t = (g_get_monotonic_time () - *started) / 1e6;

  if (p->writing)
    fprintf (stderr, "  %6.1fs  writing\n", t);
  else if (p->dream.total_done > 0)
    fprintf (stderr, "  %6.1fs  octave %d/%d (%dx%d) step %d/%d  %.0f%%\n", t,
             p->dream.octave, p->dream.n_octaves, p->dream.width, p->dream.height,
             p->dream.step, p->dream.n_steps, 100.0 * p->fraction);
}

int
main (int argc, char **argv)
{
  int long_edge = 4096;
  char *output = NULL, *model_path = NULL;
  g_autoptr (GError) error = NULL;
  GOptionEntry entries[] = {
    { "long-edge", 0, 0, G_OPTION_ARG_INT, &long_edge, "Long edge of the export", "N" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Output (default: a temporary PNG)", "FILE" },
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &model_path, "Model file", "PATH" },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("INPUT - benchmark an export");

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2)
    {
      fprintf (stderr, "bench-export: %s\n", error ? error->message : "one INPUT is needed");
      return 1;
    }

  g_autofree char *default_model = inc_model_default_path ();
  g_autoptr (IncModel) model = inc_model_load (model_path ? model_path : default_model, &error);
  g_autoptr (IncImage) source = model ? inc_image_load (argv[1], 0, &error) : NULL;
  g_autoptr (IncRecipe) recipe = source ? inc_recipe_from_json (bench_recipe, -1, &error) : NULL;
  g_autoptr (IncDevice) device = recipe ? inc_device_open (-1, &error) : NULL;
  g_autoptr (IncNetwork) network = device ? inc_network_new (device, model, &error) : NULL;
  if (network == NULL)
    {
      fprintf (stderr, "bench-export: %s\n", error->message);
      return 1;
    }
  g_autoptr (IncGradientSource) gradients = inc_engine_gradient_source_new (network);

  IncExportOptions options = { .scale = 1, .long_edge = long_edge };
  int width, height;
  if (!inc_export_target_size (&options, source->width, source->height, &width, &height,
                               &error))
    {
      fprintf (stderr, "bench-export: %s\n", error->message);
      return 1;
    }
  g_autofree char *tmpdir = NULL;
  if (output == NULL)
    {
      tmpdir = g_dir_make_tmp ("bench-export-XXXXXX", &error);
      g_assert_no_error (error);
      output = g_build_filename (tmpdir, "export.png", NULL);
    }

  long rss_before = status_kb ("VmRSS");
  guint64 device_before = inc_device_memory_in_use (device);
  g_autofree char *json = inc_recipe_to_json (recipe);
  printf ("device: %s\n", inc_device_name (device));
  printf ("input: %s (%dx%d)\n", argv[1], source->width, source->height);
  printf ("recipe: %s\n", bench_recipe);
  printf ("export: %dx%d -> %s\n", width, height, output);
  fflush (stdout);

  gint64 started = g_get_monotonic_time ();
  if (!inc_export_run (&options, recipe, source, NULL, gradients, output, NULL,
                       on_progress, &started, &error))
    {
      fprintf (stderr, "bench-export: %s\n", error->message);
      return 1;
    }
  double seconds = (g_get_monotonic_time () - started) / 1e6;

  struct rusage usage;
  getrusage (RUSAGE_SELF, &usage);
  double image_bytes = (double) width * height * 3 * sizeof (float);
  long hwm = status_kb ("VmHWM");
  guint64 device_peak = inc_device_memory_peak (device);

  printf ("wall_seconds=%.1f\n", seconds);
  printf ("image_buffer_mib=%.1f   (one float RGB image at %dx%d)\n", mib (image_bytes),
          width, height);
  printf ("rss_before_export_mib=%.1f   (model, engine, source)\n", rss_before / 1024.0);
  printf ("peak_rss_mib=%.1f   (VmHWM; ru_maxrss %.1f MiB)\n", hwm / 1024.0,
          usage.ru_maxrss / 1024.0);
  printf ("device_before_export_mib=%.1f   (the network's weights)\n", mib (device_before));
  printf ("peak_device_mib=%.1f   (inc_device_memory_peak)\n", mib (device_peak));
  /* On a CPU device the device memory is host memory, inside the RSS. */
  double host = (hwm - rss_before) * 1024.0 -
                (inc_device_is_cpu (device) ? (double) (device_peak - device_before) : 0.0);
  printf ("peak_host_growth_mib=%.1f   (peak RSS - RSS before%s)\n", mib (host),
          inc_device_is_cpu (device) ? " - device memory added by the export" : "");
  printf ("peak_host_growth_in_image_buffers=%.2f\n", host / image_bytes);

  if (tmpdir != NULL)
    {
      g_unlink (output);
      g_rmdir (tmpdir);
    }
  g_free (output);
  g_free (model_path);
  return 0;
}
