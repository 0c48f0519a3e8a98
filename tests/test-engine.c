/* test-engine.c: every shader, forward and backward, on awkward shapes
 * (13 channels, 7 x 5 images, stride 2, 1x7 and 7x1 kernels, 'same'
 * average pools at the borders, concatenations of concatenations, channel
 * counts that are not multiples of 4 or of the 32-channel blocks), on every
 * convolution kernel (naive, gemm, tiled) with fp32 and with fp16 weights,
 * against a double-precision C reference; backward passes against central
 * finite differences of that reference. With fp16 weights the reference
 * uses the same weights rounded to fp16 (rounded here independently of
 * the engine), so the bounds stay those of fp32. */
#include <math.h>

#include "compute/engine-kernels.h"
#include "test-graph.h"

#define IN TEST_GRAPH_INPUTS

/* input -> a (3x3 same, 13, relu) -> b (1x7, 6, relu), c (7x1, 5, linear),
 * d (avgpool 3x3 same) -> e = concat(b, c, d) -> f (3x3 s2 valid, 9, relu),
 * g (maxpool 3x3 s2) -> h = concat(f, g) ; e -> k (1x1, 7) ; j = concat(h') ...
 * and i (1x1 from h, 37 channels: two 32-channel blocks); m (3x3 same, 16,
 * relu) from e; p (1x1, 64, relu) from e -> q (3x3 same, 8, relu); r (5x5
 * same, 8, relu) from a; m -> s (1x7 same, 8, relu) -> t (7x1 same, 16,
 * relu); u (3x3 s2 valid, 16, relu) from the input; p's siblings from e:
 * v (1x1, 12, relu) -> w (3x3 same, 8, relu), and x (1x1, 8, relu);
 * y = concat(x, w). */
