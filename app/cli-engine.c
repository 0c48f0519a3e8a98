/* cli-engine.c: the engine's subcommands: devices, layers, probe, bench. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "app/cli.h"
#include "compute/engine-kernels.h"
#include "core/image.h"
#include "core/npy.h"

gboolean
inc_cli_open_engine (int device_index, const char *model_path, IncDevice **device,
                     IncNetwork **network, GError **error)
{
  g_autofree char *default_path = NULL;
  g_autoptr (IncModel) model = NULL;
  g_autoptr (IncDevice) dev = NULL;

  if (model_path == NULL)
    model_path = default_path = inc_model_default_path ();
  if (!g_file_test (model_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, INC_MODEL_ERROR, INC_MODEL_ERROR_MISSING,
                   "no model at %s; run scripts/fetch-model.sh or "
                   "'inceptionist-cli import-model SOURCE' first", model_path);
      return FALSE;
    }
  model = inc_model_load (model_path, error);
  if (model == NULL)
    return FALSE;
  dev = inc_device_open (device_index, error);
  if (dev == NULL)
    return FALSE;
  *network = inc_network_new (dev, model, error);
  if (*network == NULL)
    return FALSE;
  *device = g_steal_pointer (&dev);
  return TRUE;
}

/* Parses "name[:weight],..." into terms of weight 1 by default. */
static IncLayerTerm *
parse_layers (const char *spec, guint *n_terms, GError **error)
{
  g_auto (GStrv) parts = NULL;
  IncLayerTerm *terms;
  guint n;

  if (spec == NULL || *spec == '\0')
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--layers is required");
      return NULL;
    }
  parts = g_strsplit (spec, ",", -1);
  n = g_strv_length (parts);
  terms = g_new0 (IncLayerTerm, n + 1);
  for (guint i = 0; i < n; i++)
    {
      char *colon = strchr (parts[i], ':');
      terms[i].weight = 1.0f;
      terms[i].channel = -1;
      if (colon != NULL)
        {
          char *end = NULL;
          *colon = '\0';
          terms[i].weight = (float) g_ascii_strtod (colon + 1, &end);
          if (end == colon + 1 || *end != '\0' || !isfinite (terms[i].weight))
            {
              g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "bad weight '%s' for layer %s", colon + 1, parts[i]);
              for (guint k = 0; k < i; k++)
                g_free (terms[k].layer);
              g_free (terms);
              return NULL;
            }
        }
      terms[i].layer = g_strdup (g_strstrip (parts[i]));
    }
  *n_terms = n;
  return terms;
}

static void
free_terms (IncLayerTerm *terms, guint n)
{
  for (guint i = 0; terms != NULL && i < n; i++)
    g_free (terms[i].layer);
  g_free (terms);
}

static const char **
term_names (const IncLayerTerm *terms, guint n)
{
  const char **names = g_new0 (const char *, n + 1);
  for (guint i = 0; i < n; i++)
    names[i] = terms[i].layer;
  return names;
}

/* Parses options; on a bad option prints one line and returns FALSE. */
static gboolean
parse_options (const char *summary, GOptionEntry *entries, int *argc, char ***argv,
               int *status)
{
  g_autoptr (GOptionContext) context = g_option_context_new (summary);
  g_autoptr (GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      *status = inc_cli_fail (error);
      return FALSE;
    }
  return TRUE;
}

int
inc_cli_devices (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = NULL;
  int status = 0;
  GOptionEntry entries[] = { { NULL } };

  if (!parse_options ("- list the Vulkan devices", entries, &argc, &argv, &status))
    return status;
  list = inc_device_list (&error);
  if (list == NULL)
    return inc_cli_fail (error);
  if (list->len == 0)
    {
      g_printerr ("inceptionist-cli: no Vulkan device with compute support; "
                  "install mesa-vulkan-drivers for the CPU driver\n");
      return INC_EXIT_BAD_INPUT;
    }
  for (guint i = 0; i < list->len; i++)
    {
      IncDeviceInfo *info = g_ptr_array_index (list, i);
      printf ("%u\t%s\t%s\n", i, info->name, info->type);
    }
  return INC_EXIT_OK;
}

