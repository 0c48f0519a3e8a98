/* pass-backward.c: objectives, their seeds, and the backward pass to the
 * input pixels. */
#include <math.h>
#include <string.h>

#include "compute/pass-private.h"

typedef struct {
  int node;
  int c0, c1;        /* channel range of the term */
  int border;        /* effective crop (MEAN_SQUARE) */
  double count;      /* values averaged over */
  float *seed;       /* GUIDE: host seed, dense h x w x c */
  gint32 seed_off;   /* its place in the seed buffer, in floats */
} Term;

/* Where a term applies, after checking it against this pass. */
static gboolean
resolve_term (IncPass *pass, const IncObjective *objective, const IncLayerTerm *t,
              Term *out, GError **error)
{
  int node = _inc_pass_find (pass, t->layer ? t->layer : "");
  const View *v;

  if (node < 0)
    return _inc_pass_invalid (error, "layer '%s' is not computed by this pass", t->layer);
  v = &pass->views[node];
  if (!isfinite (t->weight))
    return _inc_pass_invalid (error, "the weight of layer %s is not a number", t->layer);
  if (t->channel >= v->c)
    return _inc_pass_invalid (error, "layer %s has channels 0 to %d, not %d",
                              t->layer, v->c - 1, t->channel);
  out->node = node;
  out->c0 = t->channel >= 0 ? t->channel : 0;
  out->c1 = t->channel >= 0 ? t->channel + 1 : v->c;
  out->border = 0;
  if (objective->kind == INC_OBJECTIVE_MEAN_SQUARE)
    /* The Keras example crops the activation's border; a crop that would
     * leave nothing is reduced so that at least the centre remains. */
    out->border = CLAMP (objective->border, 0, (MIN (v->h, v->w) - 1) / 2);
  out->count = (double) (v->h - 2 * out->border) * (v->w - 2 * out->border) * (out->c1 - out->c0);
  if (objective->kind == INC_OBJECTIVE_GUIDE &&
      (t->guide == NULL || t->n_guide < 1))
    return _inc_pass_invalid (error, "the guided objective on %s has no guide features", t->layer);
  return TRUE;
}

/* The term's value from the activation; for GUIDE also the seed:
 * value = w * mean over positions of max_j x . g_j, whose gradient at each
 * position is w * g_best / positions. */
static double
term_value (const IncObjective *objective, const IncLayerTerm *t, Term *term,
            const View *v, const float *act)
{
  double sum = 0.0;

  if (objective->kind == INC_OBJECTIVE_GUIDE)
    {
      gsize npix = (gsize) v->h * v->w;
      term->seed = g_new0 (float, npix * v->c);
      for (gsize p = 0; p < npix; p++)
        {
          const float *x = act + p * v->c;
          double best = -INFINITY;
          int best_j = 0;
          for (int j = 0; j < t->n_guide; j++)
            {
              const float *g = t->guide + (gsize) j * v->c;
              double dot = 0.0;
              for (int c = term->c0; c < term->c1; c++)
                dot += (double) x[c] * g[c];
              if (dot > best)
                {
                  best = dot;
                  best_j = j;
                }
            }
          sum += best;
          for (int c = term->c0; c < term->c1; c++)
            term->seed[p * v->c + c] = (float) (t->weight * t->guide[(gsize) best_j * v->c + c] / npix);
        }
      return t->weight * sum / npix;
    }

  for (int y = term->border; y < v->h - term->border; y++)
    for (int x = term->border; x < v->w - term->border; x++)
      for (int c = term->c0; c < term->c1; c++)
        {
          double a = act[((gsize) y * v->w + x) * v->c + c];
          sum += objective->kind == INC_OBJECTIVE_MEAN_SQUARE ? a * a : a;
        }
  return t->weight * sum / term->count;
}

