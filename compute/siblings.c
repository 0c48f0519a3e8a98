/* siblings.c: 1x1 convolutions that read the same tensor, run as one.
 *
 * Each of InceptionV3's mixed blocks opens with two to four 1x1
 * convolutions of its input (48 to 192 channels each). Run one by one,
 * each reads the whole input; backward, each adds its share into the
 * input's gradient through a product of only 48 to 192 terms, and writes
 * every value of it: on lavapipe the stores and the setup of each output
 * block then weigh as much as the products. Run as one convolution with
 * their kernels side by side, the input is read once forward, and the
 * gradient is made in one product over all their channels and written
 * once.
 *
 * Their outputs then share one buffer: the first's, with the others'
 * channels after its own, each a view (pass-siblings.c), as the branches
 * of a concatenation are views of its buffer. So only convolutions that
 * own their buffer (not inputs of a concatenation) are grouped, with
 * ReLU (the merged convolution applies one flag to all), channel counts in
 * whole texels of 4 (each view then starts on a texel), and more than 4
 * input channels (narrower ones run backward as columns, col2im.h). */
#include "compute/network-private.h"

static gboolean
groupable (const IncModel *model, const gboolean *in_concat, guint i)
{
  const IncNode *n = &model->nodes[i];

  return n->op == INC_OP_CONV && n->n_inputs == 1 && n->kh == 1 && n->kw == 1 &&
         n->sh == 1 && n->sw == 1 && n->relu && n->cout % 4 == 0 && n->cin > 4 &&
         !in_concat[i];
}

gsize
_inc_siblings_layout (IncNetwork *network, gsize total)
{
  const IncModel *model = network->model;
  g_autofree gboolean *in_concat = g_new0 (gboolean, model->n_nodes);

  for (guint i = 0; i < model->n_nodes; i++)
    {
      IncNodeWeights *o = &network->offsets[i];
      o->siblings_forward = o->siblings_bias = o->siblings_backward = o->siblings_cout = -1;
      o->sibling_first = -1;
      o->sibling_off = 0;
      if (model->nodes[i].op == INC_OP_CONCAT)
        for (guint k = 0; k < model->nodes[i].n_inputs; k++)
          in_concat[model->nodes[i].inputs[k]] = TRUE;
    }
  if (!network->siblings)
    return total;
  for (guint i = 0; i < model->n_nodes; i++)
    {
      const IncNode *n = &model->nodes[i];
      IncNodeWeights *o = &network->offsets[i];
      int cout = n->cout;

      if (!groupable (model, in_concat, i) || o->sibling_first >= 0)
        continue;
      /* i is the first groupable reader of its input: the later ones join. */
      for (guint j = i + 1; j < model->n_nodes; j++)
        if (groupable (model, in_concat, j) && model->nodes[j].inputs[0] == n->inputs[0])
          {
            network->offsets[j].sibling_first = (gint32) i;
            network->offsets[j].sibling_off = cout;
            cout += model->nodes[j].cout;
          }
      if (cout == n->cout)
        continue;  /* no sibling */
      o->sibling_first = (gint32) i;
      o->siblings_cout = cout;
      o->siblings_forward = (gint32) (total / 4);
      total += _inc_pack_forward_weights (NULL, 1, 1, n->cin, cout, NULL);
      o->siblings_bias = (gint32) (total / 4);
      total += _inc_pack_bias (NULL, cout, NULL);
      o->siblings_backward = (gint32) (total / 4);
      total += _inc_pack_backward_weights (NULL, 1, 1, n->cin, cout, NULL);
    }
  return total;
}

void
_inc_siblings_pack (const IncNetwork *network, const IncModel *model, float *packed)
{
  for (guint i = 0; i < model->n_nodes; i++)
    {
      const IncNodeWeights *o = &network->offsets[i];
      if (o->siblings_forward < 0)
        continue;
      int cin = model->nodes[i].cin, cout = o->siblings_cout;
      /* The group as one 1x1 convolution, kernel [ci][co] then bias, laid
       * out as the model lays out each. */
      g_autofree float *kernel = g_new (float, (gsize) cin * cout + cout);
      for (guint m = i; m < model->n_nodes; m++)
        {
          const IncNode *n = &model->nodes[m];
          int off = network->offsets[m].sibling_off;
          if (network->offsets[m].sibling_first != (gint32) i)
            continue;
          const float *k = model->weights + n->weight_offset;
          for (int ci = 0; ci < cin; ci++)
            for (int co = 0; co < n->cout; co++)
              kernel[(gsize) ci * cout + off + co] = k[(gsize) ci * n->cout + co];
          for (int co = 0; co < n->cout; co++)
            kernel[(gsize) cin * cout + off + co] = k[(gsize) cin * n->cout + co];
        }
      _inc_pack_forward_weights (kernel, 1, 1, cin, cout, packed + (gsize) o->siblings_forward * 4);
      _inc_pack_bias (kernel + (gsize) cin * cout, cout, packed + (gsize) o->siblings_bias * 4);
      _inc_pack_backward_weights (kernel, 1, 1, cin, cout, packed + (gsize) o->siblings_backward * 4);
    }
}
