/* col2im.c: narrow backward-data convolutions as a matrix product and a
 * gather (see col2im.h). */
#include <string.h>

#include "compute/col2im.h"

#define GATHER_WORKGROUP 64   /* col2im.comp local_size_x */

/* Floats per column pixel: cin a tap, rounded up to a pair of texels so
 * that conv_gemm stores them 8 floats at a time (and a 3x3 kernel on 3
 * channels fills one 32-channel block of conv_gemm). */
static int
column_floats (int kh, int kw, int cin)
{
  return (kh * kw * cin + 7) / 8 * 8;
}

gboolean
_inc_col2im_applies (const IncNode *node)
{
  return node->op == INC_OP_CONV && node->cin <= 4;
}

gsize
_inc_col2im_scratch (const IncConvParams *params)
{
  /* The transposed convolution reads the forward output's gradient. */
  return (gsize) params->in_h * params->in_w * column_floats (params->kh, params->kw, params->cout);
}

gsize
_inc_pack_col2im_weights (const float *kernel, int kh, int kw, int cin, int cout, float *dst)
{
  int taps = kh * kw, width = column_floats (kh, kw, cin);
  gsize total = (gsize) cout * width;

  if (dst == NULL)
    return total;
  memset (dst, 0, total * sizeof (float));
  for (int co = 0; co < cout; co++)
    for (int t = 0; t < taps; t++)
      for (int c = 0; c < cin; c++)
        dst[(gsize) co * width + t * cin + c] = kernel[((gsize) t * cin + c) * cout + co];
  return total;
}

void
_inc_record_col2im (IncDevice *device, const IncBuffer *src, const IncBuffer *mask,
                    const IncBuffer *weights, const IncBuffer *dst,
                    const IncConvParams *params, gint32 w_off, const IncBuffer *scratch)
{
  const IncConvParams *p = params;
  int width = column_floats (p->kh, p->kw, p->cout);
  guint64 pixels = (guint64) p->out_h * p->out_w;

  /* 1. The columns: the products keep the convolution's label (and its
   * direct work in flops). */
  IncConvParams gemm = {
    .in_h = p->in_h, .in_w = p->in_w, .in_off = p->in_off, .in_stride = p->in_stride,
    .cin = p->cin,
    .out_h = p->in_h, .out_w = p->in_w, .out_off = 0, .out_stride = width,
    .cout = width,
    .kh = 1, .kw = 1, .stride = 1, .up = 1, .w_off = w_off, .bias_off = -1,
    .flags = p->flags & INC_CONV_MASK_INPUT,
  };
  _inc_record_conv (device, INC_CONV_KERNEL_GEMM, src, weights, scratch, mask, &gemm);
  _inc_device_barrier (device);

  /* 2. The gather, in the forward convolution's terms: its stride is the
   * transposed one's up-sampling, its padding mirrored back. */
  IncConvParams gather = {
    .in_h = p->in_h, .in_w = p->in_w,
    .out_h = p->out_h, .out_w = p->out_w, .out_off = p->out_off, .out_stride = p->out_stride,
    .cout = p->cout,
    .kh = p->kh, .kw = p->kw, .stride = p->up, .up = 1,
    .pad_t = p->kh - 1 - p->pad_t, .pad_l = p->kw - 1 - p->pad_l,
    .bias_off = -1, .flags = p->flags & INC_CONV_ACCUMULATE,
  };
  _inc_device_label (device, "col2im gather", device->label_layer, 0.0);
  _inc_dispatch (device, INC_PIPELINE_COL2IM,
                 &(IncBindings) { .src = scratch, .dst = dst, .vec4 = TRUE, .dst_r32 = TRUE },
                 &gather, sizeof gather, (guint32) ((pixels + GATHER_WORKGROUP - 1) / GATHER_WORKGROUP),
                 1);
}
