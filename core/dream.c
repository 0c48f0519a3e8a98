/* dream.c: the dream scheduler (see dream.h): octaves in the TF, Keras and
 * classic styles, renders from noise, tiled and jittered gradient steps,
 * normalisation, masks, guides and early stop. */
#include "core/dream.h"
#include "core/dream-tiles.h"
#include "core/gradnorm.h"
#include "core/octaves.h"
#include "core/tiler.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK (inc-dream-error-quark, inc_dream_error)

/* Octave images up to this many pixels are kept on the gradient source's
 * device between steps (when it can); larger ones stay on the host. */
#define DEVICE_IMAGE_MAX_PIXELS (2048 * 2048)
/* Guide images are matched at about the octave's area, but never larger
 * than this (or the tile) on their long side, to bound their features. */
#define GUIDE_MAX_SIDE 512
/* Guide files are scaled down to this on loading. */
#define GUIDE_LOAD_MAX_DIM 2048

struct _IncDream {
  IncRecipe         *recipe;
  IncImage          *source;
  IncImage          *mask;         /* NULL: dream everywhere */
  IncImage          *guide;        /* NULL: no guide */
  IncGradientSource *gradients;
  GCancellable      *cancellable;
  GRand             *rand;

  int                min_side;     /* of the deepest layer */
  GArray            *plan;         /* IncSize per octave */
  gboolean           objective_dirty;

  int                octave;       /* index in plan; -1 before the first */
  gboolean           in_octave;
  int                step;         /* steps done in this octave */
  gboolean           stopped;      /* max-loss reached in this octave */
  gboolean           finished;
  IncSize            size;         /* of img */
  IncSize            prev_size;    /* of the previous octave (Keras) */
  IncImage          *img;
  IncImage          *octave_mask;

  IncObjective       objective;
  double             loss;
  int                total_done;

  /* With a source that steps on its device, img lives there between
   * steps: host_stale means the device holds newer pixels than img,
   * device_stale that img (or octave_mask) changed on the host. */
  gboolean           on_device;
  gboolean           host_stale;
  gboolean           device_stale;
  gboolean           uploaded;
};

/* Objective */

static void
clear_objective (IncObjective *o)
{
  for (guint i = 0; i < o->n_terms; i++)
    {
      g_free (o->terms[i].layer);
      g_free (o->terms[i].guide);
    }
  g_clear_pointer (&o->terms, g_free);
  o->n_terms = 0;
}

/* The layers' min_input_side, or an error naming an unknown layer. */
static gboolean
check_layers (IncGradientSource *gradients, const IncRecipe *recipe,
              int *min_side, GError **error)
{
  int m = 1;
  for (guint i = 0; i < recipe->n_layers; i++)
    {
      int s = gradients->min_input_side (gradients, recipe->layers[i].name);
      if (s < 0)
        {
          g_set_error (error, INC_DREAM_ERROR, INC_DREAM_ERROR_UNKNOWN_LAYER,
                       "unknown layer '%s'", recipe->layers[i].name);
          return FALSE;
        }
      m = MAX (m, s);
    }
  *min_side = m;
  return TRUE;
}

static IncImage *
guide_at (IncDream *d, IncSize size)
{
  double area = (double) size.width * size.height;
  double g_area = (double) d->guide->width * d->guide->height;
  double f = sqrt (area / g_area);
  int cap = d->recipe->tile > 0 ? MIN (d->recipe->tile, GUIDE_MAX_SIDE) : GUIDE_MAX_SIDE;
  int longest = MAX (d->guide->width, d->guide->height);

  if (f * longest > cap)
    f = (double) cap / longest;
  IncSize s = { MAX ((int) lround (d->guide->width * f), 1),
                MAX ((int) lround (d->guide->height * f), 1) };
  s = inc_octave_clamp (s, d->min_side);
  return inc_image_resize (d->guide, s.width, s.height);
}

/* Builds the objective from the recipe; with a guide, each term carries
 * the guide's features at its layer, at a size like the octave's. */
