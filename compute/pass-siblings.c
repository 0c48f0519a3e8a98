/* pass-siblings.c: sibling 1x1 convolutions (siblings.c) in a pass.
 *
 * A group runs as one where the pass needs all of it: the first of them
 * owns the buffer of all their channels and the others are views into it,
 * as the branches of a concatenation are; the first computes the group
 * forward, and backward makes the input's gradient from all their
 * gradients at once. Its place in the order serves both ways: forward all
 * of them read the same, earlier, input; backward the first comes last,
 * when every reader of each of them has added to its gradient. */
#include <string.h>

#include "compute/pass-private.h"

/* Whether node k's whole group is computed by this pass. */
static gboolean
group_needed (IncPass *pass, guint k)
{
  const IncModel *model = pass->network->model;

  for (guint m = k; m < model->n_nodes; m++)
    if (pass->network->offsets[m].sibling_first == (gint32) k &&
        (m >= pass->n_nodes || !pass->needed[m]))
      return FALSE;
  return TRUE;
}

void
_inc_pass_plan_siblings (IncPass *pass)
{
  const IncNodeWeights *offsets = pass->network->offsets;

  pass->sibling_first = g_new (int, pass->n_nodes);
  for (guint i = 0; i < pass->n_nodes; i++)
    pass->sibling_first[i] = -1;
  for (guint k = 0; k < pass->n_nodes; k++)
    {
      if (offsets[k].siblings_forward < 0 || !pass->needed[k] || !group_needed (pass, k))
        continue;
      for (guint m = k; m < pass->n_nodes; m++)
        {
          if (offsets[m].sibling_first != (gint32) k)
            continue;
          View *v = &pass->views[m];
          v->root = (int) k;
          v->off = offsets[m].sibling_off;
          v->stride = offsets[k].siblings_cout;
          pass->sibling_first[m] = (int) k;
        }
    }
}

gboolean
_inc_pass_sibling_skipped (IncPass *pass, guint node)
{
  return pass->sibling_first[node] >= 0 && pass->sibling_first[node] != (int) node;
}

void
_inc_pass_siblings_widen (IncPass *pass, guint node, gboolean backward, IncConvParams *p)
{
  const IncNodeWeights *o = &pass->network->offsets[node];

  if (pass->sibling_first[node] != (int) node)
    return;
  /* The first's view starts at channel 0 of the group's buffer, whose
   * stride is already all of their channels. */
  if (backward)
    {
      p->cin = o->siblings_cout;
      p->w_off = o->siblings_backward;
    }
  else
    {
      p->cout = o->siblings_cout;
      p->w_off = o->siblings_forward;
      p->bias_off = o->siblings_bias;
    }
}

gboolean
_inc_pass_siblings_active (IncPass *pass, guint node, const gboolean *active)
{
  if (pass->sibling_first[node] != (int) node)
    return active[node];
  for (guint m = node; m < pass->n_nodes; m++)
    if (pass->sibling_first[m] == (int) node && active[m])
      return TRUE;
  return FALSE;
}

const char *
_inc_pass_siblings_name (IncPass *pass, guint node, int *channels)
{
  const IncModel *model = pass->network->model;

  *channels = pass->views[node].c;
  if (pass->sibling_first[node] != (int) node)
    return model->nodes[node].name;
  g_autoptr (GString) name = g_string_new (model->nodes[node].name);
  for (guint m = node + 1; m < pass->n_nodes; m++)
    if (pass->sibling_first[m] == (int) node)
      g_string_append_printf (name, "+%s", model->nodes[m].name);
  *channels = pass->network->offsets[node].siblings_cout;
  /* Interned: the profile keeps the pointer. */
  return g_intern_string (name->str);
}
