/* kernels.c: recording the shaders' dispatches, and packing weights into
 * the layouts the convolution shaders read. */
#include "compute/kernels.h"

#define CONV_GEMM_GROUPS_PER_WORKGROUP 16  /* 128 lanes / 8 */
#define CONV_GEMM_PIXELS 32                /* conv_gemm.comp PIXELS */
#define SMALL_WORKGROUP 64
/* Pools and element-wise passes run channels along x (32 lanes), pixels
 * along y and z: no integer division per value, which lavapipe executes
 * lane by lane. */
#define CHANNEL_WORKGROUP 32
#define PIXELS_PER_GROUP 16   /* elementwise.comp, mask_gradient.comp */
#define POOL_PIXELS_PER_GROUP 64  /* pool.glsl */

static guint32
div_up (guint64 a, guint64 b)
{
  return (guint32) ((a + b - 1) / b);
}

/* One conv_gemm dispatch over the grid of params' phase (npix outputs)
 * for each of `batches` products, their groups batch-major in one grid:
 * the variant with or without the ReLU mask on its reads, with
 * whole-texel reads (VEC4_IN) and stores (VEC4_OUT, or WIDE_OUT with 8
 * floats a store) where the input and output views allow them. */
static void
record_gemm (IncDevice *device, const IncBuffer *src, const IncBuffer *weights,
             const IncBuffer *dst, const IncBuffer *mask, const IncConvParams *params,
             guint64 npix, guint32 batches)
{
  guint64 cout4 = (params->cout + 3) / 4;
  gboolean vec4_out = _inc_whole_texels (params->cout, params->out_off, params->out_stride);
  gboolean vec4_in = _inc_whole_texels (params->cin, params->in_off, params->in_stride) &&
                     params->batch_in % 4 == 0;
  gboolean masked = (params->flags & INC_CONV_MASK_INPUT) != 0;
  /* 8 floats a store (wide_store.glsl) where the output comes in pairs of
   * texels, batches included. */
  gboolean wide_out = _inc_wide_texels (device, params->cout, params->out_off, params->out_stride) &&
                      params->batch_out % 8 == 0;
  int out = wide_out ? 2 : vec4_out ? 1 : 0;
  /* Indexed by [vec4_in][masked][out]. */
  static const IncPipelineId variants[2][2][3] = {
    { { INC_PIPELINE_CONV_GEMM, INC_PIPELINE_CONV_GEMM_VEC4, INC_PIPELINE_CONV_GEMM_WIDE },
      { INC_PIPELINE_CONV_GEMM_MASK, INC_PIPELINE_CONV_GEMM_MASK_VEC4,
        INC_PIPELINE_CONV_GEMM_MASK_WIDE } },
    { { INC_PIPELINE_CONV_GEMM_IN4, INC_PIPELINE_CONV_GEMM_IN4_VEC4,
        INC_PIPELINE_CONV_GEMM_IN4_WIDE },
      { INC_PIPELINE_CONV_GEMM_IN4_MASK, INC_PIPELINE_CONV_GEMM_IN4_MASK_VEC4,
        INC_PIPELINE_CONV_GEMM_IN4_MASK_WIDE } },
  };
  /* The image (3 channels, packed, forward): picked from RGBA32F texels. */
  gboolean rgb_in = params->cin == 3 && params->in_stride == 3 && !masked && batches == 1;
  static const IncPipelineId rgb_variants[3] = {
    INC_PIPELINE_CONV_GEMM_RGB, INC_PIPELINE_CONV_GEMM_RGB_VEC4, INC_PIPELINE_CONV_GEMM_RGB_WIDE,
  };
  /* The batches' groups run as one grid (conv_gemm.comp). */
  guint64 groups = div_up (npix, CONV_GEMM_PIXELS) * (guint64) div_up (cout4, 8) * batches;
  IncConvParams p = *params;

  p.batches = (gint32) batches;
  _inc_dispatch (device, rgb_in ? rgb_variants[out] : variants[vec4_in][masked][out],
                 &(IncBindings) { .src = src, .weights = weights, .dst = dst, .aux = mask,
                                  .vec4 = vec4_in || rgb_in },
                 &p, sizeof p, div_up (groups, CONV_GEMM_GROUPS_PER_WORKGROUP), 1);
}

