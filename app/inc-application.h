/* inc-application.h: the studio's GtkApplication. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define INC_TYPE_APPLICATION (inc_application_get_type ())
G_DECLARE_FINAL_TYPE (IncApplication, inc_application, INC, APPLICATION, GtkApplication)

IncApplication *inc_application_new (const char        *application_id,
                                     GApplicationFlags  flags);

G_END_DECLS
