/* step.c: see step.h.  The shaders are compute/shaders/step_*.comp; their
 * parameter blocks are mirrored here field for field, each ending with
 * groups_x (set by _inc_dispatch). */
#include "compute/step.h"

#define LANES 64
#define PARTIALS 64          /* workgroups of a reduction, floats per slot */
/* The scratch buffer, in floats: a slot of partial sums per pyramid level
 * (std uses two), a factor per level, then the mask. */
#define FACTORS_AT (INC_STEP_MAX_LEVELS * PARTIALS)
#define MASK_AT (FACTORS_AT + INC_STEP_MAX_LEVELS)

typedef struct {
  gint32 row_len, wrap_h, wrap_len, wrap_y0, wrap_x0;
  gint32 dense_off, dense_stride, scatter;
  float  scale;
  gint32 groups_x;
} CopyParams;
#define COPY_PER_LANE 4

typedef struct {
  gint32 n, chunk, mode, out_off, mean_at;
  gint32 groups_x;
} ReduceParams;
enum { REDUCE_SUM, REDUCE_ABS, REDUCE_SQUARE, REDUCE_SQUARED_DEVIATION };

typedef struct {
  gint32 partials_off;
  float  n;
  gint32 mode, out_at;
  gint32 groups_x;
} FactorParams;
enum { FACTOR_MEAN, FACTOR_STD, FACTOR_MEAN_ABS, FACTOR_RMS };

typedef struct {
  gint32 n, factor_at, mask_off;
  float  step;
  gint32 clip;
  gint32 groups_x;
} UpdateParams;
#define UPDATE_PER_LANE 16

typedef struct {
  gint32 in_h, in_w, out_w, pad_y, pad_x;
  gint32 groups_x;
} DownParams;

typedef struct {
  gint32 lo_h, lo_w, out_w, pad_y, pad_x;
  float  fa_sign;
  gint32 fa_at, fb_at;
  gint32 groups_x;
} UpParams;
#define RESAMPLE_PER_LANE 2   /* pixels */

static guint32
div_up (guint64 a, guint64 b)
{
  return (guint32) ((a + b - 1) / b);
}

static int
wrap (int v, int n)
{
  v %= n;
  return v < 0 ? v + n : v;
}

/* TF 'SAME' padding before, for a 5-tap stride-2 window over n values. */
static int
same_pad (int n)
{
  int out = (n + 1) / 2;
  return MAX ((out - 1) * 2 + 5 - n, 0) / 2;
}

IncStepImage *
_inc_step_image_new (IncDevice *device, int height, int width, GError **error)
{
  IncStepImage *self = g_new0 (IncStepImage, 1);
  VkDeviceSize bytes = (VkDeviceSize) height * width * 3 * sizeof (float);

  self->device = device;
  self->height = height;
  self->width = width;
  self->n_levels = 1;
  if (!_inc_buffer_init (device, &self->image, bytes, TRUE, error) ||
      !_inc_buffer_init (device, &self->gradient, bytes, TRUE, error) ||
      !_inc_buffer_init (device, &self->scratch,
                         (MASK_AT + (VkDeviceSize) height * width) * sizeof (float),
                         TRUE, error))
    {
      _inc_step_image_free (self);
      return NULL;
    }
  return self;
}

void
_inc_step_image_free (IncStepImage *self)
{
  if (self == NULL)
    return;
  _inc_buffer_clear (self->device, &self->image);
  _inc_buffer_clear (self->device, &self->gradient);
  _inc_buffer_clear (self->device, &self->scratch);
  for (int i = 0; i < INC_STEP_MAX_LEVELS; i++)
    _inc_buffer_clear (self->device, &self->levels[i]);
  g_free (self);
}

gboolean
_inc_step_image_upload (IncStepImage *self, const float *image, const float *mask,
                        GError **error)
{
  gsize n_px = (gsize) self->height * self->width;

  self->has_mask = mask != NULL;
  return _inc_buffer_upload (self->device, &self->image, 0, image,
                             n_px * 3 * sizeof (float), error) &&
         (mask == NULL ||
          _inc_buffer_upload (self->device, &self->scratch, MASK_AT * sizeof (float),
                              mask, n_px * sizeof (float), error));
}

gboolean
_inc_step_image_download (IncStepImage *self, float *image, GError **error)
{
  return _inc_buffer_download (self->device, &self->image, 0, image,
                               (gsize) self->height * self->width * 3 * sizeof (float),
                               error);
}

