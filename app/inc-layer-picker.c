/* inc-layer-picker.c: one row per mixed layer; "changed" fires on every
 * edit so a running dream picks the change up at its next step. */
#include "app/inc-layer-picker.h"

#include <glib/gi18n.h>

/* Channels of each mixed layer's output (InceptionV3). */
static const int layer_channels[INC_LAYER_PICKER_N_LAYERS] = {
  256, 288, 288, 768, 768, 768, 768, 768, 1280, 2048, 2048,
};

/* mixed6..mixed10 were fine-tuned in the shipped model. */
#define FIRST_FINE_TUNED 6

typedef struct {
  char          *name;
  GtkSwitch     *enabled;
  GtkAdjustment *weight;
  GtkAdjustment *channel;
} LayerRow;

struct _IncLayerPicker
{
  GtkWidget  parent_instance;

  GtkWidget *box;
  GtkGrid   *grid;

  LayerRow   rows[INC_LAYER_PICKER_N_LAYERS];
  guint      frozen;  /* > 0 while set_from_* updates the controls */
};

G_DEFINE_FINAL_TYPE (IncLayerPicker, inc_layer_picker, GTK_TYPE_WIDGET)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static LayerRow *
find_row (IncLayerPicker *self,
          const char     *layer)
{
  for (guint i = 0; i < INC_LAYER_PICKER_N_LAYERS; i++)
    if (g_strcmp0 (self->rows[i].name, layer) == 0)
      return &self->rows[i];
  return NULL;
}

static void
emit_changed (IncLayerPicker *self)
{
  if (self->frozen == 0)
    g_signal_emit (self, signals[CHANGED], 0);
}

static gboolean
channel_output_cb (GtkSpinButton *spin,
                   gpointer       user_data)
{
  int value = gtk_spin_button_get_value_as_int (spin);

  if (value < 0)
    {
      gtk_editable_set_text (GTK_EDITABLE (spin), _("all"));
      return TRUE;
    }
  return FALSE;
}

static int
channel_input_cb (GtkSpinButton *spin,
                  double        *new_value,
                  gpointer       user_data)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (spin));

  if (g_ascii_strcasecmp (text, _("all")) == 0 || *text == '\0')
    {
      *new_value = -1;
      return TRUE;
    }
  return FALSE;
}