static gboolean
build_objective (IncDream *d, GError **error)
{
  const IncRecipe *r = d->recipe;
  IncObjective *o = &d->objective;
  g_autoptr (IncImage) guide = NULL;

  clear_objective (o);
  o->kind = d->guide ? INC_OBJECTIVE_GUIDE : r->objective;
  o->border = r->border;
  o->terms = g_new0 (IncLayerTerm, r->n_layers);
  o->n_terms = r->n_layers;
  for (guint i = 0; i < r->n_layers; i++)
    {
      o->terms[i].layer = g_strdup (r->layers[i].name);
      o->terms[i].weight = r->layers[i].weight;
      o->terms[i].channel = r->layers[i].channel;
    }
  if (d->guide != NULL)
    {
      guide = guide_at (d, d->size);
      for (guint i = 0; i < o->n_terms; i++)
        {
          int n = 0, c = 0;
          o->terms[i].guide = d->gradients->features (d->gradients, o->terms[i].layer,
                                                      guide->data, guide->height,
                                                      guide->width, &n, &c, error);
          if (o->terms[i].guide == NULL)
            return FALSE;
          o->terms[i].n_guide = n;
        }
    }
  d->objective_dirty = FALSE;
  return TRUE;
}

/* The device copy */

static gboolean
source_steps_on_device (IncGradientSource *s)
{
  return s->upload_image != NULL && s->device_step != NULL &&
         s->download_image != NULL && s->release_image != NULL;
}

/* Brings img up to date before the host reads or changes it. */
static gboolean
sync_host (IncDream *d, GError **error)
{
  if (!d->host_stale)
    return TRUE;
  if (!d->gradients->download_image (d->gradients, d, d->img->data, error))
    return FALSE;
  d->host_stale = FALSE;
  return TRUE;
}

/* Octaves */

static void
replan (IncDream *d)
{
  g_clear_pointer (&d->plan, g_array_unref);
  d->plan = inc_octave_plan (d->recipe, d->source->width, d->source->height,
                             d->min_side);
}

static IncSize
plan_at (IncDream *d, int k)
{
  return g_array_index (d->plan, IncSize, k);
}

static IncImage *
resize_to (const IncImage *image, IncSize size)
{
  return inc_image_resize (image, size.width, size.height);
}

/* Seed 004's detail pyramid: level n-1 is the source, each lower level the
 * one above resized down; returns level k (and level k - 1 in *below). */
static IncImage *
classic_level (IncDream *d, int k, IncImage **below)
{
  int top = (int) d->plan->len - 1;
  IncImage *level = resize_to (d->source, plan_at (d, top));

  for (int j = top - 1; j >= k; j--)
    {
      IncImage *next = resize_to (level, plan_at (d, j));
      inc_image_free (level);
      level = next;
    }
  if (below != NULL)
    *below = k > 0 ? resize_to (level, plan_at (d, k - 1)) : NULL;
  return level;
}

static IncImage *
noise_image (IncDream *d, IncSize size)
{
  /* np.random.uniform(size=...) + 100.0 on the [0, 255] scale. */
  IncImage *img = inc_image_new (size.width, size.height, 3);
  gsize n = (gsize) size.width * size.height * 3;
  for (gsize i = 0; i < n; i++)
    img->data[i] = (float) ((g_rand_double (d->rand) + 100.0) / 127.5 - 1.0);
  return img;
}

static void
add_into (IncImage *dst, const IncImage *a, const IncImage *b, float sign)
{
  gsize n = (gsize) dst->width * dst->height * dst->channels;
  for (gsize i = 0; i < n; i++)
    dst->data[i] += a->data[i] + sign * b->data[i];
}