static IncModel *
build_model (void)
{
  TestGraph b;
  test_graph_init (&b, 1234);

  guint in = test_graph_add (&b, "input", INC_OP_INPUT, 0, IN (0), 0, 0, 1, FALSE, FALSE, 0, 3);
  guint a = test_graph_add (&b, "a", INC_OP_CONV, 1, IN (in), 3, 3, 1, TRUE, TRUE, 3, 13);
  guint bb = test_graph_add (&b, "b", INC_OP_CONV, 1, IN (a), 1, 7, 1, TRUE, TRUE, 13, 6);
  guint c = test_graph_add (&b, "c", INC_OP_CONV, 1, IN (a), 7, 1, 1, TRUE, FALSE, 13, 5);
  guint d = test_graph_add (&b, "d", INC_OP_AVGPOOL, 1, IN (a), 3, 3, 1, TRUE, FALSE, 13, 13);
  guint e = test_graph_add (&b, "e", INC_OP_CONCAT, 3, IN (bb, c, d), 0, 0, 1, FALSE, FALSE, 24, 24);
  guint f = test_graph_add (&b, "f", INC_OP_CONV, 1, IN (e), 3, 3, 2, FALSE, TRUE, 24, 9);
  guint g = test_graph_add (&b, "g", INC_OP_MAXPOOL, 1, IN (e), 3, 3, 2, FALSE, FALSE, 24, 24);
  guint k = test_graph_add (&b, "k", INC_OP_CONV, 1, IN (e), 2, 2, 2, FALSE, TRUE, 24, 7);
  guint fg = test_graph_add (&b, "fg", INC_OP_CONCAT, 2, IN (f, g), 0, 0, 1, FALSE, FALSE, 33, 33);
  /* 16 channels from 24: multiples of 8 on both sides, for the variants
   * that store 8 channels at a time (forward, and the Winograd backward). */
  guint m = test_graph_add (&b, "m", INC_OP_CONV, 1, IN (e), 3, 3, 1, TRUE, TRUE, 24, 16);
  /* A 3x3 convolution from 64 channels: the gemm kernel runs it forward
   * as Winograd too (winograd.h INC_WINOGRAD_FORWARD_MIN_CIN). */
  guint pp = test_graph_add (&b, "p", INC_OP_CONV, 1, IN (e), 1, 1, 1, TRUE, TRUE, 24, 64);
  test_graph_add (&b, "q", INC_OP_CONV, 1, IN (pp), 3, 3, 1, TRUE, TRUE, 64, 8);
  /* v and x are p's siblings (1x1 convolutions of e with ReLU): where all
   * are needed they run as one (siblings.c), 84 channels side by side, v a
   * view at channel 64, which w reads forward and adds into backward. x
   * is also the first input of the concatenation y: where y is needed, the
   * group's channels sit in y's buffer before y's own (y a view at channel
   * 76 of 92); else in p's buffer. */
  guint v = test_graph_add (&b, "v", INC_OP_CONV, 1, IN (e), 1, 1, 1, TRUE, TRUE, 24, 12);
  guint w = test_graph_add (&b, "w", INC_OP_CONV, 1, IN (v), 3, 3, 1, TRUE, TRUE, 12, 8);
  /* A 5x5 convolution, Winograd F(4x4, 5x5) on the gemm kernel; from 13
   * channels, so that both transforms run in single channels one way and
   * in texels the other. */
  test_graph_add (&b, "r", INC_OP_CONV, 1, IN (a), 5, 5, 1, TRUE, TRUE, 13, 8);
  /* 1x7 and 7x1 convolutions run as Winograd F(6, 7) on the gemm kernel:
   * b and c in single channels, these two in texels of 4 and 8 channels
   * both ways; lines of 5 and 7 values end in part-filled tiles. */
  guint s = test_graph_add (&b, "s", INC_OP_CONV, 1, IN (m), 1, 7, 1, TRUE, TRUE, 16, 8);
  test_graph_add (&b, "t", INC_OP_CONV, 1, IN (s), 7, 1, 1, TRUE, TRUE, 8, 16);
  /* As InceptionV3's first layer: a strided convolution of the image,
   * whose backward pass runs as columns and a gather (col2im.h) on the
   * gemm kernel; forward, the image's packed 3 channels are picked from
   * texels (conv_gemm.comp RGB_IN). */
  test_graph_add (&b, "u", INC_OP_CONV, 1, IN (in), 3, 3, 2, FALSE, TRUE, 3, 16);
  guint h = test_graph_add (&b, "h", INC_OP_CONCAT, 1, IN (fg), 0, 0, 1, FALSE, FALSE, 33, 33);
  test_graph_add (&b, "i", INC_OP_CONV, 1, IN (h), 1, 1, 1, TRUE, TRUE, 33, 37);
  /* Last, so that the nodes before keep their random weights. */
  guint x = test_graph_add (&b, "x", INC_OP_CONV, 1, IN (e), 1, 1, 1, TRUE, TRUE, 24, 8);
  test_graph_add (&b, "y", INC_OP_CONCAT, 2, IN (x, w), 0, 0, 1, FALSE, FALSE, 16, 16);
  (void) k;
  return test_graph_finish (&b);
}

/* The nearest binary16 value of x (ties to even, as rint rounds), as a
 * float: the ulp is 2^(e - 10) for normal values 2^e <= |x| < 2^(e+1), and
 * 2^-24 below 2^-14. */
static float
round_to_half (float x)
{
  int e;

  if (fabsf (x) >= 65520.0f)
    return copysignf (INFINITY, x);
  frexp (fabs ((double) x), &e);   /* |x| in [2^(e-1), 2^e) */
  int q = MAX (e - 1, -14) - 10;
  return (float) ldexp (rint (ldexp ((double) x, -q)), q);
}

/* The model as the engine sees it: with fp16 weights, every weight and
 * bias rounded. */
static IncModel *
build_reference_model (gboolean half)
{
  IncModel *m = build_model ();
  if (half)
    for (gsize i = 0; i < m->n_weights; i++)
      m->weights[i] = round_to_half (m->weights[i]);
  return m;
}

typedef struct {
  int h, w;
  const char *kernel;   /* naive, gemm, tiled */
  gboolean half;        /* fp16 weights */
  gboolean vec4_stores; /* INCEPTIONIST_WIDE_STORES=0 */
  gboolean narrow;      /* INCEPTIONIST_COL2IM=0: conv_narrow.comp */
  gboolean staged;      /* INCEPTIONIST_STAGED_TRANSFERS=1 */
} Case;

