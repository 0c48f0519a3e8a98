/* test-device-step.c: the dream step kept on the device (compute/step.c,
 * the engine source's device_step) against the host path.
 *
 * The step shaders alone (roll and tile copies, std / mean-abs / Laplacian
 * normalisation, masked and clipped update) are checked against
 * core/gradnorm.c and core/dream.c's update on awkward sizes; whole dreams
 * with the real model are run twice, on the device and through the host
 * (the same engine behind a source without the device methods), with the
 * same recipe and seed, and must agree.  Needs the default model for the
 * second part; skipped without it unless INCEPTIONIST_REQUIRE_MODEL=1. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compute/dream-gradient.h"
#include "compute/pass-private.h"
#include "compute/step.h"
#include "core/dream.h"
#include "core/dream-tiles.h"
#include "core/gradnorm.h"
#include "core/model.h"
#include "compute-support.h"

/* Helpers */

static float
noise (guint32 *state)
{
  *state = *state * 1664525u + 1013904223u;
  return (float) ((*state >> 8) / 16777216.0 * 2.0 - 1.0);
}

static IncImage *
random_image (int width, int height, int channels, guint32 seed)
{
  IncImage *img = inc_image_new (width, height, channels);
  gsize n = (gsize) width * height * channels;
  for (gsize i = 0; i < n; i++)
    img->data[i] = noise (&seed);
  return img;
}

/* A smooth picture with some texture, in [-0.9, 0.9]. */
static IncImage *
test_photo (int width, int height)
{
  IncImage *img = inc_image_new (width, height, 3);
  guint32 seed = 7;
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      for (int c = 0; c < 3; c++)
        img->data[((gsize) y * width + x) * 3 + c] =
          0.6f * sinf (0.07f * x + 0.11f * y + c) + 0.3f * noise (&seed);
  return img;
}

/* Largest |a - b| over the largest |ref|. */
static double
relative_error (const float *a, const float *b, const float *ref, gsize n)
{
  double diff = 0.0, scale = 0.0;
  for (gsize i = 0; i < n; i++)
    {
      diff = MAX (diff, fabs ((double) a[i] - b[i]));
      scale = MAX (scale, fabs ((double) ref[i]));
    }
  return scale > 0.0 ? diff / scale : diff;
}

/* core/dream.c's update. */
static void
host_update (IncImage *img, const IncImage *grad, const IncImage *mask, float step,
             gboolean clip)
{
  gsize n_px = (gsize) img->width * img->height;
  for (gsize p = 0; p < n_px; p++)
    {
      float s = mask ? step * mask->data[p] : step;
      for (int c = 0; c < 3; c++)
        {
          float v = img->data[p * 3 + c] + s * grad->data[p * 3 + c];
          if (clip)
            v = CLAMP (v, -1.0f, 1.0f);
          img->data[p * 3 + c] = v;
        }
    }
}

/* Half the mask 0, a quarter ramps, a quarter 1. */
static IncImage *
test_mask (int width, int height)
{
  IncImage *mask = inc_image_new (width, height, 1);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      mask->data[(gsize) y * width + x] =
        x < width / 2 ? 0.0f : MIN (1.0f, (float) (x - width / 2) / (width / 4 + 1));
  return mask;
}

static void
assert_masked_unchanged (const IncImage *after, const IncImage *before,
                         const IncImage *mask)
{
  gsize n_px = (gsize) after->width * after->height;
  gsize zeros = 0;
  for (gsize p = 0; p < n_px; p++)
    if (mask->data[p] == 0.0f)
      {
        zeros++;
        g_assert_true (memcmp (after->data + p * 3, before->data + p * 3,
                               3 * sizeof (float)) == 0);
      }
  g_assert_cmpuint (zeros, >, 0);
}

/* Part 1: the step shaders */

typedef struct {
  int         width, height;
  IncNormKind norm;
  int         levels;
  gboolean    mask;
  gboolean    clip;
} ShaderCase;

