/* test-network.c: the whole InceptionV3 to mixed3 and mixed5, forward and
 * backward, against an independent implementation (PyTorch with Keras'
 * unfused batch normalisation, tests/data/README.md), at 147 x 147 and at
 * 120 x 200, with the device's own convolution kernel and with the naive
 * and the tiled (GPU) ones, and with every transfer staged (as on discrete
 * GPUs: the weights' upload then runs in several chunks). Needs the default model
 * (scripts/fetch-model.sh). */
#include <math.h>
#include <string.h>

#include "compute/engine.h"
#include "compute/engine-kernels.h"
#include "core/npy.h"
#include "compute-support.h"

typedef struct {
  const char *size;     /* "147x147" */
  const char *kernel;   /* "auto" (the device's choice), "naive", "tiled" */
  gboolean    staged;   /* INCEPTIONIST_STAGED_TRANSFERS=1 */
} Case;

static IncDevice *
open_device (const Case *tc)
{
  IncDevice *device;

  if (strcmp (tc->kernel, "tiled") == 0)
    g_setenv ("INCEPTIONIST_CONV_KERNEL", tc->kernel, TRUE);
  if (tc->staged)
    g_setenv ("INCEPTIONIST_STAGED_TRANSFERS", "1", TRUE);
  device = test_open_device (strcmp (tc->kernel, "naive") == 0);
  g_unsetenv ("INCEPTIONIST_CONV_KERNEL");
  g_unsetenv ("INCEPTIONIST_STAGED_TRANSFERS");
  if (device != NULL && tc->staged)
    g_assert_true (inc_device_staged_transfers (device));
  if (device != NULL && strcmp (tc->kernel, "auto") != 0)
    g_assert_cmpstr (inc_device_conv_kernel (device), ==, tc->kernel);
  return device;
}

static IncModel *
load_model (void)
{
  g_autofree char *path = inc_model_default_path ();
  g_autoptr (GError) error = NULL;
  IncModel *model;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      if (g_strcmp0 (g_getenv ("INCEPTIONIST_REQUIRE_MODEL"), "1") == 0)
        g_error ("no model at %s, and one is required", path);
      g_test_skip_printf ("no model at %s; run scripts/fetch-model.sh", path);
      return NULL;
    }
  model = inc_model_load (path, &error);
  g_assert_no_error (error);
  return model;
}

static IncNpy *
load_ref (const char *size, const char *what)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *name = g_strdup_printf ("ref-%s%s.npy", size, what);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", name, NULL);
  IncNpy *npy = inc_npy_read (path, &error);
  g_assert_no_error (error);
  return npy;
}

static double
relative_l2 (const float *a, const float *b, gsize n)
{
  double diff = 0.0, norm = 0.0;
  for (gsize i = 0; i < n; i++)
    {
      diff += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
      norm += (double) b[i] * b[i];
    }
  return sqrt (diff / norm);
}

static double
ref_value (const char *size, const char *key)
{
  g_autofree char *name = g_strdup_printf ("ref-%s.json", size);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", name, NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  char *at, *end;

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  /* A flat {"L": number, ...} object: find the key's number. */
  g_autofree char *quoted = g_strdup_printf ("\"%s\":", key);
  at = strstr (text, quoted);
  g_assert_nonnull (at);
  double v = g_ascii_strtod (at + strlen (quoted), &end);
  g_assert_true (end != at + strlen (quoted));
  return v;
}

static void
check_gradient (IncPass *pass, const char *size, IncObjectiveKind kind, int channel,
                const char *grad_name, const char *value_key)
{
  g_autoptr (IncNpy) ref = load_ref (size, grad_name);
  g_autoptr (GError) error = NULL;
  g_autofree float *grad = g_new (float, ref->n_values);
  IncLayerTerm both[] = { { "mixed3", 1.0f, -1, NULL, 0 }, { "mixed5", 1.0f, -1, NULL, 0 } };
  IncLayerTerm one[] = { { "mixed5", 1.0f, channel, NULL, 0 } };
  IncObjective obj = { kind, channel >= 0 ? one : both, channel >= 0 ? 1 : 2, 0 };
  double value = 0.0, expected = ref_value (size, value_key);

  g_assert_true (inc_pass_backward (pass, &obj, &value, &error));
  g_assert_no_error (error);
  g_assert_true (inc_pass_read_gradient (pass, grad, &error));
  double err = relative_l2 (grad, ref->data, ref->n_values);
  g_test_message ("%s gradient: relative L2 error %.2e; objective %.9f vs %.9f",
                  value_key, err, value, expected);
  g_assert_cmpfloat (err, <=, 1e-3);
  g_assert_cmpfloat (fabs (value - expected), <=, 1e-4 * fabs (expected));
}

static void
test_network (gconstpointer data)
{
  const Case *tc = data;
  g_autoptr (IncModel) model = load_model ();
  g_autoptr (IncDevice) device = NULL;
  g_autoptr (IncNetwork) network = NULL;
  g_autoptr (IncPass) pass = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (IncNpy) input = NULL;
  const char *layers[] = { "mixed3", "mixed5", NULL };

  if (model == NULL || (device = open_device (tc)) == NULL)
    return;
  input = load_ref (tc->size, "-input");
  g_assert_cmpint (input->ndim, ==, 3);
  network = inc_network_new (device, model, &error);
  g_assert_no_error (error);
  pass = inc_pass_new (network, (int) input->shape[0], (int) input->shape[1], layers, &error);
  g_assert_no_error (error);
  g_assert_true (inc_pass_set_input (pass, input->data, &error));
  g_assert_true (inc_pass_forward (pass, &error));
  g_assert_no_error (error);

  for (guint l = 0; layers[l] != NULL; l++)
    {
      g_autofree char *suffix = g_strconcat ("-", layers[l], NULL);
      g_autoptr (IncNpy) ref = load_ref (tc->size, suffix);
      int h, w, c;
      g_assert_true (inc_pass_layer_shape (pass, layers[l], &h, &w, &c));
      g_assert_cmpint (h, ==, ref->shape[0]);
      g_assert_cmpint (w, ==, ref->shape[1]);
      g_assert_cmpint (c, ==, ref->shape[2]);
      g_autofree float *act = g_new (float, ref->n_values);
      g_assert_true (inc_pass_read_activation (pass, layers[l], act, &error));
      double err = relative_l2 (act, ref->data, ref->n_values);
      g_test_message ("%s %dx%dx%d: relative L2 error %.2e", layers[l], h, w, c, err);
      g_assert_cmpfloat (err, <=, 1e-4);
    }

  check_gradient (pass, tc->size, INC_OBJECTIVE_MEAN, -1, "-grad", "L");
  check_gradient (pass, tc->size, INC_OBJECTIVE_MEAN_SQUARE, -1, "-grad-sq", "L2");
  check_gradient (pass, tc->size, INC_OBJECTIVE_MEAN, 7, "-grad-ch7", "channel");
}

int
main (int argc, char **argv)
{
  static const Case cases[] = {
    { "147x147", "auto", FALSE }, { "120x200", "auto", FALSE }, { "120x200", "naive", FALSE },
    { "120x200", "tiled", FALSE }, { "120x200", "auto", TRUE },
  };

  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/network/inception-v3/%s%s/%s",
                                               cases[i].kernel,
                                               cases[i].staged ? "-staged" : "",
                                               cases[i].size);
      g_test_add_data_func (path, &cases[i], test_network);
    }
  return g_test_run ();
}
