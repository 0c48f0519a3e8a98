/* winograd.c: recording the Winograd convolution's passes and transforming
 * its kernels (see winograd.h). */
#include <math.h>
#include <string.h>

#include "compute/winograd.h"

#define MAX_POSITIONS 64         /* 8 x 8 transform positions */
#define MAX_TAPS 25
#define TILES_PER_GROUP 32       /* winograd.glsl */
#define CHANNELS_PER_GROUP 32

static guint32
div_up (guint64 a, guint64 b)
{
  return (guint32) ((a + b - 1) / b);
}

/* A 1 x 7 or 7 x 1 kernel. */
static gboolean
is_line (int kh, int kw)
{
  return (kh == 1 && kw == 7) || (kh == 7 && kw == 1);
}

gboolean
_inc_winograd_applies (const IncNode *node)
{
  return node->op == INC_OP_CONV && node->sh == 1 && node->sw == 1 &&
         ((node->kh == node->kw && (node->kh == 3 || node->kh == 5)) ||
          is_line (node->kh, node->kw));
}

gboolean
_inc_winograd_forward_applies (const IncNode *node)
{
  return _inc_winograd_applies (node) && (node->kh == 5 || is_line (node->kh, node->kw) ||
         node->cin >= INC_WINOGRAD_FORWARD_MIN_CIN);
}

IncWinogradForm
_inc_winograd_form (const IncNode *node, gboolean backward)
{
  if (node->kh == 5)
    return INC_WINOGRAD_F4_5X5;
  if (is_line (node->kh, node->kw))
    return INC_WINOGRAD_F6_7;
  return backward ? INC_WINOGRAD_F6_3X3 : INC_WINOGRAD_F4_3X3;
}

/* The kernel transform G has one row per finite interpolation point p,
 * scale * (1, p, p^2, ...), and a last row (0, ..., 0, 1) for the point
 * at infinity; the points and scales match B^T and A^T in the shaders
 * (winograd_input.comp, winograd_output.comp, winograd_line_*.comp).
 * F(6x6, 3x3) and F(4x4, 5x5) share their 8 points; F(6, 7) adds +-3/2
 * and +-3/4. Each scale is 1 / (the product of p - q over the other finite
 * points q), divided by the factor the shaders scale p's row of B^T by to
 * keep whole numbers there (F(6, 7): 256, 128 for +-1/2 and +-3/2, 64 for
 * +-3/4). */
static const double points6[5] = { 0, 1, -1, 2, -2 };
static const double scales6[5] = { 1.0 / 4, -1.0 / 6, -1.0 / 6, 1.0 / 24, 1.0 / 24 };
static const double points8[7] = { 0, 1, -1, 2, -2, 1.0 / 2, -1.0 / 2 };
static const double scales8[7] = { 1, -2.0 / 9, -2.0 / 9, 1.0 / 90, 1.0 / 90, 32.0 / 45, 32.0 / 45 };
static const double points12[11] = { 0, 1, -1, 2, -2, 1.0 / 2, -1.0 / 2, 3.0 / 2, -3.0 / 2,
                                     3.0 / 4, -3.0 / 4 };
static const double scales12[11] = { -1.0 / 324, 1.0 / 630, 1.0 / 630, 1.0 / 138600, 1.0 / 138600,
                                     2.0 / 225, 2.0 / 225, -2.0 / 8505, -2.0 / 8505,
                                     -8192.0 / 467775, -8192.0 / 467775 };

/* What each form is: outputs a tile and kernel taps, each way (F(6, 7):
 * along its line), its G's points and scales, and its transforms' shaders
 * [input, output][scalar, vec4, wide]. */
typedef struct {
  int tile, kernel;
  gboolean line;
  const double *points, *scales;
  IncPipelineId pipelines[2][3];
} FormInfo;

static const FormInfo forms[] = {
  [INC_WINOGRAD_F4_3X3] = { 4, 3, FALSE, points6, scales6,
    { { INC_PIPELINE_WINOGRAD_INPUT, INC_PIPELINE_WINOGRAD_INPUT_VEC4,
        INC_PIPELINE_WINOGRAD_INPUT_WIDE },
      { INC_PIPELINE_WINOGRAD_OUTPUT, INC_PIPELINE_WINOGRAD_OUTPUT_VEC4,
        INC_PIPELINE_WINOGRAD_OUTPUT_WIDE } } },
  [INC_WINOGRAD_F6_3X3] = { 6, 3, FALSE, points8, scales8,
    { { INC_PIPELINE_WINOGRAD6_INPUT, INC_PIPELINE_WINOGRAD6_INPUT_VEC4,
        INC_PIPELINE_WINOGRAD6_INPUT_WIDE },
      { INC_PIPELINE_WINOGRAD6_OUTPUT, INC_PIPELINE_WINOGRAD6_OUTPUT_VEC4,
        INC_PIPELINE_WINOGRAD6_OUTPUT_WIDE } } },
  [INC_WINOGRAD_F4_5X5] = { 4, 5, FALSE, points8, scales8,
    { { INC_PIPELINE_WINOGRAD5X5_INPUT, INC_PIPELINE_WINOGRAD5X5_INPUT_VEC4,
        INC_PIPELINE_WINOGRAD5X5_INPUT_WIDE },
      { INC_PIPELINE_WINOGRAD5X5_OUTPUT, INC_PIPELINE_WINOGRAD5X5_OUTPUT_VEC4,
        INC_PIPELINE_WINOGRAD5X5_OUTPUT_WIDE } } },
  [INC_WINOGRAD_F6_7] = { 6, 7, TRUE, points12, scales12,
    { { INC_PIPELINE_WINOGRAD1X7_INPUT, INC_PIPELINE_WINOGRAD1X7_INPUT_VEC4,
        INC_PIPELINE_WINOGRAD1X7_INPUT_WIDE },
      { INC_PIPELINE_WINOGRAD1X7_OUTPUT, INC_PIPELINE_WINOGRAD1X7_OUTPUT_VEC4,
        INC_PIPELINE_WINOGRAD1X7_OUTPUT_WIDE } } },
};

