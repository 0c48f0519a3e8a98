/* pass.c: the network executor for one input size.
 *
 * Every node gets a view (height, width, channels, root buffer, channel
 * offset, stride). A concatenation owns a buffer and its inputs are views
 * into it, so concatenating costs nothing; the gradient buffers mirror the
 * activation buffers view for view, so the backward pass of a concatenation
 * costs nothing either. Buffers are allocated once, when the pass is made.
 *
 * Backward: every gradient buffer is zeroed, the objective's seeds are added
 * at its layers, then nodes are visited in reverse order; each one adds its
 * input's gradient (convolutions through their ReLU mask and the transposed
 * convolution, pools through a gather), so fan-out needs no bookkeeping. */
#include <math.h>
#include <string.h>

#include "compute/pass-private.h"
#include "compute/threads.h"

gboolean
_inc_pass_invalid (GError **error, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_INVALID, msg);
  return FALSE;
}

int
_inc_pass_find (IncPass *pass, const char *layer)
{
  int i = inc_model_find (pass->network->model, layer);
  return (i >= 0 && (guint) i < pass->n_nodes && pass->needed[i]) ? i : -1;
}

void
_inc_pass_mark_ancestors (const IncModel *model, guint node, gboolean *marks)
{
  if (marks[node])
    return;
  marks[node] = TRUE;
  for (guint k = 0; k < model->nodes[node].n_inputs; k++)
    _inc_pass_mark_ancestors (model, model->nodes[node].inputs[k], marks);
}

/* Shapes of every needed node, checking each stays at least 1 x 1. */
static gboolean
compute_shapes (IncPass *pass, GError **error)
{
  const IncModel *model = pass->network->model;

  for (guint i = 0; i < pass->n_nodes; i++)
    {
      const IncNode *n = &model->nodes[i];
      View *v = &pass->views[i];

      v->root = (int) i;
      if (!pass->needed[i])
        continue;
      if (n->op == INC_OP_INPUT)
        {
          v->h = pass->height;
          v->w = pass->width;
          v->c = 3;
          continue;
        }
      const View *in = &pass->views[n->inputs[0]];
      if (n->op == INC_OP_CONCAT)
        {
          v->h = in->h;
          v->w = in->w;
          v->c = 0;
          for (guint k = 0; k < n->n_inputs; k++)
            {
              const View *vk = &pass->views[n->inputs[k]];
              if (vk->h != v->h || vk->w != v->w)
                return _inc_pass_invalid (error, "concatenation %s joins inputs of different sizes", n->name);
              v->c += vk->c;
            }
          continue;
        }
      if (n->sh != n->sw)
        return _inc_pass_invalid (error, "layer %s has different strides along x and y, "
                                  "which this engine does not support", n->name);
      inc_node_output_size (n, in->h, in->w, &v->h, &v->w);
      v->c = n->cout;
      if (v->h < 1 || v->w < 1)
        return _inc_pass_invalid (error, "an image of %d x %d is too small for layer %s "
                        "(its output would be empty)", pass->width, pass->height, n->name);
    }
  return TRUE;
}

/* Makes the inputs of each concatenation views into its buffer. */
static gboolean
assign_views (IncPass *pass, GError **error)
{
  const IncModel *model = pass->network->model;
  g_autofree gboolean *in_concat = g_new0 (gboolean, pass->n_nodes);

  /* Reverse order: an outer concatenation is placed before the inner ones
   * that feed it, so views of views resolve to the outermost buffer. */
  for (guint i = pass->n_nodes; i-- > 0;)
    {
      const IncNode *n = &model->nodes[i];
      int off;

      if (!pass->needed[i] || n->op != INC_OP_CONCAT)
        continue;
      off = pass->views[i].off;
      for (guint k = 0; k < n->n_inputs; k++)
        {
          guint in = n->inputs[k];
          View *vk = &pass->views[in];
          if (in_concat[in] || model->nodes[in].op == INC_OP_INPUT)
            return _inc_pass_invalid (error, "layer %s feeds more than one concatenation; "
                            "this graph is not supported", model->nodes[in].name);
          in_concat[in] = TRUE;
          vk->root = pass->views[i].root;
          vk->off = off;
          off += vk->c;
        }
    }
  for (guint i = 0; i < pass->n_nodes; i++)
    pass->views[i].stride = pass->views[pass->views[i].root].c;
  return TRUE;
}

