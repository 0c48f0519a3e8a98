/* inc-window-private.h: IncWindow's state, shared by inc-window*.c and the
 * UI tests. */
#pragma once

#include "app/inc-canvas.h"
#include "app/inc-dream-session.h"
#include "app/inc-layer-picker.h"
#include "app/inc-octave-controls.h"
#include "app/inc-window.h"

G_BEGIN_DECLS

struct _IncWindow
{
  GtkApplicationWindow  parent_instance;

  /* Template children */
  GtkToggleButton      *dream_button;
  GtkImage             *dream_icon;
  GtkLabel             *dream_label;
  GtkInfoBar           *banner;
  GtkLabel             *banner_label;
  GtkWidget            *banner_import_button;
  IncCanvas            *canvas;
  GtkWidget            *placeholder;
  IncLayerPicker       *layer_picker;
  IncOctaveControls    *octave_controls;
  GtkLabel             *status_label;
  GtkProgressBar       *progress_bar;
  GtkLabel             *zoom_label;
  GMenu                *recent_menu;

  GSettings            *settings;
  IncDreamSession      *session;
  GCancellable         *cancellable;   /* cancelled when the window closes */
  GFile                *file;
  char                 *model_path;

  gboolean              dreaming;      /* the Dream toggle's state */
  gboolean              engine_loading;
  gboolean              importing;
  gboolean              dream_when_ready;
  gboolean              image_loading;
  char                 *recipe_problem;

  /* Time from pressing Dream to the first frame, for the status line and
   * the tests; 0 until measured. */
  gint64                dream_pressed_us;
  gint64                first_frame_us;
};

/* inc-window.c */
void              _inc_window_show_error      (IncWindow       *self,
                                               const char      *message,
                                               gboolean         offer_import);
void              _inc_window_hide_error      (IncWindow       *self);
void              _inc_window_load_engine     (IncWindow       *self);
void              _inc_window_set_dreaming    (IncWindow       *self,
                                               gboolean         dreaming);
void              _inc_window_update_actions  (IncWindow       *self);
void              _inc_window_update_status   (IncWindow       *self);
IncRecipe        *_inc_window_build_recipe    (IncWindow       *self);
IncDreamSession  *_inc_window_get_session     (IncWindow       *self);
IncCanvas        *_inc_window_get_canvas      (IncWindow       *self);
gint64            _inc_window_get_first_frame_us (IncWindow    *self);

/* inc-window-actions.c */
void              _inc_window_class_actions_init (GtkWidgetClass *widget_class);

/* inc-window-files.c */
void              _inc_window_open_dialog     (IncWindow       *self);
void              _inc_window_export_dialog   (IncWindow       *self);
void              _inc_window_import_model    (IncWindow       *self);
void              _inc_window_setup_drop      (IncWindow       *self);
void              _inc_window_setup_recent    (IncWindow       *self);
void              _inc_window_set_source      (IncWindow       *self,
                                               GFile           *file,
                                               IncImage        *image);

G_END_DECLS