/* Devices by kernel, weight format, store width and transfers, kept for
 * the whole run: opening one compiles its pipelines, 1 to 2 s per case
 * otherwise. */
static GHashTable *devices;  /* "kernel/half/vec4/staged" -> IncDevice */

/* The device with the case's kernel and weight format (checking that they
 * are what runs), borrowed from `devices`. */
static IncDevice *
open_variant (const Case *tc)
{
  g_autoptr (GError) error = NULL;
  IncDevice *device;
  g_autofree char *key = g_strdup_printf ("%s/%d/%d/%d", tc->kernel, tc->half, tc->vec4_stores,
                                          tc->staged);

  /* Read when the case builds its network: kept for the whole case. */
  if (tc->narrow)
    g_setenv ("INCEPTIONIST_COL2IM", "0", TRUE);
  else
    g_unsetenv ("INCEPTIONIST_COL2IM");
  if (devices == NULL)
    devices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify) inc_device_free);
  device = g_hash_table_lookup (devices, key);
  if (device != NULL)
    return device;
  g_setenv ("INCEPTIONIST_CONV_KERNEL", tc->kernel, TRUE);
  g_setenv ("INCEPTIONIST_FP16_WEIGHTS", tc->half ? "1" : "0", TRUE);
  if (tc->vec4_stores)
    g_setenv ("INCEPTIONIST_WIDE_STORES", "0", TRUE);
  if (tc->staged)
    g_setenv ("INCEPTIONIST_STAGED_TRANSFERS", "1", TRUE);
  device = inc_device_open (-1, &error);
  g_unsetenv ("INCEPTIONIST_STAGED_TRANSFERS");
  g_unsetenv ("INCEPTIONIST_CONV_KERNEL");
  g_unsetenv ("INCEPTIONIST_FP16_WEIGHTS");
  g_unsetenv ("INCEPTIONIST_WIDE_STORES");
  if (device == NULL && g_error_matches (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_INVALID))
    {
      g_test_skip_printf ("this device cannot run the variant: %s", error->message);
      return NULL;
    }
  if (device == NULL)
    {
      /* As test_open_device: CI must have a device. */
      if (g_strcmp0 (g_getenv ("INCEPTIONIST_REQUIRE_DEVICE"), "1") == 0)
        g_error ("no Vulkan device, and one is required: %s", error->message);
      g_test_skip_printf ("no Vulkan device: %s", error->message);
      return NULL;
    }
  g_assert_cmpstr (inc_device_conv_kernel (device), ==, tc->kernel);
  g_assert_cmpint (inc_device_half_weights (device), ==, tc->half);
  if (tc->vec4_stores)
    g_assert_false (inc_device_wide_stores (device));
  if (tc->staged)
    g_assert_true (inc_device_staged_transfers (device));
  g_hash_table_insert (devices, g_steal_pointer (&key), device);
  return device;
}

static const char *all_layers[] = { "a", "b", "c", "d", "e", "f", "g", "k", "fg", "h", "i", "m",
                                    "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", NULL };

static void
test_forward (gconstpointer data)
{
  const Case *tc = data;
  IncDevice *device = open_variant (tc);
  g_autoptr (IncModel) model = build_model ();
  g_autoptr (IncModel) ref_model = build_reference_model (tc->half);

  if (device != NULL)
    test_graph_check_forward_on (device, model, ref_model, all_layers, tc->h, tc->w);
}

typedef struct {
  double  value;
  double *fd;     /* per input value */
} Expected;

static void
expected_free (gpointer data)
{
  Expected *e = data;
  g_free (e->fd);
  g_free (e);
}

/* The reference's objective and central finite differences at every input
 * value: the same for every kernel, so computed once per objective, size
 * and weight format. */
static GHashTable *expected_cache;  /* "name/HxW/half" -> Expected */

/* Central differences at input values from .. to - 1, on a copy of the
 * image of its own: the slices run on threads, one per core. */
typedef struct {
  const IncModel     *model;
  const IncObjective *obj;
  const float        *image;
  int                 h, w;
  gsize               from, to;
  double             *fd;
} Differences;