/* Chooses the convolutions that run as Winograd, and sizes the scratch
 * buffers they share: large enough for the largest of them. Backward-data
 * convolutions are linear, so Winograd's rounding (1e-6 to 1e-5 of the
 * values) stays that. Forward, the same rounding can flip a ReLU or a
 * max-pool choice near a tie, and each flip moves the input gradient: so
 * only the convolutions and forms where the measured gradient stayed
 * within the engine's bounds run that way (winograd.h
 * _inc_winograd_forward_applies, _inc_winograd_form). */
static gboolean
plan_winograd (IncPass *pass, GError **error)
{
  gsize input_floats = 0, product_floats = 0;

  pass->winograd_forward = g_new0 (gboolean, pass->n_nodes);
  pass->winograd_backward = g_new0 (gboolean, pass->n_nodes);
  for (guint i = 0; i < pass->n_nodes; i++)
    {
      const IncNodeWeights *o = &pass->network->offsets[i];

      if (!pass->needed[i])
        continue;
      for (int backward = 0; backward < 2; backward++)
        {
          IncConvParams p;
          gsize in, prod;

          if ((backward ? o->winograd_backward : o->winograd_forward) < 0)
            continue;
          _inc_pass_conv_params (pass, i, backward, &p);
          _inc_winograd_scratch (&p, _inc_winograd_form (&pass->network->model->nodes[i], backward),
                                 &in, &prod);
          if (MAX (in, prod) > INC_WINOGRAD_MAX_SCRATCH_FLOATS)
            continue;  /* too large: this one runs directly */
          if (backward)
            pass->winograd_backward[i] = TRUE;
          else
            pass->winograd_forward[i] = TRUE;
          input_floats = MAX (input_floats, in);
          product_floats = MAX (product_floats, prod);
        }
    }
  if (input_floats == 0)
    return TRUE;
  return _inc_network_reserve_scratch (pass->network, INC_SCRATCH_WINOGRAD_INPUT,
                                       input_floats * sizeof (float), error) &&
         _inc_network_reserve_scratch (pass->network, INC_SCRATCH_WINOGRAD_PRODUCTS,
                                       product_floats * sizeof (float), error);
}

/* Likewise the narrow backward-data convolutions that run as columns and
 * a gather (col2im.h), where Winograd does not already run them. */
static gboolean
plan_col2im (IncPass *pass, GError **error)
{
  gsize floats = 0;

  pass->col2im_backward = g_new0 (gboolean, pass->n_nodes);
  for (guint i = 0; i < pass->n_nodes; i++)
    {
      IncConvParams p;

      if (!pass->needed[i] || pass->network->offsets[i].col2im_backward < 0 ||
          pass->winograd_backward[i])
        continue;
      _inc_pass_conv_params (pass, i, TRUE, &p);
      gsize n = _inc_col2im_scratch (&p);
      if (n > INC_COL2IM_MAX_SCRATCH_FLOATS)
        continue;  /* too large: this one runs directly */
      pass->col2im_backward[i] = TRUE;
      floats = MAX (floats, n);
    }
  if (floats == 0)
    return TRUE;
  return _inc_network_reserve_scratch (pass->network, INC_SCRATCH_COLUMNS,
                                       floats * sizeof (float), error);
}

void
_inc_pass_record_conv (IncPass *pass, guint node, gboolean backward, const IncConvParams *p,
                       const IncBuffer *src, const IncBuffer *dst, const IncBuffer *mask)
{
  if (backward ? pass->winograd_backward[node] : pass->winograd_forward[node])
    _inc_record_winograd (pass->device, src, mask, &pass->network->weights, dst, p,
                          _inc_winograd_form (&pass->network->model->nodes[node], backward),
                          backward ? pass->network->offsets[node].winograd_backward
                                   : pass->network->offsets[node].winograd_forward,
                          &pass->network->scratch[INC_SCRATCH_WINOGRAD_INPUT],
                          &pass->network->scratch[INC_SCRATCH_WINOGRAD_PRODUCTS]);
  else if (backward && pass->col2im_backward[node])
    _inc_record_col2im (pass->device, src, mask, &pass->network->weights, dst, p,
                        pass->network->offsets[node].col2im_backward,
                        &pass->network->scratch[INC_SCRATCH_COLUMNS]);
  else
    _inc_record_conv (pass->device, INC_CONV_KERNEL_AUTO, src, &pass->network->weights,
                      dst, mask, p);
}