static void
record_seed (IncPass *pass, const IncObjective *objective, const IncLayerTerm *t,
             const Term *term)
{
  const View *v = &pass->views[term->node];

  _inc_device_label (pass->device, "objective seed", pass->network->model->nodes[term->node].name, 0.0);
  IncElementwiseParams p = {
    .h = v->h, .w = v->w, .off = v->off, .stride = v->stride,
    .c0 = term->c0, .c1 = term->c1, .border = term->border,
  };

  switch (objective->kind)
    {
    case INC_OBJECTIVE_MEAN:
      p.mode = INC_ELEMENTWISE_ADD_CONSTANT;
      p.value = (float) (t->weight / term->count);
      _inc_record_elementwise (pass->device, NULL, &pass->grads[v->root], NULL, &p);
      break;
    case INC_OBJECTIVE_MEAN_SQUARE:
      p.mode = INC_ELEMENTWISE_ADD_SCALED_AUX;
      p.value = (float) (2.0 * t->weight / term->count);
      _inc_record_elementwise (pass->device, NULL, &pass->grads[v->root],
                               &pass->acts[v->root], &p);
      break;
    case INC_OBJECTIVE_GUIDE:
      /* The seed is dense over all channels of the layer. */
      p.c0 = 0;
      p.c1 = v->c;
      p.mode = INC_ELEMENTWISE_ADD_SRC;
      p.src_off = term->seed_off;
      _inc_record_elementwise (pass->device, &pass->seed, &pass->grads[v->root], NULL, &p);
      break;
    }
  _inc_device_barrier (pass->device);
}

static gboolean
upload_seeds (IncPass *pass, Term *terms, guint n_terms, GError **error)
{
  gsize total = 0;

  for (guint k = 0; k < n_terms; k++)
    if (terms[k].seed != NULL)
      {
        const View *v = &pass->views[terms[k].node];
        terms[k].seed_off = (gint32) total;
        total += (gsize) v->h * v->w * v->c;
      }
  if (total == 0)
    return TRUE;
  if (pass->seed.size < total * sizeof (float))
    {
      if (pass->seed.buffer)
        _inc_buffer_clear (pass->device, &pass->seed);
      if (!_inc_buffer_init (pass->device, &pass->seed, total * sizeof (float), TRUE, error))
        return FALSE;
    }
  for (guint k = 0; k < n_terms; k++)
    if (terms[k].seed != NULL)
      {
        const View *v = &pass->views[terms[k].node];
        if (!_inc_buffer_upload (pass->device, &pass->seed, (gsize) terms[k].seed_off * sizeof (float),
                                 terms[k].seed, (gsize) v->h * v->w * v->c * sizeof (float), error))
          return FALSE;
      }
  return TRUE;
}

/* The mean's seed is the constant weight / count over its layer. Where
 * a term is the only one on a buffer and covers all of it, the clear at
 * the start of the backward pass writes that constant (fills[root], the
 * float's bits) instead of zeros and an elementwise pass adding it: the
 * pass read and wrote every value of mixed3 and mixed5 for nothing but
 * a constant. Returns, per term, whether it is seeded so. */
static gboolean *
seed_by_fill (IncPass *pass, const IncObjective *objective, const Term *terms, guint32 *fills)
{
  gboolean *seeded = g_new0 (gboolean, objective->n_terms);
  g_autofree int *terms_on = g_new0 (int, pass->n_nodes);

  if (objective->kind != INC_OBJECTIVE_MEAN)
    return seeded;
  for (guint k = 0; k < objective->n_terms; k++)
    terms_on[pass->views[terms[k].node].root]++;
  for (guint k = 0; k < objective->n_terms; k++)
    {
      const View *v = &pass->views[terms[k].node];
      float value = (float) (objective->terms[k].weight / terms[k].count);
      if (terms_on[v->root] != 1 || v->off != 0 || v->c != v->stride ||
          terms[k].c0 != 0 || terms[k].c1 != v->c || terms[k].border != 0)
        continue;
      memcpy (&fills[v->root], &value, sizeof value);
      seeded[k] = TRUE;
    }
  return seeded;
}

/* Whether node's backward convolution (params p) should have its input
 * masked by a pass of its own (mask_gradient.comp): on the subgroup kernel
 * (lavapipe's), where each value is read once per kernel tap that reaches
 * it and per 32 output channels. The Winograd path reads each about twice. */
