/* test-studio.c: the GTK studio under Xvfb: widgets reach the recipe, every
 * control is labelled for assistive technology, the GL canvas keeps the
 * aspect ratio, errors land in the window, and (with the model) a live
 * dream on lavapipe changes the canvas without stalling the main loop. */
#include <gtk/gtk.h>
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "app/inc-application.h"
#include "app/inc-preferences.h"
#include "app/inc-window-private.h"
#include "compute/engine.h"
#include "core/model.h"
#include "core/session.h"
#include "studio-support.h"

static IncApplication *application;
static char *model_path;   /* found before the tests isolate XDG dirs */

static gboolean
banner_shown (gpointer window)
{
  return gtk_info_bar_get_revealed (INC_WINDOW (window)->banner);
}

static IncWindow *
new_window_with_model (const char *model_path)
{
  IncWindow *window = g_object_new (INC_TYPE_WINDOW,
                                    "application", application,
                                    "model-path", model_path,
                                    NULL);

  gtk_window_set_default_size (GTK_WINDOW (window), 1180, 760);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (wait_until (is_mapped, window, 10));
  return window;
}

static IncWindow *
new_window (void)
{
  return new_window_with_model (NULL);
}

typedef struct {
  int     width;
  int     height;
  guint8 *data;   /* cairo ARGB32: B G R A in memory */
} Pixels;

static Pixels
download (GdkTexture *texture)
{
  Pixels p = { gdk_texture_get_width (texture), gdk_texture_get_height (texture), NULL };

  p.data = g_malloc ((gsize) p.width * p.height * 4);
  gdk_texture_download (texture, p.data, p.width * 4);
  return p;
}

static const guint8 *
pixel (const Pixels *p,
       int           x,
       int           y)
{
  return p->data + ((gsize) y * p->width + x) * 4;
}

/* ---- widgets ---------------------------------------------------------- */

static void
count_cb (int *count)
{
  (*count)++;
}

static const IncRecipeLayer *
find_layer (const IncRecipe *recipe,
            const char      *name)
{
  for (guint i = 0; i < recipe->n_layers; i++)
    if (g_str_equal (recipe->layers[i].name, name))
      return &recipe->layers[i];
  return NULL;
}

static void
test_layer_picker_weight (void)
{
  IncLayerPicker *picker = INC_LAYER_PICKER (g_object_ref_sink (inc_layer_picker_new ()));
  g_autoptr(IncRecipe) recipe = inc_recipe_new ();
  int changed = 0;

  g_signal_connect_swapped (picker, "changed", G_CALLBACK (count_cb), &changed);
  inc_layer_picker_set_from_recipe (picker, recipe);
  g_assert_cmpint (changed, ==, 0);
  g_assert_cmpuint (inc_layer_picker_count_enabled (picker), ==, recipe->n_layers);

  gtk_switch_set_active (inc_layer_picker_get_switch (picker, "mixed4"), TRUE);
  gtk_adjustment_set_value (inc_layer_picker_get_weight (picker, "mixed4"), -1.5);
  gtk_adjustment_set_value (inc_layer_picker_get_channel (picker, "mixed4"), 42);
  g_assert_cmpint (changed, ==, 3);

  inc_layer_picker_apply (picker, recipe);
  g_assert_nonnull (find_layer (recipe, "mixed4"));
  g_assert_cmpfloat_with_epsilon (find_layer (recipe, "mixed4")->weight, -1.5, 1e-6);
  g_assert_cmpint (find_layer (recipe, "mixed4")->channel, ==, 42);

  /* The range is -2..2 and the channel cannot pass the layer's width. */
  gtk_adjustment_set_value (inc_layer_picker_get_weight (picker, "mixed4"), 7);
  gtk_adjustment_set_value (inc_layer_picker_get_channel (picker, "mixed0"), 9999);
  g_assert_cmpfloat (gtk_adjustment_get_value (inc_layer_picker_get_weight (picker, "mixed4")), ==, 2.0);
  g_assert_cmpfloat (gtk_adjustment_get_value (inc_layer_picker_get_channel (picker, "mixed0")), ==, 255);

  /* Switched off, a layer leaves the recipe. */
  gtk_switch_set_active (inc_layer_picker_get_switch (picker, "mixed4"), FALSE);
  inc_layer_picker_apply (picker, recipe);
  g_assert_null (find_layer (recipe, "mixed4"));
  g_assert_null (inc_layer_picker_get_switch (picker, "mixed11"));

  g_assert_finalize_object (picker);
}