/* The sizes of node i's buffers, 0 where it has none: its activation and
 * gradient (each `bytes`) if it is a root, its choices if it is a max
 * pool. */
static void
node_buffer_sizes (IncPass *pass, guint i, VkDeviceSize *bytes, VkDeviceSize *choices)
{
  const View *v = &pass->views[i];
  gboolean pool = pass->needed[i] && pass->network->model->nodes[i].op == INC_OP_MAXPOOL;
  gboolean root = pass->needed[i] && v->root == (int) i;

  /* A root's stride is its own channels, or its siblings' too. */
  *bytes = root ? (VkDeviceSize) v->h * v->w * v->stride * sizeof (float) : 0;
  *choices = pool ? (VkDeviceSize) v->h * v->w * v->c * sizeof (float) : 0;
}

IncPass *
inc_pass_new (IncNetwork *network, int height, int width,
              const char *const *layers, GError **error)
{
  g_autoptr (IncPass) pass = NULL;
  const IncModel *model;
  int deepest = -1;

  g_return_val_if_fail (network != NULL, NULL);
  model = network->model;
  if (height < 1 || width < 1 || height > 16384 || width > 16384)
    {
      _inc_pass_invalid (error, "image size %d x %d is out of range", width, height);
      return NULL;
    }
  if (layers == NULL || layers[0] == NULL)
    {
      _inc_pass_invalid (error, "no layers were given");
      return NULL;
    }

  pass = g_new0 (IncPass, 1);
  pass->network = network;
  pass->device = network->device;
  pass->height = height;
  pass->width = width;
  pass->needed = g_new0 (gboolean, model->n_nodes);
  for (guint i = 0; layers[i] != NULL; i++)
    {
      int n = inc_model_find (model, layers[i]);
      if (n < 0 || model->nodes[n].op == INC_OP_INPUT)
        {
          _inc_pass_invalid (error, "unknown layer '%s'", layers[i]);
          return NULL;
        }
      deepest = MAX (deepest, n);
      _inc_pass_mark_ancestors (model, (guint) n, pass->needed);
    }
  pass->n_nodes = (guint) deepest + 1;
  pass->views = g_new0 (View, pass->n_nodes);
  pass->acts = g_new0 (IncBuffer, pass->n_nodes);
  pass->grads = g_new0 (IncBuffer, pass->n_nodes);
  pass->argmax = g_new0 (IncBuffer, pass->n_nodes);

  if (!compute_shapes (pass, error) || !assign_views (pass, error))
    return NULL;
  _inc_pass_plan_siblings (pass);
  if (!_inc_pass_plan_fusion (pass, layers, error) || !plan_winograd (pass, error) ||
      !plan_col2im (pass, error))
    return NULL;

  /* Every buffer's size first, so that the arena's memory fits them. */
  VkDeviceSize bytes, choices;
  for (guint i = 0; i < pass->n_nodes; i++)
    {
      node_buffer_sizes (pass, i, &bytes, &choices);
      if (choices > 0)
        _inc_arena_plan (&pass->arena, choices);
      if (bytes > 0)
        {
          _inc_arena_plan (&pass->arena, bytes);  /* the activation */
          _inc_arena_plan (&pass->arena, bytes);  /* its gradient */
        }
    }
  for (guint i = 0; i < pass->n_nodes; i++)
    {
      node_buffer_sizes (pass, i, &bytes, &choices);
      if ((choices > 0 && !_inc_buffer_init_in (pass->device, &pass->arena, &pass->argmax[i],
                                                 choices, TRUE, error)) ||
          (bytes > 0 &&
           (!_inc_buffer_init_in (pass->device, &pass->arena, &pass->acts[i], bytes, TRUE, error) ||
            !_inc_buffer_init_in (pass->device, &pass->arena, &pass->grads[i], bytes, TRUE, error))))
        return NULL;
    }
  return g_steal_pointer (&pass);
}

