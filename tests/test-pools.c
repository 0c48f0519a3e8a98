/* test-pools.c: the pools where every channel count, offset and stride is
 * a multiple of 4 (the shaders' 4-channel path, and the 3x3 stride-2 max
 * pool's shared columns), inside concatenations,
 * InceptionV3's pool-branch pattern (average pool 3x3 'same' feeding a 1x1
 * convolution, run with the pool moved behind the convolution when the
 * pool's output is not asked for), and 3x3 stride-1 convolutions ('same' and 'valid', aligned
 * and not, reading and writing views) with and without the Winograd path;
 * forward against the reference and backward against finite differences,
 * on both convolution kernels. */
#include "test-graph.h"

#define IN TEST_GRAPH_INPUTS

/* input -> a (3x3 same, 16, relu) -> b (1x1, 8, relu), c (avgpool 3x3 same)
 * -> e = concat(b, c) [c at channel 8] -> f (3x3 s2 valid, 12, relu),
 * g (maxpool 3x3 s2) -> fg = concat(f, g) [g at 12] -> pp (avgpool 3x3
 * same) -> pc (1x1, 8, relu); m (maxpool 3x3 s1 valid of a); n (maxpool
 * 3x3 s2 same of e: padded on the top and left at odd sizes); h (1x1,
 * 8, relu, of a) -> o (maxpool 3x3 s2 same): o is the only pass writing
 * h's gradient, so it overwrites it (unless an objective seeds h);
 * v (3x3 valid, 20, relu, of e) -> s (3x3 same, 6, linear) -> vs =
 * concat(v, s); t (3x3 s2 same, 8, relu, of the input) -> u (1x7 same, 3,
 * linear): convolutions with at most 4 output channels (u, and t's
 * backward pass into the image, phase by phase). */
static IncModel *
build_model (void)
{
  TestGraph b;
  test_graph_init (&b, 4321);

  guint in = test_graph_add (&b, "input", INC_OP_INPUT, 0, IN (0), 0, 0, 1, FALSE, FALSE, 0, 3);
  guint a = test_graph_add (&b, "a", INC_OP_CONV, 1, IN (in), 3, 3, 1, TRUE, TRUE, 3, 16);
  guint bb = test_graph_add (&b, "b", INC_OP_CONV, 1, IN (a), 1, 1, 1, TRUE, TRUE, 16, 8);
  guint c = test_graph_add (&b, "c", INC_OP_AVGPOOL, 1, IN (a), 3, 3, 1, TRUE, FALSE, 16, 16);
  guint e = test_graph_add (&b, "e", INC_OP_CONCAT, 2, IN (bb, c), 0, 0, 1, FALSE, FALSE, 24, 24);
  guint f = test_graph_add (&b, "f", INC_OP_CONV, 1, IN (e), 3, 3, 2, FALSE, TRUE, 24, 12);
  guint g = test_graph_add (&b, "g", INC_OP_MAXPOOL, 1, IN (e), 3, 3, 2, FALSE, FALSE, 24, 24);
  guint fg = test_graph_add (&b, "fg", INC_OP_CONCAT, 2, IN (f, g), 0, 0, 1, FALSE, FALSE, 36, 36);
  guint pp = test_graph_add (&b, "pp", INC_OP_AVGPOOL, 1, IN (fg), 3, 3, 1, TRUE, FALSE, 36, 36);
  test_graph_add (&b, "pc", INC_OP_CONV, 1, IN (pp), 1, 1, 1, TRUE, TRUE, 36, 8);
  test_graph_add (&b, "m", INC_OP_MAXPOOL, 1, IN (a), 3, 3, 1, FALSE, FALSE, 16, 16);
  test_graph_add (&b, "n", INC_OP_MAXPOOL, 1, IN (e), 3, 3, 2, TRUE, FALSE, 24, 24);
  guint h = test_graph_add (&b, "h", INC_OP_CONV, 1, IN (a), 1, 1, 1, TRUE, TRUE, 16, 8);
  test_graph_add (&b, "o", INC_OP_MAXPOOL, 1, IN (h), 3, 3, 2, TRUE, FALSE, 8, 8);
  guint v = test_graph_add (&b, "v", INC_OP_CONV, 1, IN (e), 3, 3, 1, FALSE, TRUE, 24, 20);
  guint sv = test_graph_add (&b, "s", INC_OP_CONV, 1, IN (v), 3, 3, 1, TRUE, FALSE, 20, 6);
  test_graph_add (&b, "vs", INC_OP_CONCAT, 2, IN (v, sv), 0, 0, 1, FALSE, FALSE, 26, 26);
  guint t = test_graph_add (&b, "t", INC_OP_CONV, 1, IN (in), 3, 3, 2, TRUE, TRUE, 3, 8);
  test_graph_add (&b, "u", INC_OP_CONV, 1, IN (t), 1, 7, 1, TRUE, FALSE, 8, 3);
  return test_graph_finish (&b);
}

