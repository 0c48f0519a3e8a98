/* inc-preferences.c: settings that are not part of a recipe, bound to
 * GSettings, and what the engine runs on. */
#include "app/inc-preferences.h"

#include <glib/gi18n.h>

#include "core/model.h"

struct _IncPreferences
{
  GtkWindow      parent_instance;

  GtkSpinButton *working_size_spin;
  GtkSpinButton *preview_interval_spin;
  GtkLabel      *device_label;
  GtkLabel      *model_label;

  GSettings     *settings;
};

G_DEFINE_FINAL_TYPE (IncPreferences, inc_preferences, GTK_TYPE_WINDOW)

static void
inc_preferences_dispose (GObject *object)
{
  IncPreferences *self = INC_PREFERENCES (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), INC_TYPE_PREFERENCES);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (inc_preferences_parent_class)->dispose (object);
}

static void
inc_preferences_class_init (IncPreferencesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = inc_preferences_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/inceptionist/Studio/inc-preferences.ui");
  gtk_widget_class_bind_template_child (widget_class, IncPreferences, working_size_spin);
  gtk_widget_class_bind_template_child (widget_class, IncPreferences, preview_interval_spin);
  gtk_widget_class_bind_template_child (widget_class, IncPreferences, device_label);
  gtk_widget_class_bind_template_child (widget_class, IncPreferences, model_label);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
inc_preferences_init (IncPreferences *self)
{
  g_autofree char *model = inc_model_default_path ();

  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new ("org.inceptionist.Studio");
  g_settings_bind (self->settings, "working-size",
                   gtk_spin_button_get_adjustment (self->working_size_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "preview-interval",
                   gtk_spin_button_get_adjustment (self->preview_interval_spin), "value",
                   G_SETTINGS_BIND_DEFAULT);
  gtk_label_set_text (self->model_label, model);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->model_label), model);
}

GtkWidget *
inc_preferences_new (GtkWindow  *parent,
                     const char *device_name)
{
  IncPreferences *self = g_object_new (INC_TYPE_PREFERENCES,
                                       "transient-for", parent,
                                       NULL);

  gtk_label_set_text (self->device_label,
                      device_name ? device_name : _("Not loaded"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->device_label), device_name);
  return GTK_WIDGET (self);
}
