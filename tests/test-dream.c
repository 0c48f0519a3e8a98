/* test-dream.c: the dream scheduler, tiler, octave plans and gradient
 * normalisations, driven by a cheap analytic gradient source: each layer is
 * ReLU (3x3 convolution + bias) of the image with fixed random weights, so
 * its gradient is real and exact. */
#include <math.h>
#include <string.h>

#include "core/dream.h"
#include "core/dream-tiles.h"
#include "core/gradnorm.h"
#include "core/octaves.h"
#include "core/tiler.h"

/* The analytic source */

typedef struct {
  const char *name;
  int         k;          /* filters */
  int         min_side;
  float      *w;          /* [k][3][3][3] */
  float      *b;          /* [k] */
} TestLayer;

typedef struct {
  IncGradientSource parent;
  TestLayer         layers[2];
  GArray           *sizes;      /* IncSize of every gradient call */
  int               calls;
  GArray           *prepared;   /* IncSize of every prepare call */
  char             *prepared_layers;  /* the last prepare's, comma-joined */
} TestSource;

static TestLayer *
find_layer (TestSource *s, const char *name)
{
  for (int i = 0; i < 2; i++)
    if (g_strcmp0 (s->layers[i].name, name) == 0)
      return &s->layers[i];
  return NULL;
}

/* z = conv3x3 (same, zero padding) + bias; returns ReLU(z) as h*w*k. */
static float *
forward (const TestLayer *l, const float *img, int h, int w)
{
  float *act = g_new (float, (gsize) h * w * l->k);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int k = 0; k < l->k; k++)
        {
          float z = l->b[k];
          for (int dy = 0; dy < 3; dy++)
            for (int dx = 0; dx < 3; dx++)
              {
                int yy = y + dy - 1, xx = x + dx - 1;
                if (yy < 0 || yy >= h || xx < 0 || xx >= w)
                  continue;
                for (int c = 0; c < 3; c++)
                  z += l->w[((k * 3 + dy) * 3 + dx) * 3 + c] *
                       img[((gsize) yy * w + xx) * 3 + c];
              }
          act[((gsize) y * w + x) * l->k + k] = z > 0 ? z : 0;
        }
  return act;
}

/* grad += conv3x3^T (dact * relu'(act)). */
static void
backward (const TestLayer *l, const float *act, float *dact, int h, int w, float *grad)
{
  for (gsize i = 0; i < (gsize) h * w * l->k; i++)
    if (act[i] <= 0)
      dact[i] = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int k = 0; k < l->k; k++)
        {
          float d = dact[((gsize) y * w + x) * l->k + k];
          if (d == 0)
            continue;
          for (int dy = 0; dy < 3; dy++)
            for (int dx = 0; dx < 3; dx++)
              {
                int yy = y + dy - 1, xx = x + dx - 1;
                if (yy < 0 || yy >= h || xx < 0 || xx >= w)
                  continue;
                for (int c = 0; c < 3; c++)
                  grad[((gsize) yy * w + xx) * 3 + c] +=
                    d * l->w[((k * 3 + dy) * 3 + dx) * 3 + c];
              }
        }
}

static gboolean
test_gradient (IncGradientSource *self, const IncObjective *obj, const float *image,
               int h, int w, float *grad, double *value, GError **error)
{
  TestSource *s = (TestSource *) self;
  IncSize size = { w, h };

  g_array_append_val (s->sizes, size);
  s->calls++;
  memset (grad, 0, sizeof (float) * (gsize) h * w * 3);
  *value = 0;
  for (guint t = 0; t < obj->n_terms; t++)
    {
      const IncLayerTerm *term = &obj->terms[t];
      TestLayer *l = find_layer (s, term->layer);
      if (l == NULL || h < l->min_side || w < l->min_side)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "bad call: layer %s at %dx%d", term->layer, w, h);
          return FALSE;
        }
      g_autofree float *act = forward (l, image, h, w);
      g_autofree float *dact = g_new0 (float, (gsize) h * w * l->k);
      gsize n_pos = (gsize) h * w;
      int c0 = term->channel >= 0 ? term->channel : 0;
      int c1 = term->channel >= 0 ? term->channel + 1 : l->k;
      double count = (double) n_pos * (c1 - c0);
      double v = 0;

      if (obj->kind == INC_OBJECTIVE_GUIDE)
        {
          for (gsize p = 0; p < n_pos; p++)
            {
              const float *a = act + p * l->k;
              int best = 0;
              double best_dot = -INFINITY;
              for (int j = 0; j < term->n_guide; j++)
                {
                  double dot = 0;
                  for (int c = 0; c < l->k; c++)
                    dot += a[c] * term->guide[j * l->k + c];
                  if (dot > best_dot)
                    best_dot = dot, best = j;
                }
              v += best_dot / n_pos;
              for (int c = 0; c < l->k; c++)
                dact[p * l->k + c] = term->weight * term->guide[best * l->k + c] / n_pos;
            }
        }
      else
        for (int y = 0; y < h; y++)
          for (int x = 0; x < w; x++)
            for (int c = c0; c < c1; c++)
              {
                gsize i = ((gsize) y * w + x) * l->k + c;
                if (obj->kind == INC_OBJECTIVE_MEAN)
                  {
                    v += act[i] / count;
                    dact[i] = term->weight / count;
                  }
                else
                  {
                    int b = obj->border;
                    if (y < b || x < b || y >= h - b || x >= w - b)
                      continue;
                    v += act[i] * act[i] / count;
                    dact[i] = term->weight * 2 * act[i] / count;
                  }
              }
      *value += term->weight * v;
      backward (l, act, dact, h, w, grad);
    }
  return TRUE;
}