/* The buffers inc_pass_prepare writes. */
static GPtrArray *
prepared_buffers (IncPass *pass)
{
  GPtrArray *all = g_ptr_array_new ();

  for (guint i = 0; i < pass->n_nodes; i++)
    {
      g_ptr_array_add (all, &pass->acts[i]);
      g_ptr_array_add (all, &pass->grads[i]);
      g_ptr_array_add (all, &pass->argmax[i]);
    }
  g_ptr_array_add (all, &pass->seed);
  for (int i = 0; i < INC_N_SCRATCH; i++)
    g_ptr_array_add (all, &pass->network->scratch[i]);
  return all;
}

/* A share of the host's clear: bytes [from, to) of the buffers end to
 * end. */
typedef struct {
  GPtrArray    *buffers;
  VkDeviceSize  from, to;
} ClearShare;

static gpointer
clear_share (gpointer data)
{
  ClearShare *share = data;
  VkDeviceSize at = 0;

  for (guint i = 0; i < share->buffers->len && at < share->to; i++)
    {
      const IncBuffer *b = g_ptr_array_index (share->buffers, i);
      VkDeviceSize lo = MAX (at, share->from), hi = MIN (at + b->size, share->to);

      if (b->mapped != NULL && lo < hi)
        memset ((guint8 *) b->mapped + (lo - at), 0, hi - lo);
      at += b->size;
    }
  return NULL;
}

gboolean
inc_pass_prepare (IncPass *pass, GError **error)
{
  g_return_val_if_fail (pass != NULL, FALSE);

  g_autoptr (GPtrArray) buffers = prepared_buffers (pass);
  gboolean mapped = TRUE;
  VkDeviceSize total = 0;

  for (guint i = 0; i < buffers->len; i++)
    {
      const IncBuffer *b = g_ptr_array_index (buffers, i);
      mapped = mapped && (b->buffer == VK_NULL_HANDLE || b->mapped != NULL);
      total += b->size;
    }
  /* Where the device's memory is the host's (lavapipe), the host writes
   * it, on every processor: the first touch of new memory is most of the
   * cost, and the device's clear runs on one thread. */
  if (mapped && pass->device->is_cpu)
    {
      ClearShare shares[INC_MAX_SHARES];
      guint n = _inc_share_count ();

      for (guint k = 0; k < n; k++)
        shares[k] = (ClearShare) { buffers, total * k / n, total * (k + 1) / n };
      _inc_run_shares ("inceptionist clear", clear_share, shares, sizeof shares[0], n);
      return TRUE;
    }

  if (!_inc_device_begin (pass->device, error))
    return FALSE;
  for (guint i = 0; i < buffers->len; i++)
    {
      const IncBuffer *b = g_ptr_array_index (buffers, i);
      if (b->buffer != VK_NULL_HANDLE)
        vkCmdFillBuffer (pass->device->command_buffer, b->buffer, 0, VK_WHOLE_SIZE, 0);
    }
  return _inc_device_submit (pass->device, error);
}

void
inc_pass_free (IncPass *pass)
{
  if (pass == NULL)
    return;
  for (guint i = 0; i < pass->n_nodes; i++)
    {
      if (pass->acts[i].buffer)
        _inc_buffer_clear (pass->device, &pass->acts[i]);
      if (pass->grads[i].buffer)
        _inc_buffer_clear (pass->device, &pass->grads[i]);
      if (pass->argmax[i].buffer)
        _inc_buffer_clear (pass->device, &pass->argmax[i]);
    }
  if (pass->seed.buffer)
    _inc_buffer_clear (pass->device, &pass->seed);
  _inc_arena_clear (pass->device, &pass->arena);
  g_free (pass->winograd_forward);
  g_free (pass->winograd_backward);
  g_free (pass->col2im_backward);
  g_free (pass->fused);
  g_free (pass->sibling_first);
  g_free (pass->group_names);
  g_free (pass->views);
  g_free (pass->needed);
  g_free (pass->acts);
  g_free (pass->grads);
  g_free (pass->argmax);
  g_free (pass);
}