static gboolean
mask_first (IncPass *pass, guint node, const IncConvParams *p)
{
  if (!pass->device->use_gemm || pass->device->use_tiled || pass->winograd_backward[node] ||
      pass->col2im_backward[node])
    return FALSE;
  int taps = p->kh * p->kw / (p->up * p->up);
  int blocks = (p->cout + 31) / 32;
  return taps * blocks >= 3;
}

/* Whether record_backward runs node i's backward pass. */
static gboolean
runs_backward (IncPass *pass, guint i, const gboolean *active)
{
  const IncNode *n = &pass->network->model->nodes[i];
  /* Pools moved behind their convolution are no longer needed; sibling
   * 1x1 convolutions run with the first of them. */
  return _inc_pass_siblings_active (pass, i, active) && pass->needed[i] &&
         n->op != INC_OP_INPUT && n->op != INC_OP_CONCAT && !_inc_pass_sibling_skipped (pass, i);
}

/* The gradient buffer node i's backward pass writes into: its input's, or
 * for a convolution with its pool moved behind it, the pool's input's. */
static int
written_root (IncPass *pass, guint i)
{
  const IncModel *model = pass->network->model;
  const IncNode *n = &model->nodes[i];
  guint from = pass->fused[i] ? model->nodes[n->inputs[0]].inputs[0] : n->inputs[0];
  return pass->views[from].root;
}

/* The max pools that may write their input's gradient instead of adding
 * to it (maxpool_backward.comp POOL_OVERWRITE), so that the clear of that
 * buffer can be skipped: the only backward pass writing the buffer, over
 * all of it, where no objective seeds it. In InceptionV3 the pools after
 * Conv2d_2b and Conv2d_4a: 28 MB a 512-px step neither cleared nor read. */
static gboolean *
choose_overwrites (IncPass *pass, const gboolean *active, const Term *terms, guint n_terms)
{
  const IncModel *model = pass->network->model;
  gboolean *overwrite = g_new0 (gboolean, pass->n_nodes);
  g_autofree int *writers = g_new0 (int, pass->n_nodes);
  g_autofree gboolean *seeded = g_new0 (gboolean, pass->n_nodes);

  for (guint i = 0; i < pass->n_nodes; i++)
    if (runs_backward (pass, i, active))
      writers[written_root (pass, i)]++;
  for (guint k = 0; k < n_terms; k++)
    seeded[pass->views[terms[k].node].root] = TRUE;
  for (guint i = 0; i < pass->n_nodes; i++)
    {
      const IncNode *n = &model->nodes[i];
      if (n->op != INC_OP_MAXPOOL || pass->fused[i] || !runs_backward (pass, i, active))
        continue;
      const View *x = &pass->views[n->inputs[0]];
      IncPoolParams p;
      _inc_pass_pool_params (pass, i, &p);
      overwrite[i] = writers[x->root] == 1 && !seeded[x->root] && x->root == (int) n->inputs[0] &&
                     x->off == 0 && x->stride == x->c &&
                     _inc_maxpool_backward_gathers (&p);
    }
  return overwrite;
}

