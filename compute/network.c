/* network.c: uploading a model's convolution weights in the layouts the
 * shaders read, forward and backward-data, once per device. */
#include <string.h>

#include "compute/network-private.h"
#include "compute/threads.h"

/* IEEE binary16 bits of f, rounded to nearest even: subnormals kept,
 * overflow to infinity, NaN stays NaN. */
static guint16
float_to_half (float f)
{
  guint32 x, abs, sign, h;

  memcpy (&x, &f, sizeof x);
  sign = (x >> 16) & 0x8000u;
  abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u)
    return (guint16) (sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
  if (abs >= 0x477ff000u)  /* 65520 and above round to infinity */
    return (guint16) (sign | 0x7c00u);
  if (abs >= 0x38800000u)  /* normal: rebias the exponent, drop 13 bits */
    {
      guint32 rest = abs & 0x1fffu;
      h = (abs - 0x38000000u) >> 13;
      if (rest > 0x1000u || (rest == 0x1000u && (h & 1u)))
        h++;  /* a carry into the exponent is still right */
      return (guint16) (sign | h);
    }
  if (abs <= 0x33000000u)  /* at most 2^-25: rounds to zero */
    return (guint16) sign;
  /* Subnormal: units of 2^-24. */
  {
    guint32 shift = 126u - (abs >> 23);
    guint32 m = (abs & 0x7fffffu) | 0x800000u;
    guint32 rest = m & ((1u << shift) - 1u), half = 1u << (shift - 1u);
    h = m >> shift;
    if (rest > half || (rest == half && (h & 1u)))
      h++;
    return (guint16) (sign | h);
  }
}

/* Converts n floats to binary16 in place: halves i is written over bytes
 * 2i.., after float i (bytes 4i..) has been read. */
static void
pack_half (void *data, gsize n)
{
  char *bytes = data;

  for (gsize i = 0; i < n; i++)
    {
      float f;
      memcpy (&f, bytes + 4 * i, sizeof f);
      guint16 h = float_to_half (f);
      memcpy (bytes + 2 * i, &h, sizeof h);
    }
}

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

/* Every form of convolution i's kernel into `packed`, at its offsets. */
static void
pack_node (IncNetwork *network, const IncModel *model, guint i, float *packed)
{
  const IncNode *n = &model->nodes[i];
  const IncNodeWeights *o = &network->offsets[i];
  const float *kernel = model->weights + n->weight_offset;

  if (n->op != INC_OP_CONV)
    return;
  _inc_pack_forward_weights (kernel, n->kh, n->kw, n->cin, n->cout, packed + (gsize) o->forward * 4);
  _inc_pack_bias (kernel + (gsize) n->kh * n->kw * n->cin * n->cout, n->cout,
                  packed + (gsize) o->bias * 4);
  _inc_pack_backward_weights (kernel, n->kh, n->kw, n->cin, n->cout, packed + (gsize) o->backward * 4);
  if (o->winograd_forward >= 0)
    _inc_pack_winograd_weights (kernel, n->cin, n->cout, FALSE, _inc_winograd_form (n, FALSE),
                                packed + (gsize) o->winograd_forward * 4);
  if (o->winograd_backward >= 0)
    _inc_pack_winograd_weights (kernel, n->cin, n->cout, TRUE, _inc_winograd_form (n, TRUE),
                                packed + (gsize) o->winograd_backward * 4);
  if (o->col2im_backward >= 0)
    _inc_pack_col2im_weights (kernel, n->kh, n->kw, n->cin, n->cout,
                              packed + (gsize) o->col2im_backward * 4);
}

typedef struct {
  IncNetwork     *network;
  const IncModel *model;
  float          *packed;
  guint           first, step;  /* nodes first, first + step, ... */
} PackShare;

static gpointer
pack_share (gpointer data)
{
  const PackShare *share = data;

  for (guint i = share->first; i < share->model->n_nodes; i += share->step)
    pack_node (share->network, share->model, i, share->packed);
  return NULL;
}

/* Every form of every kernel into `packed`, at the offsets laid out, on
 * one thread per processor (threads.h): the Winograd kernels' transforms
 * and the first touch of about 430 MiB are a large part of a start on
 * lavapipe. Each convolution's forms have regions of their own, so the
 * threads never write the same memory. */
