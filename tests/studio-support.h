/* studio-support.h: helpers shared by the studio's UI test programs
 * (main-loop waits, window teardown, snapshots, a stand-in engine). Each
 * program includes it once; what it leaves unused is marked so. */
#pragma once

#include <gtk/gtk.h>

#include "app/inc-window-private.h"
#include "compute/engine.h"

/* After the tests: the private state dir goes, with whatever a failed
 * test left in it, and so does the application. */
G_GNUC_UNUSED static void
studio_tests_finish (IncApplication **application)
{
  g_autofree char *dir = g_build_filename (g_getenv ("XDG_STATE_HOME"), "inceptionist", NULL);

  inc_session_discard_autosave (NULL);
  g_rmdir (dir);
  g_rmdir (g_getenv ("XDG_STATE_HOME"));
  g_application_release (G_APPLICATION (*application));
  g_clear_object (application);
}

/* Accessibility: every control needs a name a screen reader can say. */
static gboolean
is_interactive (GtkWidget *widget)
{
  return GTK_IS_BUTTON (widget) || GTK_IS_MENU_BUTTON (widget) ||
         GTK_IS_SWITCH (widget) || GTK_IS_RANGE (widget) ||
         GTK_IS_SPIN_BUTTON (widget) || GTK_IS_DROP_DOWN (widget) ||
         GTK_IS_CHECK_BUTTON (widget) || GTK_IS_ENTRY (widget) ||
         GTK_IS_TEXT (widget) || GTK_IS_PROGRESS_BAR (widget) ||
         GTK_IS_LIST_BOX (widget) || GTK_IS_LIST_BOX_ROW (widget) ||
         INC_IS_CANVAS (widget);
}

static gboolean
has_label (GtkWidget *widget)
{
  GtkAccessible *accessible = GTK_ACCESSIBLE (widget);

  if (gtk_test_accessible_has_property (accessible, GTK_ACCESSIBLE_PROPERTY_LABEL) ||
      gtk_test_accessible_has_relation (accessible, GTK_ACCESSIBLE_RELATION_LABELLED_BY))
    return TRUE;
  /* A button that shows text is named by it. */
  if (GTK_IS_BUTTON (widget) && gtk_button_get_label (GTK_BUTTON (widget)) != NULL &&
      gtk_button_get_icon_name (GTK_BUTTON (widget)) == NULL)
    return *gtk_button_get_label (GTK_BUTTON (widget)) != '\0';
  return FALSE;
}

/* Counts the interactive widgets under widget in *checked and appends
 * those without a name to missing. */
G_GNUC_UNUSED static void
check_accessible_labels (GtkWidget *widget,
                         GString   *missing,
                         guint     *checked)
{
  /* A scrolled window's scrollbars are the toolkit's, announced by role. */
  if (GTK_IS_SCROLLBAR (widget))
    return;
  if (is_interactive (widget))
    {
      (*checked)++;
      if (!has_label (widget))
        g_string_append_printf (missing, " %s(%s)", G_OBJECT_TYPE_NAME (widget),
                                gtk_widget_get_name (widget));
      /* Its insides (a spin button's text, a menu button's toggle) are
       * named through it; a list's rows are controls of their own. */
      if (!GTK_IS_LIST_BOX (widget))
        return;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL; child = gtk_widget_get_next_sibling (child))
    check_accessible_labels (child, missing, checked);
}