static void
record_backward (IncPass *pass, const gboolean *active, const gboolean *overwrite)
{
  const IncModel *model = pass->network->model;
  IncDevice *device = pass->device;

  for (guint i = pass->n_nodes; i-- > 0;)
    {
      const IncNode *n = &model->nodes[i];
      if (!runs_backward (pass, i, active))
        continue;
      const View *v = &pass->views[i];
      int in_root = pass->views[n->inputs[0]].root;
      if (pass->fused[i])
        _inc_pass_record_fused_backward (pass, i);
      else if (n->op == INC_OP_CONV)
        {
          IncConvParams p;
          _inc_pass_conv_params (pass, i, TRUE, &p);
          /* The ReLU's backward pass is folded into the transposed
           * convolution's reads, or done beforehand where those would
           * fetch the mask 3 times or more per value. */
          gboolean masked_first = FALSE;
          if (n->relu && mask_first (pass, i, &p))
            {
              _inc_device_label (device, "relu backward", _inc_pass_node_name (pass, i), 0.0);
              masked_first = _inc_record_mask_gradient (device, &pass->grads[v->root],
                                                        &pass->acts[v->root], p.in_h * p.in_w,
                                                        p.in_off, p.in_stride, p.cin);
              if (masked_first)
                _inc_device_barrier (device);
            }
          if (n->relu && !masked_first)
            p.flags |= INC_CONV_MASK_INPUT;
          _inc_pass_label (pass, i, TRUE);
          _inc_pass_record_conv (pass, i, TRUE, &p, &pass->grads[v->root],
                                 &pass->grads[in_root], &pass->acts[v->root]);
        }
      else
        {
          IncPoolParams p;
          _inc_pass_pool_params (pass, i, &p);
          if (overwrite[i])
            p.flags |= INC_POOL_OVERWRITE;
          _inc_pass_label (pass, i, TRUE);
          _inc_record_pool_backward (device, &pass->grads[v->root],
                                     n->op == INC_OP_MAXPOOL ? &pass->argmax[i] : NULL,
                                     &pass->grads[in_root], &p);
        }
      _inc_device_barrier (device);
    }
}

gboolean
inc_pass_backward (IncPass *pass, const IncObjective *objective, double *value,
                   GError **error)
{
  return _inc_pass_backward_then (pass, objective, value, NULL, NULL, error);
}

/* The objective's terms checked against the pass; active: the nodes
 * their gradients pass through. */
static gboolean
resolve_terms (IncPass *pass, const IncObjective *objective, Term *terms, gboolean *active,
               GError **error)
{
  if (objective->n_terms == 0)
    return _inc_pass_invalid (error, "the objective names no layer");
  for (guint k = 0; k < objective->n_terms; k++)
    {
      if (!resolve_term (pass, objective, &objective->terms[k], &terms[k], error))
        return FALSE;
      _inc_pass_mark_ancestors (pass->network->model, (guint) terms[k].node, active);
    }
  return TRUE;
}

/* The objective's value, from the target layers as the forward pass left
 * them (and a guided dream's seeds). */
static gboolean
read_value (IncPass *pass, const IncObjective *objective, Term *terms, double *total,
            GError **error)
{
  *total = 0.0;
  for (guint k = 0; k < objective->n_terms; k++)
    {
      const IncLayerTerm *t = &objective->terms[k];
      const View *v = &pass->views[terms[k].node];
      g_autofree float *act = g_try_new (float, (gsize) v->h * v->w * v->c);
      if (act == NULL)
        return _inc_pass_invalid (error, "out of memory reading layer %s", t->layer);
      if (!_inc_pass_read_view (pass, pass->acts, terms[k].node, act, error))
        return FALSE;
      *total += term_value (objective, t, &terms[k], v, act);
    }
  return TRUE;
}

/* Records the backward pass: the clear of the gradient buffers, the
 * seeds, and every node's backward pass down to the input. */
static void
record_all_backward (IncPass *pass, const IncObjective *objective, const Term *terms,
                     const gboolean *active)
{
  const IncModel *model = pass->network->model;
  g_autofree guint32 *fills = g_new0 (guint32, pass->n_nodes);
  g_autofree gboolean *zeroed = g_new0 (gboolean, pass->n_nodes);
  /* A layer inside a concatenation lives in the concatenation's buffer,
   * which may not itself be active: clear the roots of active nodes. A
   * mean over a whole buffer seeds a constant: the clear writes it. */
  g_autofree gboolean *seeded = seed_by_fill (pass, objective, terms, fills);
  g_autofree gboolean *overwrite = choose_overwrites (pass, active, terms, objective->n_terms);

  for (guint i = 0; i < pass->n_nodes; i++)
    if (overwrite[i])
      zeroed[pass->views[model->nodes[i].inputs[0]].root] = TRUE;
  /* Timed as a dispatch is: it writes every gradient buffer of the pass
   * (about 11 ms of a 512-px step on lavapipe). */
  _inc_device_label (pass->device, "gradient clear", "gradient clear", 0.0);
  _inc_profile_before (pass->device);
  for (guint i = 0; i < pass->n_nodes; i++)
    {
      int root = pass->views[i].root;
      if (!active[i] || !pass->needed[i] || zeroed[root])
        continue;
      zeroed[root] = TRUE;
      vkCmdFillBuffer (pass->device->command_buffer, pass->grads[root].buffer, 0, VK_WHOLE_SIZE,
                       fills[root]);
    }
  _inc_profile_after (pass->device);
  _inc_device_barrier (pass->device);
  for (guint k = 0; k < objective->n_terms; k++)
    if (!seeded[k])
      record_seed (pass, objective, &objective->terms[k], &terms[k]);
  record_backward (pass, active, overwrite);
}

