/* inc-presets-popover.c: a list of presets (core/user-presets.h), built-ins
 * first. Choosing one runs the window's win.apply-preset; the name field
 * names what Save Current, Rename and Delete act on. */
#include "app/inc-presets-popover.h"

#include <glib/gi18n.h>

#include "core/user-presets.h"

struct _IncPresetsPopover
{
  GtkPopover  parent_instance;

  GtkListBox *list;
  GtkEntry   *name_entry;
  GtkLabel   *message_label;

  IncRecipe  *recipe;
  char       *selected;   /* the preset last chosen */
  guint       frozen;
};

G_DEFINE_FINAL_TYPE (IncPresetsPopover, inc_presets_popover, GTK_TYPE_POPOVER)

static const char *
entry_name (IncPresetsPopover *self)
{
  return gtk_editable_get_text (GTK_EDITABLE (self->name_entry));
}

static void
show_message (IncPresetsPopover *self,
              const char        *message)
{
  gtk_label_set_text (self->message_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), message != NULL);
}

const char *
inc_presets_popover_get_message (IncPresetsPopover *self)
{
  g_return_val_if_fail (INC_IS_PRESETS_POPOVER (self), NULL);

  if (!gtk_widget_get_visible (GTK_WIDGET (self->message_label)))
    return NULL;
  return gtk_label_get_text (self->message_label);
}

static void
update_actions (IncPresetsPopover *self)
{
  const char *name = entry_name (self);
  gboolean valid = inc_preset_name_is_valid (name, NULL) && !inc_preset_is_built_in (name);
  gboolean own = self->selected != NULL && !inc_preset_is_built_in (self->selected);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "presets.save",
                                 valid && self->recipe != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "presets.rename",
                                 own && valid && g_strcmp0 (name, self->selected) != 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "presets.delete", own);
}

static GtkWidget *
make_row (const char *name)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *label = gtk_label_new (name);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_box_append (GTK_BOX (box), label);
  if (inc_preset_is_built_in (name))
    {
      GtkWidget *tag = gtk_label_new (_("built-in"));

      gtk_widget_add_css_class (tag, "dim-label");
      gtk_box_append (GTK_BOX (box), tag);
    }
  gtk_widget_set_margin_start (box, 8);
  gtk_widget_set_margin_end (box, 8);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  g_object_set_data_full (G_OBJECT (row), "preset-name", g_strdup (name), g_free);
  return row;
}

void
inc_presets_popover_refresh (IncPresetsPopover *self)
{
  g_auto(GStrv) names = inc_presets_list ();
  GtkWidget *child;

  g_return_if_fail (INC_IS_PRESETS_POPOVER (self));

  self->frozen++;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
  for (guint i = 0; names[i] != NULL; i++)
    {
      GtkWidget *row = make_row (names[i]);

      gtk_list_box_append (self->list, row);
      if (g_strcmp0 (names[i], self->selected) == 0)
        gtk_list_box_select_row (self->list, GTK_LIST_BOX_ROW (row));
    }
  self->frozen--;
  update_actions (self);
}

GStrv
inc_presets_popover_get_names (IncPresetsPopover *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (INC_IS_PRESETS_POPOVER (self), NULL);

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->list));
       row != NULL; row = gtk_widget_get_next_sibling (row))
    if (g_object_get_data (G_OBJECT (row), "preset-name") != NULL)
      g_strv_builder_add (builder, g_object_get_data (G_OBJECT (row), "preset-name"));
  return g_strv_builder_end (builder);
}

void
inc_presets_popover_set_name (IncPresetsPopover *self,
                              const char        *name)
{
  g_return_if_fail (INC_IS_PRESETS_POPOVER (self));

  gtk_editable_set_text (GTK_EDITABLE (self->name_entry), name ? name : "");
}

void
inc_presets_popover_set_recipe (IncPresetsPopover *self,
                                const IncRecipe   *recipe)
{
  g_return_if_fail (INC_IS_PRESETS_POPOVER (self));

  g_clear_pointer (&self->recipe, inc_recipe_free);
  self->recipe = recipe ? inc_recipe_copy (recipe) : NULL;
  update_actions (self);
}