static void
test_shaders_update (gconstpointer data)
{
  const ShaderCase *tc = data;
  g_autoptr (IncDevice) device = test_open_device (FALSE);
  g_autoptr (GError) error = NULL;

  if (device == NULL)
    return;
  int w = tc->width, h = tc->height;
  gsize n = (gsize) w * h * 3;
  /* Values near the clip limits, so that clipping matters. */
  g_autoptr (IncImage) img = random_image (w, h, 3, 11);
  g_autoptr (IncImage) grad = random_image (w, h, 3, 12);
  g_autoptr (IncImage) mask = tc->mask ? test_mask (w, h) : NULL;
  for (gsize i = 0; i < n; i++)
    grad->data[i] = grad->data[i] * grad->data[i] * grad->data[i] + 0.2f;  /* mean != 0 */

  IncStepImage *s = _inc_step_image_new (device, h, w, &error);
  g_assert_no_error (error);
  g_assert_true (_inc_step_image_upload (s, img->data, mask ? mask->data : NULL, &error));
  g_assert_true (_inc_buffer_upload (device, &s->gradient, 0, grad->data,
                                     n * sizeof (float), &error));
  g_assert_true (_inc_step_apply (s, tc->norm, tc->levels, 0.3f, tc->clip, &error));
  g_assert_no_error (error);
  g_autoptr (IncImage) out = inc_image_new (w, h, 3);
  g_assert_true (_inc_step_image_download (s, out->data, &error));
  g_assert_no_error (error);

  g_autoptr (IncImage) expected = inc_image_copy (img);
  g_autoptr (IncImage) g = inc_image_copy (grad);
  inc_gradient_normalize (g, tc->norm, tc->levels);
  host_update (expected, g, mask, 0.3f, tc->clip);

  /* Compare the updates (not the images, which the update barely moves). */
  g_autofree float *d_out = g_new (float, n);
  g_autofree float *d_exp = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    {
      d_out[i] = out->data[i] - img->data[i];
      d_exp[i] = expected->data[i] - img->data[i];
    }
  double err = relative_error (d_out, d_exp, d_exp, n);
  g_test_message ("%dx%d: relative error %.3g", w, h, err);
  g_assert_cmpfloat (err, <, 1e-5);
  if (mask != NULL)
    assert_masked_unchanged (out, img, mask);
  if (tc->clip)
    for (gsize i = 0; i < n; i++)
      g_assert_cmpfloat (fabsf (out->data[i]), <=, 1.0f);
  _inc_step_image_free (s);
}

/* Rolled tiles copied in must be the host's rolled crops, bit for bit, and
 * their cores copied back (times a share) must land un-rolled. */
static void
test_shaders_tiles (void)
{
  g_autoptr (IncDevice) device = test_open_device (FALSE);
  g_autoptr (GError) error = NULL;
  const int w = 131, h = 97, sx = 23, sy = -9;

  if (device == NULL)
    return;
  g_autoptr (IncImage) img = random_image (w, h, 3, 5);
  g_autoptr (IncImage) rolled = inc_image_roll (img, sx, sy);
  IncStepImage *s = _inc_step_image_new (device, h, w, &error);
  g_assert_no_error (error);
  g_assert_true (_inc_step_image_upload (s, img->data, NULL, &error));

  IncTileNeeds needs = { 8, 20 };
  g_autoptr (GArray) tiles = inc_tiler_plan (w, h, 48, &needs);
  g_assert_cmpuint (tiles->len, >, 4);
  for (guint t = 0; t < tiles->len; t++)
    {
      const IncTile *tl = &g_array_index (tiles, IncTile, t);
      gsize tn = (gsize) tl->width * tl->height * 3;
      IncBuffer buf;
      g_autofree float *got = g_new (float, tn);

      g_assert_true (_inc_buffer_init (device, &buf, tn * sizeof (float), TRUE, &error));
      g_assert_true (_inc_device_begin (device, &error));
      _inc_step_record_gather (s, tl, sx, sy, &buf);
      _inc_device_barrier (device);
      _inc_step_record_scatter (s, tl, sx, sy, &buf, 0.5f);
      g_assert_true (_inc_device_submit (device, &error));
      g_assert_true (_inc_buffer_download (device, &buf, 0, got, tn * sizeof (float), &error));
      g_assert_no_error (error);
      for (int y = 0; y < tl->height; y++)
        g_assert_true (memcmp (got + (gsize) y * tl->width * 3,
                               rolled->data + ((gsize) (tl->y + y) * w + tl->x) * 3,
                               sizeof (float) * tl->width * 3) == 0);
      _inc_buffer_clear (device, &buf);
    }
  /* Every pixel is in exactly one core: the gradient is now img / 2. */
  g_autofree float *back = g_new (float, (gsize) w * h * 3);
  g_assert_true (_inc_buffer_download (device, &s->gradient, 0, back,
                                       sizeof (float) * w * h * 3, &error));
  for (gsize i = 0; i < (gsize) w * h * 3; i++)
    g_assert_cmpfloat (back[i], ==, img->data[i] * 0.5f);
  _inc_step_image_free (s);
}