/* Runs the main loop until cond (data) holds or timeout_s passes. */
G_GNUC_UNUSED static gboolean
wait_until (gboolean (*cond) (gpointer data),
            gpointer  data,
            double    timeout_s)
{
  gint64 end = g_get_monotonic_time () + (gint64) (timeout_s * G_USEC_PER_SEC);

  while (!cond (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return TRUE;
}

/* Lets pending layout and frames happen. */
G_GNUC_UNUSED static void
settle (void)
{
  for (int i = 0; i < 20; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (5000);
    }
}

G_GNUC_UNUSED static gboolean
is_mapped (gpointer widget)
{
  return gtk_widget_get_mapped (widget) && gtk_widget_get_width (widget) > 0;
}

G_GNUC_UNUSED static gboolean
is_null (gpointer data)
{
  return *(gpointer *) data == NULL;
}

/* Destroys the window and checks nothing (an idle, a signal, a cycle) keeps
 * it alive once its workers (an engine still loading) have returned. */
G_GNUC_UNUSED static void
close_window (IncWindow *window)
{
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_true (wait_until (is_null, &window, 120));
  settle ();
}

/* Until the window has painted twice more: everything is allocated. */
G_GNUC_UNUSED static void
wait_for_frames (GtkWidget *widget)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  gint64 target = gdk_frame_clock_get_frame_counter (clock) + 2;
  gint64 end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  gtk_widget_queue_draw (widget);
  while (gdk_frame_clock_get_frame_counter (clock) < target &&
         g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

/* The widget as the compositor would see it, rendered to a texture. */
G_GNUC_UNUSED static GdkTexture *
snapshot_widget (GtkWidget *widget)
{
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    g_error ("nothing drawn: %s %dx%d realized %d mapped %d gl error %s", G_OBJECT_TYPE_NAME (widget), width, height,
             gtk_widget_get_realized (widget), gtk_widget_get_mapped (widget),
             GTK_IS_GL_AREA (widget) && gtk_gl_area_get_error (GTK_GL_AREA (widget)) ? gtk_gl_area_get_error (GTK_GL_AREA (widget))->message : "-");
  return gsk_renderer_render_texture (renderer, node,
                                      &GRAPHENE_RECT_INIT (0, 0, width, height));
}

G_GNUC_UNUSED static gboolean
engine_settled (gpointer window)
{
  return !INC_WINDOW (window)->engine_loading;
}

G_GNUC_UNUSED static gboolean
engine_ready_or_failed (gpointer window)
{
  return inc_dream_session_get_engine_ready (INC_WINDOW (window)->session) ||
         !INC_WINDOW (window)->engine_loading;
}

G_GNUC_UNUSED static gboolean
stopped (gpointer window)
{
  return !inc_dream_session_get_running (INC_WINDOW (window)->session) &&
         !INC_WINDOW (window)->dreaming;
}

/* The longest gap between ticks of a timeout on the main loop. */
typedef struct {
  gint64 last;
  gint64 worst;
} StallMeter;

G_GNUC_UNUSED static gboolean
stall_tick_cb (gpointer data)
{
  StallMeter *meter = data;
  gint64 now = g_get_monotonic_time ();

  if (meter->last != 0)
    meter->worst = MAX (meter->worst, now - meter->last);
  meter->last = now;
  return G_SOURCE_CONTINUE;
}

/* ---- a stand-in engine: cheap, deterministic, and able to fail -------- */

typedef struct {
  IncGradientSource parent;
  int               calls;
  int               fail_after;  /* -1: never */
  int               delay_ms;
  int               error_code;
  int               prepares;    /* calls of fake_prepare */
  int               hold;        /* fake_prepare waits while it is set */
} FakeSource;

/* A prepare method that can be held, to act while the engine prepares;
 * set by the tests that need it. */
G_GNUC_UNUSED static gboolean
fake_prepare (IncGradientSource  *source,
              const char *const  *layers,
              int                 height,
              int                 width,
              GError            **error)
{
  FakeSource *self = (FakeSource *) source;

  g_atomic_int_inc (&self->prepares);
  while (g_atomic_int_get (&self->hold))
    g_usleep (1000);
  return TRUE;
}

G_GNUC_UNUSED static gboolean
fake_gradient (IncGradientSource  *source,
               const IncObjective *objective,
               const float        *image,
               int                 height,
               int                 width,
               float              *grad,
               double             *value,
               GError            **error)
{
  FakeSource *self = (FakeSource *) source;
  int call = g_atomic_int_add (&self->calls, 1);

  if (self->delay_ms > 0)
    g_usleep (self->delay_ms * 1000);
  if (self->fail_after >= 0 && call >= self->fail_after)
    {
      g_set_error (error, INC_ENGINE_ERROR, self->error_code,
                   "vkQueueSubmit: simulated failure");
      return FALSE;
    }
  /* A checkerboard push: plain to see, the same every time. */
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      for (int c = 0; c < 3; c++)
        grad[((gsize) y * width + x) * 3 + c] = ((x / 16 + y / 16) % 2) ? 1.0f : -1.0f;
  *value = call + 1;
  return TRUE;
}

G_GNUC_UNUSED static float *
fake_features (IncGradientSource *source,
               const char        *layer,
               const float       *image,
               int                height,
               int                width,
               int               *n,
               int               *channels,
               GError           **error)
{
  g_set_error_literal (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_INVALID, "no features here");
  return NULL;
}

G_GNUC_UNUSED static int
fake_min_input_side (IncGradientSource *source,
                     const char        *layer)
{
  return 32;
}

G_GNUC_UNUSED static void
fake_free (IncGradientSource *source)
{
  g_free (source);
}

/* fail_after: the call that fails first (-1: none); delay_ms: the time
 * each step takes. */
G_GNUC_UNUSED static FakeSource *
fake_source_new (int fail_after,
                 int delay_ms)
{
  FakeSource *self = g_new0 (FakeSource, 1);

  self->parent.gradient = fake_gradient;
  self->parent.features = fake_features;
  self->parent.min_input_side = fake_min_input_side;
  self->parent.free = fake_free;
  self->fail_after = fail_after;
  self->delay_ms = delay_ms;
  self->error_code = INC_ENGINE_ERROR_DEVICE_LOST;
  return self;
}

G_GNUC_UNUSED static void
test_no_display (void)
{
  g_test_skip ("no display: run the ui suite under xvfb-run");
}