static void
record_copy (IncStepImage *self, const IncBuffer *src, const IncBuffer *dst,
             CopyParams *p, int rows)
{
  _inc_device_label (self->device, "dream tiles", NULL, 0.0);
  _inc_dispatch (self->device, INC_PIPELINE_STEP_COPY,
                 &(IncBindings) { .src = src, .dst = dst }, p, sizeof *p,
                 div_up (p->row_len, LANES * COPY_PER_LANE), rows);
}

void
_inc_step_record_gather (IncStepImage *self, const IncTile *tile, int shift_x,
                         int shift_y, const IncBuffer *input)
{
  CopyParams p = {
    .row_len = tile->width * 3,
    .wrap_h = self->height, .wrap_len = self->width * 3,
    .wrap_y0 = wrap (tile->y - shift_y, self->height),
    .wrap_x0 = wrap (tile->x - shift_x, self->width) * 3,
    .dense_off = 0, .dense_stride = tile->width * 3,
    .scatter = 0, .scale = 1.0f,
  };
  record_copy (self, &self->image, input, &p, tile->height);
}

void
_inc_step_record_scatter (IncStepImage *self, const IncTile *tile, int shift_x,
                          int shift_y, const IncBuffer *gradient, float share)
{
  CopyParams p = {
    .row_len = tile->core_width * 3,
    .wrap_h = self->height, .wrap_len = self->width * 3,
    .wrap_y0 = wrap (tile->core_y - shift_y, self->height),
    .wrap_x0 = wrap (tile->core_x - shift_x, self->width) * 3,
    .dense_off = ((tile->core_y - tile->y) * tile->width + (tile->core_x - tile->x)) * 3,
    .dense_stride = tile->width * 3,
    .scatter = 1, .scale = share,
  };
  record_copy (self, gradient, &self->gradient, &p, tile->core_height);
}

/* Sum of f(x) over n floats of src into partial slot `slot`, then the
 * factor made from it at FACTORS_AT + out. */
static void
record_reduction (IncStepImage *self, const IncBuffer *src, gsize n, int mode,
                  int slot, int mean_at, int factor_mode, int out)
{
  IncDevice *device = self->device;
  ReduceParams r = {
    .n = (gint32) n, .chunk = (gint32) div_up (n, PARTIALS), .mode = mode,
    .out_off = slot * PARTIALS, .mean_at = mean_at,
  };
  FactorParams f = {
    .partials_off = slot * PARTIALS, .n = (float) n, .mode = factor_mode,
    .out_at = FACTORS_AT + out,
  };

  _inc_device_label (device, "gradient sum", NULL, 0.0);
  _inc_dispatch (device, INC_PIPELINE_STEP_REDUCE,
                 &(IncBindings) { .src = src, .aux = &self->scratch, .aux_out = &self->scratch },
                 &r, sizeof r, PARTIALS, 1);
  _inc_device_barrier (device);
  _inc_device_label (device, "gradient factor", NULL, 0.0);
  _inc_dispatch (device, INC_PIPELINE_STEP_FACTOR,
                 &(IncBindings) { .aux = &self->scratch, .aux_out = &self->scratch },
                 &f, sizeof f, 1, 1);
  _inc_device_barrier (device);
}

static void
record_down (IncStepImage *self, const IncBuffer *in, int in_h, int in_w,
             const IncBuffer *out, int out_h, int out_w)
{
  DownParams p = {
    .in_h = in_h, .in_w = in_w, .out_w = out_w,
    .pad_y = same_pad (in_h), .pad_x = same_pad (in_w),
  };
  _inc_device_label (self->device, "pyramid down", NULL, 0.0);
  _inc_dispatch (self->device, INC_PIPELINE_STEP_DOWN,
                 &(IncBindings) { .src = in, .dst = out }, &p, sizeof p,
                 div_up (out_w, LANES * RESAMPLE_PER_LANE), out_h);
  _inc_device_barrier (self->device);
}

/* out = fa_sign * factor(fa_at) * up(lo) + factor(fb_at) * out. */
static void
record_up (IncStepImage *self, const IncBuffer *lo, int lo_h, int lo_w,
           const IncBuffer *out, int out_h, int out_w, float fa_sign, int fa_at,
           int fb_at)
{
  UpParams p = {
    .lo_h = lo_h, .lo_w = lo_w, .out_w = out_w,
    .pad_y = same_pad (out_h), .pad_x = same_pad (out_w),
    .fa_sign = fa_sign, .fa_at = fa_at, .fb_at = fb_at,
  };
  _inc_device_label (self->device, "pyramid up", NULL, 0.0);
  _inc_dispatch (self->device, INC_PIPELINE_STEP_UP,
                 &(IncBindings) { .src = lo, .aux = &self->scratch, .dst = out }, &p, sizeof p,
                 div_up (out_w, LANES * RESAMPLE_PER_LANE), out_h);
  _inc_device_barrier (self->device);
}