/* Input tile size, each way (F(6, 7): along its line). */
static int
tile_in_of (IncWinogradForm form)
{
  return forms[form].tile + forms[form].kernel - 1;
}

static int
positions_of (IncWinogradForm form)
{
  int n = tile_in_of (form);
  return forms[form].line ? n : n * n;
}

/* Square forms: tiles down and across. F(6, 7): lines (rows, or columns
 * of a 7 x 1 kernel) and tiles a line (winograd_line_input.comp). */
static void
tiles_of (const IncConvParams *p, IncWinogradForm form, int *th, int *tw)
{
  int tile = forms[form].tile;
  if (forms[form].line)
    {
      gboolean vertical = p->kh > 1;
      *th = vertical ? p->out_w : p->out_h;
      *tw = ((vertical ? p->out_h : p->out_w) + tile - 1) / tile;
      return;
    }
  *th = (p->out_h + tile - 1) / tile;
  *tw = (p->out_w + tile - 1) / tile;
}

void
_inc_winograd_scratch (const IncConvParams *params, IncWinogradForm form, gsize *input_floats,
                       gsize *product_floats)
{
  int th, tw;
  tiles_of (params, form, &th, &tw);
  *input_floats = (gsize) positions_of (form) * th * tw * params->cin;
  *product_floats = (gsize) positions_of (form) * th * tw * params->cout;
}

/* Row i of G for a form: k values. */
static void
g_row (IncWinogradForm form, int i, double *row)
{
  int n = tile_in_of (form), k = forms[form].kernel;

  for (int j = 0; j < k; j++)
    row[j] = i == n - 1 ? (j == k - 1) : forms[form].scales[i] * pow (forms[form].points[i], j);
}

/* G g G^T for one k x k kernel g (row-major), in double: n x n values, n
 * the input tile; F(6, 7): G g for k taps, n values. G: the form's rows
 * (g_row), made once for all of a layer's kernels. */
static void
transform_kernel (IncWinogradForm form, const double G[12][7], const double *g, double *u)
{
  int n = tile_in_of (form), k = forms[form].kernel;
  double t[8][5];

  if (forms[form].line)
    {
      for (int i = 0; i < n; i++)
        {
          u[i] = 0.0;
          for (int j = 0; j < k; j++)
            u[i] += G[i][j] * g[j];
        }
      return;
    }
  for (int i = 0; i < n; i++)
    for (int b = 0; b < k; b++)
      {
        t[i][b] = 0.0;
        for (int a = 0; a < k; a++)
          t[i][b] += G[i][a] * g[a * k + b];
      }
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      {
        u[i * n + j] = 0.0;
        for (int b = 0; b < k; b++)
          u[i * n + j] += t[i][b] * G[j][b];
      }
}

gsize
_inc_pack_winograd_weights (const float *kernel, int cin, int cout, gboolean transposed,
                            IncWinogradForm form, float *dst)
{
  /* The transposed convolution reads cout channels and writes cin. */
  int in = transposed ? cout : cin;
  int out = transposed ? cin : cout;
  int out4 = (out + 3) / 4;
  int positions = positions_of (form), k = forms[form].kernel;
  /* Taps in the model's order, (ky * kw + kx): k of them for F(6, 7). */
  int taps = forms[form].line ? k : k * k;
  gsize total = (gsize) positions * in * out4 * 4;

  if (dst == NULL)
    return total;
  double G[12][7];
  for (int i = 0; i < tile_in_of (form); i++)
    g_row (form, i, G[i]);
  memset (dst, 0, total * sizeof (float));
  for (int a = 0; a < in; a++)
    for (int b = 0; b < out; b++)
      {
        double g[MAX_TAPS], u[MAX_POSITIONS];
        for (int t = 0; t < taps; t++)
          {
            /* Transposed: flipped, with the model's input channel b and
             * output channel a. */
            gsize at = transposed ? ((gsize) (taps - 1 - t) * cin + b) * cout + a
                                  : ((gsize) t * cin + a) * cout + b;
            g[t] = kernel[at];
          }
        transform_kernel (form, G, g, u);
        for (int e = 0; e < positions; e++)
          dst[((gsize) e * in + a) * out4 * 4 + b] = (float) u[e];
      }
  return total;
}