gboolean
inc_pass_set_input (IncPass *pass, const float *image, GError **error)
{
  gsize bytes = (gsize) pass->height * pass->width * 3 * sizeof (float);

  pass->forward_done = FALSE;
  return _inc_buffer_upload (pass->device, &pass->acts[0], 0, image, bytes, error);
}

void
_inc_pass_conv_params (IncPass *pass, guint i, gboolean backward, IncConvParams *p)
{
  const IncNode *n = &pass->network->model->nodes[i];
  const IncNodeWeights *w = &pass->network->offsets[i];
  const View *in = &pass->views[n->inputs[0]];
  const View *out = &pass->views[i];
  int pad_t, pad_l;

  inc_node_padding (n, in->h, in->w, &pad_t, &pad_l);
  if (!backward)
    {
      *p = (IncConvParams) {
        .in_h = in->h, .in_w = in->w, .in_off = in->off, .in_stride = in->stride, .cin = in->c,
        .out_h = out->h, .out_w = out->w, .out_off = out->off, .out_stride = out->stride,
        .cout = out->c, .kh = n->kh, .kw = n->kw, .stride = n->sh, .up = 1,
        .pad_t = pad_t, .pad_l = pad_l, .w_off = w->forward, .bias_off = w->bias,
        .flags = n->relu ? INC_CONV_RELU : 0,
      };
      _inc_pass_siblings_widen (pass, i, FALSE, p);
      return;
    }
  /* The transposed convolution: read the output gradient, write the input
   * gradient, with flipped kernels, the stride turned into up-sampling and
   * the padding mirrored. (Kernels here are square in stride: sh == sw.) */
  *p = (IncConvParams) {
    .in_h = out->h, .in_w = out->w, .in_off = out->off, .in_stride = out->stride, .cin = out->c,
    .out_h = in->h, .out_w = in->w, .out_off = in->off, .out_stride = in->stride,
    .cout = in->c, .kh = n->kh, .kw = n->kw, .stride = 1, .up = n->sh,
    .pad_t = n->kh - 1 - pad_t, .pad_l = n->kw - 1 - pad_l,
    .w_off = w->backward, .bias_off = -1, .flags = INC_CONV_ACCUMULATE,
  };
  _inc_pass_siblings_widen (pass, i, TRUE, p);
}

void
_inc_pass_pool_params (IncPass *pass, guint i, IncPoolParams *p)
{
  const IncNode *n = &pass->network->model->nodes[i];
  const View *in = &pass->views[n->inputs[0]];
  const View *out = &pass->views[i];
  int pad_t, pad_l;

  inc_node_padding (n, in->h, in->w, &pad_t, &pad_l);
  *p = (IncPoolParams) {
    .in_h = in->h, .in_w = in->w, .in_off = in->off, .in_stride = in->stride,
    .out_h = out->h, .out_w = out->w, .out_off = out->off, .out_stride = out->stride,
    .channels = out->c, .kh = n->kh, .kw = n->kw, .stride = n->sh,
    .pad_t = pad_t, .pad_l = pad_l,
    .mode = n->op == INC_OP_MAXPOOL ? INC_POOL_MAX : INC_POOL_AVG,
    .bias_off = -1,
  };
}

void
_inc_pass_label (IncPass *pass, guint node, gboolean backward)
{
  const IncNode *n = &pass->network->model->nodes[node];
  const View *in = &pass->views[n->inputs[0]];
  const View *out = &pass->views[node];
  const char *dir = backward ? "backward" : "forward";
  g_autofree char *kind = NULL;
  double flops = 0.0;
  /* The first of a group of siblings does all their work. */
  int channels = pass->sibling_first[node] == (int) node
                 ? pass->network->offsets[node].siblings_cout : out->c;

  if (n->op == INC_OP_CONV)
    {
      kind = g_strdup_printf ("conv %dx%d%s %s", n->kh, n->kw, n->sh > 1 ? "/2" : "", dir);
      flops = 2.0 * out->h * out->w * channels * n->kh * n->kw * in->c;
    }
  else
    kind = g_strdup_printf ("%s %s", n->op == INC_OP_MAXPOOL ? "maxpool" : "avgpool", dir);
  _inc_device_label (pass->device, g_intern_string (kind), _inc_pass_node_name (pass, node),
                     flops);
}