static gboolean
ensure_levels (IncStepImage *self, int levels, GError **error)
{
  int h = self->height, w = self->width;

  for (int i = 1; i < levels; i++)
    {
      h = (h + 1) / 2;
      w = (w + 1) / 2;
      if (i < self->n_levels)
        continue;
      if (!_inc_buffer_init (self->device, &self->levels[i - 1],
                             (VkDeviceSize) h * w * 3 * sizeof (float), TRUE, error))
        return FALSE;
      self->n_levels = i + 1;
    }
  return TRUE;
}

/* Seed 004's lap_normalize: split into bands in place (level i keeps its
 * high band, the last level the low band), divide each by its RMS, and
 * merge back into level 0; returns where the factor for the update is. */
static int
record_laplacian (IncStepImage *self, int levels)
{
  int hs[INC_STEP_MAX_LEVELS], ws[INC_STEP_MAX_LEVELS];
  const IncBuffer *buf[INC_STEP_MAX_LEVELS];

  hs[0] = self->height;
  ws[0] = self->width;
  buf[0] = &self->gradient;
  for (int i = 1; i < levels; i++)
    {
      hs[i] = (hs[i - 1] + 1) / 2;
      ws[i] = (ws[i - 1] + 1) / 2;
      buf[i] = &self->levels[i - 1];
    }
  for (int i = 0; i + 1 < levels; i++)
    {
      record_down (self, buf[i], hs[i], ws[i], buf[i + 1], hs[i + 1], ws[i + 1]);
      record_up (self, buf[i + 1], hs[i + 1], ws[i + 1], buf[i], hs[i], ws[i],
                 -1.0f, -1, -1);
    }
  for (int i = 0; i < levels; i++)
    record_reduction (self, buf[i], (gsize) hs[i] * ws[i] * 3, REDUCE_SQUARE, i, 0,
                      FACTOR_RMS, i);
  if (levels == 1)
    return FACTORS_AT;
  for (int i = levels - 2; i >= 0; i--)
    record_up (self, buf[i + 1], hs[i + 1], ws[i + 1], buf[i], hs[i], ws[i], 1.0f,
               i + 1 == levels - 1 ? FACTORS_AT + i + 1 : -1, FACTORS_AT + i);
  return -1;
}

gboolean
_inc_step_apply (IncStepImage *self, IncNormKind norm, int levels, float step_size,
                 gboolean clip, GError **error)
{
  IncDevice *device = self->device;
  gsize n = (gsize) self->height * self->width * 3;
  int factor_at = -1;

  levels = CLAMP (levels, 1, INC_STEP_MAX_LEVELS);
  if (norm == INC_NORM_LAPLACIAN && !ensure_levels (self, levels, error))
    return FALSE;
  if (!_inc_device_begin (device, error))
    return FALSE;
  switch (norm)
    {
    case INC_NORM_STD:
      record_reduction (self, &self->gradient, n, REDUCE_SUM, 0, 0, FACTOR_MEAN, 0);
      record_reduction (self, &self->gradient, n, REDUCE_SQUARED_DEVIATION, 1,
                        FACTORS_AT, FACTOR_STD, 1);
      factor_at = FACTORS_AT + 1;
      break;
    case INC_NORM_MEAN_ABS:
      record_reduction (self, &self->gradient, n, REDUCE_ABS, 0, 0, FACTOR_MEAN_ABS, 0);
      factor_at = FACTORS_AT;
      break;
    case INC_NORM_LAPLACIAN:
      factor_at = record_laplacian (self, levels);
      break;
    }
  UpdateParams u = {
    .n = (gint32) n, .factor_at = factor_at,
    .mask_off = self->has_mask ? MASK_AT : -1,
    .step = step_size, .clip = clip ? 1 : 0,
  };
  _inc_device_label (device, "dream update", NULL, 0.0);
  _inc_dispatch (device, INC_PIPELINE_STEP_UPDATE,
                 &(IncBindings) { .src = &self->gradient, .aux = &self->scratch,
                                  .dst = &self->image },
                 &u, sizeof u, div_up (n, LANES * UPDATE_PER_LANE), 1);
  return _inc_device_submit (device, error);
}