static gpointer
central_differences (gpointer data)
{
  const Differences *d = data;
  const float eps = 1e-4f;
  g_autofree float *img = g_memdup2 (d->image, (gsize) d->h * d->w * 3 * sizeof (float));

  for (gsize i = d->from; i < d->to; i++)
    {
      float saved = img[i];
      img[i] = saved + eps;
      double up = test_graph_ref_value (d->model, d->obj, img, d->h, d->w);
      img[i] = saved - eps;
      double down = test_graph_ref_value (d->model, d->obj, img, d->h, d->w);
      img[i] = saved;
      d->fd[i] = (up - down) / (((double) (saved + eps)) - ((double) (saved - eps)));
    }
  return NULL;
}

static const Expected *
expected_gradient (const Case *tc, const char *name, const IncObjective *obj)
{
  GHashTable *cache;
  g_autofree char *key = g_strdup_printf ("%s/%dx%d/%d", name, tc->h, tc->w, tc->half);
  g_autoptr (IncModel) model = NULL;
  Expected *e;

  if (expected_cache == NULL)
    expected_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, expected_free);
  cache = expected_cache;
  e = g_hash_table_lookup (cache, key);
  if (e != NULL)
    return e;

  model = build_reference_model (tc->half);
  g_autofree float *img = test_graph_random_image (tc->h, tc->w, 99);
  gsize n = (gsize) tc->h * tc->w * 3;
  e = g_new0 (Expected, 1);
  e->fd = g_new (double, n);
  e->value = test_graph_ref_value (model, obj, img, tc->h, tc->w);
  guint n_threads = CLAMP (g_get_num_processors (), 1, 8);
  Differences slices[8];
  GThread *threads[8];
  for (guint t = 0; t < n_threads; t++)
    {
      slices[t] = (Differences) { model, obj, img, tc->h, tc->w,
                                  n * t / n_threads, n * (t + 1) / n_threads, e->fd };
      threads[t] = g_thread_new ("differences", central_differences, &slices[t]);
    }
  for (guint t = 0; t < n_threads; t++)
    g_thread_join (threads[t]);
  g_hash_table_insert (cache, g_steal_pointer (&key), e);
  return e;
}

/* Runs the engine's backward pass and compares it with central finite
 * differences of the reference at every input value. */
static void
check_gradient (const Case *tc, const char *name, IncObjective *obj, const char *const *layers)
{
  IncDevice *device = open_variant (tc);
  g_autoptr (IncModel) model = build_model ();
  g_autoptr (IncNetwork) network = NULL;
  g_autoptr (IncPass) pass = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree float *img = test_graph_random_image (tc->h, tc->w, 99);
  gsize n = (gsize) tc->h * tc->w * 3;
  g_autofree float *grad = g_new (float, n);
  double value = 0.0, worst = 0.0;

  if (device == NULL)
    return;
  network = inc_network_new (device, model, &error);
  g_assert_no_error (error);
  pass = inc_pass_new (network, tc->h, tc->w, layers, &error);
  g_assert_no_error (error);
  g_assert_true (inc_pass_set_input (pass, img, &error));
  g_assert_true (inc_pass_forward (pass, &error));
  g_assert_true (inc_pass_backward (pass, obj, &value, &error));
  g_assert_no_error (error);
  g_assert_true (inc_pass_read_gradient (pass, grad, &error));

  const Expected *expected = expected_gradient (tc, name, obj);
  g_assert_cmpfloat (fabs (value - expected->value), <=, 1e-5 * MAX (1.0, fabs (expected->value)));

  double gnorm = 0.0;
  for (gsize i = 0; i < n; i++)
    {
      double fd = expected->fd[i];
      double err = fabs (grad[i] - fd);
      gnorm = MAX (gnorm, fabs (fd));
      worst = MAX (worst, err / (1e-4 + 1e-2 * fabs (fd)));
      if (err > 1e-4 + 1e-2 * fabs (fd))
        g_test_message ("input %" G_GSIZE_FORMAT ": engine %.8g, finite difference %.8g",
                        i, grad[i], fd);
    }
  g_test_message ("largest gradient %.3g; worst error / tolerance %.3f", gnorm, worst);
  g_assert_cmpfloat (gnorm, >, 1e-4);  /* the check must see a real gradient */
  g_assert_cmpfloat (worst, <=, 1.0);

  /* inc_pass_step, the two passes in one submission (two for a guided
   * objective), runs the same dispatches in the same order: the same
   * value and gradient (after a step on another image, so that nothing
   * left from the passes above can stand in). */
  g_autofree float *other = test_graph_random_image (tc->h, tc->w, 7);
  g_autofree float *step_grad = g_new (float, n);
  double step_value = 0.0;
  g_assert_true (inc_pass_set_input (pass, other, &error));
  g_assert_true (inc_pass_step (pass, obj, &step_value, &error));
  g_assert_cmpfloat (step_value, !=, value);
  g_assert_true (inc_pass_set_input (pass, img, &error));
  g_assert_true (inc_pass_step (pass, obj, &step_value, &error));
  g_assert_no_error (error);
  g_assert_true (inc_pass_read_gradient (pass, step_grad, &error));
  g_assert_cmpfloat (step_value, ==, value);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (step_grad[i], ==, grad[i]);
}