static void
test_layer_picker_window (void)
{
  IncWindow *window = new_window ();
  const IncRecipe *recipe;

  gtk_switch_set_active (inc_layer_picker_get_switch (window->layer_picker, "mixed2"), TRUE);
  gtk_adjustment_set_value (inc_layer_picker_get_weight (window->layer_picker, "mixed2"), 0.75);

  /* The window's live recipe (what the worker gets next) follows at once. */
  recipe = inc_dream_session_get_recipe (window->session);
  g_assert_nonnull (find_layer (recipe, "mixed2"));
  g_assert_cmpfloat_with_epsilon (find_layer (recipe, "mixed2")->weight, 0.75, 1e-6);

  /* And so do the settings, for the next start. */
  {
    g_autoptr(GVariant) layers = g_settings_get_value (window->settings, "layers");
    g_autofree char *text = g_variant_print (layers, FALSE);

    g_assert_nonnull (strstr (text, "('mixed2', true, 0.75, -1)"));
  }

  /* No layer at all: Dream is refused with a reason. */
  for (int i = 0; i < INC_LAYER_PICKER_N_LAYERS; i++)
    {
      g_autofree char *name = g_strdup_printf ("mixed%d", i);

      gtk_switch_set_active (inc_layer_picker_get_switch (window->layer_picker, name), FALSE);
    }
  g_assert_nonnull (window->recipe_problem);
  g_assert_false (gtk_widget_is_sensitive (GTK_WIDGET (window->dream_button)));

  g_settings_reset (window->settings, "layers");
  close_window (window);
}

static void
test_octave_controls (void)
{
  IncOctaveControls *controls = INC_OCTAVE_CONTROLS (g_object_ref_sink (inc_octave_controls_new ()));
  g_autoptr(IncRecipe) recipe = inc_recipe_new ();
  int changed = 0;

  g_signal_connect_swapped (controls, "changed", G_CALLBACK (count_cb), &changed);
  g_object_set (controls,
                "octaves", 3,
                "octave-scale", 1.5,
                "steps", 7,
                "step-size", 0.02,
                "tile-size", 256,
                "jitter", 16,
                "seed", 1234,
                "norm", "laplacian",
                NULL);
  g_assert_cmpint (changed, ==, 8);

  inc_octave_controls_apply (controls, recipe);
  g_assert_cmpint (recipe->octaves, ==, 3);
  g_assert_cmpfloat_with_epsilon (recipe->octave_scale, 1.5, 1e-9);
  /* The last octave is the working size. */
  g_assert_cmpint (recipe->octave_start, ==, -2);
  g_assert_cmpint (recipe->steps, ==, 7);
  g_assert_cmpfloat_with_epsilon (recipe->step_size, 0.02, 1e-9);
  g_assert_cmpint (recipe->tile, ==, 256);
  g_assert_cmpint (recipe->jitter, ==, 16);
  g_assert_cmpuint (recipe->seed, ==, 1234);
  g_assert_cmpint (recipe->norm, ==, INC_NORM_LAPLACIAN);

  /* Out-of-range values are clamped by the controls, not passed on. */
  g_object_set (controls, "octaves", 12, NULL);
  inc_recipe_free (recipe);
  recipe = inc_recipe_new ();
  inc_octave_controls_set_from_recipe (controls, recipe);
  inc_octave_controls_apply (controls, recipe);
  g_assert_true (inc_recipe_validate (recipe, NULL));

  g_assert_finalize_object (controls);
}

static void
test_octave_controls_window (void)
{
  IncWindow *window = new_window ();
  const IncRecipe *recipe;

  g_object_set (window->octave_controls, "octaves", 2, "step-size", 0.005, NULL);
  recipe = inc_dream_session_get_recipe (window->session);
  g_assert_cmpint (recipe->octaves, ==, 2);
  g_assert_cmpfloat_with_epsilon (recipe->step_size, 0.005, 1e-9);
  g_assert_cmpint (g_settings_get_int (window->settings, "octaves"), ==, 2);

  /* Settings flow back into the controls (another window, or a reset). */
  g_settings_set_int (window->settings, "steps", 33);
  g_assert_cmpint (inc_dream_session_get_recipe (window->session)->steps, ==, 33);

  g_settings_reset (window->settings, "octaves");
  g_settings_reset (window->settings, "step-size");
  g_settings_reset (window->settings, "steps");
  close_window (window);
}

/* ---- accessibility ---------------------------------------------------- */