static gboolean
begin_octave (IncDream *d, GError **error)
{
  int k = d->octave + 1;
  if (k >= (int) d->plan->len)
    {
      d->finished = TRUE;
      return TRUE;
    }

  IncSize size = plan_at (d, k);
  const IncRecipe *r = d->recipe;
  IncImage *next = NULL;

  if (!sync_host (d, error))
    return FALSE;

  if (r->start == INC_START_NOISE)
    next = d->img ? resize_to (d->img, size) : noise_image (d, size);
  else if (r->octave_style == INC_OCTAVE_CLASSIC)
    {
      IncImage *below = NULL;
      g_autoptr (IncImage) level = classic_level (d, k, &below);
      g_autoptr (IncImage) lo = below;

      if (d->img == NULL)
        next = g_steal_pointer (&level);
      else
        {
          /* img = resize(img, hi.shape) + hi, hi = level - resize(lo). */
          g_autoptr (IncImage) lo_up = resize_to (lo, size);
          next = resize_to (d->img, size);
          add_into (next, level, lo_up, -1.0f);
        }
    }
  else
    next = resize_to (d->img ? d->img : d->source, size);

  g_clear_pointer (&d->img, inc_image_free);
  d->img = next;
  d->device_stale = TRUE;
  d->prev_size = d->octave >= 0 ? d->size : size;
  d->size = size;
  d->octave = k;
  d->step = 0;
  d->stopped = FALSE;
  d->in_octave = TRUE;
  g_clear_pointer (&d->octave_mask, inc_image_free);
  if (d->mask != NULL)
    d->octave_mask = resize_to (d->mask, size);
  /* Guide features follow the octave's size. */
  if (d->guide != NULL)
    d->objective_dirty = TRUE;
  return TRUE;
}

static gboolean
end_octave (IncDream *d, GError **error)
{
  const IncRecipe *r = d->recipe;

  if (r->start == INC_START_PHOTO && r->octave_style == INC_OCTAVE_KERAS &&
      d->octave > 0)
    {
      if (!sync_host (d, error))
        return FALSE;
      d->device_stale = TRUE;
      /* Seed 001: lost_detail = same_size_original -
       * resize(shrunk_original (previous shape), shape). */
      g_autoptr (IncImage) same = resize_to (d->source, d->size);
      g_autoptr (IncImage) shrunk = resize_to (d->source, d->prev_size);
      g_autoptr (IncImage) up = resize_to (shrunk, d->size);
      add_into (d->img, same, up, -1.0f);
    }
  d->in_octave = FALSE;
  if (d->octave + 1 >= (int) d->plan->len)
    d->finished = TRUE;
  return TRUE;
}

/* Steps */

/* Counts a measured step; TRUE when its value is past max_loss, where
 * (seed 001) the octave ends without applying the step. */
static gboolean
count_step (IncDream *d, double value)
{
  const IncRecipe *r = d->recipe;

  d->loss = value;
  d->step++;
  d->total_done++;
  if (r->max_loss > 0.0 && value > r->max_loss)
    d->stopped = TRUE;
  return d->stopped;
}

/* The same step as below, but the image, the gradient and the update stay
 * on the source's device.  A guided objective still goes through the host
 * once per tile: its seed is matched to the guide features there (in the
 * source's backward pass), as in the host path. */
static gboolean
device_step (IncDream *d, int sx, int sy, GError **error)
{
  const IncRecipe *r = d->recipe;
  IncGradientSource *s = d->gradients;
  double value = 0.0;
  gboolean applied = FALSE;

  if (d->device_stale)
    {
      if (!s->upload_image (s, d, d->img->data, d->size.height, d->size.width,
                            d->octave_mask ? d->octave_mask->data : NULL, error))
        return FALSE;
      d->uploaded = TRUE;
      d->device_stale = FALSE;
      d->host_stale = FALSE;
    }
  IncStepParams params = {
    .tile = r->tile, .halo = INC_DREAM_TILE_HALO, .min_side = d->min_side,
    .shift_x = sx, .shift_y = sy, .norm = r->norm,
    .laplacian_levels = r->laplacian_levels, .step_size = (float) r->step_size,
    .clip = r->clip, .max_loss = r->max_loss,
  };
  if (!s->device_step (s, d, &d->objective, &params, &value, &applied,
                       d->cancellable, error))
    return FALSE;

  count_step (d, value);
  if (applied)
    d->host_stale = TRUE;
  return TRUE;
}

