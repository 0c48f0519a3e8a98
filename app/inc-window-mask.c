/* inc-window-mask.c: the dream's mask: brush strokes from the canvas,
 * invert, clear, and the mask as a PNG. Every edit goes to the undo
 * history, the canvas overlay and the dream (an empty mask: no mask). */
#include "app/inc-window-private.h"

#include <glib/gi18n.h>

gboolean
_inc_window_mask_is_empty (IncWindow *self)
{
  gsize n;

  if (self->mask == NULL)
    return TRUE;
  n = (gsize) self->mask->width * self->mask->height;
  for (gsize i = 0; i < n; i++)
    if (self->mask->data[i] != 0.0f)
      return FALSE;
  return TRUE;
}

/* The dream hears of it once a stroke is done, not at every dab. */
static void
mask_to_dream (IncWindow *self)
{
  inc_dream_session_set_mask (self->session,
                              _inc_window_mask_is_empty (self) ? NULL : self->mask);
}

void
_inc_window_mask_changed (IncWindow     *self,
                          const IncRect *rect)
{
  inc_canvas_set_mask (self->canvas, self->mask, rect);
  if (self->stroke == NULL)
    {
      mask_to_dream (self);
      _inc_window_schedule_autosave (self);
    }
  _inc_window_update_actions (self);
}

/* A blank mask at the source's size, or none without a source. */
void
_inc_window_mask_reset (IncWindow *self)
{
  const IncImage *source = inc_dream_session_get_source (self->session);

  g_clear_pointer (&self->stroke, inc_brush_stroke_free);
  g_clear_pointer (&self->mask, inc_image_free);
  if (source != NULL)
    self->mask = inc_image_new (source->width, source->height, 1);
  inc_canvas_set_mask (self->canvas, self->mask, NULL);
  mask_to_dream (self);
}

static void
stroke_begin_cb (IncWindow *self,
                 double     x,
                 double     y,
                 gboolean   ctrl,
                 IncCanvas *canvas)
{
  IncBrush brush;
  IncBrushMode mode;
  IncRect changed;

  if (self->mask == NULL)
    return;
  g_clear_pointer (&self->stroke, inc_brush_stroke_free);
  inc_mask_panel_get_brush (self->mask_panel, &brush);
  mode = inc_mask_panel_get_mode (self->mask_panel);
  /* Ctrl turns the brush over for this stroke. */
  if (ctrl)
    mode = mode == INC_BRUSH_PAINT ? INC_BRUSH_ERASE : INC_BRUSH_PAINT;
  self->stroke = inc_brush_stroke_begin (self->mask, &brush, mode, x, y, &changed);
  self->stroke_label = mode == INC_BRUSH_PAINT ? N_("Paint") : N_("Erase");
  _inc_window_mask_changed (self, &changed);
}

static void
stroke_motion_cb (IncWindow *self,
                  double     x,
                  double     y,
                  IncCanvas *canvas)
{
  IncRect changed;

  if (self->stroke == NULL)
    return;
  inc_brush_stroke_to (self->stroke, x, y, &changed);
  _inc_window_mask_changed (self, &changed);
}

static void
stroke_end_cb (IncWindow *self,
               IncCanvas *canvas)
{
  g_autoptr(IncBrushStroke) stroke = g_steal_pointer (&self->stroke);
  IncRect bounds;

  if (stroke == NULL)
    return;
  bounds = inc_brush_stroke_bounds (stroke);
  _inc_window_history_push_mask (self, inc_brush_stroke_before (stroke), &bounds,
                                 self->stroke_label);
  _inc_window_mask_changed (self, NULL);
}

void
_inc_window_mask_invert (IncWindow *self)
{
  g_autoptr(IncImage) before = NULL;
  IncRect changed;

  if (self->mask == NULL)
    return;
  before = inc_image_copy (self->mask);
  inc_mask_invert (self->mask, &changed);
  _inc_window_history_push_mask (self, before, &changed, N_("Invert Mask"));
  _inc_window_mask_changed (self, &changed);
}

void
_inc_window_mask_clear (IncWindow *self)
{
  g_autoptr(IncImage) before = NULL;
  IncRect changed;

  if (self->mask == NULL)
    return;
  before = inc_image_copy (self->mask);
  inc_mask_clear (self->mask, &changed);
  _inc_window_history_push_mask (self, before, &changed, N_("Clear Mask"));
  _inc_window_mask_changed (self, &changed);
}

