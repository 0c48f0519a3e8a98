/* network.c: uploading a model's convolution weights in the layouts the
 * shaders read, forward and backward-data, once per device. */
#include <string.h>

#include "compute/network-private.h"

static IncModel *
copy_graph (const IncModel *model)
{
  IncModel *copy = g_new0 (IncModel, 1);

  copy->n_nodes = model->n_nodes;
  copy->nodes = g_new0 (IncNode, model->n_nodes);
  copy->source = g_strdup (model->source);
  for (guint i = 0; i < model->n_nodes; i++)
    {
      copy->nodes[i] = model->nodes[i];
      copy->nodes[i].name = g_strdup (model->nodes[i].name);
      copy->nodes[i].inputs = g_memdup2 (model->nodes[i].inputs,
                                         sizeof (guint) * MAX (1, model->nodes[i].n_inputs));
    }
  return copy;
}

IncNetwork *
inc_network_new (IncDevice *device, const IncModel *model, GError **error)
{
  g_autoptr (IncNetwork) network = NULL;
  gsize total = 0;

  g_return_val_if_fail (device != NULL && model != NULL, NULL);
  network = g_new0 (IncNetwork, 1);
  network->device = device;
  network->model = copy_graph (model);
  network->offsets = g_new0 (IncNodeWeights, model->n_nodes);

  /* First the layout, then one upload. */
  for (guint i = 0; i < model->n_nodes; i++)
    {
      const IncNode *n = &model->nodes[i];
      IncNodeWeights *o = &network->offsets[i];

      o->forward = o->bias = o->backward = -1;
      if (n->op != INC_OP_CONV)
        continue;
      if (total / 4 > G_MAXINT32 / 2)
        {
          g_set_error (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_INVALID,
                       "the model is too large for this engine");
          return NULL;
        }
      o->forward = (gint32) (total / 4);
      total += _inc_pack_forward_weights (NULL, n->kh, n->kw, n->cin, n->cout, NULL);
      o->bias = (gint32) (total / 4);
      total += _inc_pack_bias (NULL, n->cout, NULL);
      o->backward = (gint32) (total / 4);
      total += _inc_pack_backward_weights (NULL, n->kh, n->kw, n->cin, n->cout, NULL);
    }

  g_autofree float *packed = g_try_new (float, MAX (total, 4));
  if (packed == NULL)
    {
      g_set_error (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_OUT_OF_HOST_MEMORY,
                   "out of memory packing the model's weights");
      return NULL;
    }
  for (guint i = 0; i < model->n_nodes; i++)
    {
      const IncNode *n = &model->nodes[i];
      const IncNodeWeights *o = &network->offsets[i];
      const float *kernel = model->weights + n->weight_offset;

      if (n->op != INC_OP_CONV)
        continue;
      _inc_pack_forward_weights (kernel, n->kh, n->kw, n->cin, n->cout, packed + (gsize) o->forward * 4);
      _inc_pack_bias (kernel + (gsize) n->kh * n->kw * n->cin * n->cout, n->cout,
                      packed + (gsize) o->bias * 4);
      _inc_pack_backward_weights (kernel, n->kh, n->kw, n->cin, n->cout, packed + (gsize) o->backward * 4);
    }
  if (!_inc_buffer_init (device, &network->weights, MAX (total, 4) * sizeof (float), TRUE, error) ||
      !_inc_buffer_upload (device, &network->weights, 0, packed, MAX (total, 4) * sizeof (float), error))
    return NULL;
  return g_steal_pointer (&network);
}

void
inc_network_free (IncNetwork *network)
{
  if (network == NULL)
    return;
  if (network->weights.buffer)
    _inc_buffer_clear (network->device, &network->weights);
  inc_model_free (network->model);
  g_free (network->offsets);
  g_free (network);
}

const IncModel *
inc_network_model (IncNetwork *network)
{
  return network->model;
}