/* Part 2: whole steps with the real model */

typedef struct {
  IncDevice         *device;
  IncNetwork        *network;
  IncGradientSource *engine;
  IncGradientSource *host;    /* the engine without the device methods */
} Engine;

typedef struct {
  IncGradientSource  parent;
  IncGradientSource *inner;
} HostOnly;

static gboolean
host_gradient (IncGradientSource *self, const IncObjective *o, const float *image,
               int h, int w, float *grad, double *value, GError **error)
{
  IncGradientSource *in = ((HostOnly *) self)->inner;
  return in->gradient (in, o, image, h, w, grad, value, error);
}

static float *
host_features (IncGradientSource *self, const char *layer, const float *image, int h,
               int w, int *n, int *c, GError **error)
{
  IncGradientSource *in = ((HostOnly *) self)->inner;
  return in->features (in, layer, image, h, w, n, c, error);
}

static int
host_min_side (IncGradientSource *self, const char *layer)
{
  IncGradientSource *in = ((HostOnly *) self)->inner;
  return in->min_input_side (in, layer);
}

static void
host_free (IncGradientSource *self)
{
  g_free (self);
}

static void
engine_clear (Engine *e)
{
  g_clear_pointer (&e->host, inc_gradient_source_free);
  g_clear_pointer (&e->engine, inc_gradient_source_free);
  g_clear_pointer (&e->network, inc_network_free);
  g_clear_pointer (&e->device, inc_device_free);
}

/* One engine for every test: loading the model and compiling the
 * pipelines is most of the cost. */
static Engine shared_engine;

static Engine *
engine_get (void)
{
  g_autofree char *path = inc_model_default_path ();
  g_autoptr (GError) error = NULL;
  Engine *e = &shared_engine;

  if (e->engine != NULL)
    return e;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      if (g_strcmp0 (g_getenv ("INCEPTIONIST_REQUIRE_MODEL"), "1") == 0)
        g_error ("no model at %s, and one is required", path);
      g_test_skip_printf ("no model at %s; run scripts/fetch-model.sh", path);
      return NULL;
    }
  e->device = test_open_device (FALSE);
  if (e->device == NULL)
    return NULL;
  g_autoptr (IncModel) model = inc_model_load (path, &error);
  g_assert_no_error (error);
  e->network = inc_network_new (e->device, model, &error);
  g_assert_no_error (error);
  e->engine = inc_engine_gradient_source_new (e->network);
  g_assert_nonnull (e->engine->device_step);
  HostOnly *h = g_new0 (HostOnly, 1);
  h->parent = (IncGradientSource) { host_gradient, host_features, host_min_side, host_free };
  h->inner = e->engine;
  e->host = &h->parent;
  return e;
}

/* Single steps through the source's own methods: from the same image,
 * the device step and the host's (inc_dream_tiled_gradient,
 * inc_gradient_normalize, core/dream.c's update) must agree closely.
 * Each step starts both from the host's image: the network is piecewise
 * linear, so the gradient jumps wherever a last-bit difference flips a
 * ReLU or a max pool's choice, and differences would not stay small. */
typedef struct {
  const char *what;
  int         tile;
  IncNormKind norm;
  gboolean    mask;
  gboolean    clip;
} StepCase;

