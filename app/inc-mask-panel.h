/* inc-mask-panel.h: the brush and the mask's commands in the side panel. */
#pragma once

#include <gtk/gtk.h>
#include "core/mask-brush.h"

G_BEGIN_DECLS

#define INC_TYPE_MASK_PANEL (inc_mask_panel_get_type ())
G_DECLARE_FINAL_TYPE (IncMaskPanel, inc_mask_panel, INC, MASK_PANEL, GtkWidget)

GtkWidget    *inc_mask_panel_new        (void);
/* The brush as set (size in image pixels, hardness, full opacity). */
void          inc_mask_panel_get_brush  (IncMaskPanel *self,
                                         IncBrush     *brush);
IncBrushMode  inc_mask_panel_get_mode   (IncMaskPanel *self);

G_END_DECLS
