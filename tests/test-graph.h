/* test-graph.h: small hand-built graphs for the compute tests, and the two
 * checks every graph gets: the engine's activations against the
 * double-precision reference (reference-net.h), and its input gradient
 * against central finite differences of that reference. */
#pragma once

#include <math.h>

#include "compute/engine.h"
#include "compute-support.h"
#include "reference-net.h"

typedef struct {
  GPtrArray *nodes;   /* of IncNode* */
  GArray    *weights; /* float */
  GRand     *rand;
} TestGraph;

static inline void
test_graph_init (TestGraph *b, guint32 seed)
{
  b->nodes = g_ptr_array_new ();
  b->weights = g_array_new (FALSE, FALSE, sizeof (float));
  b->rand = g_rand_new_with_seed (seed);
}

/* Adds a node with random weights (convolutions) and returns its index. */
static inline guint
test_graph_add (TestGraph *b, const char *name, IncOpKind op, int n_inputs, const guint *inputs,
                int kh, int kw, int stride, gboolean same, gboolean relu, int cin, int cout)
{
  IncNode *n = g_new0 (IncNode, 1);
  n->name = g_strdup (name);
  n->op = op;
  n->n_inputs = (guint) n_inputs;
  n->inputs = g_memdup2 (inputs, sizeof (guint) * MAX (n_inputs, 1));
  n->kh = kh;
  n->kw = kw;
  n->sh = n->sw = stride;
  n->same = same;
  n->relu = relu;
  n->cin = cin;
  n->cout = cout;
  if (op == INC_OP_CONV)
    {
      gsize count = (gsize) kh * kw * cin * cout + cout;
      double scale = 1.0 / sqrt ((double) kh * kw * cin);
      n->weight_offset = b->weights->len;
      for (gsize i = 0; i < count; i++)
        {
          float v = (float) (g_rand_double_range (b->rand, -1.5, 1.5) * scale);
          g_array_append_val (b->weights, v);
        }
    }
  g_ptr_array_add (b->nodes, n);
  return b->nodes->len - 1;
}

/* The finished model; the builder is emptied. */
static inline IncModel *
test_graph_finish (TestGraph *b)
{
  IncModel *m = g_new0 (IncModel, 1);

  m->n_nodes = b->nodes->len;
  m->nodes = g_new0 (IncNode, m->n_nodes);
  for (guint n = 0; n < m->n_nodes; n++)
    {
      m->nodes[n] = *(IncNode *) g_ptr_array_index (b->nodes, n);
      g_free (g_ptr_array_index (b->nodes, n));
    }
  m->n_weights = b->weights->len;
  m->weights = (float *) g_array_free (b->weights, FALSE);
  m->source = g_strdup ("test graph");
  g_ptr_array_free (b->nodes, TRUE);
  g_rand_free (b->rand);
  return m;
}

#define TEST_GRAPH_INPUTS(...) (const guint[]) { __VA_ARGS__ }

static inline float *
test_graph_random_image (int h, int w, guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  float *img = g_new (float, (gsize) h * w * 3);
  for (gsize i = 0; i < (gsize) h * w * 3; i++)
    img[i] = (float) g_rand_double_range (rand, -1.0, 1.0);
  return img;
}

/* Every listed layer's activation on device against the reference run on
 * ref_model (the model itself, or its weights as the device stores them),
 * value by value. */