static void
test_step_matches_host (gconstpointer data)
{
  const StepCase *tc = data;
  Engine *e = engine_get ();
  g_autoptr (GError) error = NULL;
  int owner;

  if (e == NULL)
    return;
  const int w = 150, h = 120;
  gsize n = (gsize) w * h * 3;
  g_autoptr (IncImage) photo = test_photo (w, h);
  g_autoptr (IncImage) mask = tc->mask ? test_mask (w, h) : NULL;
  IncGradientSource *s = e->engine;
  IncLayerTerm term = { (char *) "mixed3", 1.0f, -1, NULL, 0 };
  IncObjective objective = { INC_OBJECTIVE_MEAN, &term, 1, 0 };
  int min_side = s->min_input_side (s, "mixed3");
  IncStepParams params = {
    .tile = tc->tile, .halo = INC_DREAM_TILE_HALO, .min_side = min_side,
    .norm = tc->norm, .laplacian_levels = 4, .step_size = 0.05f, .clip = tc->clip,
  };
  g_autoptr (IncImage) host = inc_image_copy (photo);
  g_autoptr (IncImage) dev = inc_image_new (w, h, 3);
  g_autofree float *d_dev = g_new (float, n);
  g_autofree float *d_host = g_new (float, n);
  double worst = 0.0;

  for (int step = 0; step < 3; step++)
    {
      double v_dev = 0.0, v_host = 0.0;
      gboolean applied = FALSE;
      g_autoptr (IncImage) start = inc_image_copy (host);

      params.shift_x = 37 * step - 41;
      params.shift_y = 5 - 29 * step;
      g_assert_true (s->upload_image (s, &owner, start->data, h, w,
                                      mask ? mask->data : NULL, &error));
      g_assert_true (s->device_step (s, &owner, &objective, &params, &v_dev, &applied,
                                     NULL, &error));
      g_assert_no_error (error);
      g_assert_true (applied);
      g_assert_true (s->download_image (s, &owner, dev->data, &error));
      g_assert_no_error (error);

      g_autoptr (IncImage) g = inc_image_new (w, h, 3);
      g_assert_true (inc_dream_tiled_gradient (s, &objective, host, params.tile, params.halo,
                                               min_side, params.shift_x, params.shift_y,
                                               g, &v_host, NULL, &error));
      g_assert_no_error (error);
      inc_gradient_normalize (g, params.norm, params.laplacian_levels);
      host_update (host, g, mask, params.step_size, params.clip);

      /* The same tiles of the same pixels: the same objective. */
      g_assert_cmpfloat (fabs (v_dev - v_host), <=, 1e-9 * fabs (v_host));
      for (gsize i = 0; i < n; i++)
        {
          d_dev[i] = dev->data[i] - start->data[i];
          d_host[i] = host->data[i] - start->data[i];
        }
      worst = MAX (worst, relative_error (d_dev, d_host, d_host, n));
      if (mask != NULL)
        assert_masked_unchanged (dev, start, mask);
      if (tc->clip)
        for (gsize i = 0; i < n; i++)
          g_assert_cmpfloat (fabsf (dev->data[i]), <=, 1.0f);
    }
  s->release_image (s, &owner);
  g_test_message ("%s: worst relative error of a step %.3g", tc->what, worst);
  g_assert_cmpfloat (worst, <, 1e-5);

  /* A step with no image for the owner is an error, not a crash. */
  double v;
  gboolean applied;
  g_assert_false (s->device_step (s, &owner, &objective, &params, &v, &applied, NULL, &error));
  g_assert_error (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_INVALID);
}

/* Whole dreams: one octave at the photo's size, mixed3, 2 steps of std;
 * cases vary it. Two steps, because the two paths differ in the last bits
 * (the normalisation's sum is float on the device, double on the host), and
 * in a piecewise-linear network the second step can already flip a ReLU or
 * a max-pool choice that sits on a tie: a local difference (measured: up to
 * 0.02 at a few pixels). A third step runs the network on those different
 * pixels and spreads it over the picture (measured: 25% of the values off
 * by more than 1e-3), which says nothing about the device path. Every
 * single step is checked to 1e-5 above. */
