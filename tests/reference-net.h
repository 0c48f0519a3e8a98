/* reference-net.h: a naive double-precision executor for IncModel graphs,
 * written straight from the Keras definitions; the shaders are checked
 * against it. Used only by tests. */
#pragma once

#include <math.h>
#include <string.h>
#include <glib.h>
#include "core/model.h"
#include "core/objective.h"

typedef struct {
  int h, w, c;
  double *v;   /* h x w x c */
} RefTensor;

/* Computes the nodes marked in `needed` (every node if NULL); they must
 * include their inputs. */
static void
ref_forward_needed (const IncModel *m, const float *image, int height, int width,
                    const gboolean *needed, RefTensor *t)
{
  for (guint i = 0; i < m->n_nodes; i++)
    {
      const IncNode *n = &m->nodes[i];
      RefTensor *o = &t[i];
      if (needed != NULL && !needed[i])
        continue;
      if (n->op == INC_OP_INPUT)
        {
          *o = (RefTensor) { height, width, 3, g_new (double, (gsize) height * width * 3) };
          for (gsize k = 0; k < (gsize) height * width * 3; k++)
            o->v[k] = image[k];
          continue;
        }
      const RefTensor *in = &t[n->inputs[0]];
      if (n->op == INC_OP_CONCAT)
        {
          int c = 0;
          for (guint k = 0; k < n->n_inputs; k++)
            c += t[n->inputs[k]].c;
          *o = (RefTensor) { in->h, in->w, c, g_new0 (double, (gsize) in->h * in->w * c) };
          int off = 0;
          for (guint k = 0; k < n->n_inputs; k++)
            {
              const RefTensor *s = &t[n->inputs[k]];
              for (int p = 0; p < s->h * s->w; p++)
                for (int ch = 0; ch < s->c; ch++)
                  o->v[(gsize) p * c + off + ch] = s->v[(gsize) p * s->c + ch];
              off += s->c;
            }
          continue;
        }
      int oh, ow, pt, pl;
      inc_node_output_size (n, in->h, in->w, &oh, &ow);
      inc_node_padding (n, in->h, in->w, &pt, &pl);
      int c = n->op == INC_OP_CONV ? n->cout : in->c;
      *o = (RefTensor) { oh, ow, c, g_new0 (double, (gsize) oh * ow * c) };
      for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
          for (int co = 0; co < c; co++)
            {
              double acc = n->op == INC_OP_MAXPOOL ? -INFINITY : 0.0;
              int count = 0;
              for (int ky = 0; ky < n->kh; ky++)
                for (int kx = 0; kx < n->kw; kx++)
                  {
                    int iy = y * n->sh - pt + ky, ix = x * n->sw - pl + kx;
                    if (iy < 0 || iy >= in->h || ix < 0 || ix >= in->w)
                      continue;
                    const double *px = in->v + ((gsize) iy * in->w + ix) * in->c;
                    count++;
                    if (n->op == INC_OP_CONV)
                      {
                        const float *k = m->weights + n->weight_offset +
                                         ((gsize) ky * n->kw + kx) * n->cin * n->cout;
                        for (int ci = 0; ci < in->c; ci++)
                          acc += px[ci] * k[(gsize) ci * n->cout + co];
                      }
                    else if (n->op == INC_OP_MAXPOOL)
                      acc = MAX (acc, px[co]);
                    else
                      acc += px[co];
                  }
              if (n->op == INC_OP_CONV)
                {
                  acc += m->weights[n->weight_offset + (gsize) n->kh * n->kw * n->cin * n->cout + co];
                  if (n->relu)
                    acc = MAX (acc, 0.0);
                }
              else if (n->op == INC_OP_AVGPOOL)
                acc /= count;
              o->v[((gsize) y * ow + x) * c + co] = acc;
            }
    }
}

static void
ref_forward (const IncModel *m, const float *image, int height, int width, RefTensor *t)
{
  ref_forward_needed (m, image, height, width, NULL, t);
}

/* Marks the nodes the objective's layers depend on (nodes come in
 * topological order: inputs before their users). */
static gboolean *
ref_needed_by (const IncModel *m, const IncObjective *obj)
{
  gboolean *needed = g_new0 (gboolean, m->n_nodes);

  for (guint k = 0; k < obj->n_terms; k++)
    needed[inc_model_find (m, obj->terms[k].layer)] = TRUE;
  for (guint i = m->n_nodes; i-- > 0;)
    if (needed[i])
      for (guint k = 0; k < m->nodes[i].n_inputs; k++)
        needed[m->nodes[i].inputs[k]] = TRUE;
  return needed;
}

static void
ref_free (const IncModel *m, RefTensor *t)
{
  for (guint i = 0; i < m->n_nodes; i++)
    g_clear_pointer (&t[i].v, g_free);
}

/* The objective, defined as compute/pass-backward.c documents it. */
static double
ref_objective (const IncModel *m, const IncObjective *obj, const RefTensor *t)
{
  double total = 0.0;

  for (guint k = 0; k < obj->n_terms; k++)
    {
      const IncLayerTerm *term = &obj->terms[k];
      const RefTensor *a = &t[inc_model_find (m, term->layer)];
      int c0 = term->channel >= 0 ? term->channel : 0;
      int c1 = term->channel >= 0 ? term->channel + 1 : a->c;
      int b = obj->kind == INC_OBJECTIVE_MEAN_SQUARE ? CLAMP (obj->border, 0, (MIN (a->h, a->w) - 1) / 2) : 0;
      double sum = 0.0;

      if (obj->kind == INC_OBJECTIVE_GUIDE)
        {
          for (int p = 0; p < a->h * a->w; p++)
            {
              double best = -INFINITY;
              for (int j = 0; j < term->n_guide; j++)
                {
                  double dot = 0.0;
                  for (int c = c0; c < c1; c++)
                    dot += a->v[(gsize) p * a->c + c] * term->guide[(gsize) j * a->c + c];
                  best = MAX (best, dot);
                }
              sum += best;
            }
          total += term->weight * sum / (a->h * a->w);
          continue;
        }
      for (int y = b; y < a->h - b; y++)
        for (int x = b; x < a->w - b; x++)
          for (int c = c0; c < c1; c++)
            {
              double v = a->v[((gsize) y * a->w + x) * a->c + c];
              sum += obj->kind == INC_OBJECTIVE_MEAN_SQUARE ? v * v : v;
            }
      total += term->weight * sum / ((double) (a->h - 2 * b) * (a->w - 2 * b) * (c1 - c0));
    }
  return total;
}