static void
row_selected_cb (IncPresetsPopover *self,
                 GtkListBoxRow     *row)
{
  const char *name = row ? g_object_get_data (G_OBJECT (row), "preset-name") : NULL;

  if (self->frozen > 0 || name == NULL)
    return;
  g_free (self->selected);
  self->selected = g_strdup (name);
  inc_presets_popover_set_name (self, name);
  update_actions (self);
}

static void
row_activated_cb (IncPresetsPopover *self,
                  GtkListBoxRow     *row)
{
  const char *name = g_object_get_data (G_OBJECT (row), "preset-name");

  row_selected_cb (self, row);
  show_message (self, NULL);
  if (name != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.apply-preset", "s", name);
}

static void
name_changed_cb (IncPresetsPopover *self)
{
  show_message (self, NULL);
  update_actions (self);
}

static void
report (IncPresetsPopover *self,
        GError            *error)
{
  if (error != NULL)
    show_message (self, error->message);
  else
    {
      show_message (self, NULL);
      inc_presets_popover_refresh (self);
    }
}

static void
save_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  IncPresetsPopover *self = INC_PRESETS_POPOVER (widget);
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_strdup (entry_name (self));

  /* Saving over one's own preset of that name is what the user asked. */
  if (self->recipe != NULL && inc_presets_save (name, self->recipe, TRUE, &error))
    {
      g_free (self->selected);
      self->selected = g_steal_pointer (&name);
    }
  report (self, error);
}

static void
rename_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  IncPresetsPopover *self = INC_PRESETS_POPOVER (widget);
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_strdup (entry_name (self));

  if (self->selected != NULL && inc_presets_rename (self->selected, name, &error))
    {
      g_free (self->selected);
      self->selected = g_steal_pointer (&name);
    }
  report (self, error);
}

static void
delete_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  IncPresetsPopover *self = INC_PRESETS_POPOVER (widget);
  g_autoptr(GError) error = NULL;

  if (self->selected != NULL && inc_presets_delete (self->selected, &error))
    {
      g_clear_pointer (&self->selected, g_free);
      inc_presets_popover_set_name (self, NULL);
    }
  report (self, error);
}

static void
name_activate_cb (IncPresetsPopover *self)
{
  const char *name = entry_name (self);

  if (self->recipe != NULL && inc_preset_name_is_valid (name, NULL) &&
      !inc_preset_is_built_in (name))
    gtk_widget_activate_action (GTK_WIDGET (self), "presets.save", NULL);
}

static void
inc_presets_popover_show (GtkWidget *widget)
{
  inc_presets_popover_refresh (INC_PRESETS_POPOVER (widget));
  GTK_WIDGET_CLASS (inc_presets_popover_parent_class)->show (widget);
}

static void
inc_presets_popover_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), INC_TYPE_PRESETS_POPOVER);

  G_OBJECT_CLASS (inc_presets_popover_parent_class)->dispose (object);
}

static void
inc_presets_popover_finalize (GObject *object)
{
  IncPresetsPopover *self = INC_PRESETS_POPOVER (object);

  g_clear_pointer (&self->recipe, inc_recipe_free);
  g_free (self->selected);

  G_OBJECT_CLASS (inc_presets_popover_parent_class)->finalize (object);
}

static void
inc_presets_popover_class_init (IncPresetsPopoverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = inc_presets_popover_dispose;
  object_class->finalize = inc_presets_popover_finalize;
  widget_class->show = inc_presets_popover_show;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/inceptionist/Studio/inc-presets-popover.ui");
  gtk_widget_class_bind_template_child (widget_class, IncPresetsPopover, list);
  gtk_widget_class_bind_template_child (widget_class, IncPresetsPopover, name_entry);
  gtk_widget_class_bind_template_child (widget_class, IncPresetsPopover, message_label);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, name_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, name_activate_cb);

  gtk_widget_class_install_action (widget_class, "presets.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "presets.rename", NULL, rename_action);
  gtk_widget_class_install_action (widget_class, "presets.delete", NULL, delete_action);
}

static void
inc_presets_popover_init (IncPresetsPopover *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  inc_presets_popover_refresh (self);
}

GtkWidget *
inc_presets_popover_new (void)
{
  return g_object_new (INC_TYPE_PRESETS_POPOVER, NULL);
}
