/* dream-gradient.c: IncGradientSource on the Vulkan engine.
 *
 * A pass holds buffers for one input size and layer set; a dream asks for
 * the same few sizes again and again (full tiles, edge tiles, one size per
 * octave), so the most recently used passes are kept. */
#include <string.h>

#include "compute/dream-gradient.h"

#define MAX_CACHED_PASSES 4

typedef struct {
  int      height, width;
  char    *layers;       /* sorted, comma-joined: the cache key */
  IncPass *pass;
} CachedPass;

typedef struct {
  IncGradientSource parent;
  IncNetwork       *network;
  GQueue            cache;  /* of CachedPass*, most recent first */
} EngineSource;

static void
cached_pass_free (CachedPass *cached)
{
  inc_pass_free (cached->pass);
  g_free (cached->layers);
  g_free (cached);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static IncPass *
get_pass (EngineSource *self, int height, int width, const char **layers, guint n,
          GError **error)
{
  g_autofree const char **sorted = g_memdup2 (layers, sizeof (char *) * (n + 1));
  g_autofree char *key = NULL;
  CachedPass *cached;

  qsort (sorted, n, sizeof (char *), compare_strings);
  key = g_strjoinv (",", (char **) sorted);
  for (GList *l = self->cache.head; l != NULL; l = l->next)
    {
      cached = l->data;
      if (cached->height == height && cached->width == width &&
          strcmp (cached->layers, key) == 0)
        {
          g_queue_unlink (&self->cache, l);
          g_queue_push_head_link (&self->cache, l);
          return cached->pass;
        }
    }
  /* Free before allocating, to bound device memory. */
  while (self->cache.length >= MAX_CACHED_PASSES)
    cached_pass_free (g_queue_pop_tail (&self->cache));
  IncPass *pass = inc_pass_new (self->network, height, width, layers, error);
  if (pass == NULL)
    return NULL;
  cached = g_new0 (CachedPass, 1);
  cached->height = height;
  cached->width = width;
  cached->layers = g_steal_pointer (&key);
  cached->pass = pass;
  g_queue_push_head (&self->cache, cached);
  return pass;
}

static gboolean
engine_gradient (IncGradientSource *source, const IncObjective *objective,
                 const float *image, int height, int width, float *grad,
                 double *value, GError **error)
{
  EngineSource *self = (EngineSource *) source;
  g_autofree const char **layers = g_new0 (const char *, objective->n_terms + 1);
  guint n = 0;
  IncPass *pass;

  /* Each layer once, though several terms may name it. */
  for (guint i = 0; i < objective->n_terms; i++)
    {
      gboolean seen = FALSE;
      for (guint k = 0; k < n && !seen; k++)
        seen = strcmp (layers[k], objective->terms[i].layer) == 0;
      if (!seen)
        layers[n++] = objective->terms[i].layer;
    }
  pass = get_pass (self, height, width, layers, n, error);
  return pass != NULL &&
         inc_pass_set_input (pass, image, error) &&
         inc_pass_forward (pass, error) &&
         inc_pass_backward (pass, objective, value, error) &&
         inc_pass_read_gradient (pass, grad, error);
}

static float *
engine_features (IncGradientSource *source, const char *layer, const float *image,
                 int height, int width, int *n, int *channels, GError **error)
{
  EngineSource *self = (EngineSource *) source;
  const char *layers[] = { layer, NULL };
  IncPass *pass = get_pass (self, height, width, layers, 1, error);
  int h, w, c;

  if (pass == NULL || !inc_pass_set_input (pass, image, error) ||
      !inc_pass_forward (pass, error) || !inc_pass_layer_shape (pass, layer, &h, &w, &c))
    return NULL;
  float *features = g_new (float, (gsize) h * w * c);
  if (!inc_pass_read_activation (pass, layer, features, error))
    {
      g_free (features);
      return NULL;
    }
  *n = h * w;
  *channels = c;
  return features;
}

/* The output side of `node` for a square input of side s, or <= 0. */
static int
output_side (const IncModel *model, guint node, int s, int *memo)
{
  const IncNode *n = &model->nodes[node];
  int in, h, w;

  if (memo[node] != G_MININT)
    return memo[node];
  if (n->op == INC_OP_INPUT)
    return memo[node] = s;
  in = output_side (model, n->inputs[0], s, memo);
  for (guint k = 1; k < n->n_inputs; k++)
    in = MIN (in, output_side (model, n->inputs[k], s, memo));
  if (n->op == INC_OP_CONCAT || in < 1)
    return memo[node] = in;
  inc_node_output_size (n, in, in, &h, &w);
  return memo[node] = MIN (h, w);
}

static int
engine_min_input_side (IncGradientSource *source, const char *layer)
{
  EngineSource *self = (EngineSource *) source;
  const IncModel *model = inc_network_model (self->network);
  int node = inc_model_find (model, layer);

  if (node < 0)
    return -1;
  g_autofree int *memo = g_new (int, model->n_nodes);
  for (int s = 1; s <= 4096; s++)
    {
      for (guint i = 0; i < model->n_nodes; i++)
        memo[i] = G_MININT;
      if (output_side (model, (guint) node, s, memo) >= 1)
        return s;
    }
  return -1;
}

static void
engine_free (IncGradientSource *source)
{
  EngineSource *self = (EngineSource *) source;
  g_queue_clear_full (&self->cache, (GDestroyNotify) cached_pass_free);
  g_free (self);
}

IncGradientSource *
inc_engine_gradient_source_new (IncNetwork *network)
{
  EngineSource *self;

  g_return_val_if_fail (network != NULL, NULL);
  self = g_new0 (EngineSource, 1);
  self->parent.gradient = engine_gradient;
  self->parent.features = engine_features;
  self->parent.min_input_side = engine_min_input_side;
  self->parent.free = engine_free;
  self->network = network;
  g_queue_init (&self->cache);
  return &self->parent;
}

gboolean
inc_network_warm_up (IncNetwork *network, GError **error)
{
  const IncModel *model = inc_network_model (network);
  const char *layer = NULL;
  const int side = 96;

  /* The first concatenation: at 96 px every kind of layer of InceptionV3
   * (strided convolutions, both pools) lies before it. */
  for (guint i = 0; i < model->n_nodes && layer == NULL; i++)
    if (model->nodes[i].op == INC_OP_CONCAT)
      layer = model->nodes[i].name;
  if (layer == NULL)
    layer = model->nodes[model->n_nodes - 1].name;

  const char *layers[] = { layer, NULL };
  g_autoptr (IncPass) pass = inc_pass_new (network, side, side, layers, error);
  g_autofree float *image = g_new0 (float, side * side * 3);
  IncLayerTerm term = { (char *) layer, 1.0f, -1, NULL, 0 };
  IncObjective objective = { INC_OBJECTIVE_MEAN, &term, 1, 0 };

  for (int i = 0; i < side * side * 3; i++)
    image[i] = (float) ((i * 7919) % 200) / 100.0f - 1.0f;
  return pass != NULL &&
         inc_pass_set_input (pass, image, error) &&
         inc_pass_forward (pass, error) &&
         inc_pass_backward (pass, &objective, NULL, error);
}
