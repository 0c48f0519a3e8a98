/* user-presets.h: the user's own recipes beside the built-in presets.
 *
 * Each user preset is a JSON file in inc_user_presets_dir()
 * ($XDG_CONFIG_HOME/inceptionist/presets/), {"name": NAME, "recipe": {...}},
 * named after the preset (URI-escaped) + ".json" and written atomically.
 * The built-in presets (inc_recipe_preset_names) come first in the list;
 * they cannot be saved over, renamed or deleted, and no user preset may take
 * their names.
 *
 * A name is 1 to 64 characters of valid UTF-8 without control characters,
 * '/' or '\\', not starting with '.', without spaces at either end. */
#pragma once

#include <glib.h>
#include "core/recipe.h"

G_BEGIN_DECLS

#define INC_PRESET_ERROR (inc_preset_error_quark ())
GQuark inc_preset_error_quark (void);

typedef enum {
  INC_PRESET_ERROR_BAD_NAME,
  INC_PRESET_ERROR_BUILT_IN,   /* a built-in cannot be changed */
  INC_PRESET_ERROR_EXISTS,
  INC_PRESET_ERROR_NOT_FOUND,
  INC_PRESET_ERROR_FAILED,     /* the file could not be read or written */
} IncPresetError;

#define INC_PRESET_NAME_MAX 64

char      *inc_user_presets_dir      (void);

gboolean   inc_preset_name_is_valid  (const char       *name,
                                      GError          **error);
gboolean   inc_preset_is_built_in    (const char       *name);

/* Built-ins in their order, then the user's presets sorted by name
 * (unreadable files are skipped). */
GStrv      inc_presets_list          (void);
/* A built-in or a user preset. */
IncRecipe *inc_presets_load          (const char       *name,
                                      GError          **error);
/* overwrite FALSE: an existing user preset of that name is an EXISTS
 * error. */
gboolean   inc_presets_save          (const char       *name,
                                      const IncRecipe  *recipe,
                                      gboolean          overwrite,
                                      GError          **error);
gboolean   inc_presets_rename        (const char       *old_name,
                                      const char       *new_name,
                                      GError          **error);
gboolean   inc_presets_delete        (const char       *name,
                                      GError          **error);

G_END_DECLS
