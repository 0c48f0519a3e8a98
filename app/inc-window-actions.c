/* inc-window-actions.c: the window's commands as actions, and their keys. */
#include "app/inc-window-private.h"

#include <glib/gi18n.h>

#include "core/user-presets.h"

static void
open_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  _inc_window_open_dialog (INC_WINDOW (widget));
}

static void
open_uri_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  g_autoptr(GFile) file = g_file_new_for_uri (g_variant_get_string (parameter, NULL));

  inc_window_open_file (INC_WINDOW (widget), file);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  _inc_window_export_dialog (INC_WINDOW (widget));
}

static void
import_model_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  _inc_window_import_model (INC_WINDOW (widget));
}

static void
step_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  IncWindow *self = INC_WINDOW (widget);
  g_autoptr(GError) error = NULL;

  self->run_label = N_("Step");
  if (!inc_dream_session_start (self->session, 1, &error))
    _inc_window_show_error (self, error->message, FALSE);
  _inc_window_update_actions (self);
  _inc_window_update_status (self);
}

static void
reset_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  IncWindow *self = INC_WINDOW (widget);
  gboolean changed = inc_dream_session_get_image (self->session) !=
                     inc_dream_session_get_source (self->session);

  _inc_window_set_dreaming (self, FALSE);
  /* A run still stopping would be recorded after the reset: not at all. */
  self->run_changed = FALSE;
  inc_dream_session_reset (self->session);
  if (changed)
    _inc_window_history_push_image (self, N_("Reset"));
  _inc_window_update_actions (self);
  _inc_window_update_status (self);
}

static void
zoom_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  IncWindow *self = INC_WINDOW (widget);

  if (g_str_equal (action_name, "win.zoom-in"))
    inc_canvas_zoom_in (self->canvas);
  else if (g_str_equal (action_name, "win.zoom-out"))
    inc_canvas_zoom_out (self->canvas);
  else if (g_str_equal (action_name, "win.zoom-fit"))
    inc_canvas_zoom_fit (self->canvas);
  else
    inc_canvas_zoom_to (self->canvas, 1.0);
}

static void
save_image_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  _inc_window_save_image_dialog (INC_WINDOW (widget));
}

static void
history_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  if (g_str_equal (action_name, "win.undo"))
    _inc_window_undo (INC_WINDOW (widget));
  else
    _inc_window_redo (INC_WINDOW (widget));
}

static void
mask_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  IncWindow *self = INC_WINDOW (widget);

  if (g_str_equal (action_name, "win.mask-invert"))
    _inc_window_mask_invert (self);
  else if (g_str_equal (action_name, "win.mask-clear"))
    _inc_window_mask_clear (self);
  else if (g_str_equal (action_name, "win.mask-import"))
    _inc_window_mask_import_dialog (self);
  else
    _inc_window_mask_export_dialog (self);
}

static void
apply_preset_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  IncWindow *self = INC_WINDOW (widget);
  const char *name = g_variant_get_string (parameter, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(IncRecipe) recipe = inc_presets_load (name, &error);

  if (recipe == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Could not apply the preset “%s”: %s"),
                                                  name, error->message);

      _inc_window_show_error (self, message, FALSE);
      return;
    }
  _inc_window_apply_recipe (self, recipe);
}

static void
session_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  IncWindow *self = INC_WINDOW (widget);

  if (g_str_equal (action_name, "win.save-session"))
    _inc_window_save_session_dialog (self);
  else if (g_str_equal (action_name, "win.open-session"))
    _inc_window_open_session_dialog (self);
  else if (g_str_equal (action_name, "win.restore-autosave"))
    _inc_window_restore_autosave (self);
  else
    _inc_window_discard_autosave (self);
}

void
_inc_window_class_actions_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "win.open-uri", "s", open_uri_action);
  gtk_widget_class_install_action (widget_class, "win.export", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "win.import-model", NULL, import_model_action);
  gtk_widget_class_install_property_action (widget_class, "win.dream", "dreaming");
  gtk_widget_class_install_action (widget_class, "win.step", NULL, step_action);
  gtk_widget_class_install_action (widget_class, "win.reset", NULL, reset_action);
  gtk_widget_class_install_action (widget_class, "win.zoom-in", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "win.zoom-out", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "win.zoom-fit", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "win.zoom-one", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "win.save-image", NULL, save_image_action);
  gtk_widget_class_install_action (widget_class, "win.undo", NULL, history_action);
  gtk_widget_class_install_action (widget_class, "win.redo", NULL, history_action);
  gtk_widget_class_install_property_action (widget_class, "win.paint-mask", "painting");
  gtk_widget_class_install_action (widget_class, "win.mask-invert", NULL, mask_action);
  gtk_widget_class_install_action (widget_class, "win.mask-clear", NULL, mask_action);
  gtk_widget_class_install_action (widget_class, "win.mask-import", NULL, mask_action);
  gtk_widget_class_install_action (widget_class, "win.mask-export", NULL, mask_action);
  gtk_widget_class_install_action (widget_class, "win.apply-preset", "s", apply_preset_action);
  gtk_widget_class_install_action (widget_class, "win.save-session", NULL, session_action);
  gtk_widget_class_install_action (widget_class, "win.open-session", NULL, session_action);
  gtk_widget_class_install_action (widget_class, "win.restore-autosave", NULL, session_action);
  gtk_widget_class_install_action (widget_class, "win.discard-autosave", NULL, session_action);

  /* Ctrl shortcuts are application accels (inc-application.c), so the
   * shortcuts window lists them. */
  /* Bare keys act only when no text field takes them first. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, 0, "win.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, 0, "win.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Add, 0, "win.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, 0, "win.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Subtract, 0, "win.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, 0, "win.zoom-fit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, 0, "win.zoom-one", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_m, 0, "win.paint-mask", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_x, 0, "win.mask-invert", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, GDK_CONTROL_MASK, "win.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, GDK_CONTROL_MASK, "win.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, GDK_CONTROL_MASK, "win.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, GDK_CONTROL_MASK, "win.zoom-fit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_CONTROL_MASK, "win.zoom-one", NULL);
}
