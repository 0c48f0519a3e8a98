/* pass-fuse.c: average pools moved behind the 1x1 convolution they feed.
 *
 * InceptionV3's pool branches are avgpool(3x3, stride 1) -> conv 1x1 ->
 * ReLU over 192 to 768 channels, the convolution giving 32 to 192. Both
 * the pool and a 1x1 convolution are linear, and the pool's per-pixel
 * divisor does not depend on the channel, so
 *   relu(W avgpool(x) + b) = relu(avgpool(W x) + b):
 * the convolution runs first (into a scratch buffer), and the pool, on 4 to
 * 6 times fewer channels, adds the bias and applies the ReLU. The backward
 * pass mirrors it. */
#include "compute/pass-private.h"

/* Whether node k is a 1x1 stride-1 convolution fed only by a stride-1
 * average pool that no requested layer names and nothing else reads. */
static gboolean
fusable (IncPass *pass, guint k, const gboolean *requested)
{
  const IncModel *model = pass->network->model;
  const IncNode *n = &model->nodes[k];

  if (!pass->needed[k] || n->op != INC_OP_CONV || n->kh != 1 || n->kw != 1 ||
      n->sh != 1 || n->sw != 1 || n->n_inputs != 1)
    return FALSE;
  guint pool = n->inputs[0];
  const IncNode *pn = &model->nodes[pool];
  if (pn->op != INC_OP_AVGPOOL || pn->sh != 1 || pn->sw != 1 || requested[pool])
    return FALSE;
  for (guint i = 0; i < pass->n_nodes; i++)
    for (guint j = 0; j < model->nodes[i].n_inputs && i != k; j++)
      if (pass->needed[i] && model->nodes[i].inputs[j] == pool)
        return FALSE;
  return TRUE;
}

gboolean
_inc_pass_plan_fusion (IncPass *pass, const char *const *layers, GError **error)
{
  const IncModel *model = pass->network->model;
  g_autofree gboolean *requested = g_new0 (gboolean, model->n_nodes);
  gsize floats = 0;

  for (guint i = 0; layers[i] != NULL; i++)
    requested[inc_model_find (model, layers[i])] = TRUE;
  pass->fused = g_new0 (gboolean, pass->n_nodes);
  for (guint k = 0; k < pass->n_nodes; k++)
    {
      if (!fusable (pass, k, requested))
        continue;
      const View *v = &pass->views[k];
      pass->fused[k] = TRUE;
      /* The pool itself is never run nor stored. */
      pass->needed[model->nodes[k].inputs[0]] = FALSE;
      floats = MAX (floats, (gsize) v->h * v->w * v->c);
    }
  if (floats == 0)
    return TRUE;
  return _inc_network_reserve_scratch (pass->network, INC_SCRATCH_FUSED_ACT,
                                       floats * sizeof (float), error) &&
         _inc_network_reserve_scratch (pass->network, INC_SCRATCH_FUSED_GRAD,
                                       floats * sizeof (float), error);
}

/* The pool's parameters, moved to the convolution's channels: from the
 * scratch buffer (dense, cout channels) to the convolution's view. */
static void
moved_pool_params (IncPass *pass, guint k, IncPoolParams *pp)
{
  const IncNode *n = &pass->network->model->nodes[k];
  const View *out = &pass->views[k];

  _inc_pass_pool_params (pass, n->inputs[0], pp);
  pp->in_off = 0;
  pp->in_stride = out->c;
  pp->out_off = out->off;
  pp->out_stride = out->stride;
  pp->channels = out->c;
}

void
_inc_pass_record_fused_forward (IncPass *pass, guint k)
{
  const IncNode *n = &pass->network->model->nodes[k];
  IncDevice *device = pass->device;
  IncConvParams p;
  IncPoolParams pp;

  /* W x, from the pool's input, without bias or ReLU. */
  _inc_pass_conv_params (pass, k, FALSE, &p);
  const View *x = &pass->views[pass->network->model->nodes[n->inputs[0]].inputs[0]];
  p.in_off = x->off;
  p.in_stride = x->stride;
  p.cin = x->c;
  p.out_off = 0;
  p.out_stride = p.cout;
  p.bias_off = -1;
  p.flags = 0;
  _inc_pass_label (pass, k, FALSE);
  _inc_record_conv (device, INC_CONV_KERNEL_AUTO, &pass->acts[x->root], &pass->network->weights,
                    &pass->network->scratch[INC_SCRATCH_FUSED_ACT], NULL, &p);
  _inc_device_barrier (device);

  /* The pool, then the bias and ReLU. */
  moved_pool_params (pass, k, &pp);
  pp.bias_off = pass->network->offsets[k].bias;
  pp.flags = n->relu ? INC_POOL_RELU : 0;
  _inc_pass_label (pass, n->inputs[0], FALSE);
  _inc_record_pool (device, &pass->network->weights, &pass->network->scratch[INC_SCRATCH_FUSED_ACT],
                    &pass->acts[pass->views[k].root], NULL, &pp);
}

void
_inc_pass_record_fused_backward (IncPass *pass, guint k)
{
  const IncNode *n = &pass->network->model->nodes[k];
  IncDevice *device = pass->device;
  const View *out = &pass->views[k];
  IncConvParams p;
  IncPoolParams pp;

  /* The pool's backward pass, through the ReLU, into the scratch gradient. */
  moved_pool_params (pass, k, &pp);
  pp.flags = INC_POOL_OVERWRITE | (n->relu ? INC_POOL_MASK : 0);
  _inc_pass_label (pass, n->inputs[0], TRUE);
  _inc_record_pool_backward (device, &pass->grads[out->root],
                             n->relu ? &pass->acts[out->root] : NULL, &pass->network->scratch[INC_SCRATCH_FUSED_GRAD], &pp);
  _inc_device_barrier (device);

  /* W^T of it, added to the gradient of the pool's input. */
  _inc_pass_conv_params (pass, k, TRUE, &p);
  const View *x = &pass->views[pass->network->model->nodes[n->inputs[0]].inputs[0]];
  p.in_off = 0;
  p.in_stride = out->c;
  p.out_off = x->off;
  p.out_stride = x->stride;
  p.cout = x->c;
  _inc_pass_label (pass, k, TRUE);
  _inc_record_conv (device, INC_CONV_KERNEL_AUTO, &pass->network->scratch[INC_SCRATCH_FUSED_GRAD], &pass->network->weights,
                    &pass->grads[x->root], NULL, &p);
}
