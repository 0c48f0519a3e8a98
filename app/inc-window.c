/* inc-window.c: the main window: its template, settings, the recipe it
 * builds from the side panel, and how it shows the dream's progress and
 * errors. Actions live in inc-window-actions.c, files in inc-window-files.c. */
#include "app/inc-window-private.h"

#include <glib/gi18n.h>
#include <math.h>

#include "compute/engine.h"
#include "core/model.h"

G_DEFINE_FINAL_TYPE (IncWindow, inc_window, GTK_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_DREAMING,
  PROP_MODEL_PATH,
  PROP_PAINTING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

IncDreamSession *
_inc_window_get_session (IncWindow *self)
{
  return self->session;
}

IncCanvas *
_inc_window_get_canvas (IncWindow *self)
{
  return self->canvas;
}

gint64
_inc_window_get_first_frame_us (IncWindow *self)
{
  return self->first_frame_us;
}

void
_inc_window_show_error (IncWindow  *self,
                        const char *message,
                        gboolean    offer_import)
{
  gtk_label_set_text (self->banner_label, message);
  gtk_widget_set_visible (self->banner_import_button, offer_import);
  gtk_info_bar_set_message_type (self->banner, GTK_MESSAGE_ERROR);
  gtk_info_bar_set_revealed (self->banner, TRUE);
}

void
_inc_window_hide_error (IncWindow *self)
{
  gtk_info_bar_set_revealed (self->banner, FALSE);
}

static void
banner_response_cb (IncWindow *self,
                    int        response)
{
  if (response == GTK_RESPONSE_CLOSE)
    _inc_window_hide_error (self);
}

/* One message per failure, saying what to do next. */
static char *
describe_engine_error (IncWindow    *self,
                       const GError *error,
                       gboolean     *offer_import)
{
  *offer_import = FALSE;
  if (g_error_matches (error, INC_MODEL_ERROR, INC_MODEL_ERROR_MISSING))
    {
      *offer_import = TRUE;
      return g_strdup_printf (_("The InceptionV3 model is not installed (looked for %s). "
                                "Run scripts/fetch-model.sh from the source tree, or press "
                                "Import Model if a copy of nsfwjs@4.4.0 is already cached "
                                "(by that script or by npm); it does not download."),
                              self->model_path);
    }
  if (error->domain == INC_MODEL_ERROR)
    {
      *offer_import = TRUE;
      return g_strdup_printf (_("The model file cannot be used: %s. "
                                "Run scripts/fetch-model.sh again, or press Import Model."),
                              error->message);
    }
  if (g_error_matches (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_NO_DEVICE))
    return g_strdup_printf (_("No Vulkan device was found: %s. Press Dream to try again "
                              "once a driver is installed."),
                            error->message);
  if (g_error_matches (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_DEVICE_LOST))
    return g_strdup_printf (_("The device stopped working while dreaming (%s). The image so "
                              "far is kept. Press Dream to reopen the device and dream on, "
                              "or export the image."),
                            error->message);
  if (g_error_matches (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_OUT_OF_DEVICE_MEMORY) ||
      g_error_matches (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_OUT_OF_HOST_MEMORY))
    return g_strdup_printf (_("Out of memory while dreaming (%s). The image so far is kept. "
                              "Choose a smaller tile size, or a smaller working size in "
                              "Preferences and open the image again, then press Dream."),
                            error->message);
  return g_strdup_printf (_("The dream stopped: %s. The image so far is kept."),
                          error->message);
}

static void
load_engine_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(IncWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!inc_dream_session_load_engine_finish (INC_DREAM_SESSION (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          gboolean offer_import;
          g_autofree char *message = describe_engine_error (self, error, &offer_import);

          self->engine_loading = FALSE;
          self->dream_when_ready = FALSE;
          _inc_window_show_error (self, message, offer_import);
          _inc_window_set_dreaming (self, FALSE);
          _inc_window_update_actions (self);
          _inc_window_update_status (self);
        }
      return;
    }

  self->engine_loading = FALSE;
  _inc_window_hide_error (self);
  _inc_window_update_actions (self);
  _inc_window_update_status (self);
  if (self->dream_when_ready)
    {
      self->dream_when_ready = FALSE;
      _inc_window_set_dreaming (self, TRUE);
    }
}

void
_inc_window_load_engine (IncWindow *self)
{
  if (self->engine_loading || inc_dream_session_get_engine_ready (self->session))
    return;

  self->engine_loading = TRUE;
  inc_dream_session_load_engine_async (self->session, self->model_path,
                                       self->cancellable, load_engine_cb,
                                       g_object_ref (self));
  _inc_window_update_status (self);
}

IncRecipe *
_inc_window_build_recipe (IncWindow *self)
{
  IncRecipe *recipe = self->base_recipe ? inc_recipe_copy (self->base_recipe)
                                        : inc_recipe_new ();

  inc_layer_picker_apply (self->layer_picker, recipe);
  inc_octave_controls_apply (self->octave_controls, recipe);
  return recipe;
}

static void
update_recipe (IncWindow *self)
{
  g_autoptr(IncRecipe) recipe = _inc_window_build_recipe (self);
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&self->recipe_problem, g_free);
  if (recipe->n_layers == 0)
    self->recipe_problem = g_strdup (_("Switch on at least one layer to dream"));
  else if (!inc_dream_session_set_recipe (self->session, recipe, &error))
    self->recipe_problem = g_strdup (error->message);
  inc_presets_popover_set_recipe (self->presets_popover, recipe);
  _inc_window_update_actions (self);
  _inc_window_update_status (self);
  _inc_window_schedule_autosave (self);
}

