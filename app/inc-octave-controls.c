/* inc-octave-controls.c: spin buttons for the octave schedule and the step;
 * each value is also a property so GSettings can bind it. */
#include "app/inc-octave-controls.h"

#include <math.h>

struct _IncOctaveControls
{
  GtkWidget      parent_instance;

  GtkWidget     *box;
  GtkAdjustment *octaves_adjustment;
  GtkAdjustment *octave_scale_adjustment;
  GtkAdjustment *steps_adjustment;
  GtkAdjustment *step_size_adjustment;
  GtkAdjustment *tile_size_adjustment;
  GtkAdjustment *jitter_adjustment;
  GtkAdjustment *seed_adjustment;
  GtkAdjustment *preview_interval_adjustment;
  GtkDropDown   *norm_dropdown;

  guint          frozen;
};

G_DEFINE_FINAL_TYPE (IncOctaveControls, inc_octave_controls, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_OCTAVES,
  PROP_OCTAVE_SCALE,
  PROP_STEPS,
  PROP_STEP_SIZE,
  PROP_TILE_SIZE,
  PROP_JITTER,
  PROP_SEED,
  PROP_PREVIEW_INTERVAL,
  PROP_NORM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* In the drop-down's order. */
static const IncNormKind norm_kinds[] = {
  INC_NORM_STD, INC_NORM_MEAN_ABS, INC_NORM_LAPLACIAN,
};

static GtkAdjustment *
adjustment_for (IncOctaveControls *self,
                guint              prop_id)
{
  switch (prop_id)
    {
    case PROP_OCTAVES: return self->octaves_adjustment;
    case PROP_OCTAVE_SCALE: return self->octave_scale_adjustment;
    case PROP_STEPS: return self->steps_adjustment;
    case PROP_STEP_SIZE: return self->step_size_adjustment;
    case PROP_TILE_SIZE: return self->tile_size_adjustment;
    case PROP_JITTER: return self->jitter_adjustment;
    case PROP_SEED: return self->seed_adjustment;
    case PROP_PREVIEW_INTERVAL: return self->preview_interval_adjustment;
    default: return NULL;
    }
}

static IncNormKind
get_norm (IncOctaveControls *self)
{
  guint i = gtk_drop_down_get_selected (self->norm_dropdown);

  return i < G_N_ELEMENTS (norm_kinds) ? norm_kinds[i] : INC_NORM_STD;
}

static void
set_norm (IncOctaveControls *self,
          IncNormKind        norm)
{
  for (guint i = 0; i < G_N_ELEMENTS (norm_kinds); i++)
    if (norm_kinds[i] == norm)
      gtk_drop_down_set_selected (self->norm_dropdown, i);
}

static int
get_int (GtkAdjustment *adjustment)
{
  return (int) round (gtk_adjustment_get_value (adjustment));
}

void
inc_octave_controls_set_from_recipe (IncOctaveControls *self,
                                     const IncRecipe   *recipe)
{
  g_return_if_fail (INC_IS_OCTAVE_CONTROLS (self));
  g_return_if_fail (recipe != NULL);

  self->frozen++;
  gtk_adjustment_set_value (self->octaves_adjustment, recipe->octaves);
  gtk_adjustment_set_value (self->octave_scale_adjustment, recipe->octave_scale);
  gtk_adjustment_set_value (self->steps_adjustment, recipe->steps);
  gtk_adjustment_set_value (self->step_size_adjustment, recipe->step_size);
  gtk_adjustment_set_value (self->tile_size_adjustment, recipe->tile);
  gtk_adjustment_set_value (self->jitter_adjustment, recipe->jitter);
  gtk_adjustment_set_value (self->seed_adjustment, recipe->seed);
  set_norm (self, recipe->norm);
  self->frozen--;
}

void
inc_octave_controls_apply (IncOctaveControls *self,
                           IncRecipe         *recipe)
{
  g_return_if_fail (INC_IS_OCTAVE_CONTROLS (self));
  g_return_if_fail (recipe != NULL);

  recipe->octaves = get_int (self->octaves_adjustment);
  recipe->octave_scale = gtk_adjustment_get_value (self->octave_scale_adjustment);
  /* The live dream's last octave is the working size itself, so the preview
   * never pays for octaves larger than what it shows. */
  if (recipe->octave_style == INC_OCTAVE_TF)
    recipe->octave_start = 1 - recipe->octaves;
  recipe->steps = get_int (self->steps_adjustment);
  recipe->step_size = gtk_adjustment_get_value (self->step_size_adjustment);
  recipe->tile = get_int (self->tile_size_adjustment);
  recipe->jitter = get_int (self->jitter_adjustment);
  recipe->seed = (guint32) get_int (self->seed_adjustment);
  recipe->norm = get_norm (self);
}

int
inc_octave_controls_get_preview_interval (IncOctaveControls *self)
{
  g_return_val_if_fail (INC_IS_OCTAVE_CONTROLS (self), 1);

  return MAX (1, get_int (self->preview_interval_adjustment));
}

static void
value_changed_cb (IncOctaveControls *self,
                  GtkAdjustment     *adjustment)
{
  for (guint i = PROP_OCTAVES; i <= PROP_PREVIEW_INTERVAL; i++)
    if (adjustment_for (self, i) == adjustment)
      g_object_notify_by_pspec (G_OBJECT (self), properties[i]);
  if (self->frozen == 0)
    g_signal_emit (self, signals[CHANGED], 0);
}

static void
norm_changed_cb (IncOctaveControls *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NORM]);
  if (self->frozen == 0)
    g_signal_emit (self, signals[CHANGED], 0);
}

