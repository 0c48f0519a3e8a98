/* inc-presets-popover.h: the built-in and the user's presets: apply, save
 * the current settings, rename and delete the user's own. */
#pragma once

#include <gtk/gtk.h>
#include "core/recipe.h"

G_BEGIN_DECLS

#define INC_TYPE_PRESETS_POPOVER (inc_presets_popover_get_type ())
G_DECLARE_FINAL_TYPE (IncPresetsPopover, inc_presets_popover, INC, PRESETS_POPOVER, GtkPopover)

GtkWidget *inc_presets_popover_new        (void);
/* What "Save Current" saves (a copy is kept). */
void       inc_presets_popover_set_recipe (IncPresetsPopover *self,
                                           const IncRecipe   *recipe);
/* Reads the list again (it does on every show). */
void       inc_presets_popover_refresh    (IncPresetsPopover *self);
/* The names listed, in order (for the tests). */
GStrv      inc_presets_popover_get_names  (IncPresetsPopover *self);
void       inc_presets_popover_set_name   (IncPresetsPopover *self,
                                           const char        *name);
/* The last failure shown, or NULL. */
const char *inc_presets_popover_get_message (IncPresetsPopover *self);

G_END_DECLS