void
_inc_record_conv (IncDevice *device, IncConvKernel kernel, const IncBuffer *src,
                  const IncBuffer *weights, const IncBuffer *dst, const IncBuffer *mask,
                  const IncConvParams *params)
{
  guint64 npix = (guint64) params->out_h * params->out_w;

  IncConvParams plain = *params;

  /* The naive kernel and forward convolutions use one phase. */
  plain.out_step = plain.tap_step = 1;
  plain.phase_y = plain.phase_x = plain.tap_y0 = plain.tap_x0 = 0;
  params = &plain;
  if ((kernel == INC_CONV_KERNEL_TILED || kernel == INC_CONV_KERNEL_AUTO) && device->use_tiled)
    {
      /* Blocks of 64 pixels x 64 channels; workgroup z is the output phase
       * of an up-sampled convolution (conv_tiled.comp). */
      int u = params->up;
      guint64 pixels = (guint64) div_up (params->out_h, u) * div_up (params->out_w, u);
      guint64 groups = div_up (pixels, 64) * (guint64) div_up (params->cout, 64);
      _inc_dispatch (device, INC_PIPELINE_CONV_TILED,
                     &(IncBindings) { .src = src, .weights = weights, .dst = dst, .aux = mask },
                     params, sizeof *params, groups, (guint32) (u * u));
      return;
    }
  if (kernel == INC_CONV_KERNEL_AUTO)
    kernel = device->use_gemm ? INC_CONV_KERNEL_GEMM : INC_CONV_KERNEL_NAIVE;
  if (kernel == INC_CONV_KERNEL_GEMM && device->use_gemm)
    {
      /* Up-sampled (transposed, strided) convolutions run phase by phase,
       * each phase with only the kernel taps that meet real input values. */
      int u = params->up;
      /* Skipped phases keep what the buffer holds: fine when adding. */
      g_return_if_fail (u == 1 || (params->flags & INC_CONV_ACCUMULATE));
      for (int py = 0; py < u; py++)
        for (int px = 0; px < u; px++)
          {
            IncConvParams phase = *params;
            guint64 ph = (params->out_h - py + u - 1) / u;
            guint64 pw = (params->out_w - px + u - 1) / u;
            phase.out_step = u;
            phase.phase_y = py;
            phase.phase_x = px;
            phase.tap_step = u;
            /* (phase + tap - pad) must be a multiple of u. */
            phase.tap_y0 = ((params->pad_t - py) % u + u) % u;
            phase.tap_x0 = ((params->pad_l - px) % u + u) % u;
            if (ph == 0 || pw == 0 || phase.tap_y0 >= params->kh || phase.tap_x0 >= params->kw)
              continue;  /* no output here, or no tap reaches it: stays as it is */
            if (params->cout <= 4)
              {
                /* conv_narrow: a lane per output pixel; whole input
                 * texels where the view allows. */
                gboolean vec4_in = _inc_whole_texels (params->cin, params->in_off,
                                                      params->in_stride);
                _inc_dispatch (device,
                               vec4_in ? INC_PIPELINE_CONV_NARROW_VEC4 : INC_PIPELINE_CONV_NARROW,
                               &(IncBindings) { .src = src, .weights = weights, .dst = dst,
                                                .aux = mask, .vec4 = vec4_in, .dst_r32 = TRUE },
                               &phase, sizeof phase, div_up (ph * pw, SMALL_WORKGROUP), 1);
              }
            else
              record_gemm (device, src, weights, dst, mask, &phase, ph * pw, 1);
          }
    }
  else
    _inc_dispatch (device, INC_PIPELINE_CONV_NAIVE,
                   &(IncBindings) { .src = src, .weights = weights, .dst = dst, .aux = mask },
                   params, sizeof *params, div_up (npix * params->cout, SMALL_WORKGROUP), 1);
}

void
_inc_record_conv_batched (IncDevice *device, const IncBuffer *src, const IncBuffer *weights,
                          const IncBuffer *dst, const IncConvParams *params, guint32 batches)
{
  IncConvParams p = *params;

  g_return_if_fail (device->use_gemm && p.up == 1 && !(p.flags & INC_CONV_MASK_INPUT));
  p.out_step = p.tap_step = 1;
  p.phase_y = p.phase_x = p.tap_y0 = p.tap_x0 = 0;
  record_gemm (device, src, weights, dst, NULL, &p, (guint64) p.out_h * p.out_w, batches);
}

/* Whole texels on both sides: the pools read and write RGBA32F texels
 * (pool.glsl, VEC4). */
static gboolean
pool_vec4 (const IncPoolParams *p)
{
  return _inc_whole_texels (p->channels, p->in_off, p->in_stride) &&
         _inc_whole_texels (p->channels, p->out_off, p->out_stride);
}

