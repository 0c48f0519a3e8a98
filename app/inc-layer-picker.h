/* inc-layer-picker.h: the layers mixed0..mixed10, each with an on/off
 * switch, a weight and an optional channel. */
#pragma once

#include <gtk/gtk.h>
#include "core/recipe.h"

G_BEGIN_DECLS

#define INC_TYPE_LAYER_PICKER (inc_layer_picker_get_type ())
G_DECLARE_FINAL_TYPE (IncLayerPicker, inc_layer_picker, INC, LAYER_PICKER, GtkWidget)

#define INC_LAYER_PICKER_N_LAYERS 11

GtkWidget     *inc_layer_picker_new              (void);
/* Shows the recipe's layers (others off); emits no "changed". */
void           inc_layer_picker_set_from_recipe  (IncLayerPicker  *self,
                                                  const IncRecipe *recipe);
/* Replaces the recipe's layers with the enabled ones. */
void           inc_layer_picker_apply            (IncLayerPicker  *self,
                                                  IncRecipe       *recipe);
guint          inc_layer_picker_count_enabled    (IncLayerPicker  *self);

/* The GSettings form: a(sbdi) of (name, enabled, weight, channel). */
GVariant      *inc_layer_picker_to_variant       (IncLayerPicker  *self);
void           inc_layer_picker_set_from_variant (IncLayerPicker  *self,
                                                  GVariant        *layers);

/* The controls of one layer ("mixed4"), or NULL if there is no such row. */
GtkSwitch     *inc_layer_picker_get_switch       (IncLayerPicker  *self,
                                                  const char      *layer);
GtkAdjustment *inc_layer_picker_get_weight       (IncLayerPicker  *self,
                                                  const char      *layer);
GtkAdjustment *inc_layer_picker_get_channel      (IncLayerPicker  *self,
                                                  const char      *layer);

G_END_DECLS
