/* siblings.c: 1x1 convolutions that read the same tensor, run as one.
 *
 * Each of InceptionV3's mixed blocks opens with two to four 1x1
 * convolutions of its input (48 to 192 channels each). Run one by one,
 * each reads the whole input; backward, each adds its share into the
 * input's gradient through a product of only 48 to 192 terms, and reads
 * and rewrites every value of it: on lavapipe the stores and the setup of
 * each output block then weigh as much as the products. Run as one
 * convolution with their kernels side by side, the input is read once
 * forward, and the gradient is made in one product over all their
 * channels and written once.
 *
 * Their outputs then share one buffer, each a view into it
 * (pass-siblings.c), as the branches of a concatenation are views of its
 * buffer. Those that own their buffer come first, in node order; then at
 * most one that is the first input of a concatenation (a mixed block's
 * 1x1 branch): the group's channels then sit in the concatenation's
 * buffer just before its own, so that this one's are also the first of
 * the concatenation's. The merged convolution applies one ReLU flag to
 * all (so all have ReLU), each view starts on a texel of 4 channels, and
 * narrow inputs (4 channels or fewer) are left to the columns of col2im.h. */
#include "compute/network-private.h"

/* Where node i's output goes, for grouping: 0 its own buffer, 1 the first
 * channels of a concatenation that owns its buffer, -1 elsewhere. */
static int
placement (const IncModel *model, const int *concat_of, guint i)
{
  if (concat_of[i] < 0)
    return 0;
  const IncNode *c = &model->nodes[concat_of[i]];
  return c->inputs[0] == i && concat_of[concat_of[i]] < 0 ? 1 : -1;
}

static gboolean
groupable (const IncModel *model, const int *concat_of, guint i)
{
  const IncNode *n = &model->nodes[i];

  return n->op == INC_OP_CONV && n->n_inputs == 1 && n->kh == 1 && n->kw == 1 &&
         n->sh == 1 && n->sw == 1 && n->relu && n->cout % 4 == 0 && n->cin > 4 &&
         placement (model, concat_of, i) >= 0;
}

gsize
_inc_siblings_layout (IncNetwork *network, gsize total)
{
  const IncModel *model = network->model;
  IncNodeWeights *offsets = network->offsets;
  g_autofree int *concat_of = g_new (int, model->n_nodes);

  for (guint i = 0; i < model->n_nodes; i++)
    {
      offsets[i].siblings_forward = offsets[i].siblings_bias = -1;
      offsets[i].siblings_backward = offsets[i].siblings_cout = -1;
      offsets[i].sibling_first = -1;
      offsets[i].sibling_off = 0;
      concat_of[i] = -1;
    }
  for (guint i = 0; i < model->n_nodes; i++)
    if (model->nodes[i].op == INC_OP_CONCAT)
      for (guint k = 0; k < model->nodes[i].n_inputs; k++)
        concat_of[model->nodes[i].inputs[k]] = (int) i;
  if (!network->siblings)
    return total;
  for (guint i = 0; i < model->n_nodes; i++)
    {
      const IncNode *n = &model->nodes[i];
      IncNodeWeights *o = &offsets[i];
      int cout = 0;
      guint last = G_MAXUINT;  /* the one in a concatenation */

      if (!groupable (model, concat_of, i) || o->sibling_first >= 0)
        continue;
      /* i is the first groupable reader of its input: the later ones join,
       * those with their own buffers first, then one concatenation's. */
      g_autoptr (GArray) members = g_array_new (FALSE, FALSE, sizeof (guint));
      for (guint j = i; j < model->n_nodes; j++)
        {
          if (!groupable (model, concat_of, j) || model->nodes[j].inputs[0] != n->inputs[0] ||
              offsets[j].sibling_first >= 0)
            continue;
          if (placement (model, concat_of, j) == 0)
            g_array_append_val (members, j);
          else if (last == G_MAXUINT)
            last = j;
        }
      if (last != G_MAXUINT)
        g_array_append_val (members, last);
      if (members->len < 2)
        continue;
      for (guint k = 0; k < members->len; k++)
        {
          guint m = g_array_index (members, guint, k);
          offsets[m].sibling_first = (gint32) i;
          offsets[m].sibling_off = cout;
          cout += model->nodes[m].cout;
        }
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
