/* inc-octave-controls.h: octaves and step parameters of the dream. */
#pragma once

#include <gtk/gtk.h>
#include "core/recipe.h"

G_BEGIN_DECLS

#define INC_TYPE_OCTAVE_CONTROLS (inc_octave_controls_get_type ())
G_DECLARE_FINAL_TYPE (IncOctaveControls, inc_octave_controls, INC, OCTAVE_CONTROLS, GtkWidget)

GtkWidget *inc_octave_controls_new             (void);
/* Emits no "changed". */
void       inc_octave_controls_set_from_recipe (IncOctaveControls *self,
                                                const IncRecipe   *recipe);
/* Writes octaves, scale, steps, step size, normalisation, tile, jitter and
 * seed into the recipe; the octaves end at the working size. */
void       inc_octave_controls_apply           (IncOctaveControls *self,
                                                IncRecipe         *recipe);
int        inc_octave_controls_get_preview_interval (IncOctaveControls *self);

G_END_DECLS