static void
test_accessible_labels (void)
{
  IncWindow *window = new_window ();
  g_autoptr(GString) missing = g_string_new (NULL);
  guint checked = 0;
  GtkWidget *preferences;

  check_accessible_labels (GTK_WIDGET (window), missing, &checked);
  /* Header bar, 11 layers x 3 controls, 9 step controls at least. */
  g_test_message ("%u interactive widgets in the window", checked);
  g_assert_cmpuint (checked, >=, 50);
  g_assert_cmpstr (missing->str, ==, "");

  preferences = inc_preferences_new (GTK_WINDOW (window), NULL);
  gtk_window_present (GTK_WINDOW (preferences));
  g_assert_true (wait_until (is_mapped, preferences, 10));
  checked = 0;
  check_accessible_labels (preferences, missing, &checked);
  g_assert_cmpuint (checked, >=, 2);
  g_assert_cmpstr (missing->str, ==, "");
  gtk_window_destroy (GTK_WINDOW (preferences));

  close_window (window);
}

/* ---- canvas ----------------------------------------------------------- */

static gboolean
is_background (const guint8 *px)
{
  return abs (px[0] - 48) <= 2 && abs (px[1] - 48) <= 2 && abs (px[2] - 48) <= 2;
}

static void
test_canvas_aspect (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *canvas = inc_canvas_new ();
  const int iw = 200, ih = 100;
  guint8 *rgba = g_malloc (iw * ih * 4);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  Pixels p;
  int left = -1, right = -1, top = -1, bottom = -1;

  /* Red left half, blue right half. */
  for (int y = 0; y < ih; y++)
    for (int x = 0; x < iw; x++)
      {
        guint8 *px = rgba + (y * iw + x) * 4;

        px[0] = x < iw / 2 ? 255 : 0;
        px[1] = 0;
        px[2] = x < iw / 2 ? 0 : 255;
        px[3] = 255;
      }
  bytes = g_bytes_new_take (rgba, iw * ih * 4);

  gtk_window_set_default_size (GTK_WINDOW (window), 400, 400);
  gtk_window_set_child (GTK_WINDOW (window), canvas);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (wait_until (is_mapped, canvas, 10));
  if (gtk_gl_area_get_error (GTK_GL_AREA (canvas)) != NULL)
    g_error ("no GL: %s", gtk_gl_area_get_error (GTK_GL_AREA (canvas))->message);

  inc_canvas_set_image (INC_CANVAS (canvas), bytes, iw, ih);
  settle ();

  texture = snapshot_widget (canvas);
  p = download (texture);
  for (int y = 0; y < p.height; y++)
    for (int x = 0; x < p.width; x++)
      if (!is_background (pixel (&p, x, y)))
        {
          left = left < 0 ? x : MIN (left, x);
          right = MAX (right, x);
          top = top < 0 ? y : MIN (top, y);
          bottom = MAX (bottom, y);
        }
  g_test_message ("canvas %dx%d, image drawn at [%d,%d]-[%d,%d]",
                  p.width, p.height, left, top, right, bottom);
  g_assert_cmpint (left, >=, 0);
  /* Fit: the full width, half the height, centred: 2:1 as the image. */
  g_assert_cmpint (right - left + 1, ==, p.width);
  g_assert_cmpfloat (fabs ((double) (right - left + 1) / (bottom - top + 1) - 2.0), <, 0.05);
  g_assert_cmpint (abs ((top + bottom) / 2 - p.height / 2), <=, 1);
  /* Colours in place: red on the left (B G R A in memory), blue on the right. */
  g_assert_cmpint (pixel (&p, left + 10, p.height / 2)[2], >, 200);
  g_assert_cmpint (pixel (&p, left + 10, p.height / 2)[0], <, 50);
  g_assert_cmpint (pixel (&p, right - 10, p.height / 2)[0], >, 200);
  g_free (p.data);

  /* 100%: exactly the image's own size. */
  inc_canvas_zoom_to (INC_CANVAS (canvas), 1.0);
  settle ();
  g_clear_object (&texture);
  texture = snapshot_widget (canvas);
  p = download (texture);
  left = right = top = bottom = -1;
  for (int y = 0; y < p.height; y++)
    for (int x = 0; x < p.width; x++)
      if (!is_background (pixel (&p, x, y)))
        {
          left = left < 0 ? x : MIN (left, x);
          right = MAX (right, x);
          top = top < 0 ? y : MIN (top, y);
          bottom = MAX (bottom, y);
        }
  g_assert_cmpint (right - left + 1, ==, iw);
  g_assert_cmpint (bottom - top + 1, ==, ih);
  g_free (p.data);

  /* Panning moves the image by as many pixels. */
  {
    int left0 = left, top0 = top;

    inc_canvas_pan (INC_CANVAS (canvas), 30, -20);
    settle ();
    g_clear_object (&texture);
    texture = snapshot_widget (canvas);
    p = download (texture);
    left = top = -1;
    for (int y = 0; y < p.height; y++)
      for (int x = 0; x < p.width; x++)
        if (!is_background (pixel (&p, x, y)))
          {
            left = left < 0 ? x : MIN (left, x);
            top = top < 0 ? y : MIN (top, y);
          }
    g_assert_cmpint (left - left0, ==, 30);
    g_assert_cmpint (top - top0, ==, -20);
    g_free (p.data);
  }

  /* Holding the key shows the original: here, none was set, so the dream. */
  inc_canvas_set_show_original (INC_CANVAS (canvas), TRUE);
  g_assert_true (inc_canvas_has_image (INC_CANVAS (canvas)));

  gtk_window_destroy (GTK_WINDOW (window));
  settle ();
}

