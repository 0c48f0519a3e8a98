/* test-studio-workflow.c: the artist's workflow in the studio under Xvfb:
 * mask strokes through the canvas's pointer path, undo and redo, presets,
 * Export at print size (and its Cancel), sessions, and the autosave
 * restored after the process was killed. A stand-in gradient source keeps
 * every dream cheap and deterministic. */
#include <gtk/gtk.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <glib/gstdio.h>

#include "app/inc-application.h"
#include "app/inc-window-private.h"
#include "compute/engine.h"
#include "core/export.h"
#include "core/model.h"
#include "core/user-presets.h"
#include "studio-support.h"

static IncApplication *application;
static char *model_path;   /* found before the tests isolate XDG dirs */

/* ---- helpers ---------------------------------------------------------- */

/* As the user closes it (close-request runs, unlike a plain destroy). */
static void
close_cleanly (IncWindow *window)
{
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_close (GTK_WINDOW (window));
  g_assert_true (wait_until (is_null, &window, 120));
  settle ();
}

static gboolean
images_equal (const IncImage *a,
              const IncImage *b)
{
  return a != NULL && b != NULL && a->width == b->width && a->height == b->height &&
         a->channels == b->channels &&
         memcmp (a->data, b->data, sizeof (float) * a->width * a->height * a->channels) == 0;
}

static char *
image_checksum (const IncImage *image)
{
  if (image == NULL)
    return g_strdup ("none");
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) image->data,
                                      sizeof (float) * image->width * image->height * image->channels);
}

/* ---- windows with the stand-in engine -------------------------------- */

static GFile *
sample_image (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "data", "sample.jpg", NULL);
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autofree char *tmp = NULL;

  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return g_file_new_for_path (path);
  /* A made-up photo where the tree has none. */
  pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 600, 400);
  for (int y = 0; y < 400; y++)
    for (int x = 0; x < 600; x++)
      {
        guint8 *px = gdk_pixbuf_get_pixels (pixbuf) + y * gdk_pixbuf_get_rowstride (pixbuf) + x * 3;

        px[0] = (guint8) (x * 255 / 599);
        px[1] = (guint8) (128 + 100 * sin (hypot (x - 300, y - 200) / 15.0));
        px[2] = (guint8) (y * 255 / 399);
      }
  tmp = g_build_filename (g_get_user_cache_dir (), "inc-workflow-sample.png", NULL);
  g_mkdir_with_parents (g_get_user_cache_dir (), 0700);
  g_assert_true (gdk_pixbuf_save (pixbuf, tmp, "png", NULL, NULL));
  return g_file_new_for_path (tmp);
}

static gboolean
has_source (gpointer window)
{
  return inc_dream_session_get_source (INC_WINDOW (window)->session) != NULL &&
         !INC_WINDOW (window)->image_loading;
}

static IncWindow *
plain_window (void)
{
  IncWindow *window = g_object_new (INC_TYPE_WINDOW,
                                    "application", application,
                                    "model-path", "/nonexistent/inception_v3.incmodel",
                                    NULL);

  gtk_window_set_default_size (GTK_WINDOW (window), 1180, 760);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (wait_until (is_mapped, window, 10));
  g_assert_true (wait_until (engine_settled, window, 60));
  _inc_window_hide_error (window);
  return window;
}

/* A window with the sample open, the stand-in engine, and a tiny recipe:
 * one octave at the working size. */
static IncWindow *
fake_window (FakeSource *fake,
             int         steps)
{
  IncWindow *window = plain_window ();
  g_autoptr(GFile) image = sample_image ();

  inc_dream_session_set_gradient_source (window->session, &fake->parent, "stand-in");
  g_object_set (window->octave_controls,
                "octaves", 1, "steps", steps, "preview-interval", 1,
                "step-size", 0.1, "jitter", 0, NULL);
  inc_window_open_file (window, image);
  g_assert_true (wait_until (has_source, window, 60));
  _inc_window_update_actions (window);
  settle ();
  return window;
}

static void
step_once (IncWindow *window)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.step", NULL));
  g_assert_true (wait_until (stopped, window, 60));
  settle ();
}

/* GTK 4.8 cannot be asked whether a widget's action is enabled; the
 * buttons that carry it follow it in their sensitivity. */