static void
test_backward_mean (gconstpointer data)
{
  IncLayerTerm terms[] = {
    { "i", 1.0f, -1, NULL, 0 },
    { "e", -0.5f, -1, NULL, 0 },
    { "k", 2.0f, 3, NULL, 0 },
    { "m", 0.8f, -1, NULL, 0 },
    { "q", 0.6f, -1, NULL, 0 },
    { "r", 0.7f, -1, NULL, 0 },
    { "t", -0.9f, -1, NULL, 0 },
    { "u", 1.2f, -1, NULL, 0 },
    { "v", -0.4f, -1, NULL, 0 },
    { "w", 0.5f, -1, NULL, 0 },
    { "x", 0.3f, -1, NULL, 0 },
  };
  IncObjective obj = { INC_OBJECTIVE_MEAN, terms, G_N_ELEMENTS (terms), 0 };
  /* x runs with its siblings in p's buffer: y is not needed. */
  const char *layers[] = { "i", "e", "k", "m", "q", "r", "t", "u", "w", "v", "x", NULL };
  check_gradient (data, "mean", &obj, layers);
}

static void
test_backward_square (gconstpointer data)
{
  IncLayerTerm terms[] = {
    { "h", 1.0f, -1, NULL, 0 },
    { "c", 0.7f, 2, NULL, 0 },
    { "y", 0.4f, -1, NULL, 0 },
    { "q", 0.2f, -1, NULL, 0 },
  };
  IncObjective obj = { INC_OBJECTIVE_MEAN_SQUARE, terms, G_N_ELEMENTS (terms), 1 };
  const char *layers[] = { "h", "c", "y", "q", NULL };
  check_gradient (data, "mean-square", &obj, layers);
}

static void
test_backward_guide (gconstpointer data)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  float guide[4 * 24];
  for (guint i = 0; i < G_N_ELEMENTS (guide); i++)
    guide[i] = (float) g_rand_double_range (rand, 0.0, 1.0);
  IncLayerTerm terms[] = { { "e", 1.5f, -1, guide, 4 } };
  IncObjective obj = { INC_OBJECTIVE_GUIDE, terms, 1, 0 };
  const char *layers[] = { "e", NULL };
  check_gradient (data, "guide", &obj, layers);
}

/* The names the profile gives the dispatches of a forward and backward
 * pass to `layers`: the siblings p, v and x show as one, "p+v+x", where
 * all are needed, and only then. */
static GHashTable *
profiled_layers (IncNetwork *network, IncDevice *device, const char *const *layers)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IncPass) pass = inc_pass_new (network, 9, 7, layers, &error);
  g_autofree float *img = test_graph_random_image (9, 7, 3);
  IncLayerTerm term = { (char *) layers[0], 1.0f, -1, NULL, 0 };
  IncObjective obj = { INC_OBJECTIVE_MEAN, &term, 1, 0 };
  GHashTable *names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_assert_no_error (error);
  inc_device_reset_profile (device);
  g_assert_true (inc_pass_set_input (pass, img, &error));
  g_assert_true (inc_pass_forward (pass, &error));
  g_assert_true (inc_pass_backward (pass, &obj, NULL, &error));
  g_assert_no_error (error);
  g_autoptr (GPtrArray) entries = inc_device_get_profile (device, TRUE);
  for (guint i = 0; i < entries->len; i++)
    g_hash_table_add (names, g_strdup (((IncProfileEntry *) g_ptr_array_index (entries, i))->name));
  return names;
}

