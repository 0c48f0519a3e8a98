/* inc-canvas.h: the GL canvas that shows the dream (and the original). */
#pragma once

#include <gtk/gtk.h>
#include "core/image.h"
#include "core/mask-brush.h"

G_BEGIN_DECLS

#define INC_TYPE_CANVAS (inc_canvas_get_type ())
G_DECLARE_FINAL_TYPE (IncCanvas, inc_canvas, INC, CANVAS, GtkGLArea)

GtkWidget *inc_canvas_new               (void);
/* RGBA8, width * 4 bytes a row. Uploaded on the main thread at once if the
 * canvas is realised, else when it is. */
void       inc_canvas_set_image         (IncCanvas *self,
                                         GBytes    *rgba,
                                         int        width,
                                         int        height);
void       inc_canvas_set_original      (IncCanvas *self,
                                         GBytes    *rgba,
                                         int        width,
                                         int        height);
void       inc_canvas_clear             (IncCanvas *self);
gboolean   inc_canvas_has_image         (IncCanvas *self);
void       inc_canvas_set_show_original (IncCanvas *self,
                                         gboolean   show);
gboolean   inc_canvas_get_show_original (IncCanvas *self);

/* Zoom is image pixels to widget pixels; fit follows the widget's size. */
void       inc_canvas_zoom_in           (IncCanvas *self);
void       inc_canvas_zoom_out          (IncCanvas *self);
void       inc_canvas_zoom_fit          (IncCanvas *self);
void       inc_canvas_zoom_to           (IncCanvas *self,
                                         double     zoom);
double     inc_canvas_get_zoom          (IncCanvas *self);
gboolean   inc_canvas_get_fit           (IncCanvas *self);
/* Moves the view by (dx, dy) widget pixels. */
void       inc_canvas_pan               (IncCanvas *self,
                                         double     dx,
                                         double     dy);

/* Widget pixels to image pixels (the image shown) and back. */
void       inc_canvas_widget_to_image   (IncCanvas *self,
                                         double     x,
                                         double     y,
                                         double    *image_x,
                                         double    *image_y);
void       inc_canvas_image_to_widget   (IncCanvas *self,
                                         double     image_x,
                                         double     image_y,
                                         double    *x,
                                         double    *y);

/* The mask drawn tinted over the image (1 channel, the image's size);
 * rect: the part that changed, NULL for all. NULL mask: none. */
void       inc_canvas_set_mask          (IncCanvas      *self,
                                         const IncImage *mask,
                                         const IncRect  *rect);
/* Painting: the primary button's drags emit "stroke-begin", "-motion" and
 * "-end" in image pixels instead of panning (other buttons still pan). */
void       inc_canvas_set_painting      (IncCanvas *self,
                                         gboolean   painting);
gboolean   inc_canvas_get_painting      (IncCanvas *self);
/* What a press, a drag and a release at widget coordinates do. */
void       inc_canvas_paint_begin       (IncCanvas       *self,
                                         double           x,
                                         double           y,
                                         GdkModifierType  state);
void       inc_canvas_paint_to          (IncCanvas *self,
                                         double     x,
                                         double     y);
void       inc_canvas_paint_end         (IncCanvas *self);

G_END_DECLS