static void
pack_weights (IncNetwork *network, const IncModel *model, float *packed)
{
  guint n = _inc_share_count ();
  PackShare shares[INC_MAX_SHARES];

  for (guint k = 0; k < n; k++)
    shares[k] = (PackShare) { network, model, packed, k, n };
  _inc_run_shares ("inc-pack", pack_share, shares, sizeof shares[0], n);
  _inc_siblings_pack (network, model, packed);
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
  /* The Winograd products run on the subgroup kernel, in fp32 (rounding
   * the transformed kernels to fp16 would add to fp16's error);
   * $INCEPTIONIST_WINOGRAD=0 turns the path off, for comparisons. */
  network->winograd = device->use_gemm && !device->half_weights &&
                      g_strcmp0 (g_getenv ("INCEPTIONIST_WINOGRAD"), "0") != 0;
  /* Likewise $INCEPTIONIST_COL2IM=0 for the narrow backward convolutions
   * (col2im.h): they then run on conv_narrow.comp. */
  network->col2im = device->use_gemm &&
                    g_strcmp0 (g_getenv ("INCEPTIONIST_COL2IM"), "0") != 0;
  /* And $INCEPTIONIST_SIBLINGS=0 for the 1x1 convolutions run as one
   * (siblings.c). */
  network->siblings = g_strcmp0 (g_getenv ("INCEPTIONIST_SIBLINGS"), "0") != 0;

  /* First the layout, then one upload. */
  for (guint i = 0; i < model->n_nodes; i++)
    {
      const IncNode *n = &model->nodes[i];
      IncNodeWeights *o = &network->offsets[i];

      o->forward = o->bias = o->backward = -1;
      o->winograd_forward = o->winograd_backward = o->col2im_backward = -1;
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
      if (network->winograd && _inc_winograd_forward_applies (n))
        {
          o->winograd_forward = (gint32) (total / 4);
          total += _inc_pack_winograd_weights (NULL, n->cin, n->cout, FALSE,
                                               _inc_winograd_form (n, FALSE), NULL);
        }
      if (network->winograd && _inc_winograd_applies (n))
        {
          o->winograd_backward = (gint32) (total / 4);
          total += _inc_pack_winograd_weights (NULL, n->cin, n->cout, TRUE,
                                               _inc_winograd_form (n, TRUE), NULL);
        }
      if (network->col2im && _inc_col2im_applies (n))
        {
          o->col2im_backward = (gint32) (total / 4);
          total += _inc_pack_col2im_weights (NULL, n->kh, n->kw, n->cin, n->cout, NULL);
        }
    }
  total = _inc_siblings_layout (network, total);

  total = MAX (total, 4);
  if (!_inc_buffer_init_weights (device, &network->weights, total / 4, error))
    return NULL;
  /* Mapped fp32 weights (lavapipe, integrated GPUs) are packed in place:
   * a host copy of them would be a second pass over about 430 MiB, and a
   * second set of fresh pages, at every start. */
  if (network->weights.mapped != NULL && !device->half_weights)
    {
      pack_weights (network, model, network->weights.mapped);
      return g_steal_pointer (&network);
    }
  g_autofree float *packed = g_try_new (float, total);
  if (packed == NULL)
    {
      g_set_error (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_OUT_OF_HOST_MEMORY,
                   "out of memory packing the model's weights");
      return NULL;
    }
  pack_weights (network, model, packed);
  if (device->half_weights)
    pack_half (packed, total);
  if (!_inc_buffer_upload (device, &network->weights, 0, packed,
                           total * (device->half_weights ? 2 : 4), error))
    return NULL;
  return g_steal_pointer (&network);
}

gboolean
_inc_network_reserve_scratch (IncNetwork *network, IncScratch which, gsize bytes,
                              GError **error)
{
  IncBuffer *b = &network->scratch[which];

  if (b->buffer != VK_NULL_HANDLE && b->size >= bytes)
    return TRUE;
  if (b->buffer != VK_NULL_HANDLE)
    _inc_buffer_clear (network->device, b);
  return _inc_buffer_init (network->device, b, bytes, TRUE, error);
}

void
inc_network_free (IncNetwork *network)
{
  if (network == NULL)
    return;
  for (int i = 0; i < INC_N_SCRATCH; i++)
    if (network->scratch[i].buffer)
      _inc_buffer_clear (network->device, &network->scratch[i]);
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