static gboolean
gradient_step (IncDream *d, GError **error)
{
  const IncRecipe *r = d->recipe;
  int sx = 0, sy = 0;

  /* A deeper layer chosen mid-octave: grow the image so it still fits. */
  IncSize fit = inc_octave_clamp (d->size, d->min_side);
  if (fit.width != d->size.width || fit.height != d->size.height)
    {
      if (!sync_host (d, error))
        return FALSE;
      d->device_stale = TRUE;
      IncImage *big = resize_to (d->img, fit);
      inc_image_free (d->img);
      d->img = big;
      d->size = fit;
      if (d->mask != NULL)
        {
          inc_image_free (d->octave_mask);
          d->octave_mask = resize_to (d->mask, fit);
        }
      d->objective_dirty = TRUE;
    }
  if (d->objective_dirty && !build_objective (d, error))
    return FALSE;

  /* google/deepdream's jitter, then seed 000's roll before tiling. */
  if (r->jitter > 0)
    {
      sx += g_rand_int_range (d->rand, -r->jitter, r->jitter + 1);
      sy += g_rand_int_range (d->rand, -r->jitter, r->jitter + 1);
    }
  if (r->tile > 0)
    {
      sx += g_rand_int_range (d->rand, -r->tile, r->tile);
      sy += g_rand_int_range (d->rand, -r->tile, r->tile);
    }

  /* Large images (print-size exports) stay on the host and send only
   * their tiles through the device, whose memory then stays flat however
   * large the image; kept there, a 4096 x 2728 export took 1.5 GiB of
   * device memory instead of 1.0. */
  if (d->on_device && (gint64) d->size.width * d->size.height <= DEVICE_IMAGE_MAX_PIXELS)
    return device_step (d, sx, sy, error);
  if (!sync_host (d, error))
    return FALSE;
  d->device_stale = TRUE;

  g_autoptr (IncImage) grad = inc_image_new (d->size.width, d->size.height, 3);
  double value = 0.0;
  if (!inc_dream_tiled_gradient (d->gradients, &d->objective, d->img, r->tile,
                                 INC_DREAM_TILE_HALO, d->min_side, sx, sy, grad,
                                 &value, d->cancellable, error))
    return FALSE;

  if (count_step (d, value))
    return TRUE;

  inc_gradient_normalize (grad, r->norm, r->laplacian_levels);

  gsize n_px = (gsize) d->size.width * d->size.height;
  float step = (float) r->step_size;
  float *img = d->img->data;
  const float *g = grad->data;
  const float *m = d->octave_mask ? d->octave_mask->data : NULL;
  for (gsize p = 0; p < n_px; p++)
    {
      float s = m ? step * m[p] : step;
      for (int c = 0; c < 3; c++)
        {
          float v = img[p * 3 + c] + s * g[p * 3 + c];
          if (r->clip)
            v = CLAMP (v, -1.0f, 1.0f);
          img[p * 3 + c] = v;
        }
    }
  return TRUE;
}

gboolean
inc_dream_step (IncDream  *dream,
                gboolean  *finished,
                GError   **error)
{
  g_return_val_if_fail (dream != NULL, FALSE);

  gboolean stepped = FALSE;
  while (!dream->finished)
    {
      if (!dream->in_octave)
        {
          if (!begin_octave (dream, error))
            return FALSE;
          continue;
        }
      /* Close an octave as soon as its last step is done. */
      if (dream->stopped || dream->step >= dream->recipe->steps)
        {
          if (!end_octave (dream, error))
            return FALSE;
          if (stepped)
            break;
          continue;
        }
      if (stepped)
        break;
      if (!gradient_step (dream, error))
        return FALSE;
      stepped = TRUE;
    }
  if (finished != NULL)
    *finished = dream->finished;
  return TRUE;
}

gboolean
inc_dream_prepare (IncDream *dream, GError **error)
{
  g_return_val_if_fail (dream != NULL, FALSE);

  IncGradientSource *s = dream->gradients;
  const IncRecipe *r = dream->recipe;
  int next = dream->in_octave ? dream->octave : dream->octave + 1;

  if (s->prepare == NULL || dream->finished || next >= (int) dream->plan->len)
    return TRUE;

  /* The sizes gradient_step will use: the octave's, grown to fit the
   * layers, cut into the same tiles (the roll moves pixels, not tiles). */
  IncSize size = inc_octave_clamp (dream->in_octave ? dream->size : plan_at (dream, next),
                                   dream->min_side);
  IncTileNeeds needs = { INC_DREAM_TILE_HALO, dream->min_side };
  g_autoptr (GArray) tiles = inc_tiler_plan (size.width, size.height, r->tile, &needs);
  g_autofree const char **layers = g_new0 (const char *, r->n_layers + 1);
  guint n = 0;

  for (guint i = 0; i < r->n_layers; i++)
    if (!g_strv_contains ((const char *const *) layers, r->layers[i].name))
      layers[n++] = r->layers[i].name;
  for (guint t = 0; t < tiles->len; t++)
    {
      const IncTile *tl = &g_array_index (tiles, IncTile, t);
      gboolean seen = FALSE;

      for (guint u = 0; u < t && !seen; u++)
        {
          const IncTile *earlier = &g_array_index (tiles, IncTile, u);
          seen = earlier->width == tl->width && earlier->height == tl->height;
        }
      if (!seen && !s->prepare (s, layers, tl->height, tl->width, error))
        return FALSE;
    }
  return TRUE;
}