static void
test_siblings (void)
{
  g_autoptr (IncDevice) device = test_open_device (FALSE);
  g_autoptr (IncModel) model = build_model ();
  g_autoptr (IncNetwork) network = NULL;
  g_autoptr (GError) error = NULL;
  const char *in_concat[] = { "y", "q", NULL };   /* in y's buffer */
  const char *apart_from_y[] = { "x", "w", "q", NULL };  /* in p's */
  const char *p_only[] = { "q", NULL };

  if (device == NULL)
    return;
  if (!inc_device_set_profiling (device, TRUE, &error))
    {
      g_test_skip_printf ("no profiling on this device: %s", error->message);
      return;
    }
  network = inc_network_new (device, model, &error);
  g_assert_no_error (error);

  g_autoptr (GHashTable) merged = profiled_layers (network, device, in_concat);
  g_assert_true (g_hash_table_contains (merged, "p+v+x"));
  g_assert_false (g_hash_table_contains (merged, "v"));
  g_assert_false (g_hash_table_contains (merged, "x"));
  g_autoptr (GHashTable) merged_apart = profiled_layers (network, device, apart_from_y);
  g_assert_true (g_hash_table_contains (merged_apart, "p+v+x"));
  g_autoptr (GHashTable) alone = profiled_layers (network, device, p_only);
  g_assert_true (g_hash_table_contains (alone, "p"));
  g_assert_false (g_hash_table_contains (alone, "p+v+x"));
  /* The clear of the gradients is timed too. */
  g_assert_true (g_hash_table_contains (alone, "gradient clear"));
  g_clear_pointer (&network, inc_network_free);

  /* $INCEPTIONIST_SIBLINGS=0 runs them one by one. */
  g_setenv ("INCEPTIONIST_SIBLINGS", "0", TRUE);
  network = inc_network_new (device, model, &error);
  g_unsetenv ("INCEPTIONIST_SIBLINGS");
  g_assert_no_error (error);
  g_autoptr (GHashTable) apart = profiled_layers (network, device, in_concat);
  g_assert_true (g_hash_table_contains (apart, "p"));
  g_assert_true (g_hash_table_contains (apart, "v"));
  g_assert_true (g_hash_table_contains (apart, "x"));
  g_assert_false (g_hash_table_contains (apart, "p+v+x"));
}

static void
test_errors (void)
{
  g_autoptr (IncDevice) device = test_open_device (FALSE);
  g_autoptr (IncModel) model = build_model ();
  g_autoptr (IncNetwork) network = NULL;
  g_autoptr (GError) error = NULL;
  const char *unknown[] = { "nope", NULL };
  const char *deep[] = { "i", NULL };
  IncPass *pass;

  if (device == NULL)
    return;
  network = inc_network_new (device, model, &error);
  g_assert_no_error (error);

  pass = inc_pass_new (network, 8, 8, unknown, &error);
  g_assert_null (pass);
  g_assert_error (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_INVALID);
  g_clear_error (&error);

  /* 2 x 2 leaves nothing for the stride-2 3x3 layers. */
  pass = inc_pass_new (network, 2, 2, deep, &error);
  g_assert_null (pass);
  g_assert_error (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_INVALID);
  g_clear_error (&error);

  /* A channel that does not exist. */
  pass = inc_pass_new (network, 9, 9, deep, &error);
  g_assert_no_error (error);
  g_autofree float *img = test_graph_random_image (9, 9, 1);
  IncLayerTerm term = { "i", 1.0f, 37, NULL, 0 };
  IncObjective obj = { INC_OBJECTIVE_MEAN, &term, 1, 0 };
  g_assert_true (inc_pass_set_input (pass, img, &error));
  g_assert_true (inc_pass_forward (pass, &error));
  g_assert_false (inc_pass_backward (pass, &obj, NULL, &error));
  g_assert_error (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_INVALID);
  inc_pass_free (pass);
}