static IncRecipe *
base_recipe (void)
{
  IncRecipe *r = inc_recipe_new ();
  inc_recipe_clear_layers (r);
  inc_recipe_add_layer (r, "mixed3", 1.0f, -1);
  r->octaves = 1;
  r->octave_start = 0;
  r->steps = 2;
  r->step_size = 0.05;
  r->tile = 0;
  r->jitter = 0;
  r->seed = 42;
  r->clip = FALSE;
  return r;
}

typedef struct {
  const char    *what;
  int            tile, jitter;
  IncNormKind    norm;
  gboolean       clip;
  gboolean       mask;
  int            octaves;        /* 0: 1 */
  IncOctaveStyle style;
  /* MEAN (0) or MEAN_SQUARE; with `guide`, a guided dream. A tile's
   * forward and backward passes share one submission except in a guided
   * dream, whose seeds the host finds between them. */
  IncObjectiveKind objective;
  gboolean       guide;
} DreamCase;

/* Runs the dream step by step; returns the render and each step's loss. */
static IncImage *
run_guided_dream (IncGradientSource *src, const IncRecipe *r, const IncImage *photo,
                  const IncImage *mask, const IncImage *guide, GArray *losses)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (IncDream) dream = inc_dream_new (r, photo, mask, src, &error);
  gboolean finished = FALSE;

  g_assert_no_error (error);
  if (guide != NULL)
    inc_dream_set_guide (dream, guide);
  while (!finished)
    {
      IncDreamProgress p;
      g_assert_true (inc_dream_step (dream, &finished, &error));
      g_assert_no_error (error);
      inc_dream_get_progress (dream, &p);
      g_array_append_val (losses, p.loss);
    }
  return inc_dream_render (dream);
}

static IncImage *
run_dream (IncGradientSource *src, const IncRecipe *r, const IncImage *photo,
           const IncImage *mask, GArray *losses)
{
  return run_guided_dream (src, r, photo, mask, NULL, losses);
}

/* The two paths' dreams: the same number of steps, losses within 1e-3,
 * and the changes they made within 1% on average (the ReLU flips of a
 * piecewise-linear network, above, leave small local differences after
 * the first step). */
static void
compare_dreams (Engine *e, const IncRecipe *r, const IncImage *photo,
                const IncImage *mask, const IncImage *guide, const char *what)
{
  g_autoptr (GArray) l_dev = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) l_host = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (IncImage) dev = run_guided_dream (e->engine, r, photo, mask, guide, l_dev);
  g_autoptr (IncImage) host = run_guided_dream (e->host, r, photo, mask, guide, l_host);
  gsize n = (gsize) photo->width * photo->height * 3;
  double diff = 0.0, moved = 0.0, worst = 0.0;

  g_assert_cmpuint (l_dev->len, ==, l_host->len);
  for (guint i = 0; i < l_dev->len; i++)
    {
      double a = g_array_index (l_dev, double, i), b = g_array_index (l_host, double, i);
      g_assert_cmpfloat (fabs (a - b), <=, 1e-3 * fabs (b));
    }
  for (gsize i = 0; i < n; i++)
    {
      double d = fabs ((double) dev->data[i] - host->data[i]);
      diff += d;
      worst = MAX (worst, d);
      moved += fabs ((double) host->data[i] - photo->data[i]);
    }
  g_test_message ("%s: %u steps, loss %g -> %g, mean change %.3g, mean difference %.3g "
                  "(largest %.3g)", what, l_host->len, g_array_index (l_host, double, 0),
                  g_array_index (l_host, double, l_host->len - 1), moved / n, diff / n, worst);
  /* The dream did something, and both did the same. */
  g_assert_cmpfloat (moved / n, >, 1e-3);
  g_assert_cmpfloat (diff, <, 1e-2 * moved);
  if (r->clip)
    for (gsize i = 0; i < n; i++)
      g_assert_cmpfloat (fabsf (dev->data[i]), <=, 1.0f);
  if (mask != NULL)
    assert_masked_unchanged (dev, photo, mask);
}