void
_inc_window_recipe_changed (IncWindow *self)
{
  update_recipe (self);
}

/* Every control shows the recipe; what they do not show stays in the base. */
void
_inc_window_apply_recipe (IncWindow       *self,
                          const IncRecipe *recipe)
{
  g_clear_pointer (&self->base_recipe, inc_recipe_free);
  self->base_recipe = inc_recipe_copy (recipe);
  inc_layer_picker_set_from_recipe (self->layer_picker, recipe);
  inc_octave_controls_set_from_recipe (self->octave_controls, recipe);
  g_settings_set_value (self->settings, "layers",
                        inc_layer_picker_to_variant (self->layer_picker));
  update_recipe (self);
}

static void
layers_changed_cb (IncWindow *self)
{
  g_settings_set_value (self->settings, "layers",
                        inc_layer_picker_to_variant (self->layer_picker));
  update_recipe (self);
}

static void
preview_interval_changed_cb (IncWindow *self)
{
  inc_dream_session_set_preview_interval (self->session,
                                          g_settings_get_int (self->settings, "preview-interval"));
}

void
_inc_window_update_actions (IncWindow *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean have_image = inc_dream_session_get_source (self->session) != NULL;
  gboolean running = inc_dream_session_get_running (self->session);
  gboolean recipe_ok = self->recipe_problem == NULL;
  /* An export has the engine. */
  gboolean busy = inc_dream_session_get_busy (self->session);
  gboolean have_mask = self->mask != NULL;

  gtk_widget_action_set_enabled (widget, "win.dream",
                                 have_image && !self->importing && !busy &&
                                 (recipe_ok || self->dreaming));
  gtk_widget_action_set_enabled (widget, "win.step",
                                 have_image && recipe_ok && !running && !busy &&
                                 inc_dream_session_get_engine_ready (self->session));
  gtk_widget_action_set_enabled (widget, "win.reset", have_image);
  gtk_widget_action_set_enabled (widget, "win.export",
                                 have_image && self->export_dialog == NULL);
  gtk_widget_action_set_enabled (widget, "win.save-image", have_image);
  gtk_widget_action_set_enabled (widget, "win.save-session", have_image);
  gtk_widget_action_set_enabled (widget, "win.paint-mask", have_mask);
  gtk_widget_action_set_enabled (widget, "win.mask-invert", have_mask);
  gtk_widget_action_set_enabled (widget, "win.mask-clear",
                                 have_mask && !_inc_window_mask_is_empty (self));
  gtk_widget_action_set_enabled (widget, "win.mask-import", have_mask);
  gtk_widget_action_set_enabled (widget, "win.mask-export", have_mask);
  _inc_window_history_update (self);
  gtk_widget_action_set_enabled (widget, "win.import-model",
                                 !self->importing && !running);
}