gboolean
inc_pass_forward (IncPass *pass, GError **error)
{
  return _inc_pass_forward_after (pass, NULL, NULL, error);
}

gboolean
_inc_pass_forward_after (IncPass *pass, IncPassRecordFn before, gpointer data, GError **error)
{
  if (!_inc_pass_begin_forward (pass, before, data, error) ||
      !_inc_device_submit (pass->device, error))
    return FALSE;
  pass->forward_done = TRUE;
  return TRUE;
}

static void
record_forward (IncPass *pass)
{
  const IncModel *model = pass->network->model;
  IncDevice *device = pass->device;

  for (guint i = 0; i < pass->n_nodes; i++)
    {
      const IncNode *n = &model->nodes[i];
      if (!pass->needed[i] || n->op == INC_OP_INPUT || n->op == INC_OP_CONCAT ||
          _inc_pass_sibling_skipped (pass, i))
        continue;
      int in_root = pass->views[n->inputs[0]].root;
      int out_root = pass->views[i].root;
      if (pass->fused[i])
        _inc_pass_record_fused_forward (pass, i);
      else if (n->op == INC_OP_CONV)
        {
          IncConvParams p;
          _inc_pass_conv_params (pass, i, FALSE, &p);
          _inc_pass_label (pass, i, FALSE);
          _inc_pass_record_conv (pass, i, FALSE, &p, &pass->acts[in_root],
                                 &pass->acts[out_root], NULL);
        }
      else
        {
          IncPoolParams p;
          _inc_pass_pool_params (pass, i, &p);
          _inc_pass_label (pass, i, FALSE);
          _inc_record_pool (device, NULL, &pass->acts[in_root], &pass->acts[out_root],
                            n->op == INC_OP_MAXPOOL ? &pass->argmax[i] : NULL, &p);
        }
      _inc_device_barrier (device);
    }
}

gboolean
_inc_pass_begin_forward (IncPass *pass, IncPassRecordFn before, gpointer data, GError **error)
{
  if (!_inc_device_begin (pass->device, error))
    return FALSE;
  if (before != NULL)
    {
      before (data);
      _inc_device_barrier (pass->device);
    }
  record_forward (pass);
  return TRUE;
}

gboolean
inc_pass_layer_shape (IncPass *pass, const char *layer, int *height, int *width,
                      int *channels)
{
  int i = _inc_pass_find (pass, layer);
  if (i < 0)
    return FALSE;
  *height = pass->views[i].h;
  *width = pass->views[i].w;
  *channels = pass->views[i].c;
  return TRUE;
}

/* Copies a view out of its root buffer into a dense h x w x c array. */
gboolean
_inc_pass_read_view (IncPass *pass, IncBuffer *buffers, int node, float *out, GError **error)
{
  const View *v = &pass->views[node];
  gsize npix = (gsize) v->h * v->w;

  if (v->root == node && v->stride == v->c)
    return _inc_buffer_download (pass->device, &buffers[node], 0, out,
                                 npix * v->c * sizeof (float), error);
  g_autofree float *all = g_try_new (float, npix * v->stride);
  if (all == NULL)
    return _inc_pass_invalid (error, "out of memory reading a layer");
  if (!_inc_buffer_download (pass->device, &buffers[v->root], 0, all,
                             npix * v->stride * sizeof (float), error))
    return FALSE;
  for (gsize p = 0; p < npix; p++)
    memcpy (out + p * v->c, all + p * v->stride + v->off, v->c * sizeof (float));
  return TRUE;
}

gboolean
inc_pass_read_activation (IncPass *pass, const char *layer, float *out, GError **error)
{
  int i = _inc_pass_find (pass, layer);
  if (i < 0)
    return _inc_pass_invalid (error, "layer '%s' is not computed by this pass", layer);
  if (!pass->forward_done)
    return _inc_pass_invalid (error, "the forward pass has not run");
  return _inc_pass_read_view (pass, pass->acts, i, out, error);
}

gboolean
inc_pass_read_gradient (IncPass *pass, float *out, GError **error)
{
  return _inc_pass_read_view (pass, pass->grads, 0, out, error);
}
