/* inc-preferences.h: the Preferences window. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define INC_TYPE_PREFERENCES (inc_preferences_get_type ())
G_DECLARE_FINAL_TYPE (IncPreferences, inc_preferences, INC, PREFERENCES, GtkWindow)

/* device_name may be NULL while the engine is not loaded. */
GtkWidget *inc_preferences_new (GtkWindow  *parent,
                                const char *device_name);

G_END_DECLS