int
inc_cli_layers (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IncModel) model = NULL;
  g_autofree char *default_path = NULL;
  g_autofree int *h = NULL, *w = NULL;
  char *model_path = NULL;
  gboolean all = FALSE;
  int size = 299, status = 0;
  GOptionEntry entries[] = {
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &model_path, "Model file", "PATH" },
    { "all", 0, 0, G_OPTION_ARG_NONE, &all, "List every node, not only the mixed layers", NULL },
    { "size", 0, 0, G_OPTION_ARG_INT, &size, "Input size for the shapes shown (default 299)", "N" },
    { NULL }
  };

  if (!parse_options ("- list the model's layers", entries, &argc, &argv, &status))
    return status;
  if (model_path == NULL)
    model_path = default_path = inc_model_default_path ();
  model = inc_model_load (model_path, &error);
  if (model == NULL)
    return inc_cli_fail (error);
  if (size < 1 || size > 16384)
    {
      g_printerr ("inceptionist-cli: --size must be between 1 and 16384\n");
      return INC_EXIT_BAD_INPUT;
    }

  h = g_new0 (int, model->n_nodes);
  w = g_new0 (int, model->n_nodes);
  printf ("# layer\tshape at %dx%d (HxWxC)\n", size, size);
  for (guint i = 0; i < model->n_nodes; i++)
    {
      const IncNode *n = &model->nodes[i];
      int c = n->cout;
      if (n->op == INC_OP_INPUT)
        {
          h[i] = w[i] = size;
          c = 3;
        }
      else if (n->op == INC_OP_CONCAT)
        {
          h[i] = h[n->inputs[0]];
          w[i] = w[n->inputs[0]];
        }
      else
        inc_node_output_size (n, h[n->inputs[0]], w[n->inputs[0]], &h[i], &w[i]);
      if (!all && !g_str_has_prefix (n->name, "mixed"))
        continue;
      if (!all && strchr (n->name, '_') != NULL)  /* mixed9_0 and the like */
        continue;
      printf ("%s\t%dx%dx%d\n", n->name, MAX (h[i], 0), MAX (w[i], 0), c);
    }
  return INC_EXIT_OK;
}

static IncImage *
load_input (const char *path, const char *resize, GError **error)
{
  g_autoptr (IncImage) image = NULL;
  int rw, rh;

  if (g_str_has_suffix (path, ".npy"))
    image = inc_image_load_npy (path, error);
  else
    image = inc_image_load (path, 0, error);
  if (image == NULL)
    return NULL;
  if (image->channels != 3)
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_FORMAT,
                   "%s: expected an array of shape (H, W, 3)", path);
      return NULL;
    }
  if (resize == NULL)
    return g_steal_pointer (&image);
  if (sscanf (resize, "%dx%d", &rw, &rh) != 2 || rw < 1 || rh < 1 || rw > 16384 || rh > 16384)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--resize takes WxH, e.g. 512x384, not '%s'", resize);
      return NULL;
    }
  return inc_image_resize (image, rw, rh);
}