static void
test_dream_matches_host (gconstpointer data)
{
  const DreamCase *tc = data;
  Engine *e = engine_get ();

  if (e == NULL)
    return;
  g_autoptr (IncImage) photo = test_photo (150, 120);
  g_autoptr (IncImage) mask = tc->mask ? test_mask (150, 120) : NULL;
  g_autoptr (IncRecipe) r = base_recipe ();
  r->tile = tc->tile;
  r->jitter = tc->jitter;
  r->norm = tc->norm;
  r->clip = tc->clip;
  if (tc->octaves > 1)
    {
      r->octaves = tc->octaves;
      r->octave_style = tc->style;
      r->octave_scale = 1.4;
      r->steps = 1;   /* one per octave: the same two steps in all */
    }
  r->objective = tc->objective;
  r->border = tc->objective == INC_OBJECTIVE_MEAN_SQUARE ? 2 : 0;
  g_autoptr (IncImage) guide = tc->guide ? random_image (90, 70, 3, 7) : NULL;
  compare_dreams (e, r, photo, mask, guide, tc->what);
}

/* inc_dream_prepare makes the pass the next step uses (the step then
 * allocates only its image's buffers), and a prepared dream's step is bit
 * for bit the step of one that was not. A source of its own, so that no
 * other test's passes are in its cache. */
static void
test_prepare (void)
{
  Engine *e = engine_get ();
  g_autoptr (GError) error = NULL;
  gboolean finished;

  if (e == NULL)
    return;
  g_autoptr (IncGradientSource) source = inc_engine_gradient_source_new (e->network);
  g_autoptr (IncImage) photo = test_photo (141, 109);
  g_autoptr (IncRecipe) r = base_recipe ();
  r->jitter = 8;
  g_autoptr (IncDream) prepared = inc_dream_new (r, photo, NULL, source, &error);
  g_assert_no_error (error);
  g_autoptr (IncDream) plain = inc_dream_new (r, photo, NULL, source, &error);
  g_assert_no_error (error);

  guint64 before = inc_device_memory_in_use (e->device);
  g_assert_true (inc_dream_prepare (prepared, &error));
  g_assert_no_error (error);
  guint64 made = inc_device_memory_in_use (e->device) - before;
  g_assert_true (inc_dream_step (prepared, &finished, &error));
  g_assert_no_error (error);
  guint64 step_made = inc_device_memory_in_use (e->device) - before - made;
  g_test_message ("prepare: %.1f MB of passes; the step then %.1f MB more",
                  made / 1e6, step_made / 1e6);
  g_assert_cmpuint (made, >, 0);
  g_assert_cmpuint (step_made, <, made / 8);

  g_assert_true (inc_dream_step (plain, &finished, &error));
  g_assert_no_error (error);
  g_autoptr (IncImage) a = inc_dream_render (prepared);
  g_autoptr (IncImage) b = inc_dream_render (plain);
  g_assert_true (memcmp (a->data, b->data, sizeof (float) * 141 * 109 * 3) == 0);
}

/* inc_pass_prepare writes every buffer of the pass (on a CPU device the
 * host does, a share on each processor): each is zero after it, whatever
 * it held. */