static inline void
test_graph_check_forward_on (IncDevice *device, const IncModel *model,
                             const IncModel *ref_model, const char *const *layers,
                             int h, int w)
{
  g_autoptr (IncNetwork) network = NULL;
  g_autoptr (IncPass) pass = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree float *img = test_graph_random_image (h, w, 7);
  g_autofree RefTensor *ref = g_new0 (RefTensor, model->n_nodes);

  network = inc_network_new (device, model, &error);
  g_assert_no_error (error);
  pass = inc_pass_new (network, h, w, layers, &error);
  g_assert_no_error (error);
  g_assert_true (inc_pass_set_input (pass, img, &error));
  g_assert_true (inc_pass_forward (pass, &error));
  g_assert_no_error (error);
  ref_forward (ref_model, img, h, w, ref);

  for (guint l = 0; layers[l] != NULL; l++)
    {
      const RefTensor *r = &ref[inc_model_find (model, layers[l])];
      int lh, lw, lc;
      double diff = 0.0, norm = 0.0;

      g_assert_true (inc_pass_layer_shape (pass, layers[l], &lh, &lw, &lc));
      g_assert_cmpint (lh, ==, r->h);
      g_assert_cmpint (lw, ==, r->w);
      g_assert_cmpint (lc, ==, r->c);
      g_autofree float *act = g_new (float, (gsize) lh * lw * lc);
      g_assert_true (inc_pass_read_activation (pass, layers[l], act, &error));
      for (gsize i = 0; i < (gsize) lh * lw * lc; i++)
        {
          double e = fabs (act[i] - r->v[i]);
          g_assert_cmpfloat (e, <=, 1e-5 + 1e-5 * fabs (r->v[i]));
          diff += e * e;
          norm += r->v[i] * r->v[i];
        }
      g_test_message ("%s %dx%dx%d: relative L2 error %.2e", layers[l], lh, lw, lc,
                      sqrt (diff / MAX (norm, 1e-30)));
    }
  ref_free (model, ref);
}

/* The same on the default device (naive: with the naive kernels). */
static inline void
test_graph_check_forward (const IncModel *model, const char *const *layers, int h, int w,
                          gboolean naive)
{
  g_autoptr (IncDevice) device = test_open_device (naive);

  if (device != NULL)
    test_graph_check_forward_on (device, model, model, layers, h, w);
}

static inline double
test_graph_ref_value (const IncModel *model, const IncObjective *obj, const float *img,
                      int h, int w)
{
  g_autofree RefTensor *ref = g_new0 (RefTensor, model->n_nodes);
  g_autofree gboolean *needed = ref_needed_by (model, obj);
  double v;
  /* Only what the objective reads: this runs twice per input value. */
  ref_forward_needed (model, img, h, w, needed, ref);
  v = ref_objective (model, obj, ref);
  ref_free (model, ref);
  return v;
}

/* Runs the engine's backward pass and compares it with central finite
 * differences of the reference at every input value. */
static inline void
test_graph_check_gradient (const IncModel *model, const IncObjective *obj,
                           const char *const *layers, int h, int w, gboolean naive)
{
  g_autoptr (IncDevice) device = test_open_device (naive);
  g_autoptr (IncNetwork) network = NULL;
  g_autoptr (IncPass) pass = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree float *img = test_graph_random_image (h, w, 99);
  gsize n = (gsize) h * w * 3;
  g_autofree float *grad = g_new (float, n);
  double value = 0.0, worst = 0.0;
  const double eps = 1e-4;

  if (device == NULL)
    return;
  network = inc_network_new (device, model, &error);
  g_assert_no_error (error);
  pass = inc_pass_new (network, h, w, layers, &error);
  g_assert_no_error (error);
  g_assert_true (inc_pass_set_input (pass, img, &error));
  g_assert_true (inc_pass_forward (pass, &error));
  g_assert_true (inc_pass_backward (pass, obj, &value, &error));
  g_assert_no_error (error);
  g_assert_true (inc_pass_read_gradient (pass, grad, &error));

  double expected = test_graph_ref_value (model, obj, img, h, w);
  g_assert_cmpfloat (fabs (value - expected), <=, 1e-5 * MAX (1.0, fabs (expected)));

  double gnorm = 0.0;
  for (gsize i = 0; i < n; i++)
    {
      float saved = img[i];
      img[i] = saved + (float) eps;
      double up = test_graph_ref_value (model, obj, img, h, w);
      img[i] = saved - (float) eps;
      double down = test_graph_ref_value (model, obj, img, h, w);
      img[i] = saved;
      double fd = (up - down) / (((double) (saved + (float) eps)) - ((double) (saved - (float) eps)));
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
}