void
_inc_record_winograd (IncDevice *device, const IncBuffer *src, const IncBuffer *mask,
                      const IncBuffer *weights, const IncBuffer *dst,
                      const IncConvParams *params, IncWinogradForm form, gint32 w_off,
                      const IncBuffer *scratch_input, const IncBuffer *scratch_products)
{
  const IncConvParams *p = params;
  int th, tw;
  tiles_of (p, form, &th, &tw);
  int positions = positions_of (form);
  guint64 tiles = (guint64) th * tw;
  gboolean masked = (p->flags & INC_CONV_MASK_INPUT) != 0;
  /* The profile shows the transforms apart from the products, which keep
   * the convolution's label (and its direct work in flops). */
  const char *kind = device->label_kind, *layer = device->label_layer;
  double flops = device->label_flops;
  /* F(6, 7) with a 7 x 1 kernel runs its lines down the columns. */
  gint32 vertical = forms[form].line && p->kh > 1 ? INC_WINOGRAD_VERTICAL : 0;

  /* 1. V = B^T d B, with the backward ReLU folded in. */
  IncWinogradParams in = {
    .h = p->in_h, .w = p->in_w, .off = p->in_off, .stride = p->in_stride,
    .channels = p->cin, .tiles_h = th, .tiles_w = tw,
    .pad_t = p->pad_t, .pad_l = p->pad_l, .bias_off = -1,
    .flags = (masked ? INC_CONV_MASK_INPUT : 0) | vertical,
  };
  gboolean in_vec4 = _inc_whole_texels (p->cin, p->in_off, p->in_stride);
  _inc_device_label (device, "winograd input transform", layer, 0.0);
  /* 8 floats a store into the scratch, whose pixels are cin floats apart. */
  gboolean in_wide = in_vec4 && _inc_wide_texels (device, p->cin, 0, p->cin);
  /* Each lane walks a run of tiles within one row: rows padded to whole
   * runs (winograd.glsl tile_in_row). */
  int per_lane = in_vec4 ? TILES_PER_GROUP / 4 : TILES_PER_GROUP;
  guint64 items = (guint64) th * (div_up (tw, per_lane) * (guint64) per_lane);
  _inc_dispatch (device, forms[form].pipelines[0][in_wide ? 2 : in_vec4 ? 1 : 0],
                 &(IncBindings) { .src = src, .aux = masked ? mask : NULL,
                                  .dst = scratch_input, .vec4 = in_vec4 },
                 &in, sizeof in,
                 div_up (p->cin, CHANNELS_PER_GROUP) * div_up (items, TILES_PER_GROUP), 1);
  _inc_device_barrier (device);

  /* 2. The products, one a transform position: each a 1x1 convolution over a row of tiles, its
   * position's values a view into the scratch (winograd.glsl). */
  IncConvParams gemm = {
    .in_h = 1, .in_w = (gint32) tiles, .in_off = 0, .in_stride = positions * p->cin,
    .cin = p->cin,
    .out_h = 1, .out_w = (gint32) tiles, .out_off = 0, .out_stride = positions * p->cout,
    .cout = p->cout,
    .kh = 1, .kw = 1, .stride = 1, .up = 1, .w_off = w_off, .bias_off = -1,
    .batch_in = p->cin, .batch_out = p->cout,
    .batch_w = p->cin * ((p->cout + 3) / 4),
  };
  _inc_device_label (device, kind, layer, flops);
  _inc_record_conv_batched (device, scratch_input, weights, scratch_products, &gemm, positions);
  _inc_device_barrier (device);

  /* 3. Y = A^T m A, bias, ReLU, into the output view. */
  IncWinogradParams out = {
    .h = p->out_h, .w = p->out_w, .off = p->out_off, .stride = p->out_stride,
    .channels = p->cout, .tiles_h = th, .tiles_w = tw,
    .bias_off = p->bias_off,
    .flags = (p->flags & (INC_CONV_RELU | INC_CONV_ACCUMULATE)) | vertical,
  };
  gboolean out_vec4 = _inc_whole_texels (p->cout, p->out_off, p->out_stride);
  _inc_device_label (device, "winograd output transform", layer, 0.0);
  gboolean out_wide = _inc_wide_texels (device, p->cout, p->out_off, p->out_stride);
  _inc_dispatch (device, forms[form].pipelines[1][out_wide ? 2 : out_vec4 ? 1 : 0],
                 &(IncBindings) { .src = scratch_products, .weights = weights, .dst = dst,
                                  .vec4 = out_vec4 },
                 &out, sizeof out,
                 div_up (p->cout, CHANNELS_PER_GROUP) * div_up (tiles, TILES_PER_GROUP), 1);
}
