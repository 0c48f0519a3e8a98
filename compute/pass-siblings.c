/* pass-siblings.c: sibling 1x1 convolutions (siblings.c) in a pass.
 *
 * A group runs as one where the pass needs all of it. Its channels lie
 * side by side from channel 0 of one buffer, each member a view: the
 * buffer of the concatenation whose first input is the last member (its
 * other views move up by the group's other channels), or else the buffer
 * of the member at channel 0. The first member in node order records the
 * group's convolution: forward all of them read the same, earlier, input;
 * backward it comes last, when every reader of each has added to its
 * gradient. */
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

/* The buffer that holds group k's channels from channel 0, and its
 * channels in all; -1 where the group cannot run as one here. */
static int
group_root (IncPass *pass, guint k, int *stride)
{
  const IncNodeWeights *offsets = pass->network->offsets;
  int root = -1;

  *stride = offsets[k].siblings_cout;
  for (guint m = k; m < pass->n_nodes; m++)
    {
      const View *v = &pass->views[m];
      if (offsets[m].sibling_first != (gint32) k)
        continue;
      if (v->root == (int) m)
        {
          if (offsets[m].sibling_off == 0 && root < 0)
            root = (int) m;
          continue;
        }
      /* The member in a concatenation: placed last, at the start of the
       * concatenation's own channels (siblings.c). */
      if (v->off != 0 || offsets[m].sibling_off + v->c != offsets[k].siblings_cout)
        return -1;
      root = v->root;
      *stride = offsets[m].sibling_off + pass->views[root].stride;
      return root;
    }
  return root;
}

void
_inc_pass_plan_siblings (IncPass *pass)
{
  const IncNodeWeights *offsets = pass->network->offsets;

  pass->sibling_first = g_new (int, pass->n_nodes);
  pass->group_names = g_new0 (const char *, pass->n_nodes);
  for (guint i = 0; i < pass->n_nodes; i++)
    pass->sibling_first[i] = -1;
  for (guint k = 0; k < pass->n_nodes; k++)
    {
      int root, stride;

      if (offsets[k].siblings_forward < 0 || !pass->needed[k] || !group_needed (pass, k) ||
          (root = group_root (pass, k, &stride)) < 0)
        continue;
      /* A concatenation's views move up past the group's other channels. */
      int shift = stride - pass->views[root].stride;
      for (guint i = 0; i < pass->n_nodes; i++)
        if (pass->needed[i] && pass->views[i].root == root)
          {
            pass->views[i].off += shift;
            pass->views[i].stride = stride;
          }
      g_autoptr (GString) name = g_string_new (NULL);
      for (guint m = k; m < pass->n_nodes; m++)
        {
          if (offsets[m].sibling_first != (gint32) k)
            continue;
          View *v = &pass->views[m];
          v->root = root;
          v->off = offsets[m].sibling_off;
          v->stride = stride;
          pass->sibling_first[m] = (int) k;
          g_string_append_printf (name, "%s%s", name->len ? "+" : "",
                                  pass->network->model->nodes[m].name);
        }
      /* Interned: the profile keeps the pointer. */
      pass->group_names[k] = g_intern_string (name->str);
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
  /* The group's channels start at channel 0 of its buffer; the stride is
   * already the buffer's. */
  if (backward)
    {
      p->in_off = 0;
      p->cin = o->siblings_cout;
      p->w_off = o->siblings_backward;
    }
  else
    {
      p->out_off = 0;
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
_inc_pass_node_name (IncPass *pass, guint node)
{
  return pass->group_names[node] != NULL ? pass->group_names[node]
                                         : pass->network->model->nodes[node].name;
}