/* Public API */

IncDream *
inc_dream_new (const IncRecipe    *recipe,
               const IncImage     *source,
               const IncImage     *mask,
               IncGradientSource  *gradients,
               GError            **error)
{
  g_return_val_if_fail (recipe != NULL && source != NULL && gradients != NULL, NULL);

  if (!inc_recipe_validate (recipe, error))
    return NULL;
  if (source->channels != 3 || source->width <= 0 || source->height <= 0)
    {
      g_set_error (error, INC_DREAM_ERROR, INC_DREAM_ERROR_INVALID,
                   "the source must be a non-empty RGB image");
      return NULL;
    }
  if (mask != NULL && (mask->channels != 1 || mask->width != source->width ||
                       mask->height != source->height))
    {
      g_set_error (error, INC_DREAM_ERROR, INC_DREAM_ERROR_INVALID,
                   "the mask must be one channel of the source's size (%dx%d)",
                   source->width, source->height);
      return NULL;
    }

  int min_side;
  if (!check_layers (gradients, recipe, &min_side, error))
    return NULL;

  g_autoptr (IncImage) guide = NULL;
  if (recipe->guide != NULL)
    {
      guide = inc_image_load (recipe->guide, GUIDE_LOAD_MAX_DIM, error);
      if (guide == NULL)
        return NULL;
    }

  IncDream *d = g_new0 (IncDream, 1);
  d->recipe = inc_recipe_copy (recipe);
  d->source = inc_image_copy (source);
  d->mask = mask ? inc_image_copy (mask) : NULL;
  d->guide = g_steal_pointer (&guide);
  d->gradients = gradients;
  d->rand = g_rand_new_with_seed (recipe->seed);
  d->min_side = min_side;
  d->octave = -1;
  d->loss = NAN;
  d->objective_dirty = TRUE;
  d->on_device = source_steps_on_device (gradients);
  d->device_stale = TRUE;
  replan (d);
  return d;
}

static gboolean
octave_settings_differ (const IncRecipe *a, const IncRecipe *b)
{
  return a->octaves != b->octaves || a->octave_scale != b->octave_scale ||
         a->octave_start != b->octave_start || a->octave_style != b->octave_style ||
         a->noise_render != b->noise_render;
}

void
inc_dream_set_recipe (IncDream        *dream,
                      const IncRecipe *recipe)
{
  g_return_if_fail (dream != NULL && recipe != NULL);

  g_autoptr (GError) error = NULL;
  int min_side;

  if (!inc_recipe_validate (recipe, &error) ||
      !check_layers (dream->gradients, recipe, &min_side, &error))
    {
      g_warning ("Recipe not applied: %s", error->message);
      return;
    }

  IncRecipe *next = inc_recipe_copy (recipe);
  /* Fixed for the life of the dream. */
  next->seed = dream->recipe->seed;
  next->start = dream->recipe->start;
  g_free (next->guide);
  next->guide = g_strdup (dream->recipe->guide);

  gboolean replan_needed = octave_settings_differ (dream->recipe, next) ||
                           min_side != dream->min_side;
  dream->min_side = min_side;
  inc_recipe_free (dream->recipe);
  dream->recipe = next;
  /* The octave in progress keeps its size; the new plan takes over from
   * the next one. */
  if (replan_needed)
    replan (dream);
  dream->objective_dirty = TRUE;
  /* Fewer steps or octaves may leave nothing to do. */
  if (dream->in_octave && !dream->finished && dream->step >= next->steps)
    {
      if (!end_octave (dream, &error))
        g_warning ("Could not end the octave: %s", error->message);
    }
  else if (!dream->in_octave && dream->octave + 1 >= (int) dream->plan->len &&
           dream->octave >= 0)
    dream->finished = TRUE;
}