void
_inc_window_update_status (IncWindow *self)
{
  IncDreamProgress progress;
  const IncImage *image = inc_dream_session_get_source (self->session);
  gboolean running = inc_dream_session_get_running (self->session);
  g_autoptr(GString) text = g_string_new (NULL);

  inc_dream_session_get_progress (self->session, &progress);

  if (self->importing)
    g_string_append (text, _("Importing the model…"));
  else if (self->image_loading)
    g_string_append (text, _("Opening the image…"));
  else if (image == NULL)
    g_string_append (text, _("No image"));
  else if (self->recipe_problem != NULL && !running)
    g_string_append (text, self->recipe_problem);
  else if (self->engine_loading && self->dream_when_ready)
    g_string_append (text, _("Loading the model…"));
  else if (progress.octave > 0)
    {
      g_string_append_printf (text, _("Octave %d of %d · step %d of %d"),
                              progress.octave, progress.n_octaves,
                              progress.step, progress.n_steps);
      if (!isnan (progress.loss))
        g_string_append_printf (text, _(" · loss %.4f"), progress.loss);
      g_string_append_printf (text, " · %d×%d", progress.width, progress.height);
      if (running && !self->dreaming)
        g_string_append (text, _(" · pausing…"));
      else if (!running && inc_dream_session_get_finished (self->session))
        g_string_append (text, _(" · finished"));
      else if (!running)
        g_string_append (text, _(" · paused"));
    }
  else if (running)
    g_string_append (text, _("Starting the dream…"));
  else
    g_string_append_printf (text, _("%d×%d · ready to dream"), image->width, image->height);

  if (inc_canvas_get_show_original (self->canvas))
    g_string_prepend (text, _("Original · "));

  gtk_label_set_text (self->status_label, text->str);
  gtk_progress_bar_set_fraction (self->progress_bar,
                                 progress.total_planned > 0
                                 ? (double) progress.total_done / progress.total_planned
                                 : 0.0);
}

static void
update_dream_button (IncWindow *self)
{
  gtk_label_set_text (self->dream_label, self->dreaming ? _("Pause") : _("Dream"));
  gtk_image_set_from_icon_name (self->dream_icon,
                                self->dreaming ? "media-playback-pause-symbolic"
                                               : "media-playback-start-symbolic");
  /* The blue call to action is for starting; a pressed blue toggle reads as
   * disabled in the default theme. */
  if (self->dreaming)
    gtk_widget_remove_css_class (GTK_WIDGET (self->dream_button), "suggested-action");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->dream_button), "suggested-action");
}

void
_inc_window_set_dreaming (IncWindow *self,
                          gboolean   dreaming)
{
  dreaming = !!dreaming;

  if (dreaming)
    {
      g_autoptr(GError) error = NULL;

      self->run_label = N_("Dream");
      if (!inc_dream_session_get_engine_ready (self->session))
        {
          self->dream_when_ready = TRUE;
          self->dream_pressed_us = g_get_monotonic_time ();
          self->first_frame_us = 0;
          _inc_window_load_engine (self);
          dreaming = FALSE;
        }
      else
        {
          if (!inc_dream_session_get_running (self->session) || !self->dreaming)
            {
              if (!self->dream_pressed_us)
                self->dream_pressed_us = g_get_monotonic_time ();
              self->first_frame_us = 0;
            }
          if (!inc_dream_session_start (self->session, 0, &error))
            {
              g_autofree char *message = g_strdup_printf (_("Cannot dream: %s"), error->message);

              _inc_window_show_error (self, message, FALSE);
              dreaming = FALSE;
              self->dream_pressed_us = 0;
            }
        }
    }
  else
    {
      self->dream_when_ready = FALSE;
      inc_dream_session_pause (self->session);
    }

  if (self->dreaming != dreaming)
    {
      self->dreaming = dreaming;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DREAMING]);
    }
  else
    /* The toggle button may show a state we refused: tell it again. */
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DREAMING]);
  update_dream_button (self);
  _inc_window_update_actions (self);
  _inc_window_update_status (self);
}