static GtkWidget *
find_actionable (GtkWidget  *widget,
                 const char *action)
{
  if (GTK_IS_ACTIONABLE (widget) &&
      g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_actionable (child, action);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
action_enabled (gpointer    root,
                const char *group,
                const char *name)
{
  g_autofree char *action = g_strdup_printf ("%s.%s", group, name);
  GtkWidget *button = find_actionable (GTK_WIDGET (root), action);

  g_assert_nonnull (button);
  return gtk_widget_get_sensitive (button);
}

/* A stroke as the pointer would make it: press at image point (x0, y0),
 * drag to (x1, y1) in n moves, release. */
static void
drag_stroke (IncWindow       *window,
             double           x0,
             double           y0,
             double           x1,
             double           y1,
             int              n,
             GdkModifierType  state)
{
  double wx, wy;

  inc_canvas_image_to_widget (window->canvas, x0, y0, &wx, &wy);
  inc_canvas_paint_begin (window->canvas, wx, wy, state);
  for (int i = 1; i <= n; i++)
    {
      inc_canvas_image_to_widget (window->canvas, x0 + (x1 - x0) * i / n,
                                  y0 + (y1 - y0) * i / n, &wx, &wy);
      inc_canvas_paint_to (window->canvas, wx, wy);
    }
  inc_canvas_paint_end (window->canvas);
}

static double
distance_to_segment (double px, double py,
                     double ax, double ay,
                     double bx, double by)
{
  double dx = bx - ax, dy = by - ay;
  double t = ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy);

  t = CLAMP (t, 0.0, 1.0);
  return hypot (px - (ax + t * dx), py - (ay + t * dy));
}

static void
set_brush (IncWindow *window,
           double     size,
           double     hardness)
{
  g_object_set (window->mask_panel, "brush-size", size, "hardness", hardness, NULL);
}

/* ---- the engine's head start on a new image --------------------------- */

static gboolean
prepare_called (gpointer data)
{
  return g_atomic_int_get (&((FakeSource *) data)->prepares) > 0;
}

static gboolean
session_idle (gpointer window)
{
  return !inc_dream_session_get_working (INC_WINDOW (window)->session);
}

/* Opening an image prepares the engine in the background; Dream pressed
 * meanwhile shows as running at once and dreams when that is done, and a
 * pause before then cancels it. */
static void
test_dream_while_preparing (void)
{
  FakeSource *fake = fake_source_new (-1, 0);
  IncWindow *window = plain_window ();
  g_autoptr(GFile) image = sample_image ();
  g_autoptr(IncRecipe) recipe = NULL;
  IncDreamProgress progress;

  fake->parent.prepare = fake_prepare;
  g_atomic_int_set (&fake->hold, 1);
  inc_dream_session_set_gradient_source (window->session, &fake->parent, "stand-in");
  g_object_set (window->octave_controls, "octaves", 1, "steps", 3, "preview-interval", 1,
                "jitter", 0, NULL);
  inc_window_open_file (window, image);
  g_assert_true (wait_until (has_source, window, 60));
  g_assert_true (wait_until (prepare_called, fake, 60));
  g_assert_true (inc_dream_session_get_working (window->session));
  g_assert_false (inc_dream_session_get_running (window->session));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.dream", NULL));
  g_assert_true (window->dreaming);
  g_assert_true (inc_dream_session_get_running (window->session));
  settle ();
  g_assert_cmpint (g_atomic_int_get (&fake->calls), ==, 0);

  g_atomic_int_set (&fake->hold, 0);
  g_assert_true (wait_until (stopped, window, 60));
  inc_dream_session_get_progress (window->session, &progress);
  g_assert_cmpint (progress.total_done, ==, 3);
  g_assert_cmpint (g_atomic_int_get (&fake->calls), ==, 3);
  g_assert_false (window->dreaming);

  /* Again on a new image, paused before the set-up is done. */
  g_atomic_int_set (&fake->prepares, 0);
  g_atomic_int_set (&fake->hold, 1);
  inc_window_open_file (window, image);
  g_assert_true (wait_until (has_source, window, 60));
  g_assert_true (wait_until (prepare_called, fake, 60));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.dream", NULL));
  g_assert_true (inc_dream_session_get_running (window->session));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.dream", NULL));
  g_assert_false (window->dreaming);
  g_assert_false (inc_dream_session_get_running (window->session));
  g_atomic_int_set (&fake->hold, 0);
  g_assert_true (wait_until (session_idle, window, 60));
  settle ();
  g_assert_cmpint (g_atomic_int_get (&fake->calls), ==, 3);
  inc_dream_session_get_progress (window->session, &progress);
  g_assert_cmpint (progress.total_done, ==, 0);

  /* Other layers before Dream: prepared again, once; a change that moves
   * no size (the step size) prepares nothing. */
  g_atomic_int_set (&fake->prepares, 0);
  recipe = inc_recipe_copy (inc_dream_session_get_recipe (window->session));
  inc_recipe_clear_layers (recipe);
  inc_recipe_add_layer (recipe, "mixed4", 1.0f, -1);
  g_assert_true (inc_dream_session_set_recipe (window->session, recipe, NULL));
  g_assert_true (wait_until (prepare_called, fake, 60));
  g_assert_true (wait_until (session_idle, window, 60));
  recipe->step_size *= 2;
  g_assert_true (inc_dream_session_set_recipe (window->session, recipe, NULL));
  settle ();
  g_assert_true (session_idle (window));
  g_assert_cmpint (g_atomic_int_get (&fake->prepares), ==, 1);

  close_window (window);
}

/* ---- mask ------------------------------------------------------------- */

static void
test_mask_stroke (void)
{
  FakeSource *fake = fake_source_new (-1, 0);
  IncWindow *window = fake_window (fake, 5);
  const IncImage *source = inc_dream_session_get_source (window->session);
  const double R = 12.0;                    /* a 24-px hard brush */
  const double ax = 100, ay = 120, bx = 260, by = 150;
  g_autoptr(GdkTexture) before = NULL;
  g_autoptr(GdkTexture) after = NULL;
  g_autoptr(IncImage) painted = NULL;
  g_autoptr(IncImage) original = inc_image_copy (source);
  const IncImage *image;
  guint inside = 0, outside = 0;
  double cx, cy;

  g_assert_nonnull (window->mask);
  g_assert_cmpint (window->mask->width, ==, source->width);
  g_assert_true (_inc_window_mask_is_empty (window));
  g_assert_null (inc_dream_session_get_mask (window->session));

  /* 100%: one image pixel per widget pixel. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.zoom-one", NULL);
  settle ();
  wait_for_frames (GTK_WIDGET (window));
  before = snapshot_widget (GTK_WIDGET (window->canvas));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.paint-mask", NULL));
  g_assert_true (window->painting);
  g_assert_true (inc_canvas_get_painting (window->canvas));
  set_brush (window, 2 * R, 1.0);
  drag_stroke (window, ax, ay, bx, by, 7, 0);

  /* A hard brush paints exactly the pixels whose centres lie within R of a
   * dab; the dabs are at most a tenth of the diameter apart on the path. */
  for (int y = 0; y < window->mask->height; y++)
    for (int x = 0; x < window->mask->width; x++)
      {
        double d = distance_to_segment (x + 0.5, y + 0.5, ax, ay, bx, by);
        float m = window->mask->data[(gsize) y * window->mask->width + x];

        if (d <= R - 0.2 * R)
          {
            g_assert_cmpfloat (m, ==, 1.0f);
            inside++;
          }
        else if (d > R + 1e-6)
          {
            g_assert_cmpfloat (m, ==, 0.0f);
            outside++;
          }
        else
          g_assert_true (m == 0.0f || m == 1.0f);
      }
  g_test_message ("%u pixels surely inside the stroke, %u surely outside", inside, outside);
  g_assert_cmpuint (inside, >, 3000);

  /* The dream has it once the stroke is done. */
  g_assert_true (images_equal (inc_dream_session_get_mask (window->session), window->mask));

  /* The overlay: tinted along the stroke, untouched far from it. */
  settle ();
  wait_for_frames (GTK_WIDGET (window));
  after = snapshot_widget (GTK_WIDGET (window->canvas));
  {
    guint8 *a = g_malloc ((gsize) gdk_texture_get_width (before) * gdk_texture_get_height (before) * 4);
    guint8 *b = g_malloc ((gsize) gdk_texture_get_width (after) * gdk_texture_get_height (after) * 4);
    int stride = gdk_texture_get_width (before) * 4;
    double wx, wy;
    const guint8 *pa, *pb;

    g_assert_cmpint (gdk_texture_get_width (before), ==, gdk_texture_get_width (after));
    gdk_texture_download (before, a, stride);
    gdk_texture_download (after, b, stride);
    cx = (ax + bx) / 2;
    cy = (ay + by) / 2;
    inc_canvas_image_to_widget (window->canvas, cx, cy, &wx, &wy);
    pa = a + (int) wy * stride + (int) wx * 4;
    pb = b + (int) wy * stride + (int) wx * 4;
    g_test_message ("stroke centre before (%d,%d,%d) after (%d,%d,%d)",
                    pa[2], pa[1], pa[0], pb[2], pb[1], pb[0]);
    /* Half-way to the pink tint (1, 0.25, 0.45). */
    g_assert_cmpint (abs ((int) pb[2] - (pa[2] + 255) / 2), <=, 3);
    g_assert_cmpint (abs ((int) pb[1] - (pa[1] + 64) / 2), <=, 3);
    inc_canvas_image_to_widget (window->canvas, 400, 300, &wx, &wy);
    pa = a + (int) wy * stride + (int) wx * 4;
    pb = b + (int) wy * stride + (int) wx * 4;
    g_assert_cmpmem (pa, 3, pb, 3);
    g_free (a);
    g_free (b);
  }

  /* Ctrl erases: one dab in the middle of the stroke. */
  drag_stroke (window, cx, cy, cx, cy, 1, GDK_CONTROL_MASK);
  for (int y = (int) cy - 20; y < (int) cy + 20; y++)
    for (int x = (int) cx - 20; x < (int) cx + 20; x++)
      if (hypot (x + 0.5 - cx, y + 0.5 - cy) <= R)
        g_assert_cmpfloat (window->mask->data[y * window->mask->width + x], ==, 0.0f);
  painted = inc_image_copy (window->mask);

  /* A dream changes the image only where the mask is; elsewhere it stays
   * bit for bit. */
  step_once (window);
  image = inc_dream_session_get_image (window->session);
  g_assert_true (image != source);
  {
    guint changed_inside = 0;

    for (gsize i = 0; i < (gsize) image->width * image->height; i++)
      {
        gboolean differs = memcmp (image->data + i * 3, original->data + i * 3, 3 * sizeof (float)) != 0;

        if (painted->data[i] == 0.0f)
          g_assert_false (differs);
        else if (painted->data[i] == 1.0f && differs)
          changed_inside++;
      }
    g_assert_cmpuint (changed_inside, >, inside / 2);
  }

  /* Invert: 1 - m everywhere; Clear: no mask at all for the dream. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.mask-invert", NULL);
  for (gsize i = 0; i < (gsize) painted->width * painted->height; i++)
    g_assert_cmpfloat (window->mask->data[i], ==, 1.0f - painted->data[i]);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.mask-clear", NULL);
  g_assert_true (_inc_window_mask_is_empty (window));
  g_assert_null (inc_dream_session_get_mask (window->session));
  g_assert_false (action_enabled (window, "win", "mask-clear"));

  /* Both undo exactly. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo", NULL);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo", NULL);
  g_assert_true (images_equal (window->mask, painted));
  g_assert_true (images_equal (inc_dream_session_get_mask (window->session), painted));

  close_window (window);
}

static gboolean
some_steps (gpointer window)
{
  IncDreamProgress progress;

  inc_dream_session_get_progress (INC_WINDOW (window)->session, &progress);
  return progress.total_done >= 3;
}

/* A mask changed mid-dream reaches the running dream at its next step,
 * without a restart: here the dream moves from the stroke to the rest. */
static void
test_mask_while_dreaming (void)
{
  FakeSource *fake = fake_source_new (-1, 30);
  IncWindow *window = fake_window (fake, 400);
  g_autoptr(IncImage) original = inc_image_copy (inc_dream_session_get_source (window->session));
  g_autoptr(IncImage) stroke = NULL;
  const IncImage *image;
  guint outside_changed = 0, outside = 0;

  gtk_widget_activate_action (GTK_WIDGET (window), "win.paint-mask", NULL);
  set_brush (window, 40, 1.0);
  drag_stroke (window, 100, 100, 300, 100, 5, 0);
  stroke = inc_image_copy (window->mask);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.dream", NULL);
  g_assert_true (wait_until (some_steps, window, 60));
  /* Only the stroke has dreamt so far. */
  image = inc_dream_session_get_image (window->session);
  for (gsize i = 0; i < (gsize) image->width * image->height; i++)
    if (stroke->data[i] == 0.0f)
      g_assert_cmpmem (image->data + i * 3, 12, original->data + i * 3, 12);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.mask-invert", NULL);
  g_assert_true (inc_dream_session_get_running (window->session));
  {
    IncDreamProgress progress;
    int at;

    inc_dream_session_get_progress (window->session, &progress);
    at = progress.total_done;
    while (progress.total_done < at + 3)
      {
        g_main_context_iteration (NULL, FALSE);
        g_usleep (1000);
        inc_dream_session_get_progress (window->session, &progress);
      }
  }
  gtk_widget_activate_action (GTK_WIDGET (window), "win.dream", NULL);
  g_assert_true (wait_until (stopped, window, 60));

  image = inc_dream_session_get_image (window->session);
  for (gsize i = 0; i < (gsize) image->width * image->height; i++)
    if (stroke->data[i] == 0.0f)
      {
        outside++;
        if (memcmp (image->data + i * 3, original->data + i * 3, 12) != 0)
          outside_changed++;
      }
  g_test_message ("%u of %u pixels outside the stroke dreamt after the invert",
                  outside_changed, outside);
  g_assert_cmpuint (outside_changed, >, outside / 2);
  /* Still one run for undo. */
  g_assert_cmpstr (inc_history_undo_label (window->history), ==, "Dream");

  close_window (window);
}

static void
test_mask_png (void)
{
  FakeSource *fake = fake_source_new (-1, 0);
  IncWindow *window = fake_window (fake, 1);
  g_autofree char *dir = g_dir_make_tmp ("inc-workflow-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "mask.png", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(IncImage) painted = NULL;
  g_autoptr(IncImage) saved = NULL;

  gtk_widget_activate_action (GTK_WIDGET (window), "win.paint-mask", NULL);
  set_brush (window, 40, 0.3);
  drag_stroke (window, 50, 50, 300, 200, 5, 0);
  painted = inc_image_copy (window->mask);

  /* Export writes what the window holds; import brings it back to 8 bits. */
  g_assert_true (inc_image_save (window->mask, path, NULL, 0, &error));
  g_assert_no_error (error);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.mask-clear", NULL);
  g_assert_true (_inc_window_mask_import (window, path, &error));
  g_assert_no_error (error);
  for (gsize i = 0; i < (gsize) painted->width * painted->height; i++)
    g_assert_cmpfloat (fabsf (window->mask->data[i] - painted->data[i]), <=, 0.5f / 255 + 1e-6);
  g_assert_true (images_equal (inc_dream_session_get_mask (window->session), window->mask));

  /* An unreadable file: an error, the mask unchanged. */
  saved = inc_image_copy (window->mask);
  g_assert_true (g_file_set_contents (path, "not a png", -1, NULL));
  g_assert_false (_inc_window_mask_import (window, path, &error));
  g_assert_nonnull (error);
  g_assert_true (images_equal (window->mask, saved));

  close_window (window);
  g_unlink (path);
  g_rmdir (dir);
}

/* ---- undo ------------------------------------------------------------- */

static void
test_undo_redo (void)
{
  FakeSource *fake = fake_source_new (-1, 0);
  IncWindow *window = fake_window (fake, 10);
  g_autoptr(IncImage) image0 = inc_image_copy (inc_dream_session_get_source (window->session));
  g_autoptr(IncImage) image1 = NULL;
  g_autoptr(IncImage) image2 = NULL;
  g_autoptr(IncImage) mask1 = NULL;
  g_autoptr(IncImage) empty = NULL;
  g_auto(GStrv) accels = NULL;

  accels = gtk_application_get_accels_for_action (GTK_APPLICATION (application), "win.undo");
  g_assert_true (g_strv_contains ((const char *const *) accels, "<Control>z"));
  g_strfreev (accels);
  accels = gtk_application_get_accels_for_action (GTK_APPLICATION (application), "win.redo");
  g_assert_true (g_strv_contains ((const char *const *) accels, "<Shift><Control>z"));
  g_assert_false (action_enabled (window, "win", "undo"));
  empty = inc_image_copy (window->mask);

  step_once (window);
  image1 = inc_image_copy (inc_dream_session_get_image (window->session));
  g_assert_false (images_equal (image1, image0));
  step_once (window);
  image2 = inc_image_copy (inc_dream_session_get_image (window->session));
  g_assert_false (images_equal (image2, image1));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.paint-mask", NULL);
  drag_stroke (window, 200, 100, 220, 180, 3, 0);
  mask1 = inc_image_copy (window->mask);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.reset", NULL);
  g_assert_true (images_equal (inc_dream_session_get_image (window->session), image0));
  g_assert_cmpuint (inc_history_get_n_edits (window->history), ==, 4);

  /* Back through reset, stroke, step, step; the header bar follows. */
  g_assert_true (action_enabled (window, "win", "undo"));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (window->undo_button), ==, "Undo Reset (Ctrl+Z)");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo", NULL);
  g_assert_true (images_equal (inc_dream_session_get_image (window->session), image2));
  g_assert_true (images_equal (window->mask, mask1));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo", NULL);
  g_assert_true (images_equal (window->mask, empty));
  g_assert_true (images_equal (inc_dream_session_get_image (window->session), image2));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo", NULL);
  g_assert_true (images_equal (inc_dream_session_get_image (window->session), image1));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo", NULL);
  g_assert_true (images_equal (inc_dream_session_get_image (window->session), image0));
  g_assert_false (action_enabled (window, "win", "undo"));

  /* And forward again. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.redo", NULL);
  g_assert_true (images_equal (inc_dream_session_get_image (window->session), image1));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.redo", NULL);
  g_assert_true (images_equal (inc_dream_session_get_image (window->session), image2));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.redo", NULL);
  g_assert_true (images_equal (window->mask, mask1));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.redo", NULL);
  g_assert_true (images_equal (inc_dream_session_get_image (window->session), image0));
  g_assert_false (action_enabled (window, "win", "redo"));

  /* Dreaming on after an undo starts from the image shown, as a new run. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo", NULL);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo", NULL);
  g_assert_true (images_equal (inc_dream_session_get_image (window->session), image2));
  step_once (window);
  g_assert_false (images_equal (inc_dream_session_get_image (window->session), image2));
  g_assert_false (action_enabled (window, "win", "redo"));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo", NULL);
  g_assert_true (images_equal (inc_dream_session_get_image (window->session), image2));

  /* The canvas shows what undo gave back. */
  g_assert_true (inc_canvas_has_image (window->canvas));
  close_window (window);
}

/* ---- presets ---------------------------------------------------------- */

static void
assert_controls_show (IncWindow       *window,
                      const IncRecipe *recipe)
{
  int octaves, steps, tile, jitter, seed;
  double scale, step_size;
  g_autofree char *norm = NULL;
  const IncRecipe *live = inc_dream_session_get_recipe (window->session);

  for (int i = 0; i < INC_LAYER_PICKER_N_LAYERS; i++)
    {
      g_autofree char *name = g_strdup_printf ("mixed%d", i);
      const IncRecipeLayer *layer = NULL;

      for (guint j = 0; j < recipe->n_layers; j++)
        if (g_str_equal (recipe->layers[j].name, name))
          layer = &recipe->layers[j];
      g_assert_cmpint (gtk_switch_get_active (inc_layer_picker_get_switch (window->layer_picker, name)),
                       ==, layer != NULL);
      if (layer != NULL)
        {
          g_assert_cmpfloat_with_epsilon (gtk_adjustment_get_value (inc_layer_picker_get_weight (window->layer_picker, name)),
                                          layer->weight, 1e-6);
          g_assert_cmpint ((int) gtk_adjustment_get_value (inc_layer_picker_get_channel (window->layer_picker, name)),
                           ==, layer->channel);
        }
    }
  g_object_get (window->octave_controls, "octaves", &octaves, "octave-scale", &scale,
                "steps", &steps, "step-size", &step_size, "tile-size", &tile,
                "jitter", &jitter, "seed", &seed, "norm", &norm, NULL);
  g_assert_cmpint (octaves, ==, recipe->octaves);
  g_assert_cmpfloat_with_epsilon (scale, recipe->octave_scale, 1e-9);
  g_assert_cmpint (steps, ==, recipe->steps);
  g_assert_cmpfloat_with_epsilon (step_size, recipe->step_size, 1e-9);
  g_assert_cmpint (tile, ==, recipe->tile);
  g_assert_cmpint (jitter, ==, recipe->jitter);
  g_assert_cmpint (seed, ==, (int) recipe->seed);
  g_assert_cmpstr (norm, ==, inc_norm_kind_to_string (recipe->norm));

  /* What no control shows still reaches the dream. */
  g_assert_cmpint (live->objective, ==, recipe->objective);
  g_assert_cmpint (live->octave_style, ==, recipe->octave_style);
  g_assert_cmpint (live->start, ==, recipe->start);
  g_assert_cmpint (live->clip, ==, recipe->clip);
  g_assert_cmpuint (live->n_layers, ==, recipe->n_layers);
}

static void
test_presets (void)
{
  IncWindow *window = plain_window ();
  const char *const *builtins = inc_recipe_preset_names ();
  g_auto(GStrv) names = NULL;
  g_autoptr(IncRecipe) mine = NULL;
  g_autofree char *file = NULL;
  g_autofree char *dir = inc_user_presets_dir ();

  /* Every built-in, listed and applied to every control. */
  names = inc_presets_popover_get_names (window->presets_popover);
  for (guint i = 0; builtins[i] != NULL; i++)
    {
      g_autoptr(IncRecipe) recipe = inc_recipe_preset (builtins[i], NULL);

      g_assert_true (g_strv_contains ((const char *const *) names, builtins[i]));
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.apply-preset",
                                                 "s", builtins[i]));
      assert_controls_show (window, recipe);
    }

  /* Save the current settings as a preset of one's own. */
  g_object_set (window->octave_controls, "seed", 77, "steps", 9, NULL);
  inc_presets_popover_set_name (window->presets_popover, "My look");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window->presets_popover),
                                             "presets.save", NULL));
  g_assert_null (inc_presets_popover_get_message (window->presets_popover));
  g_strfreev (names);
  names = inc_presets_popover_get_names (window->presets_popover);
  g_assert_true (g_strv_contains ((const char *const *) names, "My look"));
  file = g_build_filename (dir, "My look.json", NULL);
  g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));

  /* Applying it after another puts back every value. */
  mine = inc_presets_load ("My look", NULL);
  g_assert_cmpuint (mine->seed, ==, 77);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.apply-preset", "s", "keras-example");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.apply-preset", "s", "My look");
  assert_controls_show (window, mine);

  /* A built-in cannot take its name or be renamed or deleted. */
  inc_presets_popover_set_name (window->presets_popover, "tf-tutorial");
  g_assert_false (action_enabled (window->presets_popover, "presets", "save"));

  /* Rename and delete the user's own (selected by choosing it). */
  inc_presets_popover_refresh (window->presets_popover);
  {
    GtkWidget *list = gtk_widget_get_first_child (GTK_WIDGET (window->presets_popover));
    GtkListBox *box = NULL;

    /* The list box is inside the popover's template. */
    for (GtkWidget *w = list; w != NULL && box == NULL;)
      {
        if (GTK_IS_LIST_BOX (w))
          box = GTK_LIST_BOX (w);
        else if (gtk_widget_get_first_child (w) != NULL)
          w = gtk_widget_get_first_child (w);
        else
          {
            while (w != NULL && gtk_widget_get_next_sibling (w) == NULL)
              w = gtk_widget_get_parent (w);
            w = w ? gtk_widget_get_next_sibling (w) : NULL;
          }
      }
    g_assert_nonnull (box);
    for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (box)); row != NULL;
         row = gtk_widget_get_next_sibling (row))
      if (g_strcmp0 (g_object_get_data (G_OBJECT (row), "preset-name"), "My look") == 0)
        gtk_list_box_select_row (box, GTK_LIST_BOX_ROW (row));
  }
  g_assert_true (action_enabled (window->presets_popover, "presets", "delete"));
  inc_presets_popover_set_name (window->presets_popover, "Your look");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window->presets_popover),
                                             "presets.rename", NULL));
  g_strfreev (names);
  names = inc_presets_popover_get_names (window->presets_popover);
  g_assert_false (g_strv_contains ((const char *const *) names, "My look"));
  g_assert_true (g_strv_contains ((const char *const *) names, "Your look"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window->presets_popover),
                                             "presets.delete", NULL));
  g_strfreev (names);
  names = inc_presets_popover_get_names (window->presets_popover);
  g_assert_false (g_strv_contains ((const char *const *) names, "Your look"));
  g_assert_cmpuint (g_strv_length (names), ==, g_strv_length ((GStrv) builtins));

  close_window (window);
}