int
inc_cli_probe (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IncImage) image = NULL;
  g_autoptr (IncDevice) device = NULL;
  g_autoptr (IncNetwork) network = NULL;
  g_autoptr (IncPass) pass = NULL;
  g_autofree const char **names = NULL;
  g_autofree float *grad = NULL;
  IncLayerTerm *terms = NULL;
  guint n_terms = 0;
  char *layers = NULL, *resize = NULL, *act_dir = NULL, *grad_path = NULL, *model_path = NULL;
  int device_index = -1, status = 0;
  double value = 0.0;
  GOptionEntry entries[] = {
    { "layers", 0, 0, G_OPTION_ARG_STRING, &layers, "Layers and weights", "mixed3:1,mixed5:1" },
    { "resize", 0, 0, G_OPTION_ARG_STRING, &resize, "Resize the input first", "WxH" },
    { "activations", 0, 0, G_OPTION_ARG_FILENAME, &act_dir, "Directory for <layer>.npy", "DIR" },
    { "gradient", 0, 0, G_OPTION_ARG_FILENAME, &grad_path, "Where to write the input gradient", "FILE.npy" },
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &model_path, "Model file", "PATH" },
    { "device", 0, 0, G_OPTION_ARG_INT, &device_index, "Vulkan device number", "N" },
    { NULL }
  };

  if (!parse_options ("INPUT - write activations and the input gradient", entries, &argc, &argv, &status))
    return status;
  if (argc != 2)
    {
      g_printerr ("inceptionist-cli: probe takes one INPUT (an image or a .npy array)\n");
      return INC_EXIT_BAD_INPUT;
    }
  if (act_dir == NULL || grad_path == NULL)
    {
      g_printerr ("inceptionist-cli: probe needs --activations DIR and --gradient FILE.npy\n");
      return INC_EXIT_BAD_INPUT;
    }
  terms = parse_layers (layers, &n_terms, &error);
  if (terms == NULL)
    return inc_cli_fail (error);
  names = term_names (terms, n_terms);
  IncObjective objective = { .kind = INC_OBJECTIVE_MEAN, .terms = terms, .n_terms = n_terms };

  if ((image = load_input (argv[1], resize, &error)) == NULL ||
      !inc_cli_open_engine (device_index, model_path, &device, &network, &error) ||
      (pass = inc_pass_new (network, image->height, image->width, names, &error)) == NULL ||
      !inc_pass_set_input (pass, image->data, &error) ||
      !inc_pass_forward (pass, &error) ||
      !inc_pass_backward (pass, &objective, &value, &error))
    goto fail;

  if (g_mkdir_with_parents (act_dir, 0755) != 0)
    {
      g_printerr ("inceptionist-cli: cannot create %s\n", act_dir);
      free_terms (terms, n_terms);
      return INC_EXIT_BAD_INPUT;
    }
  for (guint i = 0; i < n_terms; i++)
    {
      int h, w, c;
      if (!inc_pass_layer_shape (pass, terms[i].layer, &h, &w, &c))
        continue;
      g_autofree float *act = g_new (float, (gsize) h * w * c);
      g_autofree char *file = g_strconcat (terms[i].layer, ".npy", NULL);
      g_autofree char *path = g_build_filename (act_dir, file, NULL);
      gsize shape[3] = { h, w, c };
      if (!inc_pass_read_activation (pass, terms[i].layer, act, &error) ||
          !inc_npy_write (path, act, 3, shape, &error))
        goto fail;
    }
  grad = g_new (float, (gsize) image->height * image->width * 3);
  gsize gshape[3] = { image->height, image->width, 3 };
  if (!inc_pass_read_gradient (pass, grad, &error) ||
      !inc_npy_write (grad_path, grad, 3, gshape, &error))
    goto fail;
  printf ("objective=%.9g\n", value);
  free_terms (terms, n_terms);
  return INC_EXIT_OK;

fail:
  free_terms (terms, n_terms);
  return inc_cli_fail (error);
}

/* One DeepDream step on the host side: normalise by the standard
 * deviation, ascend, clip (the TF tutorial's update). */
static void
update_image (float *image, const float *grad, gsize n, float step)
{
  double sum = 0.0, sum2 = 0.0, std;
  for (gsize i = 0; i < n; i++)
    {
      sum += grad[i];
      sum2 += (double) grad[i] * grad[i];
    }
  std = sqrt (MAX (sum2 / n - (sum / n) * (sum / n), 0.0));
  for (gsize i = 0; i < n; i++)
    image[i] = CLAMP (image[i] + step * (float) (grad[i] / (std + 1e-8)), -1.0f, 1.0f);
}

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static void
print_profile_table (IncDevice *device, gboolean by_layer, int steps)
{
  g_autoptr (GPtrArray) entries = inc_device_get_profile (device, by_layer);
  double total = 0.0;

  for (guint i = 0; i < entries->len; i++)
    total += ((IncProfileEntry *) g_ptr_array_index (entries, i))->seconds;
  printf ("# profile per %s, per step (device time %.3f s)\n", by_layer ? "layer" : "kind",
          total / steps);
  printf ("# %-28s %10s %6s %10s %8s %10s\n", "name", "ms/step", "share", "GFLOP/step", "GFLOPS",
          "dispatches");
  for (guint i = 0; i < entries->len; i++)
    {
      IncProfileEntry *e = g_ptr_array_index (entries, i);
      printf ("  %-28s %10.2f %5.1f%% %10.3f %8.2f %10.1f\n", e->name, 1e3 * e->seconds / steps,
              100.0 * e->seconds / MAX (total, 1e-12), e->gflop / steps,
              e->seconds > 0 ? e->gflop / e->seconds : 0.0, (double) e->dispatches / steps);
    }
}

static void
print_profile (IncDevice *device, int steps)
{
  print_profile_table (device, FALSE, steps);
  print_profile_table (device, TRUE, steps);
}