/* ---- errors ----------------------------------------------------------- */

static gboolean
not_loading (gpointer window)
{
  return !INC_WINDOW (window)->image_loading;
}

static void
test_unreadable_image (void)
{
  g_autofree char *dir = g_dir_make_tmp ("inc-studio-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "broken.png", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  IncWindow *window;

  g_assert_true (g_file_set_contents (path, "\x89PNG\r\n\x1a\nnot really", -1, NULL));
  window = new_window ();
  inc_window_open_file (window, file);
  g_assert_true (wait_until (not_loading, window, 30));
  g_assert_true (banner_shown (window));
  g_assert_nonnull (strstr (gtk_label_get_text (window->banner_label), "broken.png"));
  g_assert_null (inc_dream_session_get_source (window->session));
  g_assert_false (gtk_widget_is_sensitive (GTK_WIDGET (window->dream_button)));

  close_window (window);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_model_missing (void)
{
  IncWindow *window = new_window_with_model ("/nonexistent/inception_v3.incmodel");

  g_assert_true (wait_until (engine_settled, window, 60));

  g_assert_false (inc_dream_session_get_engine_ready (window->session));
  g_assert_true (banner_shown (window));
  /* Either the model message with its fix, or (no Vulkan at all) the
   * device message; both say what to do. */
  if (strstr (gtk_label_get_text (window->banner_label), "Vulkan") == NULL)
    {
      g_assert_nonnull (strstr (gtk_label_get_text (window->banner_label), "scripts/fetch-model.sh"));
      g_assert_true (gtk_widget_get_visible (window->banner_import_button));
    }
  close_window (window);
}

/* ---- the stand-in engine, for the paths the real one cannot be made to take */

static GFile *sample_image (char **tmp_path);
static gboolean has_source (gpointer window);
static double mean_difference (const Pixels *a, const Pixels *b);

/* A window with an image open and the stand-in engine. */
static IncWindow *
fake_window (FakeSource *fake,
             int         steps,
             char      **tmp_image)
{
  IncWindow *window = new_window_with_model ("/nonexistent/inception_v3.incmodel");
  g_autoptr(GFile) image = NULL;

  g_assert_true (wait_until (engine_settled, window, 60));
  _inc_window_hide_error (window);
  inc_dream_session_set_gradient_source (window->session, &fake->parent, "stand-in");
  g_object_set (window->octave_controls,
                "octaves", 1, "steps", steps, "preview-interval", 1,
                "step-size", 0.1, NULL);
  image = sample_image (tmp_image);
  inc_window_open_file (window, image);
  g_assert_true (wait_until (has_source, window, 60));
  _inc_window_update_actions (window);
  settle ();
  return window;
}

static void
cleanup_image (char *tmp_image)
{
  if (tmp_image != NULL)
    g_unlink (tmp_image);
  g_free (tmp_image);
}

typedef struct {
  GtkWidget *widget;
  int        height;
} HeightWait;

static gboolean
height_is (gpointer data)
{
  HeightWait *wait = data;

  return gtk_widget_get_height (wait->widget) == wait->height;
}

/* Compares the canvas with an earlier snapshot; a banner shown since is
 * closed first so both have the same size. */
static double
canvas_difference (GdkTexture *before,
                   IncWindow  *window)
{
  g_autoptr(GdkTexture) now = NULL;
  HeightWait wait = { GTK_WIDGET (window->canvas), gdk_texture_get_height (before) };
  Pixels a, b;
  double diff;

  _inc_window_hide_error (window);
  g_assert_true (wait_until (height_is, &wait, 5));
  wait_for_frames (GTK_WIDGET (window));
  now = snapshot_widget (GTK_WIDGET (window->canvas));
  a = download (before);
  b = download (now);
  diff = mean_difference (&a, &b);
  g_free (a.data);
  g_free (b.data);
  return diff;
}

static void
test_device_lost (void)
{
  FakeSource *fake = fake_source_new (2, 0);
  char *tmp_image = NULL;
  IncWindow *window = fake_window (fake, 10, &tmp_image);
  g_autoptr(GdkTexture) before = snapshot_widget (GTK_WIDGET (window->canvas));
  IncDreamProgress progress;

  gtk_widget_activate_action (GTK_WIDGET (window), "win.dream", NULL);
  g_assert_true (wait_until (stopped, window, 60));

  /* The message says what happened and what to do; the two good steps stay. */
  g_assert_true (banner_shown (window));
  g_test_message ("banner: %s", gtk_label_get_text (window->banner_label));
  g_assert_nonnull (strstr (gtk_label_get_text (window->banner_label), "image so far is kept"));
  g_assert_nonnull (strstr (gtk_label_get_text (window->banner_label), "Press Dream"));
  inc_dream_session_get_progress (window->session, &progress);
  g_assert_cmpint (progress.total_done, ==, 2);
  g_assert_true (inc_dream_session_get_image (window->session) !=
                 inc_dream_session_get_source (window->session));
  g_assert_cmpfloat (canvas_difference (before, window), >, 1.0);
  /* A lost device takes the engine with it: Dream reopens it. */
  g_assert_false (inc_dream_session_get_engine_ready (window->session));
  g_assert_false (window->dreaming);

  close_window (window);
  cleanup_image (tmp_image);
}

static void
test_out_of_memory (void)
{
  FakeSource *fake = fake_source_new (1, 0);
  char *tmp_image = NULL;
  IncWindow *window;

  fake->error_code = INC_ENGINE_ERROR_OUT_OF_DEVICE_MEMORY;
  window = fake_window (fake, 10, &tmp_image);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.dream", NULL);
  g_assert_true (wait_until (stopped, window, 60));
  g_assert_true (banner_shown (window));
  g_assert_nonnull (strstr (gtk_label_get_text (window->banner_label), "smaller"));
  /* Memory is not the device: the engine stays for the next try. */
  g_assert_true (inc_dream_session_get_engine_ready (window->session));
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (window->dream_button)));

  close_window (window);
  cleanup_image (tmp_image);
}