/* The backward pass and `after` recorded into the open command buffer,
 * then submitted. */
static gboolean
record_backward_and_submit (IncPass *pass, const IncObjective *objective, const Term *terms,
                            const gboolean *active, IncPassRecordFn after, gpointer data,
                            GError **error)
{
  record_all_backward (pass, objective, terms, active);
  if (after != NULL)
    after (data);
  return _inc_device_submit (pass->device, error);
}

static void
free_seeds (Term *terms, guint n_terms)
{
  for (guint k = 0; k < n_terms; k++)
    g_free (terms[k].seed);
}

gboolean
_inc_pass_backward_then (IncPass *pass, const IncObjective *objective, double *value,
                         IncPassRecordFn after, gpointer data, GError **error)
{
  g_autofree Term *terms = NULL;
  g_autofree gboolean *active = NULL;
  gboolean ok = FALSE;
  double total = 0.0;

  g_return_val_if_fail (pass != NULL && objective != NULL, FALSE);
  if (!pass->forward_done)
    return _inc_pass_invalid (error, "the forward pass has not run");
  terms = g_new0 (Term, objective->n_terms);
  active = g_new0 (gboolean, pass->n_nodes);
  /* Uploads may need their own submission, so they come before recording. */
  if (!resolve_terms (pass, objective, terms, active, error) ||
      !read_value (pass, objective, terms, &total, error) ||
      !upload_seeds (pass, terms, objective->n_terms, error) ||
      !_inc_device_begin (pass->device, error) ||
      !record_backward_and_submit (pass, objective, terms, active, after, data, error))
    goto out;
  if (value != NULL)
    *value = total;
  ok = TRUE;

out:
  free_seeds (terms, objective->n_terms);
  return ok;
}

gboolean
inc_pass_step (IncPass *pass, const IncObjective *objective, double *value, GError **error)
{
  return _inc_pass_step_with (pass, objective, value, NULL, NULL, NULL, error);
}

/* A guided dream's seeds come from the host, from the forward pass's
 * activations: it waits between the passes. Other objectives seed on the
 * device, and their value is read from the activations afterwards, which
 * the backward pass leaves as they were. */
gboolean
_inc_pass_step_with (IncPass *pass, const IncObjective *objective, double *value,
                     IncPassRecordFn before, IncPassRecordFn after, gpointer data,
                     GError **error)
{
  g_autofree Term *terms = NULL;
  g_autofree gboolean *active = NULL;
  double total = 0.0;

  g_return_val_if_fail (pass != NULL && objective != NULL, FALSE);
  if (objective->kind == INC_OBJECTIVE_GUIDE)
    return _inc_pass_forward_after (pass, before, data, error) &&
           _inc_pass_backward_then (pass, objective, value, after, data, error);
  terms = g_new0 (Term, objective->n_terms);
  active = g_new0 (gboolean, pass->n_nodes);
  if (!resolve_terms (pass, objective, terms, active, error) ||
      !_inc_pass_begin_forward (pass, before, data, error) ||
      !record_backward_and_submit (pass, objective, terms, active, after, data, error))
    return FALSE;
  pass->forward_done = TRUE;
  if (!read_value (pass, objective, terms, &total, error))
    return FALSE;
  if (value != NULL)
    *value = total;
  return TRUE;
}