static void
add_row (IncLayerPicker *self,
         guint           index)
{
  LayerRow *row = &self->rows[index];
  GtkWidget *toggle, *label, *scale, *spin;
  g_autofree char *a11y = NULL;

  row->name = g_strdup_printf ("mixed%u", index);

  toggle = gtk_switch_new ();
  gtk_widget_set_valign (toggle, GTK_ALIGN_CENTER);
  a11y = g_strdup_printf (_("Use %s"), row->name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (toggle),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
  g_clear_pointer (&a11y, g_free);
  row->enabled = GTK_SWITCH (toggle);
  g_signal_connect_swapped (toggle, "notify::active", G_CALLBACK (emit_changed), self);

  label = gtk_label_new (row->name);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  if (index >= FIRST_FINE_TUNED)
    {
      gtk_widget_set_tooltip_text (label, _("Fine-tuned for a 5-class content classifier in this model"));
      gtk_widget_add_css_class (label, "inc-finetuned");
    }

  row->weight = gtk_adjustment_new (1.0, -2.0, 2.0, 0.05, 0.25, 0);
  scale = gtk_scale_new (GTK_ORIENTATION_HORIZONTAL, row->weight);
  gtk_scale_set_digits (GTK_SCALE (scale), 2);
  gtk_scale_set_draw_value (GTK_SCALE (scale), TRUE);
  gtk_scale_set_value_pos (GTK_SCALE (scale), GTK_POS_RIGHT);
  gtk_scale_add_mark (GTK_SCALE (scale), 0.0, GTK_POS_BOTTOM, NULL);
  gtk_widget_set_hexpand (scale, TRUE);
  gtk_widget_set_size_request (scale, 120, -1);
  a11y = g_strdup_printf (_("Weight of %s"), row->name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (scale),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
  g_clear_pointer (&a11y, g_free);
  g_signal_connect_swapped (row->weight, "value-changed", G_CALLBACK (emit_changed), self);

  row->channel = gtk_adjustment_new (-1, -1, layer_channels[index] - 1, 1, 16, 0);
  spin = gtk_spin_button_new (row->channel, 1, 0);
  gtk_editable_set_width_chars (GTK_EDITABLE (spin), 4);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (spin, _("Dream one channel of this layer, or all"));
  a11y = g_strdup_printf (_("Channel of %s"), row->name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (spin),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
  g_signal_connect (spin, "output", G_CALLBACK (channel_output_cb), NULL);
  g_signal_connect (spin, "input", G_CALLBACK (channel_input_cb), NULL);
  g_signal_connect_swapped (row->channel, "value-changed", G_CALLBACK (emit_changed), self);

  /* Weight and channel only mean something for a layer in use. */
  g_object_bind_property (toggle, "active", scale, "sensitive", G_BINDING_SYNC_CREATE);
  g_object_bind_property (toggle, "active", spin, "sensitive", G_BINDING_SYNC_CREATE);

  gtk_grid_attach (self->grid, toggle, 0, index, 1, 1);
  gtk_grid_attach (self->grid, label, 1, index, 1, 1);
  gtk_grid_attach (self->grid, scale, 2, index, 1, 1);
  gtk_grid_attach (self->grid, spin, 3, index, 1, 1);
}

static void
set_row (LayerRow *row,
         gboolean  enabled,
         double    weight,
         int       channel)
{
  gtk_switch_set_active (row->enabled, enabled);
  gtk_adjustment_set_value (row->weight, weight);
  gtk_adjustment_set_value (row->channel, channel);
}

void
inc_layer_picker_set_from_recipe (IncLayerPicker  *self,
                                  const IncRecipe *recipe)
{
  g_return_if_fail (INC_IS_LAYER_PICKER (self));
  g_return_if_fail (recipe != NULL);

  self->frozen++;
  for (guint i = 0; i < INC_LAYER_PICKER_N_LAYERS; i++)
    gtk_switch_set_active (self->rows[i].enabled, FALSE);
  for (guint i = 0; i < recipe->n_layers; i++)
    {
      LayerRow *row = find_row (self, recipe->layers[i].name);

      if (row != NULL)
        set_row (row, TRUE, recipe->layers[i].weight, recipe->layers[i].channel);
    }
  self->frozen--;
}

void
inc_layer_picker_apply (IncLayerPicker *self,
                        IncRecipe      *recipe)
{
  g_return_if_fail (INC_IS_LAYER_PICKER (self));
  g_return_if_fail (recipe != NULL);

  inc_recipe_clear_layers (recipe);
  for (guint i = 0; i < INC_LAYER_PICKER_N_LAYERS; i++)
    {
      LayerRow *row = &self->rows[i];

      if (gtk_switch_get_active (row->enabled))
        inc_recipe_add_layer (recipe, row->name,
                              (float) gtk_adjustment_get_value (row->weight),
                              (int) gtk_adjustment_get_value (row->channel));
    }
}

guint
inc_layer_picker_count_enabled (IncLayerPicker *self)
{
  guint n = 0;

  g_return_val_if_fail (INC_IS_LAYER_PICKER (self), 0);

  for (guint i = 0; i < INC_LAYER_PICKER_N_LAYERS; i++)
    n += gtk_switch_get_active (self->rows[i].enabled) ? 1 : 0;
  return n;
}

GVariant *
inc_layer_picker_to_variant (IncLayerPicker *self)
{
  GVariantBuilder builder;

  g_return_val_if_fail (INC_IS_LAYER_PICKER (self), NULL);

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sbdi)"));
  for (guint i = 0; i < INC_LAYER_PICKER_N_LAYERS; i++)
    {
      LayerRow *row = &self->rows[i];
      gboolean enabled = gtk_switch_get_active (row->enabled);
      double weight = gtk_adjustment_get_value (row->weight);
      int channel = (int) gtk_adjustment_get_value (row->channel);

      /* Untouched rows stay out so defaults can change later. */
      if (enabled || weight != 1.0 || channel != -1)
        g_variant_builder_add (&builder, "(sbdi)", row->name, enabled, weight, channel);
    }
  return g_variant_builder_end (&builder);
}

void
inc_layer_picker_set_from_variant (IncLayerPicker *self,
                                   GVariant       *layers)
{
  GVariantIter iter;
  const char *name;
  gboolean enabled;
  double weight;
  int channel;

  g_return_if_fail (INC_IS_LAYER_PICKER (self));
  g_return_if_fail (g_variant_is_of_type (layers, G_VARIANT_TYPE ("a(sbdi)")));

  self->frozen++;
  for (guint i = 0; i < INC_LAYER_PICKER_N_LAYERS; i++)
    set_row (&self->rows[i], FALSE, 1.0, -1);
  g_variant_iter_init (&iter, layers);
  while (g_variant_iter_next (&iter, "(&sbdi)", &name, &enabled, &weight, &channel))
    {
      LayerRow *row = find_row (self, name);

      if (row != NULL)
        set_row (row, enabled, weight, channel);
    }
  self->frozen--;
}

GtkSwitch *
inc_layer_picker_get_switch (IncLayerPicker *self,
                             const char     *layer)
{
  LayerRow *row;

  g_return_val_if_fail (INC_IS_LAYER_PICKER (self), NULL);

  row = find_row (self, layer);
  return row ? row->enabled : NULL;
}

GtkAdjustment *
inc_layer_picker_get_weight (IncLayerPicker *self,
                             const char     *layer)
{
  LayerRow *row;

  g_return_val_if_fail (INC_IS_LAYER_PICKER (self), NULL);

  row = find_row (self, layer);
  return row ? row->weight : NULL;
}

GtkAdjustment *
inc_layer_picker_get_channel (IncLayerPicker *self,
                              const char     *layer)
{
  LayerRow *row;

  g_return_val_if_fail (INC_IS_LAYER_PICKER (self), NULL);

  row = find_row (self, layer);
  return row ? row->channel : NULL;
}

static void
inc_layer_picker_dispose (GObject *object)
{
  IncLayerPicker *self = INC_LAYER_PICKER (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), INC_TYPE_LAYER_PICKER);

  G_OBJECT_CLASS (inc_layer_picker_parent_class)->dispose (object);
}

static void
inc_layer_picker_finalize (GObject *object)
{
  IncLayerPicker *self = INC_LAYER_PICKER (object);

  for (guint i = 0; i < INC_LAYER_PICKER_N_LAYERS; i++)
    g_free (self->rows[i].name);

  G_OBJECT_CLASS (inc_layer_picker_parent_class)->finalize (object);
}

static void
inc_layer_picker_class_init (IncLayerPickerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = inc_layer_picker_dispose;
  object_class->finalize = inc_layer_picker_finalize;

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass),
                                   G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/inceptionist/Studio/inc-layer-picker.ui");
  gtk_widget_class_bind_template_child (widget_class, IncLayerPicker, box);
  gtk_widget_class_bind_template_child (widget_class, IncLayerPicker, grid);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
inc_layer_picker_init (IncLayerPicker *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->frozen++;
  for (guint i = 0; i < INC_LAYER_PICKER_N_LAYERS; i++)
    add_row (self, i);
  self->frozen--;
}

GtkWidget *
inc_layer_picker_new (void)
{
  return g_object_new (INC_TYPE_LAYER_PICKER, NULL);
}