int
inc_cli_bench (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IncDevice) device = NULL;
  g_autoptr (IncNetwork) network = NULL;
  g_autoptr (IncPass) pass = NULL;
  g_autofree const char **names = NULL;
  g_autofree float *image = NULL, *grad = NULL;
  IncLayerTerm *terms = NULL;
  guint n_terms = 0;
  char *layers = NULL, *model_path = NULL;
  int size = 512, height = 0, steps = 3, device_index = -1, status = 0;
  gboolean profile = FALSE;
  double value = 0.0, total = 0.0;
  g_autofree double *times = NULL;
  GOptionEntry entries[] = {
    { "size", 0, 0, G_OPTION_ARG_INT, &size, "Image width, and height unless --height, in pixels (default 512)", "N" },
    { "height", 0, 0, G_OPTION_ARG_INT, &height, "Image height in pixels (default: --size)", "N" },
    { "layers", 0, 0, G_OPTION_ARG_STRING, &layers, "Layers", "mixed3,mixed5" },
    { "steps", 0, 0, G_OPTION_ARG_INT, &steps, "Timed steps (default 3)", "N" },
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &model_path, "Model file", "PATH" },
    { "device", 0, 0, G_OPTION_ARG_INT, &device_index, "Vulkan device number", "N" },
    { "profile", 0, 0, G_OPTION_ARG_NONE, &profile, "Time every dispatch; print totals per kind and per layer", NULL },
    { NULL }
  };

  if (!parse_options ("- time forward + backward + update steps", entries, &argc, &argv, &status))
    return status;
  if (height == 0)
    height = size;
  if (size < 16 || size > 8192 || height < 16 || height > 8192 || steps < 1 || steps > 10000)
    {
      g_printerr ("inceptionist-cli: --size and --height must be 16..8192 and --steps 1..10000\n");
      return INC_EXIT_BAD_INPUT;
    }
  terms = parse_layers (layers, &n_terms, &error);
  if (terms == NULL)
    return inc_cli_fail (error);
  names = term_names (terms, n_terms);
  IncObjective objective = { .kind = INC_OBJECTIVE_MEAN, .terms = terms, .n_terms = n_terms };
  int width = size;
  gsize n = (gsize) width * height * 3;

  /* A fixed, smooth test pattern: the timing does not depend on content,
   * but a real-looking input keeps ReLU sparsity realistic. */
  image = g_new (float, n);
  grad = g_new (float, n);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      for (int c = 0; c < 3; c++)
        image[((gsize) y * width + x) * 3 + c] =
          0.8f * sinf (0.05f * x * (c + 1) + 0.03f * y) * cosf (0.02f * y * (3 - c));

  if (!inc_cli_open_engine (device_index, model_path, &device, &network, &error) ||
      (pass = inc_pass_new (network, height, width, names, &error)) == NULL)
    goto fail;

  printf ("device=%s\n", inc_device_name (device));
  printf ("conv_kernel=%s\nweights=%s\nstores=%s\ntransfers=%s\n", inc_device_conv_kernel (device),
          inc_device_half_weights (device) ? "fp16" : "fp32",
          inc_device_wide_stores (device) ? "wide" : "vec4",
          inc_device_staged_transfers (device) ? "staged" : "mapped");
  if (profile && !inc_device_set_profiling (device, TRUE, &error))
    goto fail;
  times = g_new (double, steps);
  /* Step 0 warms up: first dispatches, and the pass's memory first touched. */
  for (int s = 0; s <= steps; s++)
    {
      gint64 t0 = g_get_monotonic_time ();
      if (!inc_pass_set_input (pass, image, &error) ||
          !inc_pass_step (pass, &objective, &value, &error) ||
          !inc_pass_read_gradient (pass, grad, &error))
        goto fail;
      update_image (image, grad, n, 0.01f);
      double dt = (g_get_monotonic_time () - t0) / 1e6;
      printf ("step %d%s: %.3f s, objective %.6f\n", s, s == 0 ? " (warm-up)" : "", dt, value);
      fflush (stdout);
      if (s > 0)
        {
          times[s - 1] = dt;
          total += dt;
        }
      else
        inc_device_reset_profile (device);  /* leave the JIT warm-up out */
    }
  if (profile)
    print_profile (device, steps);
  printf ("device_memory_peak_mb=%.1f\n", inc_device_memory_peak (device) / 1048576.0);
  /* The median, as the PyTorch peer reports (scripts/reference/torch_bench.py):
   * on a noisy machine one slow step moves a mean, not a median. */
  qsort (times, steps, sizeof (double), compare_doubles);
  printf ("seconds_mean=%.4f\n", total / steps);
  printf ("seconds_per_step=%.4f\n",
          steps % 2 ? times[steps / 2] : (times[steps / 2 - 1] + times[steps / 2]) / 2);
  free_terms (terms, n_terms);
  return INC_EXIT_OK;

fail:
  free_terms (terms, n_terms);
  return inc_cli_fail (error);
}
