/* winograd.c: recording the Winograd convolution's passes and transforming
 * its kernels (see winograd.h). */
#include <string.h>

#include "compute/winograd.h"

#define POSITIONS 36            /* 6 x 6 transform positions */
#define TILES_PER_GROUP 32       /* winograd.glsl */
#define CHANNELS_PER_GROUP 32

static guint32
div_up (guint64 a, guint64 b)
{
  return (guint32) ((a + b - 1) / b);
}

gboolean
_inc_winograd_applies (const IncNode *node)
{
  return node->op == INC_OP_CONV && node->kh == 3 && node->kw == 3 &&
         node->sh == 1 && node->sw == 1;
}

gboolean
_inc_winograd_forward_applies (const IncNode *node)
{
  return _inc_winograd_applies (node) && node->cin >= INC_WINOGRAD_FORWARD_MIN_CIN;
}

static void
tiles_of (const IncConvParams *p, int *th, int *tw)
{
  *th = (p->out_h + 3) / 4;
  *tw = (p->out_w + 3) / 4;
}

void
_inc_winograd_scratch (const IncConvParams *params, gsize *input_floats, gsize *product_floats)
{
  int th, tw;
  tiles_of (params, &th, &tw);
  *input_floats = (gsize) POSITIONS * th * tw * params->cin;
  *product_floats = (gsize) POSITIONS * th * tw * params->cout;
}

/* G g G^T for one 3x3 kernel g (row-major), in double. */
static void
transform_kernel (const double g[9], double u[36])
{
  static const double G[6][3] = {
    { 1.0 / 4, 0, 0 },
    { -1.0 / 6, -1.0 / 6, -1.0 / 6 },
    { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
    { 1.0 / 24, 1.0 / 12, 1.0 / 6 },
    { 1.0 / 24, -1.0 / 12, 1.0 / 6 },
    { 0, 0, 1 },
  };
  double t[6][3];

  for (int i = 0; i < 6; i++)
    for (int k = 0; k < 3; k++)
      t[i][k] = G[i][0] * g[0 * 3 + k] + G[i][1] * g[1 * 3 + k] + G[i][2] * g[2 * 3 + k];
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 6; j++)
      u[i * 6 + j] = t[i][0] * G[j][0] + t[i][1] * G[j][1] + t[i][2] * G[j][2];
}

gsize
_inc_pack_winograd_weights (const float *kernel, int cin, int cout, gboolean transposed,
                            float *dst)
{
  /* The transposed convolution reads cout channels and writes cin. */
  int in = transposed ? cout : cin;
  int out = transposed ? cin : cout;
  int out4 = (out + 3) / 4;
  gsize total = (gsize) POSITIONS * in * out4 * 4;

  if (dst == NULL)
    return total;
  memset (dst, 0, total * sizeof (float));
  for (int a = 0; a < in; a++)
    for (int b = 0; b < out; b++)
      {
        double g[9], u[36];
        for (int ky = 0; ky < 3; ky++)
          for (int kx = 0; kx < 3; kx++)
            {
              /* Transposed: flipped, with the model's input channel b and
               * output channel a. */
              gsize k = transposed ? (((gsize) (2 - ky) * 3 + (2 - kx)) * cin + b) * cout + a
                                   : (((gsize) ky * 3 + kx) * cin + a) * cout + b;
              g[ky * 3 + kx] = kernel[k];
            }
        transform_kernel (g, u);
        for (int e = 0; e < POSITIONS; e++)
          dst[((gsize) e * in + a) * out4 * 4 + b] = (float) u[e];
      }
  return total;
}

