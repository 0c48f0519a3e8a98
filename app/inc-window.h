/* inc-window.h: the studio's main window. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define INC_TYPE_WINDOW (inc_window_get_type ())
G_DECLARE_FINAL_TYPE (IncWindow, inc_window, INC, WINDOW, GtkApplicationWindow)

IncWindow *inc_window_new       (GtkApplication *application);
/* Loads the image in a worker thread; errors appear in the window. */
void       inc_window_open_file (IncWindow      *self,
                                 GFile          *file);

G_END_DECLS