static void
test_pass_prepare_clears (void)
{
  Engine *e = engine_get ();
  g_autoptr (GError) error = NULL;
  static const char *const layers[] = { "mixed3", NULL };

  if (e == NULL)
    return;
  g_autoptr (IncPass) pass = inc_pass_new (e->network, 97, 131, layers, &error);
  g_assert_no_error (error);
  g_autoptr (GPtrArray) buffers = g_ptr_array_new ();
  for (guint i = 0; i < pass->n_nodes; i++)
    {
      g_ptr_array_add (buffers, &pass->acts[i]);
      g_ptr_array_add (buffers, &pass->grads[i]);
      g_ptr_array_add (buffers, &pass->argmax[i]);
    }
  VkDeviceSize total = 0;
  for (guint i = 0; i < buffers->len; i++)
    {
      IncBuffer *b = g_ptr_array_index (buffers, i);
      if (b->buffer == VK_NULL_HANDLE)
        continue;
      g_autofree guint8 *junk = g_malloc (b->size);
      memset (junk, 0x5a, b->size);
      g_assert_true (_inc_buffer_upload (e->device, b, 0, junk, b->size, &error));
      total += b->size;
    }
  g_assert_cmpuint (total, >, 0);

  g_assert_true (inc_pass_prepare (pass, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < buffers->len; i++)
    {
      IncBuffer *b = g_ptr_array_index (buffers, i);
      if (b->buffer == VK_NULL_HANDLE)
        continue;
      g_autofree guint8 *back = g_malloc (b->size);
      g_assert_true (_inc_buffer_download (e->device, b, 0, back, b->size, &error));
      for (VkDeviceSize k = 0; k < b->size; k++)
        if (back[k] != 0)
          g_error ("buffer %u byte %" G_GUINT64_FORMAT " is %u after the prepare", i,
                   (guint64) k, back[k]);
    }
}

/* On a CPU device mapped memory is advised for transparent huge pages
 * (compute/arena.c): the kernel marks the advised range "hg". */
static void
test_huge_pages (void)
{
  g_autoptr (IncDevice) device = test_open_device (FALSE);
  g_autoptr (GError) error = NULL;

  if (device == NULL)
    return;
  if (!inc_device_is_cpu (device) || device->staged_transfers)
    {
      g_test_skip ("huge pages are advised for a CPU device's mapped memory only");
      return;
    }
  if (!test_have_huge_pages ())
    return;
  /* 1024 x 1024 x 3 floats: 12 MiB, whole 2 MiB pages inside. */
  IncStepImage *s = _inc_step_image_new (device, 1024, 1024, &error);
  g_assert_no_error (error);
  g_assert_nonnull (s->image.mapped);
  const guintptr huge = 2 << 20;
  guintptr at = ((guintptr) s->image.mapped + huge - 1) & ~(huge - 1);
  g_autofree char *flags = test_vm_flags_at (at);
  g_test_message ("%s", flags);
  g_assert_nonnull (flags);
  g_assert_nonnull (strstr (flags, " hg"));
  _inc_step_image_free (s);
}

/* max_loss between the first two steps' losses: the first step is
 * applied, the second measured and not applied, and the octave ends. */
static void
test_dream_max_loss (void)
{
  Engine *e = engine_get ();

  if (e == NULL)
    return;
  g_autoptr (IncImage) photo = test_photo (150, 120);
  g_autoptr (IncRecipe) r = base_recipe ();
  r->tile = 64;
  g_autoptr (GArray) free_losses = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (IncImage) free_run = run_dream (e->host, r, photo, NULL, free_losses);
  double l1 = g_array_index (free_losses, double, 0);
  double l2 = g_array_index (free_losses, double, 1);
  g_assert_cmpfloat (l2, >, l1 * 1.01);
  r->max_loss = (l1 + l2) / 2;

  g_autoptr (IncRecipe) one = base_recipe ();
  one->tile = 64;
  one->steps = 1;
  g_autoptr (GArray) one_losses = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (IncImage) after_one = run_dream (e->host, one, photo, NULL, one_losses);

  g_autoptr (GArray) losses = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (IncImage) dev = run_dream (e->engine, r, photo, NULL, losses);
  g_assert_cmpuint (losses->len, ==, 2);
  gsize n = (gsize) photo->width * photo->height * 3;
  g_autofree float *d_dev = g_new (float, n);
  g_autofree float *d_one = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    {
      d_dev[i] = dev->data[i] - photo->data[i];
      d_one[i] = after_one->data[i] - photo->data[i];
    }
  g_assert_cmpfloat (relative_error (d_dev, d_one, d_one, n), <, 1e-5);
}

/* A cancelled device step fails and leaves the image as it was. */
static void
test_dream_cancel (void)
{
  Engine *e = engine_get ();
  g_autoptr (GError) error = NULL;

  if (e == NULL)
    return;
  g_autoptr (IncImage) photo = test_photo (150, 120);
  g_autoptr (IncRecipe) r = base_recipe ();
  g_autoptr (IncDream) dream = inc_dream_new (r, photo, NULL, e->engine, &error);
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  gboolean finished;

  g_assert_no_error (error);
  g_assert_true (inc_dream_step (dream, &finished, &error));
  g_autoptr (IncImage) before = inc_dream_render (dream);
  inc_dream_set_cancellable (dream, cancel);
  g_cancellable_cancel (cancel);
  g_assert_false (inc_dream_step (dream, &finished, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_autoptr (IncImage) after = inc_dream_render (dream);
  g_assert_true (memcmp (before->data, after->data,
                         sizeof (float) * 150 * 120 * 3) == 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  static const ShaderCase shader_cases[] = {
    { 7, 5, INC_NORM_STD, 1, FALSE, FALSE },
    { 131, 97, INC_NORM_STD, 1, TRUE, TRUE },
    { 7, 5, INC_NORM_MEAN_ABS, 1, TRUE, FALSE },
    { 131, 97, INC_NORM_MEAN_ABS, 1, FALSE, TRUE },
    { 7, 5, INC_NORM_LAPLACIAN, 6, FALSE, FALSE },
    { 131, 97, INC_NORM_LAPLACIAN, 4, TRUE, TRUE },
    { 131, 97, INC_NORM_LAPLACIAN, 1, FALSE, FALSE },
    { 64, 50, INC_NORM_LAPLACIAN, 3, FALSE, TRUE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (shader_cases); i++)
    {
      const ShaderCase *c = &shader_cases[i];
      g_autofree char *path = g_strdup_printf ("/device-step/shaders/%s-%dx%d-l%d%s%s",
                                               inc_norm_kind_to_string (c->norm),
                                               c->width, c->height, c->levels,
                                               c->mask ? "-mask" : "", c->clip ? "-clip" : "");
      g_test_add_data_func (path, c, test_shaders_update);
    }
  g_test_add_func ("/device-step/shaders/tiles", test_shaders_tiles);
  g_test_add_func ("/device-step/huge-pages", test_huge_pages);

  static const StepCase step_cases[] = {
    { "one-tile", 0, INC_NORM_STD, FALSE, FALSE },
    { "tiles-roll", 64, INC_NORM_STD, FALSE, FALSE },
    { "mean-abs-clip", 64, INC_NORM_MEAN_ABS, FALSE, TRUE },
    { "laplacian", 0, INC_NORM_LAPLACIAN, FALSE, FALSE },
    { "mask", 64, INC_NORM_MEAN_ABS, TRUE, FALSE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (step_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/device-step/step/%s", step_cases[i].what);
      g_test_add_data_func (path, &step_cases[i], test_step_matches_host);
    }

  static const DreamCase dream_cases[] = {
    { "one-tile", 0, 0, INC_NORM_STD, FALSE, FALSE, 0, 0 },
    { "tiles-roll-jitter", 64, 8, INC_NORM_STD, FALSE, FALSE, 0, 0 },
    { "mean-abs-clip", 64, 0, INC_NORM_MEAN_ABS, TRUE, FALSE, 0, 0 },
    { "laplacian", 0, 8, INC_NORM_LAPLACIAN, FALSE, FALSE, 0, 0 },
    { "mask", 64, 0, INC_NORM_STD, TRUE, TRUE, 0, 0 },
    { "keras-octaves", 0, 0, INC_NORM_MEAN_ABS, FALSE, FALSE, 2, INC_OCTAVE_KERAS },
    { "mean-square", 64, 8, INC_NORM_STD, FALSE, FALSE, 0, 0, INC_OBJECTIVE_MEAN_SQUARE, FALSE },
    { "guided", 64, 8, INC_NORM_STD, FALSE, FALSE, 0, 0, INC_OBJECTIVE_MEAN, TRUE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (dream_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/device-step/dream/%s", dream_cases[i].what);
      g_test_add_data_func (path, &dream_cases[i], test_dream_matches_host);
    }
  g_test_add_func ("/device-step/dream/max-loss", test_dream_max_loss);
  g_test_add_func ("/device-step/dream/prepare", test_prepare);
  g_test_add_func ("/device-step/pass/prepare-clears", test_pass_prepare_clears);
  g_test_add_func ("/device-step/dream/cancel", test_dream_cancel);
  int status = g_test_run ();
  engine_clear (&shared_engine);
  return status;
}