static void
session_frame_cb (IncWindow       *self,
                  IncDreamSession *session)
{
  g_autoptr(GBytes) rgba = inc_dream_session_get_rgba (session);
  const IncImage *image = inc_dream_session_get_image (session);

  if (rgba == NULL || image == NULL)
    {
      inc_canvas_set_image (self->canvas, NULL, 0, 0);
      return;
    }
  inc_canvas_set_image (self->canvas, rgba, image->width, image->height);
  if (inc_dream_session_get_running (session))
    self->run_changed = TRUE;
  if (self->dream_pressed_us != 0 && self->first_frame_us == 0 &&
      inc_dream_session_get_running (session))
    {
      self->first_frame_us = g_get_monotonic_time () - self->dream_pressed_us;
      self->dream_pressed_us = 0;
      g_debug ("first preview %.0f ms after Dream", self->first_frame_us / 1000.0);
    }
}

static void
session_progress_cb (IncWindow       *self,
                     IncDreamSession *session)
{
  _inc_window_update_status (self);
}

static void
session_stopped_cb (IncWindow       *self,
                    const GError    *error,
                    IncDreamSession *session)
{
  if (error != NULL)
    {
      gboolean offer_import;
      g_autofree char *message = describe_engine_error (self, error, &offer_import);

      _inc_window_show_error (self, message, offer_import);
    }
  /* A run, from Dream to its pause or end, or a Step, is one undo. */
  if (self->run_changed)
    {
      self->run_changed = FALSE;
      _inc_window_history_push_image (self, self->run_label ? self->run_label : N_("Dream"));
    }
  /* Finished, failed or paused: the toggle follows unless a resume is queued. */
  if (!inc_dream_session_get_running (session))
    _inc_window_set_dreaming (self, FALSE);
  _inc_window_update_actions (self);
  _inc_window_update_status (self);
}

static void
zoom_changed_cb (IncWindow *self)
{
  g_autofree char *text = g_strdup_printf ("%.0f%%", inc_canvas_get_zoom (self->canvas) * 100);

  gtk_label_set_text (self->zoom_label, text);
}

static gboolean
key_pressed_cb (IncWindow             *self,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                GtkEventControllerKey *controller)
{
  if ((keyval == GDK_KEY_backslash || keyval == GDK_KEY_space) &&
      (state & (GDK_CONTROL_MASK | GDK_ALT_MASK)) == 0 &&
      inc_canvas_has_image (self->canvas))
    {
      inc_canvas_set_show_original (self->canvas, TRUE);
      _inc_window_update_status (self);
      return TRUE;
    }
  return FALSE;
}

static void
key_released_cb (IncWindow             *self,
                 guint                  keyval,
                 guint                  keycode,
                 GdkModifierType        state,
                 GtkEventControllerKey *controller)
{
  if ((keyval == GDK_KEY_backslash || keyval == GDK_KEY_space) &&
      inc_canvas_get_show_original (self->canvas))
    {
      inc_canvas_set_show_original (self->canvas, FALSE);
      _inc_window_update_status (self);
    }
}

static void
save_window_state (IncWindow *self)
{
  int width, height;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_delay (self->settings);
  if (!gtk_window_is_maximized (GTK_WINDOW (self)))
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
  g_settings_apply (self->settings);
}

static void
finish_close_cb (IncWindow       *self,
                 GParamSpec      *pspec,
                 IncDreamSession *session)
{
  GApplication *application;

  if (inc_dream_session_get_working (session))
    return;
  g_signal_handlers_disconnect_by_func (session, finish_close_cb, self);
  application = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  gtk_window_destroy (GTK_WINDOW (self));
  if (application != NULL)
    g_application_release (application);
}

static gboolean
inc_window_close_request (GtkWindow *window)
{
  IncWindow *self = INC_WINDOW (window);
  GApplication *application = G_APPLICATION (gtk_window_get_application (window));

  save_window_state (self);
  _inc_window_session_closing (self);
  g_cancellable_cancel (self->cancellable);
  inc_dream_session_shutdown (self->session);

  /* The worker finishes its step in the background; the process stays until
   * it has, so the device is never torn down under it. */
  if (inc_dream_session_get_working (self->session))
    {
      gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
      if (application != NULL)
        g_application_hold (application);
      g_signal_connect_object (self->session, "notify::running",
                               G_CALLBACK (finish_close_cb), self, G_CONNECT_SWAPPED);
      return TRUE;
    }

  return GTK_WINDOW_CLASS (inc_window_parent_class)->close_request (window);
}

