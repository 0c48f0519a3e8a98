/* pass-private.h: the executor's state, shared by pass.c (buffers and the
 * forward pass) and pass-backward.c (objectives and the backward pass). */
#pragma once

#include "compute/network-private.h"
#include "compute/pass-io.h"

typedef struct {
  int h, w, c;
  int root;      /* node whose buffers hold this tensor */
  int off;       /* channel offset in the root */
  int stride;    /* channels of the root */
} View;

struct _IncPass {
  IncNetwork *network;
  IncDevice  *device;
  int         height, width;
  guint       n_nodes;    /* nodes 0 .. n_nodes-1 are computed */
  View       *views;
  gboolean   *needed;     /* ancestors of the target layers */
  IncBuffer  *acts;       /* per root node */
  IncBuffer  *grads;
  IncBuffer  *argmax;     /* per max pool: where each maximum was */
  IncBuffer   seed;       /* uploaded seeds (guided objectives) */
  IncArena    arena;      /* memory of acts, grads and argmax (CPU devices) */
  /* Per node: its forward, and its backward-data, convolution runs as
   * Winograd (winograd.h), through the network's scratch buffers. */
  gboolean   *winograd_forward;
  gboolean   *winograd_backward;
  /* Per node: its backward-data convolution runs as columns and a gather
   * (col2im.h), through the network's scratch buffer. */
  gboolean   *col2im_backward;
  /* Per node: a 1x1 convolution with its average pool moved behind it
   * (pass-fuse.c), through the network's scratch buffers. */
  gboolean   *fused;
  /* Per node: the first of the sibling 1x1 convolutions that run as one
   * with it (pass-siblings.c), or -1; on each first, the group's name for
   * the profile ("a+b", interned), else NULL. */
  int        *sibling_first;
  const char **group_names;
  gboolean    forward_done;
};

gboolean _inc_pass_invalid        (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);
int      _inc_pass_find           (IncPass *pass, const char *layer);
void     _inc_pass_mark_ancestors (const IncModel *model, guint node, gboolean *marks);
void     _inc_pass_conv_params    (IncPass *pass, guint node, gboolean backward, IncConvParams *p);
void     _inc_pass_pool_params    (IncPass *pass, guint node, IncPoolParams *p);
gboolean _inc_pass_read_view      (IncPass *pass, IncBuffer *buffers, int node, float *out,
                                   GError **error);
/* Records node's convolution, forward or backward-data, by the path the
 * pass chose for it; mask: the activation whose > 0 lets the input through
 * (backward, with INC_CONV_MASK_INPUT in p). */
void     _inc_pass_record_conv    (IncPass *pass, guint node, gboolean backward,
                                   const IncConvParams *p, const IncBuffer *src,
                                   const IncBuffer *dst, const IncBuffer *mask);
/* pass-fuse.c: choosing the fused convolutions (after the shapes and
 * views), and recording them. */
gboolean _inc_pass_plan_fusion           (IncPass *pass, const char *const *layers,
                                          GError **error);
void     _inc_pass_record_fused_forward  (IncPass *pass, guint node);
void     _inc_pass_record_fused_backward (IncPass *pass, guint node);
/* pass-siblings.c: grouping the sibling 1x1 convolutions (after the
 * views, before anything reads their offsets and strides); whether a node
 * runs as part of an earlier one (and is skipped); the parameters of the
 * group's convolution, on its first; whether any of the group is active
 * (backward). */
void     _inc_pass_plan_siblings    (IncPass *pass);
gboolean _inc_pass_sibling_skipped  (IncPass *pass, guint node);
void     _inc_pass_siblings_widen   (IncPass *pass, guint node, gboolean backward,
                                     IncConvParams *p);
gboolean _inc_pass_siblings_active  (IncPass *pass, guint node, const gboolean *active);
/* The name the profile gives node's dispatches: its group's on the first
 * of a group, else its own. */
const char *_inc_pass_node_name     (IncPass *pass, guint node);
/* Names the next dispatch of node for the profile. */
void     _inc_pass_label          (IncPass *pass, guint node, gboolean backward);
/* pass.c: begins a submission with `before` (if any) and every node's
 * forward pass; the caller records more and submits. */
gboolean _inc_pass_begin_forward  (IncPass *pass, IncPassRecordFn before, gpointer data,
                                   GError **error);
