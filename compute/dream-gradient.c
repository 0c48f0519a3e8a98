/* dream-gradient.c: IncGradientSource on the Vulkan engine.
 *
 * A pass holds buffers for one input size and layer set; a dream asks for
 * the same few sizes again and again (full tiles, edge tiles, one size per
 * octave), so the most recently used passes are kept.
 *
 * With the device-step methods each dream's image (and mask and gradient)
 * stays on the device: tiles are copied into a pass's input there and
 * their gradients back into the image's, and normalisation and update run
 * there too (compute/step.c). */
#include <string.h>

#include "compute/dream-gradient.h"
#include "compute/network-private.h"
#include "compute/pass-io.h"
#include "compute/step.h"
#include "core/tiler.h"

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
  GHashTable       *images; /* owner -> IncStepImage* */
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

/* The pass for the objective's layers (each once, though several terms
 * may name it) at this size. */
static IncPass *
objective_pass (EngineSource *self, const IncObjective *objective, int height,
                int width, GError **error)
{
  g_autofree const char **layers = g_new0 (const char *, objective->n_terms + 1);
  guint n = 0;

  for (guint i = 0; i < objective->n_terms; i++)
    {
      gboolean seen = FALSE;
      for (guint k = 0; k < n && !seen; k++)
        seen = strcmp (layers[k], objective->terms[i].layer) == 0;
      if (!seen)
        layers[n++] = objective->terms[i].layer;
    }
  return get_pass (self, height, width, layers, n, error);
}

static gboolean
engine_prepare (IncGradientSource *source, const char *const *layers, int height,
                int width, GError **error)
{
  EngineSource *self = (EngineSource *) source;
  IncPass *pass = get_pass (self, height, width, (const char **) layers,
                            g_strv_length ((char **) layers), error);

  return pass != NULL && inc_pass_prepare (pass, error);
}

static gboolean
engine_gradient (IncGradientSource *source, const IncObjective *objective,
                 const float *image, int height, int width, float *grad,
                 double *value, GError **error)
{
  EngineSource *self = (EngineSource *) source;
  IncPass *pass = objective_pass (self, objective, height, width, error);

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

/* Device steps */

static gboolean
engine_upload_image (IncGradientSource *source, gconstpointer owner, const float *image,
                     int height, int width, const float *mask, GError **error)
{
  EngineSource *self = (EngineSource *) source;
  IncStepImage *img = g_hash_table_lookup (self->images, owner);

  if (img != NULL && (img->height != height || img->width != width))
    {
      g_hash_table_remove (self->images, owner);
      img = NULL;
    }
  if (img == NULL)
    {
      img = _inc_step_image_new (self->network->device, height, width, error);
      if (img == NULL)
        return FALSE;
      g_hash_table_insert (self->images, (gpointer) owner, img);
    }
  return _inc_step_image_upload (img, image, mask, error);
}

static IncStepImage *
owner_image (EngineSource *self, gconstpointer owner, GError **error)
{
  IncStepImage *img = g_hash_table_lookup (self->images, owner);

  if (img == NULL)
    g_set_error_literal (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_INVALID,
                         "no image was uploaded for this dream");
  return img;
}

/* What a tile's copies in and out of its pass need. */
typedef struct {
  IncStepImage        *img;
  const IncStepParams *params;
  const IncTile       *tile;
  IncPass             *pass;
} TileCopy;

/* The tile's rolled input into the pass. */
static void
record_tile_in (gpointer data)
{
  const TileCopy *c = data;
  _inc_step_record_gather (c->img, c->tile, c->params->shift_x, c->params->shift_y,
                           _inc_pass_input (c->pass));
}

/* The tile's core's gradient into the image's. The tile's objective is a
 * mean over its own positions; weighted by its share of the image it is
 * the whole image's gradient. */
static void
record_tile_out (gpointer data)
{
  const TileCopy *c = data;
  double area = (double) c->img->width * c->img->height;
  _inc_step_record_scatter (c->img, c->tile, c->params->shift_x, c->params->shift_y,
                            _inc_pass_input_gradient (c->pass),
                            (float) ((double) c->tile->width * c->tile->height / area));
}

/* One tile: forward and backward, the copies in and out riding in the
 * same submission (two for a guided dream). */
static gboolean
tile_step (EngineSource *self, IncStepImage *img, const IncObjective *objective,
           const IncStepParams *params, const IncTile *tile, double *value,
           GError **error)
{
  IncPass *pass = objective_pass (self, objective, tile->height, tile->width, error);
  TileCopy copy = { img, params, tile, pass };

  return pass != NULL &&
         _inc_pass_step_with (pass, objective, value, record_tile_in, record_tile_out, &copy,
                              error);
}

static gboolean
engine_device_step (IncGradientSource *source, gconstpointer owner,
                    const IncObjective *objective, const IncStepParams *params,
                    double *value, gboolean *applied, GCancellable *cancellable,
                    GError **error)
{
  EngineSource *self = (EngineSource *) source;
  IncStepImage *img = owner_image (self, owner, error);
  double total = 0.0;

  *applied = FALSE;
  if (img == NULL)
    return FALSE;
  /* The same tiles, roll and weights as inc_dream_tiled_gradient. */
  IncTileNeeds needs = { MAX (params->halo, 0), params->min_side };
  g_autoptr (GArray) tiles = inc_tiler_plan (img->width, img->height, params->tile, &needs);
  double area = (double) img->width * img->height;

  for (guint t = 0; t < tiles->len; t++)
    {
      const IncTile *tl = &g_array_index (tiles, IncTile, t);
      double v = 0.0;

      if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
          !tile_step (self, img, objective, params, tl, &v, error))
        return FALSE;
      total += v * ((double) tl->core_width * tl->core_height / area);
    }
  *value = total;
  /* Seed 001: past max_loss the step is not applied. */
  if (params->max_loss > 0.0 && total > params->max_loss)
    return TRUE;
  if (!_inc_step_apply (img, params->norm, params->laplacian_levels, params->step_size,
                        params->clip, error))
    return FALSE;
  *applied = TRUE;
  return TRUE;
}