void
_inc_record_pool (IncDevice *device, const IncBuffer *weights, const IncBuffer *src,
                  const IncBuffer *dst, const IncBuffer *argmax, const IncPoolParams *params)
{
  gboolean vec4 = pool_vec4 (params);
  /* 3x3 max pools at stride 2 and average pools at stride 1 share
   * columns between neighbouring windows (pool_forward.comp MAX_3X3_S2,
   * AVG_3X3_S1). */
  gboolean max_3x3s2 = vec4 && params->mode == INC_POOL_MAX && params->kh == 3 &&
                       params->kw == 3 && params->stride == 2 && params->bias_off < 0;
  gboolean avg_3x3s1 = vec4 && params->mode == INC_POOL_AVG && params->kh == 3 &&
                       params->kw == 3 && params->stride == 1;
  IncPipelineId pipeline = max_3x3s2 ? INC_PIPELINE_MAXPOOL_3X3S2_VEC4
                           : avg_3x3s1 ? INC_PIPELINE_AVGPOOL_3X3S1_VEC4
                           : vec4 ? INC_PIPELINE_POOL_FORWARD_VEC4 : INC_PIPELINE_POOL_FORWARD;

  _inc_dispatch (device, pipeline,
                 &(IncBindings) { .src = src, .weights = weights, .dst = dst, .aux_out = argmax,
                                  .vec4 = vec4 },
                 params, sizeof *params,
                 div_up (params->channels, CHANNEL_WORKGROUP) *
                 div_up (params->out_w, POOL_PIXELS_PER_GROUP), params->out_h);
}

/* Max pools' input gradient, added to: scattered from the windows, phase
 * by phase (maxpool_scatter.comp). */
static void
record_maxpool_scatter (IncDevice *device, const IncBuffer *dy, const IncBuffer *argmax,
                        const IncBuffer *dx, const IncPoolParams *params)
{
  gboolean vec4 = pool_vec4 (params);
  IncPoolParams p = *params;

  /* Windows this many apart do not overlap. */
  p.step_y = (p.kh + p.stride - 1) / p.stride;
  p.step_x = (p.kw + p.stride - 1) / p.stride;
  for (p.phase_y = 0; p.phase_y < p.step_y; p.phase_y++)
    for (p.phase_x = 0; p.phase_x < p.step_x; p.phase_x++)
      {
        guint32 rows = div_up (MAX (p.out_h - p.phase_y, 0), p.step_y);
        guint32 cols = div_up (MAX (p.out_w - p.phase_x, 0), p.step_x);

        if (rows == 0 || cols == 0)
          continue;
        if (p.phase_y > 0 || p.phase_x > 0)
          _inc_device_barrier (device);
        _inc_dispatch (device, vec4 ? INC_PIPELINE_MAXPOOL_SCATTER_VEC4 : INC_PIPELINE_MAXPOOL_SCATTER,
                       &(IncBindings) { .src = dy, .dst = dx, .aux = argmax, .vec4 = vec4,
                                        .dst_r32 = TRUE },
                       &p, sizeof p,
                       div_up (p.channels, CHANNEL_WORKGROUP) * div_up (cols, POOL_PIXELS_PER_GROUP),
                       rows);
      }
}

gboolean
_inc_maxpool_backward_gathers (const IncPoolParams *params)
{
  return params->mode == INC_POOL_MAX && pool_vec4 (params) && params->kh == 3 &&
         params->kw == 3 && params->stride == 2;
}

void
_inc_record_pool_backward (IncDevice *device, const IncBuffer *dy, const IncBuffer *argmax,
                           const IncBuffer *dx, const IncPoolParams *params)
{
  gboolean vec4 = pool_vec4 (params);

  if (_inc_maxpool_backward_gathers (params))
    {
      /* Gathered by pairs of input rows (maxpool_backward.comp). */
      gboolean wide = device->use_gemm &&
                      _inc_wide_texels (device, params->channels, params->in_off, params->in_stride);
      guint32 cols = div_up (params->in_w + params->pad_l, 2);
      _inc_dispatch (device, wide ? INC_PIPELINE_MAXPOOL_BACKWARD_WIDE : INC_PIPELINE_MAXPOOL_BACKWARD_VEC4,
                     &(IncBindings) { .src = dy, .dst = dx, .aux = argmax, .vec4 = TRUE },
                     params, sizeof *params,
                     div_up (params->channels, CHANNEL_WORKGROUP) * div_up (cols, POOL_PIXELS_PER_GROUP),
                     div_up (params->in_h + params->pad_t, 2));
      return;
    }
  if (params->mode == INC_POOL_MAX)
    {
      /* Scattering adds: a max pool's input gradient is never overwritten. */
      g_return_if_fail (!(params->flags & INC_POOL_OVERWRITE));
      record_maxpool_scatter (device, dy, argmax, dx, params);
      return;
    }

  /* 3x3 windows at stride 1 share columns (pool_backward.comp AVG_3X3_S1). */
  gboolean avg_3x3s1 = vec4 && params->kh == 3 && params->kw == 3 && params->stride == 1;
  _inc_dispatch (device, avg_3x3s1 ? INC_PIPELINE_AVGPOOL_3X3S1_BACKWARD_VEC4
                         : vec4 ? INC_PIPELINE_POOL_BACKWARD_VEC4 : INC_PIPELINE_POOL_BACKWARD,
                 &(IncBindings) { .src = dy, .dst = dx, .aux = argmax, .vec4 = vec4 },
                 params, sizeof *params,
                 div_up (params->channels, CHANNEL_WORKGROUP) *
                 div_up (params->in_w, POOL_PIXELS_PER_GROUP), params->in_h);
}