/* ---- export ----------------------------------------------------------- */

static gboolean
export_done (gpointer window)
{
  IncWindow *self = window;

  return self->export_dialog == NULL || !inc_export_dialog_get_running (self->export_dialog);
}

static void
test_export_2x (void)
{
  FakeSource *fake = fake_source_new (-1, 0);
  IncWindow *window = fake_window (fake, 2);
  const IncImage *source = inc_dream_session_get_source (window->session);
  g_autofree char *dir = g_dir_make_tmp ("inc-workflow-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "print.png", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autoptr(IncRecipe) recipe = NULL;

  g_object_set (window->octave_controls, "seed", 4242, NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.export", NULL));
  g_assert_nonnull (window->export_dialog);
  g_assert_true (wait_until (is_mapped, window->export_dialog, 10));
  inc_export_dialog_set_file (window->export_dialog, file);
  inc_export_dialog_set_size (window->export_dialog, 2, 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window->export_dialog), "export.start", NULL));
  g_assert_true (inc_export_dialog_get_running (window->export_dialog));
  /* The engine is the export's until it is done. */
  g_assert_false (action_enabled (window, "win", "dream"));
  g_assert_true (wait_until (export_done, window, 120));

  /* Done: the dialog has closed and the window says so. */
  g_assert_null (window->export_dialog);
  g_assert_false (gtk_info_bar_get_revealed (window->banner));
  g_assert_cmpstr (gtk_label_get_text (window->status_label), ==, "Exported “print.png”");
  g_assert_true (action_enabled (window, "win", "dream"));

  pixbuf = gdk_pixbuf_new_from_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, 2 * source->width);
  g_assert_cmpint (gdk_pixbuf_get_height (pixbuf), ==, 2 * source->height);
  json = inc_image_read_recipe (path, &error);
  g_assert_no_error (error);
  recipe = inc_recipe_from_json (json, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (recipe->seed, ==, 4242);
  g_assert_cmpint (recipe->steps, ==, 2);
  g_assert_cmpint (recipe->octaves, ==, 1);

  close_window (window);
  g_unlink (path);
  g_rmdir (dir);
}