static void
inc_octave_controls_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  IncOctaveControls *self = INC_OCTAVE_CONTROLS (object);
  GtkAdjustment *adjustment = adjustment_for (self, prop_id);

  if (prop_id == PROP_NORM)
    g_value_set_string (value, inc_norm_kind_to_string (get_norm (self)));
  else if (G_VALUE_HOLDS_INT (value))
    g_value_set_int (value, get_int (adjustment));
  else if (G_VALUE_HOLDS_DOUBLE (value))
    g_value_set_double (value, gtk_adjustment_get_value (adjustment));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
inc_octave_controls_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  IncOctaveControls *self = INC_OCTAVE_CONTROLS (object);
  GtkAdjustment *adjustment = adjustment_for (self, prop_id);

  if (prop_id == PROP_NORM)
    {
      IncNormKind norm;

      if (g_value_get_string (value) != NULL &&
          inc_norm_kind_from_string (g_value_get_string (value), &norm))
        set_norm (self, norm);
    }
  else if (G_VALUE_HOLDS_INT (value))
    gtk_adjustment_set_value (adjustment, g_value_get_int (value));
  else if (G_VALUE_HOLDS_DOUBLE (value))
    gtk_adjustment_set_value (adjustment, g_value_get_double (value));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
inc_octave_controls_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), INC_TYPE_OCTAVE_CONTROLS);

  G_OBJECT_CLASS (inc_octave_controls_parent_class)->dispose (object);
}

static GParamSpec *
int_pspec (const char *name,
           int         min,
           int         max,
           int         value)
{
  return g_param_spec_int (name, NULL, NULL, min, max, value,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static GParamSpec *
double_pspec (const char *name,
              double      min,
              double      max,
              double      value)
{
  return g_param_spec_double (name, NULL, NULL, min, max, value,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static void
inc_octave_controls_class_init (IncOctaveControlsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = inc_octave_controls_dispose;
  object_class->get_property = inc_octave_controls_get_property;
  object_class->set_property = inc_octave_controls_set_property;

  properties[PROP_OCTAVES] = int_pspec ("octaves", 1, 12, 5);
  properties[PROP_OCTAVE_SCALE] = double_pspec ("octave-scale", 1.05, 2.0, 1.3);
  properties[PROP_STEPS] = int_pspec ("steps", 1, 1000, 20);
  properties[PROP_STEP_SIZE] = double_pspec ("step-size", 0.0001, 1.0, 0.01);
  properties[PROP_TILE_SIZE] = int_pspec ("tile-size", 0, 4096, 512);
  properties[PROP_JITTER] = int_pspec ("jitter", 0, 512, 32);
  properties[PROP_SEED] = int_pspec ("seed", 0, G_MAXINT, 0);
  properties[PROP_PREVIEW_INTERVAL] = int_pspec ("preview-interval", 1, 100, 1);
  properties[PROP_NORM] =
    g_param_spec_string ("norm", NULL, NULL, "std",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass),
                                   G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/inceptionist/Studio/inc-octave-controls.ui");
  gtk_widget_class_bind_template_child (widget_class, IncOctaveControls, box);
  gtk_widget_class_bind_template_child (widget_class, IncOctaveControls, octaves_adjustment);
  gtk_widget_class_bind_template_child (widget_class, IncOctaveControls, octave_scale_adjustment);
  gtk_widget_class_bind_template_child (widget_class, IncOctaveControls, steps_adjustment);
  gtk_widget_class_bind_template_child (widget_class, IncOctaveControls, step_size_adjustment);
  gtk_widget_class_bind_template_child (widget_class, IncOctaveControls, tile_size_adjustment);
  gtk_widget_class_bind_template_child (widget_class, IncOctaveControls, jitter_adjustment);
  gtk_widget_class_bind_template_child (widget_class, IncOctaveControls, seed_adjustment);
  gtk_widget_class_bind_template_child (widget_class, IncOctaveControls, preview_interval_adjustment);
  gtk_widget_class_bind_template_child (widget_class, IncOctaveControls, norm_dropdown);
  gtk_widget_class_bind_template_callback (widget_class, value_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, norm_changed_cb);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
inc_octave_controls_init (IncOctaveControls *self)
{
  IncRecipe defaults = { 0 };

  gtk_widget_init_template (GTK_WIDGET (self));

  /* Sensible values before any recipe or setting arrives. */
  defaults.octaves = 5;
  defaults.octave_scale = 1.3;
  defaults.steps = 20;
  defaults.step_size = 0.01;
  defaults.tile = 512;
  defaults.jitter = 32;
  defaults.norm = INC_NORM_STD;
  inc_octave_controls_set_from_recipe (self, &defaults);
  gtk_adjustment_set_value (self->preview_interval_adjustment, 1);
}

GtkWidget *
inc_octave_controls_new (void)
{
  return g_object_new (INC_TYPE_OCTAVE_CONTROLS, NULL);
}