void
_inc_record_elementwise (IncDevice *device, const IncBuffer *src, const IncBuffer *dst,
                         const IncBuffer *aux, const IncElementwiseParams *params)
{
  guint64 bh = MAX (0, params->h - 2 * params->border);
  guint64 bw = MAX (0, params->w - 2 * params->border);
  guint64 nc = MAX (0, params->c1 - params->c0);
  if (bh == 0 || bw == 0 || nc == 0)
    return;
  /* Whole texels: the view's channels c0..c1-1 and, when adding src, its
   * dense rows of nc channels from src_off. */
  gboolean vec4 = _inc_whole_texels ((int) nc, params->off + params->c0, params->stride) &&
                  (params->mode != INC_ELEMENTWISE_ADD_SRC || params->src_off % 4 == 0);
  _inc_dispatch (device, vec4 ? INC_PIPELINE_ELEMENTWISE_VEC4 : INC_PIPELINE_ELEMENTWISE,
                 &(IncBindings) { .src = src, .dst = dst, .aux = aux, .vec4 = vec4 },
                 params, sizeof *params, div_up (nc, CHANNEL_WORKGROUP) * div_up (bw, PIXELS_PER_GROUP), bh);
}

gboolean
_inc_record_mask_gradient (IncDevice *device, const IncBuffer *grad, const IncBuffer *act,
                           int pixels, int off, int stride, int channels)
{
  struct {
    gint32 pixels, off, stride, channels, groups_x;
  } params = { pixels, off, stride, channels, 0 };
  gboolean wide = _inc_wide_texels (device, channels, off, stride);

  if (!_inc_whole_texels (channels, off, stride))
    return FALSE;
  if (pixels == 0 || channels == 0)
    return TRUE;
  _inc_dispatch (device, wide ? INC_PIPELINE_MASK_GRADIENT_WIDE : INC_PIPELINE_MASK_GRADIENT,
                 &(IncBindings) { .src = grad, .dst = grad, .aux = act, .vec4 = TRUE },
                 &params, sizeof params,
                 div_up (channels, CHANNEL_WORKGROUP) * div_up (pixels, PIXELS_PER_GROUP), 1);
  return TRUE;
}

gsize
_inc_pack_forward_weights (const float *kernel, int kh, int kw, int cin, int cout,
                           float *dst)
{
  int cout4 = (cout + 3) / 4;
  gsize k_total = (gsize) kh * kw * cin;

  if (dst != NULL)
    for (gsize k = 0; k < k_total; k++)
      for (int co = 0; co < cout4 * 4; co++)
        dst[k * cout4 * 4 + co] = co < cout ? kernel[k * cout + co] : 0.0f;
  return k_total * cout4 * 4;
}

gsize
_inc_pack_backward_weights (const float *kernel, int kh, int kw, int cin, int cout,
                            float *dst)
{
  /* The transposed convolution reads the output gradient (cout channels)
   * and produces the input gradient (cin channels). */
  int cin4 = (cin + 3) / 4;

  if (dst != NULL)
    for (int ky = 0; ky < kh; ky++)
      for (int kx = 0; kx < kw; kx++)
        for (int co = 0; co < cout; co++)
          for (int ci = 0; ci < cin4 * 4; ci++)
            {
              gsize k = ((gsize) ky * kw + kx) * cout + co;
              gsize src = (((gsize) (kh - 1 - ky) * kw + (kw - 1 - kx)) * cin + ci) * cout + co;
              dst[k * cin4 * 4 + ci] = ci < cin ? kernel[src] : 0.0f;
            }
  return (gsize) kh * kw * cout * cin4 * 4;
}

gsize
_inc_pack_bias (const float *bias, int cout, float *dst)
{
  int cout4 = (cout + 3) / 4;

  if (dst != NULL)
    for (int co = 0; co < cout4 * 4; co++)
      dst[co] = co < cout ? bias[co] : 0.0f;
  return (gsize) cout4 * 4;
}