typedef struct {
  int h, w;
  gboolean naive;
  gboolean winograd;
} Case;

/* The Winograd path is chosen when the network is made. */
static void
choose_winograd (const Case *tc)
{
  g_setenv ("INCEPTIONIST_WINOGRAD", tc->winograd ? "1" : "0", TRUE);
}

static void
test_forward (gconstpointer data)
{
  const Case *tc = data;
  g_autoptr (IncModel) model = build_model ();
  const char *layers[] = { "a", "b", "c", "e", "f", "g", "fg", "pp", "pc", "m", "n", "h", "o", "v", "s", "vs", "t", "u", NULL };
  choose_winograd (tc);
  test_graph_check_forward (model, layers, tc->h, tc->w, tc->naive);
}

/* Without "pp" among the layers, pc runs with its pool moved behind it. */
static void
test_forward_moved_pool (gconstpointer data)
{
  const Case *tc = data;
  g_autoptr (IncModel) model = build_model ();
  const char *layers[] = { "pc", "vs", NULL };
  choose_winograd (tc);
  test_graph_check_forward (model, layers, tc->h, tc->w, tc->naive);
}

/* The input gradient of a mean-square objective over the terms' layers
 * against finite differences. */
static void
check_backward (const Case *tc, IncLayerTerm *terms, guint n_terms)
{
  g_autoptr (IncModel) model = build_model ();
  g_autofree const char **layers = g_new0 (const char *, n_terms + 1);
  IncObjective obj = { INC_OBJECTIVE_MEAN_SQUARE, terms, n_terms, 0 };

  for (guint k = 0; k < n_terms; k++)
    layers[k] = terms[k].layer;
  choose_winograd (tc);
  test_graph_check_gradient (model, &obj, layers, tc->h, tc->w, tc->naive);
}

static void
test_backward (gconstpointer data)
{
  IncLayerTerm terms[] = {
    { "pc", 1.0f, -1, NULL, 0 },
    { "fg", -0.5f, -1, NULL, 0 },
    { "m", 0.8f, -1, NULL, 0 },
    { "n", -0.7f, -1, NULL, 0 },
    { "o", 0.4f, -1, NULL, 0 },
    { "vs", 0.6f, -1, NULL, 0 },
    { "u", 0.9f, -1, NULL, 0 },
  };
  check_backward (data, terms, G_N_ELEMENTS (terms));
}

/* With an objective on h too, its seed must survive o's backward pass:
 * o adds instead of overwriting. */
static void
test_backward_seeded (gconstpointer data)
{
  IncLayerTerm terms[] = {
    { "o", 0.4f, -1, NULL, 0 },
    { "h", -0.3f, -1, NULL, 0 },
  };
  check_backward (data, terms, G_N_ELEMENTS (terms));
}

int
main (int argc, char **argv)
{
  static const Case cases[] = {
    { 9, 7, FALSE, TRUE }, { 9, 7, FALSE, FALSE }, { 9, 7, TRUE, FALSE },
    { 21, 26, FALSE, TRUE }, { 21, 26, FALSE, FALSE },
  };

  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const Case *c = &cases[i];
      const char *kernel = c->naive ? "naive" : c->winograd ? "auto" : "direct";
      g_autofree char *fwd = g_strdup_printf ("/pools/forward/%s/%dx%d", kernel, c->h, c->w);
      g_autofree char *bwd = g_strdup_printf ("/pools/backward/%s/%dx%d", kernel, c->h, c->w);
      g_autofree char *seeded = g_strdup_printf ("/pools/backward-seeded/%s/%dx%d", kernel, c->h, c->w);
      g_autofree char *moved = g_strdup_printf ("/pools/forward-moved-pool/%s/%dx%d", kernel, c->h, c->w);
      g_test_add_data_func (fwd, c, test_forward);
      g_test_add_data_func (moved, c, test_forward_moved_pool);
      g_test_add_data_func (bwd, c, test_backward);
      g_test_add_data_func (seeded, c, test_backward_seeded);
    }
  return g_test_run ();
}