typedef struct {
  IncWindow *window;
  FakeSource *fake;
} ExportWait;

static gboolean
export_stepping (gpointer data)
{
  ExportWait *wait = data;

  return g_atomic_int_get (&wait->fake->calls) >= 2;
}

static void
test_export_cancel (void)
{
  FakeSource *fake = fake_source_new (-1, 100);
  IncWindow *window = fake_window (fake, 20);
  g_autofree char *dir = g_dir_make_tmp ("inc-workflow-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "cancelled.jpg", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GDir) listing = NULL;
  ExportWait wait = { window, fake };
  StallMeter meter = { 0, 0 };
  IncExportDialog *dialog;
  guint tick;

  gtk_widget_activate_action (GTK_WIDGET (window), "win.export", NULL);
  dialog = window->export_dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  inc_export_dialog_set_file (dialog, file);
  inc_export_dialog_set_size (dialog, 0, 800);
  gtk_widget_activate_action (GTK_WIDGET (dialog), "export.start", NULL);
  g_assert_true (wait_until (export_stepping, &wait, 60));

  /* The canvas stays usable: a stroke lands while the export runs, and
   * the main loop keeps its pace. */
  tick = g_timeout_add (5, stall_tick_cb, &meter);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.paint-mask", NULL);
  drag_stroke (window, 100, 100, 200, 100, 4, 0);
  g_assert_false (_inc_window_mask_is_empty (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.zoom-in", NULL);
  for (int i = 0; i < 30; i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
  g_source_remove (tick);
  g_test_message ("worst main-loop stall while exporting: %.1f ms", meter.worst / 1000.0);
  g_assert_cmpint (meter.worst, <, 100 * 1000);
  g_assert_true (inc_export_dialog_get_running (dialog));

  gtk_widget_activate_action (GTK_WIDGET (dialog), "export.cancel", NULL);
  g_assert_true (wait_until (export_done, window, 60));
  /* The dialog stays to try again and says nothing was written. */
  g_assert_nonnull (dialog);
  g_assert_cmpstr (inc_export_dialog_get_status (dialog), ==, "Cancelled: no file was written");
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  listing = g_dir_open (dir, 0, NULL);
  g_assert_null (g_dir_read_name (listing));
  g_assert_true (action_enabled (window, "win", "dream"));

  gtk_window_close (GTK_WINDOW (dialog));
  settle ();
  g_assert_null (dialog);
  close_window (window);
  g_rmdir (dir);
}

/* ---- sessions --------------------------------------------------------- */

static gboolean
file_exists (gpointer path)
{
  return g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

static void
test_session_round_trip (void)
{
  FakeSource *fake = fake_source_new (-1, 0);
  IncWindow *window = fake_window (fake, 10);
  g_autofree char *dir = g_dir_make_tmp ("inc-workflow-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "work.inceptionist", NULL);
  g_autoptr(IncImage) source = inc_image_copy (inc_dream_session_get_source (window->session));
  g_autoptr(IncImage) after_step = NULL;
  g_autoptr(IncImage) mask = NULL;
  IncWindow *other;
  int seed;

  step_once (window);
  after_step = inc_image_copy (inc_dream_session_get_image (window->session));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.paint-mask", NULL);
  drag_stroke (window, 120, 90, 240, 200, 4, 0);
  mask = inc_image_copy (window->mask);
  g_object_set (window->octave_controls, "seed", 99, NULL);

  _inc_window_save_session (window, path);
  g_assert_true (wait_until (file_exists, path, 60));
  settle ();
  close_window (window);

  other = plain_window ();
  _inc_window_open_session (other, path);
  g_assert_true (wait_until (has_source, other, 60));
  g_assert_false (gtk_info_bar_get_revealed (other->banner));

  g_assert_true (images_equal (inc_dream_session_get_source (other->session), source));
  g_assert_true (images_equal (inc_dream_session_get_image (other->session), after_step));
  g_assert_true (images_equal (other->mask, mask));
  g_assert_true (images_equal (inc_dream_session_get_mask (other->session), mask));
  g_object_get (other->octave_controls, "seed", &seed, NULL);
  g_assert_cmpint (seed, ==, 99);
  g_assert_cmpuint (inc_dream_session_get_recipe (other->session)->seed, ==, 99);

  /* The history came along: undo the stroke, then the step. */
  gtk_widget_activate_action (GTK_WIDGET (other), "win.undo", NULL);
  g_assert_true (_inc_window_mask_is_empty (other));
  gtk_widget_activate_action (GTK_WIDGET (other), "win.undo", NULL);
  g_assert_true (images_equal (inc_dream_session_get_image (other->session), source));

  /* A damaged file: an error in the window, the work kept. */
  {
    g_autofree char *broken = g_build_filename (dir, "broken.inceptionist", NULL);

    g_assert_true (g_file_set_contents (broken, "INCSESS1 but not really", -1, NULL));
    _inc_window_open_session (other, broken);
    g_assert_true (wait_until (has_source, other, 60));
    g_assert_true (gtk_info_bar_get_revealed (other->banner));
    g_assert_true (images_equal (inc_dream_session_get_source (other->session), source));
    g_unlink (broken);
  }

  close_window (other);
  g_unlink (path);
  g_rmdir (dir);
}

/* ---- autosave --------------------------------------------------------- */

static gboolean
autosaved (gpointer window)
{
  IncWindow *self = window;

  return self->autosaves > 0 && !self->autosave_busy && self->autosave_id == 0;
}

/* The child: work, wait for the autosave, print what it holds, and die
 * without closing anything. */
static int
autosave_child (const char *state_dir)
{
  FakeSource *fake = fake_source_new (-1, 0);
  IncWindow *window;
  g_autofree char *image_sum = NULL;
  g_autofree char *mask_sum = NULL;

  window = fake_window (fake, 10);
  /* A quick clock for the test; the one opening the image started goes. */
  window->autosave_delay_ms = 300;
  g_clear_handle_id (&window->autosave_id, g_source_remove);
  step_once (window);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.paint-mask", NULL);
  drag_stroke (window, 60, 60, 160, 120, 3, 0);
  g_object_set (window->octave_controls, "seed", 31337, NULL);
  window->autosaves = 0;
  if (!wait_until (autosaved, window, 60))
    g_error ("no autosave: held %d busy %d id %u saved %u", window->autosave_held,
             window->autosave_busy, window->autosave_id, window->autosaves);

  image_sum = image_checksum (inc_dream_session_get_image (window->session));
  mask_sum = image_checksum (window->mask);
  g_print ("sums: %s %s\n", image_sum, mask_sum);
  fflush (stdout);
  raise (SIGKILL);
  return 1;
}

static void
test_autosave_after_kill (void)
{
  g_autofree char *self_path = g_file_read_link ("/proc/self/exe", NULL);
  const char *state = g_get_user_state_dir ();
  g_auto(GStrv) env = g_get_environ ();
  char *argv[] = { self_path, (char *) "--autosave-child", (char *) state, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) sums = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *image_sum = NULL;
  g_autofree char *mask_sum = NULL;
  IncWindow *window;
  int status;
  int seed;

  g_assert_nonnull (self_path);
  g_test_message ("state %s, autosave there: %d", state, inc_session_autosave_exists ());
  env = g_environ_setenv (env, "XDG_STATE_HOME", state, TRUE);
  env = g_environ_setenv (env, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  g_assert_true (g_spawn_sync (NULL, argv, env, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &err, &status, &error));
  g_assert_no_error (error);
  g_test_message ("child: %s", out);
  if (!WIFSIGNALED (status) || WTERMSIG (status) != SIGKILL)
    g_error ("the child did not die as planned: status %d, %s", status, err);
  g_assert_nonnull (strstr (out, "sums: "));
  sums = g_strsplit (g_strstrip (strstr (out, "sums: ") + 6), " ", 2);
  g_assert_cmpuint (g_strv_length (sums), ==, 2);
  g_assert_true (inc_session_autosave_exists ());

  /* The next start offers the work back. */
  window = plain_window ();
  g_assert_true (gtk_info_bar_get_revealed (window->restore_banner));
  g_assert_true (window->autosave_held);
  g_assert_null (inc_dream_session_get_source (window->session));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.restore-autosave", NULL);
  g_assert_true (wait_until (has_source, window, 60));
  g_assert_false (gtk_info_bar_get_revealed (window->restore_banner));

  image_sum = image_checksum (inc_dream_session_get_image (window->session));
  mask_sum = image_checksum (window->mask);
  g_assert_cmpstr (image_sum, ==, sums[0]);
  g_assert_cmpstr (mask_sum, ==, sums[1]);
  g_object_get (window->octave_controls, "seed", &seed, NULL);
  g_assert_cmpint (seed, ==, 31337);
  /* Its history too: the stroke undoes. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.undo", NULL);
  g_assert_true (_inc_window_mask_is_empty (window));

  /* A clean close: nothing to offer next time. */
  close_cleanly (window);
  g_assert_false (inc_session_autosave_exists ());

  /* A second window does not offer a sibling's autosave. */
  {
    IncWindow *first = plain_window ();
    IncWindow *second;
    FakeSource *fake = fake_source_new (-1, 0);

    g_assert_false (gtk_info_bar_get_revealed (first->restore_banner));
    first->autosave_delay_ms = 50;
    inc_dream_session_set_gradient_source (first->session, &fake->parent, "stand-in");
    {
      g_autoptr(GFile) image = sample_image ();

      inc_window_open_file (first, image);
    }
    g_assert_true (wait_until (has_source, first, 60));
    g_assert_true (wait_until (autosaved, first, 60));
    second = plain_window ();
    g_assert_false (gtk_info_bar_get_revealed (second->restore_banner));
    close_cleanly (second);
    /* The other window still has work: its autosave stays. */
    g_assert_true (inc_session_autosave_exists ());
    close_cleanly (first);
    g_assert_false (inc_session_autosave_exists ());
  }
}

static void
test_discard_autosave (void)
{
  g_autoptr(IncSession) session = inc_session_new ();
  IncWindow *window;

  session->source = inc_image_new (64, 48, 3);
  g_assert_true (inc_session_autosave (session, NULL));
  window = plain_window ();
  g_assert_true (gtk_info_bar_get_revealed (window->restore_banner));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.discard-autosave", NULL);
  g_assert_false (gtk_info_bar_get_revealed (window->restore_banner));
  g_assert_false (inc_session_autosave_exists ());
  g_assert_null (inc_dream_session_get_source (window->session));
  close_window (window);
}

/* ---- accessibility and screenshots ------------------------------------ */

static void
save_shot (GtkWidget  *widget,
           const char *name)
{
  g_autoptr(GdkTexture) shot = NULL;
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, name, NULL);

  wait_for_frames (widget);
  shot = snapshot_widget (widget);
  g_assert_true (gdk_texture_save_to_png (shot, path));
  g_test_message ("screenshot: %s", path);
}

/* The real engine when the model is there (for a true picture), else the
 * stand-in. */
static IncWindow *
screenshot_window (void)
{
  const char *model = model_path;
  g_autoptr(GFile) image = NULL;
  IncWindow *window;

  if (!g_file_test (model, G_FILE_TEST_IS_REGULAR))
    return fake_window (fake_source_new (-1, 0), 3);

  window = g_object_new (INC_TYPE_WINDOW, "application", application,
                         "model-path", model, NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 1180, 760);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (wait_until (is_mapped, window, 10));
  g_object_set (window->octave_controls, "octaves", 1, "steps", 3, "preview-interval", 1,
                "step-size", 0.08, "jitter", 0, NULL);
  image = sample_image ();
  inc_window_open_file (window, image);
  g_assert_true (wait_until (has_source, window, 60));
  g_assert_true (wait_until (engine_ready_or_failed, window, 300));
  if (!inc_dream_session_get_engine_ready (window->session))
    {
      close_window (window);
      return fake_window (fake_source_new (-1, 0), 3);
    }
  return window;
}

static void
test_labels_and_screenshots (void)
{
  IncWindow *window = screenshot_window ();
  g_autoptr(GString) missing = g_string_new (NULL);
  guint checked = 0;

  /* The window with a mask painted and dreamt on: the tint shows where the
   * dream may grow, and only there did it. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.paint-mask", NULL);
  set_brush (window, 90, 0.4);
  drag_stroke (window, 120, 110, 380, 150, 10, 0);
  drag_stroke (window, 380, 150, 300, 260, 10, 0);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.dream", NULL);
  g_assert_true (wait_until (stopped, window, 300));
  g_assert_false (gtk_info_bar_get_revealed (window->banner));
  g_test_message ("dreamt on %s", inc_dream_session_get_device_name (window->session));

  check_accessible_labels (GTK_WIDGET (window), missing, &checked);
  g_test_message ("%u interactive widgets in the window", checked);
  g_assert_cmpstr (missing->str, ==, "");
  save_shot (GTK_WIDGET (window), "studio-mask-screenshot.png");

  gtk_menu_button_popup (GTK_MENU_BUTTON (gtk_widget_get_parent (GTK_WIDGET (window->presets_popover))));
  g_assert_true (wait_until (is_mapped, window->presets_popover, 10));
  checked = 0;
  check_accessible_labels (GTK_WIDGET (window->presets_popover), missing, &checked);
  g_assert_cmpuint (checked, >=, 8);
  g_assert_cmpstr (missing->str, ==, "");
  gtk_popover_popdown (GTK_POPOVER (window->presets_popover));

  gtk_widget_activate_action (GTK_WIDGET (window), "win.export", NULL);
  g_assert_true (wait_until (is_mapped, window->export_dialog, 10));
  inc_export_dialog_set_size (window->export_dialog, 2, 0);
  checked = 0;
  check_accessible_labels (GTK_WIDGET (window->export_dialog), missing, &checked);
  g_assert_cmpuint (checked, >=, 7);
  g_assert_cmpstr (missing->str, ==, "");
  save_shot (GTK_WIDGET (window->export_dialog), "studio-export-dialog.png");

  close_window (window);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  gboolean child = argc == 3 && g_str_equal (argv[1], "--autosave-child");
  int status;

  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_test_init (&argc, &argv, NULL);
      g_test_add_func ("/studio-workflow/no-display", test_no_display);
      return g_test_run ();
    }

  /* GLib's isolated test dirs leave out the state dir, where the autosave
   * goes: a private one, so the user's own is never touched. */
  if (!child)
    {
      g_autofree char *state = g_dir_make_tmp ("inc-studio-state-XXXXXX", NULL);

      g_setenv ("XDG_STATE_HOME", state, TRUE);
    }
  g_setenv ("GTK_A11Y", "test", FALSE);
  model_path = g_strdup (g_getenv ("INCEPTIONIST_MODEL"));
  if (model_path == NULL || *model_path == '\0')
    {
      g_free (model_path);
      model_path = inc_model_default_path ();
    }
  if (child)
    {
      int child_argc = 1;

      g_setenv ("XDG_STATE_HOME", argv[2], TRUE);
      gtk_test_init (&child_argc, &argv, NULL);
    }
  else
    gtk_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  application = inc_application_new (child ? "org.inceptionist.Studio.TestChild"
                                            : "org.inceptionist.Studio.Test",
                                      G_APPLICATION_NON_UNIQUE);
  if (!g_application_register (G_APPLICATION (application), NULL, &error))
    g_error ("%s", error->message);
  g_application_hold (G_APPLICATION (application));

  if (child)
    return autosave_child (argv[2]);

  g_test_add_func ("/studio-workflow/dream/while-preparing", test_dream_while_preparing);
  g_test_add_func ("/studio-workflow/mask/stroke", test_mask_stroke);
  g_test_add_func ("/studio-workflow/mask/while-dreaming", test_mask_while_dreaming);
  g_test_add_func ("/studio-workflow/mask/png", test_mask_png);
  g_test_add_func ("/studio-workflow/history/undo-redo", test_undo_redo);
  g_test_add_func ("/studio-workflow/presets/apply-save-rename-delete", test_presets);
  g_test_add_func ("/studio-workflow/export/2x", test_export_2x);
  g_test_add_func ("/studio-workflow/export/cancel", test_export_cancel);
  g_test_add_func ("/studio-workflow/session/round-trip", test_session_round_trip);
  g_test_add_func ("/studio-workflow/autosave/restore-after-kill", test_autosave_after_kill);
  g_test_add_func ("/studio-workflow/autosave/discard", test_discard_autosave);
  g_test_add_func ("/studio-workflow/window/labels-and-screenshots", test_labels_and_screenshots);

  status = g_test_run ();

  studio_tests_finish (&application);
  g_free (model_path);
  return status;
}