static void
test_zoom_actions (void)
{
  FakeSource *fake = fake_source_new (-1, 0);
  char *tmp_image = NULL;
  IncWindow *window = fake_window (fake, 1, &tmp_image);
  double fit;

  g_assert_true (inc_canvas_get_fit (window->canvas));
  fit = inc_canvas_get_zoom (window->canvas);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.zoom-in", NULL);
  g_assert_false (inc_canvas_get_fit (window->canvas));
  g_assert_cmpfloat_with_epsilon (inc_canvas_get_zoom (window->canvas), fit * 1.25, 1e-9);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.zoom-out", NULL);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.zoom-out", NULL);
  g_assert_cmpfloat_with_epsilon (inc_canvas_get_zoom (window->canvas), fit / 1.25, 1e-9);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.zoom-one", NULL);
  g_assert_cmpfloat (inc_canvas_get_zoom (window->canvas), ==, 1.0);
  g_assert_cmpstr (gtk_label_get_text (window->zoom_label), ==, "100%");

  gtk_widget_activate_action (GTK_WIDGET (window), "win.zoom-fit", NULL);
  g_assert_true (inc_canvas_get_fit (window->canvas));
  g_assert_cmpfloat_with_epsilon (inc_canvas_get_zoom (window->canvas), fit, 1e-9);

  close_window (window);
  cleanup_image (tmp_image);
}

static gboolean
two_steps (gpointer window)
{
  IncDreamProgress progress;

  inc_dream_session_get_progress (INC_WINDOW (window)->session, &progress);
  return progress.total_done >= 2;
}

static gboolean
recent_listed (gpointer window)
{
  GMenuModel *menu = G_MENU_MODEL (INC_WINDOW (window)->recent_menu);

  for (int i = 0; i < g_menu_model_get_n_items (menu); i++)
    {
      g_autofree char *label = NULL;

      /* The tree's sample photo, or the one made up in its absence. */
      if (g_menu_model_get_item_attribute (menu, i, G_MENU_ATTRIBUTE_LABEL, "s", &label) &&
          (g_str_has_prefix (label, "sample.") || g_str_has_prefix (label, "inc-studio-sample")))
        return TRUE;
    }
  return FALSE;
}

static IncWindow *progress_window;

static gboolean
two_more_steps (gpointer data)
{
  IncDreamProgress progress;

  inc_dream_session_get_progress (progress_window->session, &progress);
  return progress.total_done >= *(int *) data + 2;
}