static float *
test_features (IncGradientSource *self, const char *layer, const float *image,
               int h, int w, int *n, int *channels, GError **error)
{
  TestLayer *l = find_layer ((TestSource *) self, layer);
  if (l == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "no layer %s", layer);
      return NULL;
    }
  *n = h * w;
  *channels = l->k;
  return forward (l, image, h, w);
}

static int
test_min_side (IncGradientSource *self, const char *layer)
{
  TestLayer *l = find_layer ((TestSource *) self, layer);
  return l ? l->min_side : -1;
}

static void
test_free (IncGradientSource *self)
{
  TestSource *s = (TestSource *) self;
  for (int i = 0; i < 2; i++)
    {
      g_free (s->layers[i].w);
      g_free (s->layers[i].b);
    }
  g_array_unref (s->sizes);
  g_array_unref (s->prepared);
  g_free (s->prepared_layers);
  g_free (s);
}

/* Set only by the tests of inc_dream_prepare. */
static gboolean
test_prepare (IncGradientSource *self, const char *const *layers, int h, int w,
              GError **error)
{
  TestSource *s = (TestSource *) self;
  IncSize size = { w, h };

  g_array_append_val (s->prepared, size);
  g_free (s->prepared_layers);
  s->prepared_layers = g_strjoinv (",", (char **) layers);
  return TRUE;
}

static IncGradientSource *
test_source_new (void)
{
  TestSource *s = g_new0 (TestSource, 1);
  g_autoptr (GRand) r = g_rand_new_with_seed (1234);
  static const char *names[] = { "l1", "l2" };
  static const int ks[] = { 4, 6 }, mins[] = { 4, 16 };

  s->parent = (IncGradientSource) { test_gradient, test_features, test_min_side, test_free };
  s->sizes = g_array_new (FALSE, FALSE, sizeof (IncSize));
  s->prepared = g_array_new (FALSE, FALSE, sizeof (IncSize));
  for (int i = 0; i < 2; i++)
    {
      TestLayer *l = &s->layers[i];
      l->name = names[i];
      l->k = ks[i];
      l->min_side = mins[i];
      l->w = g_new (float, l->k * 27);
      l->b = g_new (float, l->k);
      for (int j = 0; j < l->k * 27; j++)
        l->w[j] = (float) g_rand_double_range (r, -0.5, 0.5);
      for (int j = 0; j < l->k; j++)
        l->b[j] = (float) g_rand_double_range (r, -0.1, 0.2);
    }
  return &s->parent;
}

/* Helpers */

static IncImage *
test_image (int w, int h, guint32 seed, double noise)
{
  IncImage *img = inc_image_new (w, h, 3);
  g_autoptr (GRand) r = g_rand_new_with_seed (seed);
  /* Smooth shapes plus a little noise, in [-1, 1]. */
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      for (int c = 0; c < 3; c++)
        img->data[((gsize) y * w + x) * 3 + c] =
          (float) (0.6 * sin (0.21 * x + 1.3 * c) * cos (0.17 * y - 0.4 * c) +
                   g_rand_double_range (r, -noise, noise));
  return img;
}

static IncImage *
test_photo (int w, int h, guint32 seed)
{
  return test_image (w, h, seed, 0.2);
}

static IncRecipe *
small_recipe (void)
{
  IncRecipe *r = inc_recipe_new ();
  inc_recipe_clear_layers (r);
  inc_recipe_add_layer (r, "l1", 1.0f, -1);
  r->octaves = 2;
  r->octave_start = -1;
  r->steps = 5;
  r->step_size = 0.02;
  r->tile = 0;
  r->jitter = 0;
  return r;
}

static double
objective_of (IncGradientSource *src, const IncRecipe *recipe, const IncImage *img)
{
  IncLayerTerm terms[8];
  IncObjective o = { recipe->objective, terms, recipe->n_layers, recipe->border };
  g_autofree float *g = g_new (float, (gsize) img->width * img->height * 3);
  double v = 0;

  for (guint i = 0; i < recipe->n_layers; i++)
    terms[i] = (IncLayerTerm) { recipe->layers[i].name, recipe->layers[i].weight,
                                recipe->layers[i].channel, NULL, 0 };
  g_assert_true (src->gradient (src, &o, img->data, img->height, img->width, g, &v, NULL));
  return v;
}

static gboolean
images_equal (const IncImage *a, const IncImage *b)
{
  return a->width == b->width && a->height == b->height && a->channels == b->channels &&
         memcmp (a->data, b->data, sizeof (float) * (gsize) a->width * a->height * a->channels) == 0;
}

/* Tests: the objective */

static void
test_objective_rises (void)
{
  g_autoptr (IncGradientSource) src = test_source_new ();
  g_autoptr (IncImage) photo = test_photo (40, 30, 1);
  g_autoptr (IncRecipe) r = small_recipe ();
  g_autoptr (GError) error = NULL;
  g_autoptr (IncDream) dream = inc_dream_new (r, photo, NULL, src, &error);
  gboolean finished = FALSE;
  double first = NAN, last = NAN;

  g_assert_no_error (error);
  while (!finished)
    {
      IncDreamProgress p;
      g_assert_true (inc_dream_step (dream, &finished, &error));
      g_assert_no_error (error);
      inc_dream_get_progress (dream, &p);
      /* Within the last octave the loss climbs step after step. */
      if (p.octave == 2 && p.step == 1)
        first = p.loss;
      if (p.octave == 2)
        last = p.loss;
    }
  g_assert_cmpfloat (last, >, first * 1.05);

  g_autoptr (IncImage) out = inc_dream_render (dream);
  double before = objective_of (src, r, photo), after = objective_of (src, r, out);
  g_test_message ("objective %g -> %g", before, after);
  g_assert_cmpfloat (after, >, before * 1.2);
}