void
inc_dream_set_cancellable (IncDream     *dream,
                           GCancellable *cancellable)
{
  g_return_if_fail (dream != NULL);
  g_set_object (&dream->cancellable, cancellable);
}

void
inc_dream_set_guide (IncDream       *dream,
                     const IncImage *guide)
{
  g_return_if_fail (dream != NULL);
  g_return_if_fail (guide == NULL || guide->channels == 3);

  g_clear_pointer (&dream->guide, inc_image_free);
  if (guide != NULL)
    dream->guide = inc_image_copy (guide);
  dream->objective_dirty = TRUE;
}

void
inc_dream_get_progress (IncDream         *dream,
                        IncDreamProgress *out)
{
  g_return_if_fail (dream != NULL && out != NULL);

  int n_oct = (int) dream->plan->len;
  int steps = dream->recipe->steps;
  int remaining = 0;

  if (!dream->finished)
    {
      if (dream->in_octave && !dream->stopped)
        remaining += MAX (steps - dream->step, 0);
      remaining += MAX (n_oct - (dream->octave + 1), 0) * steps;
    }
  *out = (IncDreamProgress) {
    .octave = dream->octave + 1,
    .n_octaves = n_oct,
    .step = dream->step,
    .n_steps = steps,
    .loss = dream->loss,
    .total_done = dream->total_done,
    .total_planned = dream->total_done + remaining,
    .width = dream->img ? dream->size.width : 0,
    .height = dream->img ? dream->size.height : 0,
  };
}

IncImage *
inc_dream_render (IncDream *dream)
{
  g_return_val_if_fail (dream != NULL, NULL);

  const IncImage *src = dream->source;
  IncImage *out;

  if (dream->img == NULL)
    return inc_image_copy (src);
  g_autoptr (GError) error = NULL;
  if (!sync_host (dream, &error))
    g_warning ("The dream's image could not be read back: %s", error->message);
  out = inc_image_resize (dream->img, src->width, src->height);
  if (dream->mask != NULL)
    {
      gsize n_px = (gsize) src->width * src->height;
      for (gsize p = 0; p < n_px; p++)
        {
          float m = dream->mask->data[p];
          for (int c = 0; c < 3; c++)
            {
              gsize i = p * 3 + c;
              /* Where the mask is 0 the source comes back bit for bit. */
              out->data[i] = m <= 0.0f ? src->data[i]
                           : m * out->data[i] + (1.0f - m) * src->data[i];
            }
        }
    }
  return out;
}

void
inc_dream_free (IncDream *dream)
{
  if (dream == NULL)
    return;
  if (dream->uploaded)
    dream->gradients->release_image (dream->gradients, dream);
  clear_objective (&dream->objective);
  inc_recipe_free (dream->recipe);
  inc_image_free (dream->source);
  inc_image_free (dream->mask);
  inc_image_free (dream->guide);
  inc_image_free (dream->img);
  inc_image_free (dream->octave_mask);
  g_clear_object (&dream->cancellable);
  g_rand_free (dream->rand);
  g_clear_pointer (&dream->plan, g_array_unref);
  g_free (dream);
}

IncImage *
inc_dream_run (const IncRecipe      *recipe,
               const IncImage       *source,
               const IncImage       *mask,
               IncGradientSource    *gradients,
               GCancellable         *cancellable,
               IncDreamProgressFunc  progress,
               gpointer              user_data,
               GError              **error)
{
  g_autoptr (IncDream) dream = inc_dream_new (recipe, source, mask, gradients, error);
  gboolean finished = FALSE;

  if (dream == NULL)
    return NULL;
  inc_dream_set_cancellable (dream, cancellable);
  while (!finished)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      if (!inc_dream_step (dream, &finished, error))
        return NULL;
      if (progress != NULL)
        {
          IncDreamProgress p;
          inc_dream_get_progress (dream, &p);
          progress (&p, user_data);
        }
    }
  return inc_dream_render (dream);
}
