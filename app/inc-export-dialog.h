/* inc-export-dialog.h: Export…: re-renders the dream at print size
 * (core/export.h) in a worker, with progress and Cancel. */
#pragma once

#include <gtk/gtk.h>
#include "app/inc-dream-session.h"

G_BEGIN_DECLS

#define INC_TYPE_EXPORT_DIALOG (inc_export_dialog_get_type ())
G_DECLARE_FINAL_TYPE (IncExportDialog, inc_export_dialog, INC, EXPORT_DIALOG, GtkWindow)

/* The recipe, source and mask are the session's when Export is pressed;
 * file: the suggested one, or NULL. */
IncExportDialog *inc_export_dialog_new         (GtkWindow       *parent,
                                                IncDreamSession *session,
                                                GFile           *file);
void             inc_export_dialog_set_file    (IncExportDialog *self,
                                                GFile           *file);
GFile           *inc_export_dialog_get_file    (IncExportDialog *self);
/* scale 1, 2 or 4; scale 0: long_edge pixels. */
void             inc_export_dialog_set_size    (IncExportDialog *self,
                                                int              scale,
                                                int              long_edge);
gboolean         inc_export_dialog_get_running (IncExportDialog *self);
const char      *inc_export_dialog_get_status  (IncExportDialog *self);

G_END_DECLS
