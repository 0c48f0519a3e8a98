/* inc-mask-panel.c: brush size and hardness, paint or erase, and how the
 * mask shows; the commands themselves are the window's actions. Each value
 * is a property so the canvas can follow it by binding. */
#include "app/inc-mask-panel.h"

struct _IncMaskPanel
{
  GtkWidget       parent_instance;

  GtkWidget      *box;
  GtkAdjustment  *size_adjustment;
  GtkAdjustment  *hardness_adjustment;
  GtkAdjustment  *opacity_adjustment;
  GtkToggleButton *erase_button;
  GtkSwitch      *show_switch;

  double          brush_size;
  double          hardness;
  double          mask_opacity;
  gboolean        erase;
  gboolean        show_mask;
};

G_DEFINE_FINAL_TYPE (IncMaskPanel, inc_mask_panel, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_BRUSH_SIZE,
  PROP_HARDNESS,
  PROP_MASK_OPACITY,
  PROP_ERASE,
  PROP_SHOW_MASK,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

void
inc_mask_panel_get_brush (IncMaskPanel *self,
                          IncBrush     *brush)
{
  g_return_if_fail (INC_IS_MASK_PANEL (self));

  inc_brush_init (brush, self->brush_size, self->hardness, 1.0);
}

IncBrushMode
inc_mask_panel_get_mode (IncMaskPanel *self)
{
  g_return_val_if_fail (INC_IS_MASK_PANEL (self), INC_BRUSH_PAINT);

  return self->erase ? INC_BRUSH_ERASE : INC_BRUSH_PAINT;
}

static double *
double_field (IncMaskPanel *self,
              guint         prop_id)
{
  switch (prop_id)
    {
    case PROP_BRUSH_SIZE: return &self->brush_size;
    case PROP_HARDNESS: return &self->hardness;
    case PROP_MASK_OPACITY: return &self->mask_opacity;
    default: return NULL;
    }
}

static void
inc_mask_panel_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  IncMaskPanel *self = INC_MASK_PANEL (object);

  if (prop_id == PROP_ERASE)
    g_value_set_boolean (value, self->erase);
  else if (prop_id == PROP_SHOW_MASK)
    g_value_set_boolean (value, self->show_mask);
  else if (double_field (self, prop_id) != NULL)
    g_value_set_double (value, *double_field (self, prop_id));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
inc_mask_panel_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  IncMaskPanel *self = INC_MASK_PANEL (object);
  gboolean changed;

  if (prop_id == PROP_ERASE || prop_id == PROP_SHOW_MASK)
    {
      gboolean *field = prop_id == PROP_ERASE ? &self->erase : &self->show_mask;

      changed = *field != g_value_get_boolean (value);
      *field = g_value_get_boolean (value);
    }
  else if (double_field (self, prop_id) != NULL)
    {
      double *field = double_field (self, prop_id);

      changed = *field != g_value_get_double (value);
      *field = g_value_get_double (value);
    }
  else
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  if (changed)
    g_object_notify_by_pspec (object, pspec);
}

static void
inc_mask_panel_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), INC_TYPE_MASK_PANEL);

  G_OBJECT_CLASS (inc_mask_panel_parent_class)->dispose (object);
}

static void
inc_mask_panel_class_init (IncMaskPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = inc_mask_panel_dispose;
  object_class->get_property = inc_mask_panel_get_property;
  object_class->set_property = inc_mask_panel_set_property;

  /* In image pixels. */
  properties[PROP_BRUSH_SIZE] = g_param_spec_double ("brush-size", NULL, NULL, 1, 400, 40, flags);
  properties[PROP_HARDNESS] = g_param_spec_double ("hardness", NULL, NULL, 0, 1, 0.5, flags);
  properties[PROP_MASK_OPACITY] = g_param_spec_double ("mask-opacity", NULL, NULL, 0, 1, 0.5, flags);
  properties[PROP_ERASE] = g_param_spec_boolean ("erase", NULL, NULL, FALSE, flags);
  properties[PROP_SHOW_MASK] = g_param_spec_boolean ("show-mask", NULL, NULL, TRUE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/inceptionist/Studio/inc-mask-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, IncMaskPanel, box);
  gtk_widget_class_bind_template_child (widget_class, IncMaskPanel, size_adjustment);
  gtk_widget_class_bind_template_child (widget_class, IncMaskPanel, hardness_adjustment);
  gtk_widget_class_bind_template_child (widget_class, IncMaskPanel, opacity_adjustment);
  gtk_widget_class_bind_template_child (widget_class, IncMaskPanel, erase_button);
  gtk_widget_class_bind_template_child (widget_class, IncMaskPanel, show_switch);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
inc_mask_panel_init (IncMaskPanel *self)
{
  GBindingFlags flags = G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE;

  gtk_widget_init_template (GTK_WIDGET (self));

  g_object_bind_property (self->size_adjustment, "value", self, "brush-size", flags);
  g_object_bind_property (self->hardness_adjustment, "value", self, "hardness", flags);
  g_object_bind_property (self->opacity_adjustment, "value", self, "mask-opacity", flags);
  g_object_bind_property (self->erase_button, "active", self, "erase", flags);
  g_object_bind_property (self->show_switch, "active", self, "show-mask", flags);
}

GtkWidget *
inc_mask_panel_new (void)
{
  return g_object_new (INC_TYPE_MASK_PANEL, NULL);
}