static void
test_pause_step_reset (void)
{
  FakeSource *fake = fake_source_new (-1, 50);
  char *tmp_image = NULL;
  IncWindow *window = fake_window (fake, 200, &tmp_image);
  g_autoptr(GdkTexture) original = snapshot_widget (GTK_WIDGET (window->canvas));
  IncDreamProgress progress;
  int paused_at;

  progress_window = window;

  /* The image just opened is offered again under Open Recent. */
  g_assert_true (wait_until (recent_listed, window, 10));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.dream", NULL);
  g_assert_true (wait_until (two_steps, window, 60));
  g_assert_false (gtk_widget_is_sensitive (gtk_widget_get_next_sibling (GTK_WIDGET (window->dream_button))));

  /* Pause and Dream again before the worker has even stopped: it goes on. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.dream", NULL);
  g_assert_false (window->dreaming);
  g_assert_true (inc_dream_session_get_running (window->session));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.dream", NULL);
  g_assert_true (window->dreaming);
  inc_dream_session_get_progress (window->session, &progress);
  paused_at = progress.total_done;
  g_assert_true (wait_until (two_more_steps, &paused_at, 60));
  g_assert_true (window->dreaming);
  g_assert_true (inc_dream_session_get_running (window->session));

  /* Pause: the same toggle; the image so far stays. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.dream", NULL);
  g_assert_false (window->dreaming);
  g_assert_true (wait_until (stopped, window, 60));
  inc_dream_session_get_progress (window->session, &progress);
  paused_at = progress.total_done;
  g_assert_cmpint (paused_at, >=, 2);
  g_assert_cmpint (paused_at, <, 200);
  g_assert_false (inc_dream_session_get_finished (window->session));
  g_assert_false (banner_shown (window));
  g_assert_cmpfloat (canvas_difference (original, window), >, 1.0);

  /* Step once goes on from there by exactly one step. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.step", NULL);
  g_assert_true (wait_until (stopped, window, 60));
  inc_dream_session_get_progress (window->session, &progress);
  g_assert_cmpint (progress.total_done, ==, paused_at + 1);

  /* Reset: the original again. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.reset", NULL);
  inc_dream_session_get_progress (window->session, &progress);
  g_assert_cmpint (progress.total_done, ==, 0);
  g_assert_cmpfloat (canvas_difference (original, window), <, 0.5);

  close_window (window);
  cleanup_image (tmp_image);
}

static void
test_close_while_dreaming (void)
{
  FakeSource *fake = fake_source_new (-1, 300);
  char *tmp_image = NULL;
  IncWindow *window = fake_window (fake, 100, &tmp_image);
  gint64 start;

  gtk_widget_activate_action (GTK_WIDGET (window), "win.dream", NULL);
  g_assert_true (wait_until (two_steps, window, 60));

  /* Closing cancels the dream; the window goes at once, the object once the
   * worker has finished its step. */
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  start = g_get_monotonic_time ();
  gtk_window_close (GTK_WINDOW (window));
  g_assert_true (window == NULL || !gtk_widget_get_visible (GTK_WIDGET (window)));
  while (window != NULL && g_get_monotonic_time () - start < 10 * G_USEC_PER_SEC)
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (window);
  g_test_message ("window gone %.0f ms after closing", (g_get_monotonic_time () - start) / 1000.0);
  settle ();
  cleanup_image (tmp_image);
}

static gboolean
import_settled (gpointer window)
{
  IncWindow *self = window;

  return !self->importing && !self->engine_loading;
}

/* The banner's Import Model button: npm's cached nsfwjs, offline. */
static void
test_import_model (void)
{
  g_autofree char *dir = g_dir_make_tmp ("inc-studio-model-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "models", "inception_v3.incmodel", NULL);
  g_autofree char *npm = g_find_program_in_path ("npm");
  IncWindow *window;

  if (npm == NULL)
    {
      g_test_skip ("npm is not installed");
      return;
    }
  window = new_window_with_model (path);
  g_assert_true (wait_until (engine_settled, window, 60));
  g_assert_true (banner_shown (window));
  g_assert_true (gtk_widget_get_visible (window->banner_import_button));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.import-model", NULL);
  g_assert_true (window->importing);
  g_assert_true (wait_until (import_settled, window, 300));

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      const char *text = gtk_label_get_text (window->banner_label);

      /* The only acceptable failure is an honest "not in the cache". */
      g_assert_nonnull (strstr (text, "cache has no nsfwjs@4.4.0"));
      g_test_skip (text);
    }
  else
    {
      g_autoptr(IncModel) model = inc_model_load (path, NULL);

      g_assert_nonnull (model);
      g_assert_cmpint (inc_model_find (model, "mixed5"), >=, 0);
      /* The window went on to load it. */
      g_assert_true (inc_dream_session_get_engine_ready (window->session) ||
                     strstr (gtk_label_get_text (window->banner_label), "Vulkan") != NULL);
      g_unlink (path);
    }
  close_window (window);
  {
    g_autofree char *models = g_path_get_dirname (path);

    g_rmdir (models);
    g_rmdir (dir);
  }
}