/* The engine's fp16 conversion on the values where rounding is delicate:
 * ties (to even), subnormals, underflow, overflow to infinity. A 1x1
 * convolution of a (1, 0, 0) image outputs channel 0's weights as stored. */
static void
test_half_rounding (void)
{
  static const float values[] = {
    1.0f, -1.0f, 0.1f, 1.0f + 0x1p-11f, 1.0f + 3 * 0x1p-11f, -(1.0f + 3 * 0x1p-11f),
    1.0f + 0x1p-11f + 0x1p-20f, 2049.0f, 2051.0f, 65504.0f, 65519.0f, 65520.0f,
    -70000.0f, 0x1p-14f, 0x1.ffcp-15f, 0x1p-24f, 0x1.8p-24f, 0x1.4p-23f, 0x1p-25f,
    0x1.02p-25f, 0x1p-26f, -0x1.8p-24f, 3.14159265f, 1e-3f, 0.0f, -0.0f,
  };
  const int cout = G_N_ELEMENTS (values), h = 2, w = 3;
  Case tc = { h, w, "naive", TRUE };
  IncDevice *device = open_variant (&tc);
  g_autoptr (IncModel) model = g_new0 (IncModel, 1);
  g_autoptr (IncNetwork) network = NULL;
  g_autoptr (IncPass) pass = NULL;
  g_autoptr (GError) error = NULL;
  static guint inputs[] = { 0 };
  const char *layers[] = { "conv", NULL };
  float image[2 * 3 * 3] = { 0 };

  if (device == NULL)
    return;
  model->n_nodes = 2;
  model->nodes = g_new0 (IncNode, 2);
  model->nodes[0] = (IncNode) { .name = g_strdup ("input"), .op = INC_OP_INPUT,
                                .inputs = g_memdup2 (inputs, sizeof inputs), .cout = 3 };
  model->nodes[1] = (IncNode) { .name = g_strdup ("conv"), .op = INC_OP_CONV, .n_inputs = 1,
                                .inputs = g_memdup2 (inputs, sizeof inputs), .kh = 1, .kw = 1,
                                .sh = 1, .sw = 1, .same = TRUE, .cin = 3, .cout = cout };
  model->n_weights = 4 * cout;  /* [1][1][3][cout] kernel, then cout biases */
  model->weights = g_new0 (float, model->n_weights);
  memcpy (model->weights, values, sizeof values);
  model->source = g_strdup ("fp16 rounding");
  for (int p = 0; p < h * w; p++)
    image[p * 3] = 1.0f;

  network = inc_network_new (device, model, &error);
  g_assert_no_error (error);
  pass = inc_pass_new (network, h, w, layers, &error);
  g_assert_no_error (error);
  g_assert_true (inc_pass_set_input (pass, image, &error));
  g_assert_true (inc_pass_forward (pass, &error));
  g_autofree float *out = g_new (float, (gsize) h * w * cout);
  g_assert_true (inc_pass_read_activation (pass, "conv", out, &error));
  g_assert_no_error (error);
  for (int p = 0; p < h * w; p++)
    for (int c = 0; c < cout; c++)
      {
        float want = round_to_half (values[c]);
        if (out[p * cout + c] != want)
          g_error ("%a stored as %a, not %a", values[c], out[p * cout + c], want);
      }
}

/* With $name=value the device does not open: an invalid-input error,
 * whose message holds `says` where given. */
static void
assert_open_refused (const char *name, const char *value, const char *says)
{
  g_autoptr (GError) error = NULL;
  IncDevice *device;

  g_setenv (name, value, TRUE);
  device = inc_device_open (-1, &error);
  g_unsetenv (name);
  g_assert_null (device);
  g_assert_error (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_INVALID);
  if (says != NULL)
    g_assert_nonnull (strstr (error->message, says));
}

/* $INCEPTIONIST_CONV_KERNEL, _FP16_WEIGHTS, _STAGED_TRANSFERS and
 * _WIDE_STORES: bad values are refused with a message;
 * INCEPTIONIST_NAIVE_KERNELS still means naive. */