static void
test_objective_kinds (void)
{
  /* Mean-square with a border, a channel, and a negative weight all move
   * their own objective the right way. */
  g_autoptr (IncGradientSource) src = test_source_new ();
  g_autoptr (IncImage) photo = test_photo (36, 28, 2);

  for (int variant = 0; variant < 3; variant++)
    {
      g_autoptr (IncRecipe) r = small_recipe ();
      g_autoptr (GError) error = NULL;
      inc_recipe_clear_layers (r);
      if (variant == 0)
        {
          r->objective = INC_OBJECTIVE_MEAN_SQUARE;
          r->border = 2;
          r->norm = INC_NORM_MEAN_ABS;
          inc_recipe_add_layer (r, "l1", 1.0f, -1);
          inc_recipe_add_layer (r, "l2", 0.5f, -1);
        }
      else if (variant == 1)
        inc_recipe_add_layer (r, "l2", 1.0f, 3);
      else
        inc_recipe_add_layer (r, "l1", -1.0f, -1);

      g_autoptr (IncImage) out = inc_dream_run (r, photo, NULL, src, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      double before = objective_of (src, r, photo), after = objective_of (src, r, out);
      g_test_message ("variant %d: %g -> %g", variant, before, after);
      g_assert_cmpfloat (after, >, before + 0.1 * fabs (before));
    }
}

static void
test_guide (void)
{
  g_autoptr (IncGradientSource) src = test_source_new ();
  g_autoptr (IncImage) photo = test_photo (32, 32, 3);
  g_autoptr (IncImage) guide = test_photo (20, 24, 99);
  g_autoptr (IncRecipe) r = small_recipe ();
  g_autoptr (GError) error = NULL;
  g_autoptr (IncDream) dream = inc_dream_new (r, photo, NULL, src, &error);
  gboolean finished = FALSE;
  double first = NAN, last = NAN;

  g_assert_no_error (error);
  inc_dream_set_guide (dream, guide);
  while (!finished)
    {
      IncDreamProgress p;
      g_assert_true (inc_dream_step (dream, &finished, &error));
      inc_dream_get_progress (dream, &p);
      if (p.octave == 2 && p.step == 1)
        first = p.loss;
      last = p.loss;
    }
  g_test_message ("guided loss %g -> %g", first, last);
  g_assert_cmpfloat (last, >, first);
}

/* Tests: masks */

static void
test_mask_bit_identical (void)
{
  g_autoptr (IncGradientSource) src = test_source_new ();
  g_autoptr (IncImage) photo = test_photo (45, 33, 4);
  g_autoptr (IncImage) mask = inc_image_new (45, 33, 1);
  g_autoptr (IncRecipe) r = small_recipe ();
  g_autoptr (GError) error = NULL;

  /* Keep the left part; a soft edge; dream fully on the right. */
  for (int y = 0; y < 33; y++)
    for (int x = 0; x < 45; x++)
      mask->data[y * 45 + x] = x < 20 ? 0.0f : x < 25 ? (x - 19) / 6.0f : 1.0f;
  r->tile = 32;
  r->jitter = 3;
  for (int style = 0; style < 3; style++)
    {
      r->octave_style = style;
      g_autoptr (IncImage) out = inc_dream_run (r, photo, mask, src, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      int changed = 0;
      for (int y = 0; y < 33; y++)
        for (int x = 0; x < 45; x++)
          for (int c = 0; c < 3; c++)
            {
              gsize i = ((gsize) y * 45 + x) * 3 + c;
              if (x < 20)
                g_assert_true (memcmp (&out->data[i], &photo->data[i], sizeof (float)) == 0);
              else if (x >= 25 && fabsf (out->data[i] - photo->data[i]) > 0.01f)
                changed++;
            }
      g_assert_cmpint (changed, >, 20 * 33 * 3 / 2);
    }
}

/* Tests: tiles */

static IncObjective *
l1_objective (void)
{
  static IncLayerTerm term = { (char *) "l1", 1.0f, -1, NULL, 0 };
  static IncObjective o = { INC_OBJECTIVE_MEAN, &term, 1, 0 };
  return &o;
}

static double
max_abs_diff (const IncImage *a, const IncImage *b, double *max_abs)
{
  double d = 0, m = 0;
  for (gsize i = 0; i < (gsize) a->width * a->height * a->channels; i++)
    {
      d = MAX (d, fabs (a->data[i] - b->data[i]));
      m = MAX (m, fabs (b->data[i]));
    }
  *max_abs = m;
  return d;
}

static void
test_tiles_agree (void)
{
  g_autoptr (IncGradientSource) src = test_source_new ();
  g_autoptr (IncImage) photo = test_photo (70, 53, 5);
  g_autoptr (IncImage) whole = inc_image_new (70, 53, 3);
  g_autoptr (IncImage) tiled = inc_image_new (70, 53, 3);
  g_autoptr (GError) error = NULL;
  double v_whole, v_tiled, scale;

  g_assert_true (inc_dream_tiled_gradient (src, l1_objective (), photo, 0, 0, 4, 0, 0,
                                           whole, &v_whole, NULL, &error));
  /* The 3x3 layer's gradient needs 2 px of context (1 for the activation,
   * 1 for the input): with that halo the tiles agree everywhere. */
  g_assert_true (inc_dream_tiled_gradient (src, l1_objective (), photo, 16, 2, 4, 0, 0,
                                           tiled, &v_tiled, NULL, &error));
  g_assert_no_error (error);
  double d = max_abs_diff (tiled, whole, &scale);
  g_test_message ("max diff %g of %g; loss %g vs %g", d, scale, v_tiled, v_whole);
  g_assert_cmpfloat (d, <, 1e-5 * scale);

  /* Rolled: the same as rolling the image, whole gradient, rolling back. */
  g_autoptr (IncImage) rolled = inc_image_roll (photo, 23, -9);
  g_autoptr (IncImage) g_rolled = inc_image_new (70, 53, 3);
  g_assert_true (inc_dream_tiled_gradient (src, l1_objective (), rolled, 0, 0, 4, 0, 0,
                                           g_rolled, NULL, NULL, &error));
  g_autoptr (IncImage) expect = inc_image_roll (g_rolled, -23, 9);
  g_assert_true (inc_dream_tiled_gradient (src, l1_objective (), photo, 16, 2, 4, 23, -9,
                                           tiled, NULL, NULL, &error));
  d = max_abs_diff (tiled, expect, &scale);
  g_assert_cmpfloat (d, <, 1e-5 * scale);
}

/* Mean |g(x) - g(x-1)| over the columns where a tile core starts, divided
 * by the same over every other column. */
static double
seam_ratio (const IncImage *g, const GArray *tiles)
{
  g_autofree gboolean *edge = g_new0 (gboolean, g->width);
  double e = 0, o = 0;
  gsize ne = 0, no = 0;

  for (guint t = 0; t < tiles->len; t++)
    {
      int x0 = g_array_index (tiles, IncTile, t).core_x;
      if (x0 > 0)
        edge[x0] = TRUE;
    }
  for (int y = 0; y < g->height; y++)
    for (int x = 1; x < g->width; x++)
      for (int c = 0; c < 3; c++)
        {
          double d = fabs (g->data[((gsize) y * g->width + x) * 3 + c] -
                           g->data[((gsize) y * g->width + x - 1) * 3 + c]);
          if (edge[x])
            e += d, ne++;
          else
            o += d, no++;
        }
  return (e / ne) / (o / no);
}

static void
test_tiles_seam (void)
{
  g_autoptr (IncGradientSource) src = test_source_new ();
  /* Smooth content, so that any jump in the gradient is the tiles'. */
  g_autoptr (IncImage) photo = test_image (96, 40, 6, 0.0);
  g_autoptr (IncImage) whole = inc_image_new (96, 40, 3);
  g_autoptr (IncImage) bare = inc_image_new (96, 40, 3);
  g_autoptr (IncImage) haloed = inc_image_new (96, 40, 3);
  IncTileNeeds needs = { 0, 4 };
  g_autoptr (GArray) tiles = inc_tiler_plan (96, 40, 16, &needs);

  g_assert_true (inc_dream_tiled_gradient (src, l1_objective (), photo, 0, 0, 4, 0, 0,
                                           whole, NULL, NULL, NULL));
  g_assert_true (inc_dream_tiled_gradient (src, l1_objective (), photo, 16, 0, 4, 0, 0,
                                           bare, NULL, NULL, NULL));
  g_assert_true (inc_dream_tiled_gradient (src, l1_objective (), photo, 16,
                                           INC_DREAM_TILE_HALO, 4, 0, 0,
                                           haloed, NULL, NULL, NULL));
  double r_whole = seam_ratio (whole, tiles);
  double r_bare = seam_ratio (bare, tiles);
  double r_halo = seam_ratio (haloed, tiles);
  g_test_message ("seam ratio: untiled %.3f, no halo %.3f, halo %.3f",
                  r_whole, r_bare, r_halo);
  /* The metric sees the seams tiles without context leave ... */
  g_assert_cmpfloat (r_bare, >, 1.3 * r_whole);
  /* ... and the dream's halo leaves none. */
  g_assert_cmpfloat (fabs (r_halo - r_whole), <, 0.01 * r_whole);
}

static void
test_tiler_plan (void)
{
  IncTileNeeds needs = { 5, 24 };
  const int sizes[][3] = { { 100, 37, 32 }, { 7, 9, 32 }, { 513, 1025, 512 },
                           { 65, 64, 32 }, { 40, 200, 0 } };

  for (gsize s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      int w = sizes[s][0], h = sizes[s][1], tile = sizes[s][2];
      g_autoptr (GArray) tiles = inc_tiler_plan (w, h, tile, &needs);
      g_autofree int *owner = g_new0 (int, w * h);
      int max_side = inc_tiler_max_input_side (tile, &needs);

      for (guint t = 0; t < tiles->len; t++)
        {
          const IncTile *tl = &g_array_index (tiles, IncTile, t);
          /* Inputs hold their core plus the halo where the image has it. */
          g_assert_cmpint (tl->x, <=, MAX (tl->core_x - needs.halo, 0));
          g_assert_cmpint (tl->y, <=, MAX (tl->core_y - needs.halo, 0));
          g_assert_cmpint (tl->x + tl->width, >=, MIN (tl->core_x + tl->core_width + needs.halo, w));
          g_assert_cmpint (tl->y + tl->height, >=, MIN (tl->core_y + tl->core_height + needs.halo, h));
          g_assert_cmpint (tl->x, >=, 0);
          g_assert_cmpint (tl->x + tl->width, <=, w);
          g_assert_cmpint (tl->y + tl->height, <=, h);
          g_assert_cmpint (MIN (tl->width, tl->height), >=, MIN (needs.min_input, MIN (w, h)));
          g_assert_cmpint (MAX (tl->width, tl->height), <=, max_side);
          if (tile > 0)
            g_assert_cmpint (MAX (tl->core_width, tl->core_height), <=, tile);
          /* No sliver cores. */
          if (tile > 0 && w > tile)
            g_assert_cmpint (tl->core_width, >=, tile / 2);
          for (int y = tl->core_y; y < tl->core_y + tl->core_height; y++)
            for (int x = tl->core_x; x < tl->core_x + tl->core_width; x++)
              owner[y * w + x]++;
        }
      /* Every pixel belongs to exactly one core. */
      for (int i = 0; i < w * h; i++)
        g_assert_cmpint (owner[i], ==, 1);
    }
}

/* Tests: seeds */

static IncImage *
run_seeded (IncGradientSource *src, const IncImage *photo, guint32 seed)
{
  g_autoptr (IncRecipe) r = small_recipe ();
  g_autoptr (GError) error = NULL;
  r->tile = 32;
  r->jitter = 4;
  r->seed = seed;
  IncImage *out = inc_dream_run (r, photo, NULL, src, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  return out;
}

static void
test_seed_repeats (void)
{
  g_autoptr (IncGradientSource) src = test_source_new ();
  g_autoptr (IncImage) photo = test_photo (50, 41, 7);
  g_autoptr (IncImage) a = run_seeded (src, photo, 42);
  g_autoptr (IncImage) b = run_seeded (src, photo, 42);
  g_autoptr (IncImage) c = run_seeded (src, photo, 43);

  g_assert_true (images_equal (a, b));
  g_assert_false (images_equal (a, c));

  /* Noise starts draw from the same generator. */
  g_autoptr (IncRecipe) r = small_recipe ();
  r->start = INC_START_NOISE;
  r->noise_render = INC_NOISE_MULTISCALE;
  g_autoptr (IncImage) n1 = inc_dream_run (r, photo, NULL, src, NULL, NULL, NULL, NULL);
  g_autoptr (IncImage) n2 = inc_dream_run (r, photo, NULL, src, NULL, NULL, NULL, NULL);
  r->seed = 5;
  g_autoptr (IncImage) n3 = inc_dream_run (r, photo, NULL, src, NULL, NULL, NULL, NULL);
  g_assert_true (images_equal (n1, n2));
  g_assert_false (images_equal (n1, n3));
}

/* Whether every size in a appears in b. */
static gboolean
sizes_within (const GArray *a, const GArray *b)
{
  for (guint i = 0; i < a->len; i++)
    {
      const IncSize *x = &g_array_index (a, IncSize, i);
      gboolean found = FALSE;

      for (guint j = 0; j < b->len && !found; j++)
        {
          const IncSize *y = &g_array_index (b, IncSize, j);
          found = x->width == y->width && x->height == y->height;
        }
      if (!found)
        return FALSE;
    }
  return TRUE;
}

/* inc_dream_prepare asks the source for exactly the tile sizes and layers
 * of the next step, each size once, and changes nothing in the dream. */
static void
test_prepare_sizes (void)
{
  g_autoptr (IncGradientSource) src = test_source_new ();
  TestSource *ts = (TestSource *) src;
  g_autoptr (IncImage) photo = test_photo (90, 61, 3);
  g_autoptr (IncRecipe) r = small_recipe ();
  g_autoptr (GError) error = NULL;
  IncDreamProgress before, after;
  gboolean finished;

  src->prepare = test_prepare;
  inc_recipe_clear_layers (r);
  inc_recipe_add_layer (r, "l1", 1.0f, -1);
  inc_recipe_add_layer (r, "l2", 0.5f, -1);
  inc_recipe_add_layer (r, "l1", 2.0f, 1);  /* a layer twice: prepared once */
  r->tile = 40;
  r->jitter = 3;

  g_autoptr (IncDream) dream = inc_dream_new (r, photo, NULL, src, &error);
  g_assert_no_error (error);
  g_autoptr (IncDream) plain = inc_dream_new (r, photo, NULL, src, &error);
  g_assert_no_error (error);

  inc_dream_get_progress (dream, &before);
  g_assert_true (inc_dream_prepare (dream, &error));
  g_assert_no_error (error);
  inc_dream_get_progress (dream, &after);
  g_assert_true (memcmp (&before, &after, sizeof before) == 0);
  g_assert_cmpstr (ts->prepared_layers, ==, "l1,l2");
  /* Tiled: several tiles, of fewer distinct sizes. */
  g_assert_cmpuint (ts->prepared->len, >, 1);
  g_assert_cmpint (ts->calls, ==, 0);
  for (guint i = 0; i < ts->prepared->len; i++)
    for (guint j = 0; j < i; j++)
      g_assert_false (g_array_index (ts->prepared, IncSize, i).width ==
                      g_array_index (ts->prepared, IncSize, j).width &&
                      g_array_index (ts->prepared, IncSize, i).height ==
                      g_array_index (ts->prepared, IncSize, j).height);

  /* The first step asks for those sizes and no others. */
  g_assert_true (inc_dream_step (dream, &finished, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ts->sizes->len, >, ts->prepared->len);
  g_assert_true (sizes_within (ts->sizes, ts->prepared));
  g_assert_true (sizes_within (ts->prepared, ts->sizes));

  /* And gives what a dream never prepared gives. */
  g_assert_true (inc_dream_step (plain, &finished, &error));
  g_autoptr (IncImage) a = inc_dream_render (dream);
  g_autoptr (IncImage) b = inc_dream_render (plain);
  g_assert_true (images_equal (a, b));

  /* Mid-octave, the octave in progress; a source without the method is
   * left alone. */
  g_array_set_size (ts->prepared, 0);
  g_array_set_size (ts->sizes, 0);
  g_assert_true (inc_dream_prepare (dream, &error));
  g_assert_true (inc_dream_step (dream, &finished, &error));
  g_assert_true (sizes_within (ts->sizes, ts->prepared) && sizes_within (ts->prepared, ts->sizes));
  src->prepare = NULL;
  g_assert_true (inc_dream_prepare (dream, &error));
  g_assert_no_error (error);
}

/* Tests: octaves */

static void
assert_plan (const GArray *plan, const IncSize *expect, guint n)
{
  g_assert_cmpuint (plan->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      IncSize s = g_array_index (plan, IncSize, i);
      g_assert_cmpint (s.width, ==, expect[i].width);
      g_assert_cmpint (s.height, ==, expect[i].height);
    }
}

static void
test_octaves_keras (void)
{
  /* Seed 001's printed shapes for a 575 x 1024 input, num_octave 10,
   * octave_scale 1.2 (height, width there). */
  static const int hw[][2] = {
    { 111, 198 }, { 133, 238 }, { 160, 285 }, { 192, 342 }, { 231, 411 },
    { 277, 493 }, { 332, 592 }, { 399, 711 }, { 479, 853 }, { 575, 1024 },
  };
  IncSize expect[10];
  g_autoptr (IncRecipe) r = inc_recipe_preset ("keras-example", NULL);

  for (int i = 0; i < 10; i++)
    expect[i] = (IncSize) { hw[i][1], hw[i][0] };
  r->octaves = 10;
  r->octave_scale = 1.2;
  g_autoptr (GArray) plan = inc_octave_plan (r, 1024, 575, 1);
  assert_plan (plan, expect, 10);
}

static void
test_octaves_tf (void)
{
  g_autoptr (IncRecipe) r = inc_recipe_preset ("tf-tutorial", NULL);
  IncSize expect[5];

  /* new_shape = tf.cast(float_base_shape * (1.3 ** n), tf.int32). */
  for (int n = -2; n <= 2; n++)
    {
      float f = (float) pow (1.3, n);
      expect[n + 2] = (IncSize) { (int) (500.0f * f), (int) (375.0f * f) };
    }
  g_autoptr (GArray) plan = inc_octave_plan (r, 500, 375, 1);
  assert_plan (plan, expect, 5);
  g_assert_cmpint (expect[0].width, ==, 295);   /* 500 / 1.69 */
  g_assert_cmpint (expect[4].width, ==, 845);   /* 500 * 1.69 */

  /* The scheduler visits exactly those sizes (untiled). */
  g_autoptr (IncGradientSource) src = test_source_new ();
  TestSource *ts = (TestSource *) src;
  g_autoptr (IncRecipe) small = small_recipe ();
  small->octaves = 4;
  small->octave_start = -2;
  small->steps = 1;
  g_autoptr (IncImage) photo = test_photo (60, 45, 8);
  g_autoptr (IncImage) out = inc_dream_run (small, photo, NULL, src, NULL, NULL, NULL, NULL);
  g_autoptr (GArray) want = inc_octave_plan (small, 60, 45, 4);
  g_assert_cmpint (out->width, ==, 60);
  g_assert_cmpint (out->height, ==, 45);
  assert_plan (ts->sizes, (IncSize *) (void *) want->data, want->len);
}

static void
test_octaves_classic (void)
{
  g_autoptr (IncRecipe) r = inc_recipe_preset ("caffe-classic", NULL);
  IncSize expect[4];
  IncSize s = { 640, 427 };

  /* hw = np.int32(np.float32(hw) / 1.4), level after level. */
  for (int i = 3; i >= 0; i--)
    {
      expect[i] = s;
      s.width = (int) (s.width / 1.4f);
      s.height = (int) (s.height / 1.4f);
    }
  g_autoptr (GArray) plan = inc_octave_plan (r, 640, 427, 1);
  assert_plan (plan, expect, 4);
  g_assert_cmpint (expect[0].width, ==, 232);   /* 640 -> 457 -> 326 -> 232 */
}

static void
test_octaves_noise (void)
{
  g_autoptr (IncRecipe) r = inc_recipe_preset ("lapnorm-noise", NULL);
  /* Seed 004 grows 224 by 1.4 twice: 224 -> 313 -> 438; for a 438 base we
   * start at int(438 / 1.96) = 223. */
  static const IncSize expect[] = { { 223, 223 }, { 312, 312 }, { 436, 436 } };
  g_autoptr (GArray) plan = inc_octave_plan (r, 438, 438, 1);
  assert_plan (plan, expect, 3);

  r->noise_render = INC_NOISE_NAIVE;
  g_autoptr (GArray) naive = inc_octave_plan (r, 224, 100, 1);
  static const IncSize one[] = { { 224, 100 } };
  assert_plan (naive, one, 1);

  /* A noise dream comes out at the source size. */
  g_autoptr (IncGradientSource) src = test_source_new ();
  g_autoptr (IncRecipe) small = small_recipe ();
  small->start = INC_START_NOISE;
  small->noise_render = INC_NOISE_LAPLACIAN;
  small->norm = INC_NORM_LAPLACIAN;
  small->octaves = 3;
  g_autoptr (IncImage) photo = test_photo (50, 30, 9);
  g_autoptr (GError) error = NULL;
  g_autoptr (IncImage) out = inc_dream_run (small, photo, NULL, src, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (out->width, ==, 50);
  g_assert_cmpint (out->height, ==, 30);
  double before = 0, after = 0;
  g_autoptr (IncImage) grey = inc_image_new (50, 30, 3);
  for (int i = 0; i < 50 * 30 * 3; i++)
    grey->data[i] = (100.5f / 127.5f) - 1.0f;
  before = objective_of (src, small, grey);
  after = objective_of (src, small, out);
  g_assert_cmpfloat (after, >, before * 1.2);
}

static void
test_octaves_clamp (void)
{
  g_autoptr (IncGradientSource) src = test_source_new ();
  TestSource *ts = (TestSource *) src;
  g_autoptr (IncImage) tiny = test_photo (9, 5, 10);
  g_autoptr (GError) error = NULL;

  for (int style = 0; style < 3; style++)
    {
      g_autoptr (IncRecipe) r = small_recipe ();
      inc_recipe_clear_layers (r);
      inc_recipe_add_layer (r, "l1", 1.0f, -1);
      inc_recipe_add_layer (r, "l2", 1.0f, -1);   /* needs 16 px */
      r->octave_style = style;
      r->octaves = 4;
      r->tile = 64;
      r->jitter = 2;
      g_array_set_size (ts->sizes, 0);
      g_autoptr (IncImage) out = inc_dream_run (r, tiny, NULL, src, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (out->width, ==, 9);
      g_assert_cmpint (out->height, ==, 5);
      g_assert_cmpuint (ts->sizes->len, ==, 4 * 5);
      for (guint i = 0; i < ts->sizes->len; i++)
        g_assert_cmpint (MIN (g_array_index (ts->sizes, IncSize, i).width,
                              g_array_index (ts->sizes, IncSize, i).height), >=, 16);
    }

  IncSize c = inc_octave_clamp ((IncSize) { 9, 5 }, 16);
  g_assert_cmpint (c.height, ==, 16);
  g_assert_cmpint (c.width, ==, 29);   /* ceil(9 * 16 / 5) */

  /* A 1x1 image dreams too. */
  g_autoptr (IncImage) dot = test_photo (1, 1, 11);
  g_autoptr (IncRecipe) r = small_recipe ();
  g_autoptr (IncImage) out = inc_dream_run (r, dot, NULL, src, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (out->width, ==, 1);
}

/* Tests: early stop, progress, live changes */

static void
test_max_loss (void)
{
  g_autoptr (IncGradientSource) src = test_source_new ();
  g_autoptr (IncImage) photo = test_photo (30, 30, 12);
  g_autoptr (IncRecipe) r = small_recipe ();
  g_autoptr (GError) error = NULL;

  r->octaves = 3;
  r->steps = 10;
  r->max_loss = objective_of (src, r, photo) * 0.5;   /* passed at once */
  g_autoptr (IncDream) dream = inc_dream_new (r, photo, NULL, src, &error);
  gboolean finished = FALSE;
  while (!finished)
    g_assert_true (inc_dream_step (dream, &finished, &error));
  IncDreamProgress p;
  inc_dream_get_progress (dream, &p);
  /* One step per octave: it measured the loss and stopped there. */
  g_assert_cmpint (p.total_done, ==, 3);
  g_assert_cmpint (p.total_planned, ==, 3);
  /* The loss was never applied, so only octave resampling changed it. */
  g_autoptr (IncRecipe) none = small_recipe ();
  none->octaves = 3;
  none->steps = 0;
  g_autoptr (IncImage) a = inc_dream_render (dream);
  g_autoptr (IncImage) b = inc_dream_run (none, photo, NULL, src, NULL, NULL, NULL, NULL);
  g_assert_true (images_equal (a, b));
}

static void
test_live_changes (void)
{
  g_autoptr (IncGradientSource) src = test_source_new ();
  g_autoptr (IncImage) photo = test_photo (30, 30, 13);
  g_autoptr (IncRecipe) r = small_recipe ();
  g_autoptr (GError) error = NULL;
  g_autoptr (IncDream) dream = inc_dream_new (r, photo, NULL, src, &error);
  IncDreamProgress p;
  gboolean finished = FALSE;

  inc_dream_get_progress (dream, &p);
  g_assert_cmpint (p.total_planned, ==, 2 * 5);
  g_assert_cmpint (p.octave, ==, 0);
  g_assert_true (isnan (p.loss));
  for (int i = 0; i < 3; i++)
    g_assert_true (inc_dream_step (dream, &finished, &error));
  inc_dream_get_progress (dream, &p);
  g_assert_cmpint (p.octave, ==, 1);
  g_assert_cmpint (p.step, ==, 3);

  /* More octaves and steps, another layer: from the next step / octave. */
  g_autoptr (IncRecipe) more = small_recipe ();
  more->octaves = 4;
  more->steps = 6;
  inc_recipe_add_layer (more, "l2", 0.5f, -1);
  inc_dream_set_recipe (dream, more);
  inc_dream_get_progress (dream, &p);
  g_assert_cmpint (p.n_octaves, ==, 4);
  g_assert_cmpint (p.total_planned, ==, 3 + 3 + 3 * 6);
  int steps = 0;
  while (!finished)
    {
      g_assert_true (inc_dream_step (dream, &finished, &error));
      g_assert_no_error (error);
      steps++;
    }
  g_assert_cmpint (steps, ==, 3 + 3 * 6);
  inc_dream_get_progress (dream, &p);
  g_assert_cmpint (p.total_done, ==, 24);
  g_assert_cmpint (p.octave, ==, 4);

  /* Cancelled between tiles: an error, and no change. */
  g_autoptr (IncDream) d2 = inc_dream_new (r, photo, NULL, src, &error);
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  g_assert_true (inc_dream_step (d2, &finished, &error));
  g_autoptr (IncImage) before = inc_dream_render (d2);
  inc_dream_set_cancellable (d2, cancel);
  g_cancellable_cancel (cancel);
  g_assert_false (inc_dream_step (d2, &finished, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_autoptr (IncImage) after = inc_dream_render (d2);
  g_assert_true (images_equal (before, after));
}

static void
test_bad_input (void)
{
  g_autoptr (IncGradientSource) src = test_source_new ();
  g_autoptr (IncImage) photo = test_photo (20, 20, 14);
  g_autoptr (IncImage) mask = inc_image_new (19, 20, 1);
  g_autoptr (IncRecipe) r = small_recipe ();
  g_autoptr (GError) error = NULL;

  g_assert_null (inc_dream_new (r, photo, mask, src, &error));
  g_assert_error (error, INC_DREAM_ERROR, INC_DREAM_ERROR_INVALID);
  g_clear_error (&error);

  inc_recipe_add_layer (r, "mixed99", 1.0f, -1);
  g_assert_null (inc_dream_new (r, photo, NULL, src, &error));
  g_assert_error (error, INC_DREAM_ERROR, INC_DREAM_ERROR_UNKNOWN_LAYER);
  g_assert_nonnull (strstr (error->message, "mixed99"));
  g_clear_error (&error);

  g_autoptr (IncRecipe) bad = small_recipe ();
  bad->step_size = NAN;
  g_assert_null (inc_dream_new (bad, photo, NULL, src, &error));
  g_assert_error (error, INC_RECIPE_ERROR, INC_RECIPE_ERROR_INVALID);
}

/* Tests: normalisation */

static void
test_normalize (void)
{
  g_autoptr (IncImage) g = test_photo (37, 22, 15);
  gsize n = 37 * 22 * 3;

  g_autoptr (IncImage) s = inc_image_copy (g);
  inc_gradient_normalize (s, INC_NORM_STD, 0);
  double sum = 0, sum2 = 0, sabs = 0;
  for (gsize i = 0; i < n; i++)
    sum += s->data[i];
  for (gsize i = 0; i < n; i++)
    sum2 += (s->data[i] - sum / n) * (s->data[i] - sum / n);
  g_assert_cmpfloat (fabs (sqrt (sum2 / n) - 1.0), <, 1e-5);

  g_autoptr (IncImage) m = inc_image_copy (g);
  inc_gradient_normalize (m, INC_NORM_MEAN_ABS, 0);
  for (gsize i = 0; i < n; i++)
    sabs += fabsf (m->data[i]);
  g_assert_cmpfloat (fabs (sabs / n - 1.0), <, 1e-5);

  /* The pyramid: 4 bands of halving size (odd sides round up), merged back
   * to the original. */
  g_autoptr (GPtrArray) bands = inc_laplacian_split (g, 4);
  g_assert_cmpuint (bands->len, ==, 4);
  static const int widths[] = { 5, 10, 19, 37 }, heights[] = { 3, 6, 11, 22 };
  for (int i = 0; i < 4; i++)
    {
      g_assert_cmpint (((IncImage *) bands->pdata[i])->width, ==, widths[i]);
      g_assert_cmpint (((IncImage *) bands->pdata[i])->height, ==, heights[i]);
    }
  g_autoptr (IncImage) merged = inc_laplacian_merge (bands);
  double scale;
  g_assert_cmpfloat (max_abs_diff (merged, g, &scale), <, 1e-5 * scale);

  /* A constant image lives in the low band only (away from the zero-padded
   * edges, the binomial kernel reproduces constants). */
  g_autoptr (IncImage) flat = inc_image_new (64, 64, 3);
  for (gsize i = 0; i < 64 * 64 * 3; i++)
    flat->data[i] = 0.5f;
  g_autoptr (GPtrArray) fb = inc_laplacian_split (flat, 2);
  IncImage *hi = fb->pdata[1];
  for (int y = 4; y < 60; y++)
    for (int x = 4; x < 60; x++)
      g_assert_cmpfloat (fabsf (hi->data[(y * 64 + x) * 3]), <, 1e-6);

  /* Laplacian normalisation: merge of bands each scaled to RMS 1, so the
   * result equals normalising each band by hand. */
  g_autoptr (IncImage) l = inc_image_copy (g);
  inc_gradient_normalize (l, INC_NORM_LAPLACIAN, 4);
  for (guint i = 0; i < bands->len; i++)
    {
      IncImage *b = bands->pdata[i];
      gsize k = (gsize) b->width * b->height * 3;
      double s2 = 0;
      for (gsize j = 0; j < k; j++)
        s2 += (double) b->data[j] * b->data[j];
      for (gsize j = 0; j < k; j++)
        b->data[j] /= sqrt (s2 / k);
    }
  g_autoptr (IncImage) by_hand = inc_laplacian_merge (bands);
  g_assert_cmpfloat (max_abs_diff (l, by_hand, &scale), <, 1e-5 * scale);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/dream/objective/rises", test_objective_rises);
  g_test_add_func ("/dream/objective/kinds", test_objective_kinds);
  g_test_add_func ("/dream/objective/guide", test_guide);
  g_test_add_func ("/dream/mask/bit-identical", test_mask_bit_identical);
  g_test_add_func ("/dream/tiler/plan", test_tiler_plan);
  g_test_add_func ("/dream/tiles/agree", test_tiles_agree);
  g_test_add_func ("/dream/tiles/seam", test_tiles_seam);
  g_test_add_func ("/dream/seed/repeats", test_seed_repeats);
  g_test_add_func ("/dream/prepare/sizes", test_prepare_sizes);
  g_test_add_func ("/dream/octaves/keras", test_octaves_keras);
  g_test_add_func ("/dream/octaves/tf", test_octaves_tf);
  g_test_add_func ("/dream/octaves/classic", test_octaves_classic);
  g_test_add_func ("/dream/octaves/noise", test_octaves_noise);
  g_test_add_func ("/dream/octaves/clamp", test_octaves_clamp);
  g_test_add_func ("/dream/max-loss", test_max_loss);
  g_test_add_func ("/dream/live-changes", test_live_changes);
  g_test_add_func ("/dream/bad-input", test_bad_input);
  g_test_add_func ("/dream/normalize", test_normalize);

  return g_test_run ();
}