/* ---- the live dream --------------------------------------------------- */

static char *
find_model (void)
{
  const char *env = g_getenv ("INCEPTIONIST_MODEL");
  g_autofree char *in_tree = g_test_build_filename (G_TEST_DIST, "..", "models",
                                                    "inception_v3.incmodel", NULL);
  char *path;

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  if (g_file_test (in_tree, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&in_tree);
  path = inc_model_default_path ();
  return path;
}

/* The sample photo, or a made-up one where the tree has none. */
static GFile *
sample_image (char **tmp_path)
{
  const char *names[] = { "sample.jpg", "sample.png", "sample.jpeg" };
  g_autoptr(GdkPixbuf) pixbuf = NULL;

  *tmp_path = NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "data", names[i], NULL);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_file_new_for_path (path);
    }

  pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 640, 480);
  for (int y = 0; y < 480; y++)
    for (int x = 0; x < 640; x++)
      {
        guint8 *px = gdk_pixbuf_get_pixels (pixbuf) + y * gdk_pixbuf_get_rowstride (pixbuf) + x * 3;
        double r = hypot (x - 320, y - 240);

        px[0] = (guint8) (x * 255 / 639);
        px[1] = (guint8) (128 + 100 * sin (r / 15.0));
        px[2] = (guint8) (y * 255 / 479);
      }
  *tmp_path = g_build_filename (g_get_tmp_dir (), "inc-studio-sample.png", NULL);
  g_assert_true (gdk_pixbuf_save (pixbuf, *tmp_path, "png", NULL, NULL));
  return g_file_new_for_path (*tmp_path);
}

static gboolean
has_source (gpointer window)
{
  return inc_dream_session_get_source (INC_WINDOW (window)->session) != NULL;
}

static gboolean
first_frame (gpointer window)
{
  return INC_WINDOW (window)->first_frame_us > 0;
}

static double
mean_difference (const Pixels *a,
                 const Pixels *b)
{
  double sum = 0;
  gsize n = (gsize) a->width * a->height * 4;

  g_assert_cmpint (a->width, ==, b->width);
  g_assert_cmpint (a->height, ==, b->height);
  for (gsize i = 0; i < n; i++)
    sum += abs (a->data[i] - b->data[i]);
  return sum / n;
}