static void
test_variant_choice (void)
{
  g_autoptr (IncDevice) device = test_open_device (FALSE);
  IncDevice *other;

  if (device == NULL)
    return;
  /* By default CPU drivers run gemm, GPUs tiled (where they can). */
  if (inc_device_is_cpu (device))
    g_assert_cmpstr (inc_device_conv_kernel (device), !=, "tiled");
  g_assert_false (inc_device_half_weights (device));

  assert_open_refused ("INCEPTIONIST_CONV_KERNEL", "fast", "naive, gemm or tiled");
  assert_open_refused ("INCEPTIONIST_FP16_WEIGHTS", "yes", NULL);
  /* Host-cached device memory (lavapipe's) is mapped; the switch is
   * checked like the others. */
  if (inc_device_is_cpu (device))
    g_assert_false (inc_device_staged_transfers (device));
  assert_open_refused ("INCEPTIONIST_STAGED_TRANSFERS", "yes", "must be 0 or 1");
  assert_open_refused ("INCEPTIONIST_WIDE_STORES", "2", "must be 0 or 1");

  g_setenv ("INCEPTIONIST_CONV_KERNEL", "tiled", TRUE);
  other = test_open_device (TRUE);
  g_unsetenv ("INCEPTIONIST_CONV_KERNEL");
  g_assert_nonnull (other);
  g_assert_cmpstr (inc_device_conv_kernel (other), ==, "naive");
  inc_device_free (other);
}

int
main (int argc, char **argv)
{
  static const int sizes[][2] = { { 7, 5 }, { 23, 17 }, { 12, 31 } };
  /* gemm-vec4-stores: gemm with INCEPTIONIST_WIDE_STORES=0; gemm-narrow:
   * gemm with the backward pass into the 3-channel input on conv_narrow
   * instead of col2im (INCEPTIONIST_COL2IM=0); gemm-staged: gemm with every
   * upload and download through the staging buffer, as on discrete GPUs
   * (INCEPTIONIST_STAGED_TRANSFERS=1). */
  static const char *kernels[] = { "naive", "gemm", "gemm-vec4-stores", "gemm-narrow",
                                   "gemm-staged", "tiled" };
  static Case cases[G_N_ELEMENTS (sizes) * G_N_ELEMENTS (kernels) * 2];
  guint n = 0;
  int status;

  g_test_init (&argc, &argv, NULL);
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (guint k = 0; k < G_N_ELEMENTS (kernels); k++)
      for (int half = 0; half < 2; half++)
        {
          Case *c = &cases[n++];
          gboolean vec4_stores = g_str_has_suffix (kernels[k], "-vec4-stores");
          gboolean narrow = g_str_has_suffix (kernels[k], "-narrow");
          gboolean staged = g_str_has_suffix (kernels[k], "-staged");
          *c = (Case) { sizes[s][0], sizes[s][1],
                        vec4_stores || narrow || staged ? "gemm" : kernels[k], half,
                        vec4_stores, narrow, staged };
          g_autofree char *variant = g_strdup_printf ("%s%s/%dx%d", kernels[k], half ? "-fp16" : "",
                                                      c->h, c->w);
          g_autofree char *fwd = g_strconcat ("/engine/forward/", variant, NULL);
          g_autofree char *mean = g_strconcat ("/engine/backward/mean/", variant, NULL);
          g_autofree char *sq = g_strconcat ("/engine/backward/mean-square/", variant, NULL);
          g_autofree char *guide = g_strconcat ("/engine/backward/guide/", variant, NULL);
          g_test_add_data_func (fwd, c, test_forward);
          g_test_add_data_func (mean, c, test_backward_mean);
          g_test_add_data_func (sq, c, test_backward_square);
          g_test_add_data_func (guide, c, test_backward_guide);
        }
  g_test_add_func ("/engine/fp16-rounding", test_half_rounding);
  g_test_add_func ("/engine/variant-choice", test_variant_choice);
  g_test_add_func ("/engine/errors", test_errors);
  g_test_add_func ("/engine/siblings", test_siblings);
  status = g_test_run ();
  g_unsetenv ("INCEPTIONIST_COL2IM");
  g_clear_pointer (&expected_cache, g_hash_table_unref);
  g_clear_pointer (&devices, g_hash_table_unref);
  return status;
}