/* Replaces the mask with a file's, scaled to the source (an undoable edit). */
gboolean
_inc_window_mask_import (IncWindow   *self,
                         const char  *path,
                         GError     **error)
{
  g_autoptr(IncImage) loaded = NULL;
  g_autoptr(IncImage) before = NULL;
  IncRect all;

  if (self->mask == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Open an image first"));
      return FALSE;
    }
  loaded = inc_image_load_mask (path, self->mask->width, self->mask->height, error);
  if (loaded == NULL)
    return FALSE;
  before = g_steal_pointer (&self->mask);
  self->mask = g_steal_pointer (&loaded);
  all = (IncRect) { 0, 0, self->mask->width, self->mask->height };
  _inc_window_history_push_mask (self, before, &all, N_("Import Mask"));
  _inc_window_mask_changed (self, NULL);
  return TRUE;
}

static GtkFileChooserNative *
png_chooser (IncWindow            *self,
             const char           *title,
             GtkFileChooserAction  action,
             const char           *accept)
{
  GtkFileChooserNative *dialog =
    gtk_file_chooser_native_new (title, GTK_WINDOW (self), action, accept, _("_Cancel"));
  g_autoptr(GtkFileFilter) images = gtk_file_filter_new ();

  gtk_file_filter_set_name (images, _("Images"));
  if (action == GTK_FILE_CHOOSER_ACTION_SAVE)
    gtk_file_filter_add_pattern (images, "*.png");
  else
    gtk_file_filter_add_pixbuf_formats (images);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), images);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  return dialog;
}

static void
import_response_cb (GtkNativeDialog *dialog,
                    int              response,
                    IncWindow       *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autoptr(GError) error = NULL;

      if (file != NULL && g_file_peek_path (file) != NULL &&
          !_inc_window_mask_import (self, g_file_peek_path (file), &error))
        {
          g_autofree char *message = g_strdup_printf (_("Could not import the mask: %s"),
                                                      error->message);

          _inc_window_show_error (self, message, FALSE);
        }
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

void
_inc_window_mask_import_dialog (IncWindow *self)
{
  GtkFileChooserNative *dialog = png_chooser (self, _("Import Mask"),
                                              GTK_FILE_CHOOSER_ACTION_OPEN, _("_Import"));

  g_signal_connect (dialog, "response", G_CALLBACK (import_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
export_response_cb (GtkNativeDialog *dialog,
                    int              response,
                    IncWindow       *self)
{
  if (response == GTK_RESPONSE_ACCEPT && self->mask != NULL)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autoptr(GError) error = NULL;

      /* A small greyscale PNG: quick enough for the main thread. */
      if (file != NULL && g_file_peek_path (file) != NULL &&
          !inc_image_save (self->mask, g_file_peek_path (file), NULL, 0, &error))
        {
          g_autofree char *message = g_strdup_printf (_("Could not export the mask: %s"),
                                                      error->message);

          _inc_window_show_error (self, message, FALSE);
        }
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

void
_inc_window_mask_export_dialog (IncWindow *self)
{
  GtkFileChooserNative *dialog = png_chooser (self, _("Export Mask"),
                                              GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"));

  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), "mask.png");
  g_signal_connect (dialog, "response", G_CALLBACK (export_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

void
_inc_window_mask_init (IncWindow *self)
{
  g_signal_connect_object (self->canvas, "stroke-begin",
                           G_CALLBACK (stroke_begin_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->canvas, "stroke-motion",
                           G_CALLBACK (stroke_motion_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->canvas, "stroke-end",
                           G_CALLBACK (stroke_end_cb), self, G_CONNECT_SWAPPED);
  g_object_bind_property (self->mask_panel, "brush-size", self->canvas, "brush-size",
                          G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->mask_panel, "show-mask", self->canvas, "show-mask",
                          G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->mask_panel, "mask-opacity", self->canvas, "mask-opacity",
                          G_BINDING_SYNC_CREATE);
  g_object_bind_property (self, "painting", self->canvas, "painting",
                          G_BINDING_SYNC_CREATE);
}