static gboolean
engine_download_image (IncGradientSource *source, gconstpointer owner, float *image,
                       GError **error)
{
  EngineSource *self = (EngineSource *) source;
  IncStepImage *img = owner_image (self, owner, error);

  return img != NULL && _inc_step_image_download (img, image, error);
}

static void
engine_release_image (IncGradientSource *source, gconstpointer owner)
{
  EngineSource *self = (EngineSource *) source;
  g_hash_table_remove (self->images, owner);
}

static void
engine_free (IncGradientSource *source)
{
  EngineSource *self = (EngineSource *) source;
  g_hash_table_unref (self->images);
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
  self->parent.upload_image = engine_upload_image;
  self->parent.device_step = engine_device_step;
  self->parent.download_image = engine_download_image;
  self->parent.release_image = engine_release_image;
  self->parent.prepare = engine_prepare;
  self->network = network;
  self->images = g_hash_table_new_full (NULL, NULL, NULL,
                                        (GDestroyNotify) _inc_step_image_free);
  g_queue_init (&self->cache);
  return &self->parent;
}

gboolean
inc_engine_gradient_source_warm_up (IncGradientSource *source, GError **error)
{
  EngineSource *self = (EngineSource *) source;
  const IncModel *model = inc_network_model (self->network);
  const char *layer = model->nodes[model->n_nodes - 1].name;
  const int side = 96;
  g_autofree float *image = g_new (float, side * side * 3);
  g_autofree float *mask = g_new (float, side * side);
  /* Each pipeline's first dispatch costs more than later ones (a 96-px
   * bench step: 0.09 s first, 0.04 s after); Laplacian normalisation runs
   * every step shader. */
  IncStepParams params = {
    .tile = 0, .halo = 0, .min_side = side, .norm = INC_NORM_LAPLACIAN,
    .laplacian_levels = 4, .step_size = 0.01f, .clip = TRUE,
  };
  double value;
  gboolean applied, ok;

  /* The first concatenation: at 96 px every kind of layer of InceptionV3
   * (strided convolutions, both pools) lies before it. */
  for (guint i = 0; i < model->n_nodes; i++)
    if (model->nodes[i].op == INC_OP_CONCAT)
      {
        layer = model->nodes[i].name;
        break;
      }
  IncLayerTerm term = { (char *) layer, 1.0f, -1, NULL, 0 };
  IncObjective objective = { INC_OBJECTIVE_MEAN, &term, 1, 0 };

  for (int i = 0; i < side * side * 3; i++)
    image[i] = (float) ((i * 7919) % 200) / 100.0f - 1.0f;
  for (int i = 0; i < side * side; i++)
    mask[i] = 0.5f;
  ok = engine_upload_image (source, &params, image, side, side, mask, error) &&
       engine_device_step (source, &params, &objective, &params, &value, &applied, NULL, error);
  engine_release_image (source, &params);
  /* The small pass would only take a place in the cache. */
  while (self->cache.length > 0)
    cached_pass_free (g_queue_pop_tail (&self->cache));
  return ok;
}