static gboolean
check_autosave_idle_cb (gpointer data)
{
  IncWindow *self = data;

  if (!gtk_widget_in_destruction (GTK_WIDGET (self)) && self->session != NULL)
    _inc_window_check_autosave (self);
  return G_SOURCE_REMOVE;
}

static void
inc_window_constructed (GObject *object)
{
  IncWindow *self = INC_WINDOW (object);
  g_autoptr(GVariant) layers = NULL;

  G_OBJECT_CLASS (inc_window_parent_class)->constructed (object);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  layers = g_settings_get_value (self->settings, "layers");
  inc_layer_picker_set_from_variant (self->layer_picker, layers);
  g_settings_bind (self->settings, "octaves", self->octave_controls, "octaves", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "octave-scale", self->octave_controls, "octave-scale", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "steps", self->octave_controls, "steps", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "step-size", self->octave_controls, "step-size", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "norm", self->octave_controls, "norm", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "tile-size", self->octave_controls, "tile-size", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "jitter", self->octave_controls, "jitter", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "seed", self->octave_controls, "seed", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "preview-interval", self->octave_controls, "preview-interval", G_SETTINGS_BIND_DEFAULT);

  g_signal_connect_object (self->layer_picker, "changed",
                           G_CALLBACK (layers_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->octave_controls, "changed",
                           G_CALLBACK (update_recipe), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::preview-interval",
                           G_CALLBACK (preview_interval_changed_cb), self, G_CONNECT_SWAPPED);
  preview_interval_changed_cb (self);
  update_recipe (self);
  update_dream_button (self);
  zoom_changed_cb (self);
  _inc_window_update_actions (self);
  /* The application is set after construction: look once it is. */
  g_idle_add_full (G_PRIORITY_DEFAULT, check_autosave_idle_cb, g_object_ref (self),
                   g_object_unref);

  /* The model loads while the user picks an image. */
  _inc_window_load_engine (self);
}

static void
inc_window_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  IncWindow *self = INC_WINDOW (object);

  switch (prop_id)
    {
    case PROP_DREAMING:
      g_value_set_boolean (value, self->dreaming);
      break;
    case PROP_MODEL_PATH:
      g_value_set_string (value, self->model_path);
      break;
    case PROP_PAINTING:
      g_value_set_boolean (value, self->painting);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
inc_window_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  IncWindow *self = INC_WINDOW (object);

  switch (prop_id)
    {
    case PROP_DREAMING:
      _inc_window_set_dreaming (self, g_value_get_boolean (value));
      break;
    case PROP_MODEL_PATH:
      g_free (self->model_path);
      self->model_path = g_value_dup_string (value);
      if (self->model_path == NULL)
        self->model_path = inc_model_default_path ();
      break;
    case PROP_PAINTING:
      if (self->painting != g_value_get_boolean (value))
        {
          self->painting = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
inc_window_dispose (GObject *object)
{
  IncWindow *self = INC_WINDOW (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->session != NULL)
    {
      inc_dream_session_shutdown (self->session);
      g_signal_handlers_disconnect_by_data (self->session, self);
    }

  g_clear_handle_id (&self->autosave_id, g_source_remove);
  _inc_window_close_export (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), INC_TYPE_WINDOW);

  g_clear_object (&self->session);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->file);

  G_OBJECT_CLASS (inc_window_parent_class)->dispose (object);
}

static void
inc_window_finalize (GObject *object)
{
  IncWindow *self = INC_WINDOW (object);

  g_free (self->model_path);
  g_free (self->recipe_problem);
  g_clear_pointer (&self->base_recipe, inc_recipe_free);
  g_clear_pointer (&self->stroke, inc_brush_stroke_free);
  g_clear_pointer (&self->mask, inc_image_free);
  g_clear_pointer (&self->history, inc_history_free);
  g_free (self->session_path);
  g_free (self->export_status);

  G_OBJECT_CLASS (inc_window_parent_class)->finalize (object);
}

static void
inc_window_class_init (IncWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = inc_window_constructed;
  object_class->dispose = inc_window_dispose;
  object_class->finalize = inc_window_finalize;
  object_class->get_property = inc_window_get_property;
  object_class->set_property = inc_window_set_property;

  window_class->close_request = inc_window_close_request;

  properties[PROP_DREAMING] =
    g_param_spec_boolean ("dreaming", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* NULL: inc_model_default_path (). */
  properties[PROP_MODEL_PATH] =
    g_param_spec_string ("model-path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /* The canvas paints the mask rather than panning with the primary button. */
  properties[PROP_PAINTING] =
    g_param_spec_boolean ("painting", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (INC_TYPE_CANVAS);
  g_type_ensure (INC_TYPE_LAYER_PICKER);
  g_type_ensure (INC_TYPE_OCTAVE_CONTROLS);
  g_type_ensure (INC_TYPE_MASK_PANEL);
  g_type_ensure (INC_TYPE_PRESETS_POPOVER);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/inceptionist/Studio/inc-window.ui");
  gtk_widget_class_bind_template_child (widget_class, IncWindow, dream_button);
  gtk_widget_class_bind_template_child (widget_class, IncWindow, dream_icon);
  gtk_widget_class_bind_template_child (widget_class, IncWindow, dream_label);
  gtk_widget_class_bind_template_child (widget_class, IncWindow, banner);
  gtk_widget_class_bind_template_child (widget_class, IncWindow, banner_label);
  gtk_widget_class_bind_template_child (widget_class, IncWindow, banner_import_button);
  gtk_widget_class_bind_template_child (widget_class, IncWindow, canvas);
  gtk_widget_class_bind_template_child (widget_class, IncWindow, placeholder);
  gtk_widget_class_bind_template_child (widget_class, IncWindow, layer_picker);
  gtk_widget_class_bind_template_child (widget_class, IncWindow, octave_controls);
  gtk_widget_class_bind_template_child (widget_class, IncWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, IncWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, IncWindow, zoom_label);
  gtk_widget_class_bind_template_child (widget_class, IncWindow, recent_menu);
  gtk_widget_class_bind_template_child (widget_class, IncWindow, mask_panel);
  gtk_widget_class_bind_template_child (widget_class, IncWindow, presets_popover);
  gtk_widget_class_bind_template_child (widget_class, IncWindow, restore_banner);
  gtk_widget_class_bind_template_child (widget_class, IncWindow, restore_label);
  gtk_widget_class_bind_template_child (widget_class, IncWindow, undo_button);
  gtk_widget_class_bind_template_child (widget_class, IncWindow, redo_button);
  gtk_widget_class_bind_template_callback (widget_class, banner_response_cb);

  _inc_window_class_actions_init (widget_class);
}

static void
inc_window_init (IncWindow *self)
{
  GtkEventController *keys;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new ("org.inceptionist.Studio");
  self->session = inc_dream_session_new ();
  self->cancellable = g_cancellable_new ();
  self->model_path = inc_model_default_path ();
  self->history = inc_history_new (0);
  self->autosave_delay_ms = 60 * 1000;

  g_signal_connect_object (self->session, "frame",
                           G_CALLBACK (session_frame_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "progress",
                           G_CALLBACK (session_progress_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "stopped",
                           G_CALLBACK (session_stopped_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->canvas, "notify::zoom",
                           G_CALLBACK (zoom_changed_cb), self, G_CONNECT_SWAPPED);

  /* Bubble phase: a focused text field keeps its keys. */
  keys = gtk_event_controller_key_new ();
  g_signal_connect_swapped (keys, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  g_signal_connect_swapped (keys, "key-released", G_CALLBACK (key_released_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);

  _inc_window_setup_drop (self);
  _inc_window_setup_recent (self);
  _inc_window_mask_init (self);
}

IncWindow *
inc_window_new (GtkApplication *application)
{
  return g_object_new (INC_TYPE_WINDOW, "application", application, NULL);
}