static void
test_live_dream (void)
{
  const char *model = model_path;
  g_autofree char *tmp_image = NULL;
  g_autoptr(GFile) image = NULL;
  g_autoptr(GdkTexture) before = NULL;
  g_autoptr(GdkTexture) after = NULL;
  g_autoptr(GdkTexture) shot = NULL;
  g_autofree char *shot_path = NULL;
  StallMeter meter = { 0, 0 };
  IncDreamProgress progress;
  IncWindow *window;
  const IncImage *source;
  Pixels a, b;
  guint tick;
  double diff;
  gint64 started, mean_step_us;
  const int steps = 4;

  if (!g_file_test (model, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *message = g_strdup_printf ("no model at %s (scripts/fetch-model.sh)", model);

      if (g_strcmp0 (g_getenv ("INCEPTIONIST_REQUIRE_MODEL"), "1") == 0)
        g_error ("%s", message);
      g_test_skip (message);
      return;
    }

  window = new_window_with_model (model);

  /* One octave at the working size (500 px), so every step and the first
   * preview are at 500 px; a preview after every step. */
  g_object_set (window->octave_controls,
                "octaves", 1, "steps", steps, "preview-interval", 1,
                "step-size", 0.05, NULL);

  image = sample_image (&tmp_image);
  inc_window_open_file (window, image);
  g_assert_true (wait_until (has_source, window, 60));
  source = inc_dream_session_get_source (window->session);
  g_assert_cmpint (MAX (source->width, source->height), ==, 500);
  g_assert_true (wait_until (engine_ready_or_failed, window, 300));
  if (!inc_dream_session_get_engine_ready (window->session))
    g_error ("engine failed: %s", gtk_label_get_text (window->banner_label));
  settle ();

  before = snapshot_widget (GTK_WIDGET (window->canvas));

  tick = g_timeout_add (5, stall_tick_cb, &meter);
  started = g_get_monotonic_time ();
  gtk_widget_activate_action (GTK_WIDGET (window), "win.dream", NULL);
  g_assert_true (window->dreaming);
  g_assert_true (wait_until (first_frame, window, 300));
  g_test_message ("first preview at %dx%d: %.0f ms after pressing Dream",
                  source->width, source->height, window->first_frame_us / 1000.0);

  /* A change mid-dream applies without restarting: the count goes on. */
  gtk_adjustment_set_value (inc_layer_picker_get_weight (window->layer_picker, "mixed3"), 1.5);

  g_assert_true (wait_until (stopped, window, 600));
  mean_step_us = (g_get_monotonic_time () - started) / steps;
  g_source_remove (tick);
  g_test_message ("worst main-loop stall while dreaming: %.1f ms (a step took %.0f ms on average)",
                  meter.worst / 1000.0, mean_step_us / 1000.0);

  g_assert_false (banner_shown (window));
  inc_dream_session_get_progress (window->session, &progress);
  g_assert_cmpint (progress.total_done, ==, steps);
  g_assert_true (inc_dream_session_get_finished (window->session));
  /* The main loop never waits for a step: had it run or joined one, its
   * longest stall would be a whole step. The bound is relative to the step
   * time of this run because the stall's absolute size is the machine's
   * load, not the studio's: 18 ms on a quiet dev machine, 65 ms seen on a
   * loaded 2-core CI machine. */
  g_assert_cmpint (meter.worst, <, mean_step_us / 2);

  settle ();
  after = snapshot_widget (GTK_WIDGET (window->canvas));
  a = download (before);
  b = download (after);
  diff = mean_difference (&a, &b);
  g_test_message ("canvas changed by %.2f / 255 per channel on average", diff);
  g_assert_cmpfloat (diff, >, 0.5);
  g_free (a.data);
  g_free (b.data);

  wait_for_frames (GTK_WIDGET (window));
  shot = snapshot_widget (GTK_WIDGET (window));
  shot_path = g_test_build_filename (G_TEST_BUILT, "studio-screenshot.png", NULL);
  g_assert_true (gdk_texture_save_to_png (shot, shot_path));
  g_test_message ("screenshot: %s", shot_path);

  /* Reset returns to the original. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.reset", NULL);
  settle ();
  g_clear_object (&after);
  after = snapshot_widget (GTK_WIDGET (window->canvas));
  a = download (before);
  b = download (after);
  g_assert_cmpfloat (mean_difference (&a, &b), <, 0.5);
  g_free (a.data);
  g_free (b.data);

  close_window (window);
  if (tmp_image != NULL)
    g_unlink (tmp_image);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_test_init (&argc, &argv, NULL);
      g_test_add_func ("/studio/no-display", test_no_display);
      return g_test_run ();
    }

  /* No accessibility bus under Xvfb; the test context keeps the same
   * properties the tests read. */
  /* GLib's isolated test dirs leave out the state dir, where the autosave
   * goes: a private one, so the user's own is never touched. */
  {
    g_autofree char *state = g_dir_make_tmp ("inc-studio-state-XXXXXX", NULL);

    g_setenv ("XDG_STATE_HOME", state, TRUE);
  }
  g_setenv ("GTK_A11Y", "test", FALSE);
  gtk_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  model_path = find_model ();

  application = inc_application_new ("org.inceptionist.Studio.Test", G_APPLICATION_NON_UNIQUE);
  if (!g_application_register (G_APPLICATION (application), NULL, &error))
    g_error ("%s", error->message);
  /* Windows come and go between tests. */
  g_application_hold (G_APPLICATION (application));

  g_test_add_func ("/studio/layer-picker/weight-reaches-recipe", test_layer_picker_weight);
  g_test_add_func ("/studio/layer-picker/window-recipe", test_layer_picker_window);
  g_test_add_func ("/studio/octave-controls/apply", test_octave_controls);
  g_test_add_func ("/studio/octave-controls/window-settings", test_octave_controls_window);
  g_test_add_func ("/studio/window/accessible-labels", test_accessible_labels);
  g_test_add_func ("/studio/canvas/aspect-ratio", test_canvas_aspect);
  g_test_add_func ("/studio/canvas/zoom-actions", test_zoom_actions);
  g_test_add_func ("/studio/errors/unreadable-image", test_unreadable_image);
  g_test_add_func ("/studio/errors/model-missing", test_model_missing);
  g_test_add_func ("/studio/errors/import-model", test_import_model);
  g_test_add_func ("/studio/errors/device-lost", test_device_lost);
  g_test_add_func ("/studio/errors/out-of-memory", test_out_of_memory);
  g_test_add_func ("/studio/dream/pause-step-reset", test_pause_step_reset);
  g_test_add_func ("/studio/window/close-while-dreaming", test_close_while_dreaming);
  g_test_add_func ("/studio/dream/live", test_live_dream);

  status = g_test_run ();

  studio_tests_finish (&application);
  g_free (model_path);
  return status;
}