void
_inc_record_winograd (IncDevice *device, const IncBuffer *src, const IncBuffer *mask,
                      const IncBuffer *weights, const IncBuffer *dst,
                      const IncConvParams *params, gint32 w_off,
                      const IncBuffer *scratch_input, const IncBuffer *scratch_products)
{
  const IncConvParams *p = params;
  int th, tw;
  tiles_of (p, &th, &tw);
  guint64 tiles = (guint64) th * tw;
  gboolean masked = (p->flags & INC_CONV_MASK_INPUT) != 0;
  /* The profile shows the transforms apart from the products, which keep
   * the convolution's label (and its direct work in flops). */
  const char *kind = device->label_kind, *layer = device->label_layer;
  double flops = device->label_flops;

  /* 1. V = B^T d B, with the backward ReLU folded in. */
  IncWinogradParams in = {
    .h = p->in_h, .w = p->in_w, .off = p->in_off, .stride = p->in_stride,
    .channels = p->cin, .tiles_h = th, .tiles_w = tw,
    .pad_t = p->pad_t, .pad_l = p->pad_l, .bias_off = -1,
    .flags = masked ? INC_CONV_MASK_INPUT : 0,
  };
  gboolean in_vec4 = _inc_whole_texels (p->cin, p->in_off, p->in_stride);
  _inc_device_label (device, "winograd input transform", layer, 0.0);
  /* 8 floats a store into the scratch, whose pixels are cin floats apart. */
  gboolean in_wide = in_vec4 && _inc_wide_texels (device, p->cin, 0, p->cin);
  /* Each lane walks a run of tiles within one row: rows padded to whole
   * runs (winograd.glsl tile_in_row). */
  int per_lane = in_vec4 ? TILES_PER_GROUP / 4 : TILES_PER_GROUP;
  guint64 items = (guint64) th * (div_up (tw, per_lane) * (guint64) per_lane);
  _inc_dispatch (device, in_wide ? INC_PIPELINE_WINOGRAD_INPUT_WIDE
                         : in_vec4 ? INC_PIPELINE_WINOGRAD_INPUT_VEC4 : INC_PIPELINE_WINOGRAD_INPUT,
                 &(IncBindings) { .src = src, .aux = masked ? mask : NULL,
                                  .dst = scratch_input, .vec4 = in_vec4 },
                 &in, sizeof in,
                 div_up (p->cin, CHANNELS_PER_GROUP) * div_up (items, TILES_PER_GROUP), 1);
  _inc_device_barrier (device);

  /* 2. The 36 products: each a 1x1 convolution over a row of tiles, its
   * position's values a view into the scratch (winograd.glsl). */
  IncConvParams gemm = {
    .in_h = 1, .in_w = (gint32) tiles, .in_off = 0, .in_stride = POSITIONS * p->cin,
    .cin = p->cin,
    .out_h = 1, .out_w = (gint32) tiles, .out_off = 0, .out_stride = POSITIONS * p->cout,
    .cout = p->cout,
    .kh = 1, .kw = 1, .stride = 1, .up = 1, .w_off = w_off, .bias_off = -1,
    .batch_in = p->cin, .batch_out = p->cout,
    .batch_w = p->cin * ((p->cout + 3) / 4),
  };
  _inc_device_label (device, kind, layer, flops);
  _inc_record_conv_batched (device, scratch_input, weights, scratch_products, &gemm, POSITIONS);
  _inc_device_barrier (device);

  /* 3. Y = A^T m A, bias, ReLU, into the output view. */
  IncWinogradParams out = {
    .h = p->out_h, .w = p->out_w, .off = p->out_off, .stride = p->out_stride,
    .channels = p->cout, .tiles_h = th, .tiles_w = tw,
    .bias_off = p->bias_off, .flags = p->flags & (INC_CONV_RELU | INC_CONV_ACCUMULATE),
  };
  gboolean out_vec4 = _inc_whole_texels (p->cout, p->out_off, p->out_stride);
  _inc_device_label (device, "winograd output transform", layer, 0.0);
  gboolean out_wide = _inc_wide_texels (device, p->cout, p->out_off, p->out_stride);
  _inc_dispatch (device, out_wide ? INC_PIPELINE_WINOGRAD_OUTPUT_WIDE
                         : out_vec4 ? INC_PIPELINE_WINOGRAD_OUTPUT_VEC4 : INC_PIPELINE_WINOGRAD_OUTPUT,
                 &(IncBindings) { .src = scratch_products, .weights = weights, .dst = dst,
                                  .vec4 = out_vec4 },
                 &out, sizeof out,
                 div_up (p->cout, CHANNELS_PER_GROUP) * div_up (tiles, TILES_PER_GROUP), 1);
}
