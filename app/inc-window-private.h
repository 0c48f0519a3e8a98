/* inc-window-private.h: IncWindow's state, shared by inc-window*.c and the
 * UI tests. */
#pragma once

#include "app/inc-canvas.h"
#include "app/inc-dream-session.h"
#include "app/inc-export-dialog.h"
#include "app/inc-layer-picker.h"
#include "app/inc-mask-panel.h"
#include "app/inc-octave-controls.h"
#include "app/inc-presets-popover.h"
#include "app/inc-window.h"
#include "core/history.h"
#include "core/mask-brush.h"
#include "core/session.h"

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
  IncMaskPanel         *mask_panel;
  IncPresetsPopover    *presets_popover;
  GtkInfoBar           *restore_banner;
  GtkLabel             *restore_label;
  GtkWidget            *undo_button;
  GtkWidget            *redo_button;
  GtkLabel             *status_label;
  GtkProgressBar       *progress_bar;
  GtkLabel             *zoom_label;
  GMenu                *recent_menu;

  GSettings            *settings;
  IncDreamSession      *session;
  GCancellable         *cancellable;   /* cancelled when the window closes */
  GFile                *file;
  char                 *model_path;

  /* The preset the controls started from: what they do not show (octave
   * style, objective, start) comes from it. */
  IncRecipe            *base_recipe;

  /* The mask at the source's size (all 0: dream everywhere) and the
   * stroke being painted. */
  IncImage             *mask;
  IncBrushStroke       *stroke;
  const char           *stroke_label;  /* "Paint" or "Erase" */
  gboolean              painting;      /* the canvas paints the mask */

  /* Undo: dream runs, resets and mask edits (core/history.h). */
  IncHistory           *history;
  const char           *run_label;     /* "Dream" or "Step" */
  gboolean              run_changed;   /* a frame came during the run */

  IncExportDialog      *export_dialog; /* weak */
  char                 *export_status;

  /* Sessions and the autosave. */
  char                 *session_path;
  guint                 autosave_id;
  guint                 autosave_delay_ms;
  gboolean              autosave_busy;
  gboolean              autosave_again;
  gboolean              autosave_held; /* an earlier autosave is offered */
  gboolean              discard_when_saved;
  guint                 autosaves;     /* written, for the tests */

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

void              _inc_window_apply_recipe    (IncWindow       *self,
                                               const IncRecipe *recipe);
void              _inc_window_recipe_changed  (IncWindow       *self);

/* inc-window-mask.c */
void              _inc_window_mask_init       (IncWindow       *self);
void              _inc_window_mask_reset      (IncWindow       *self);
/* After a change of rect (NULL: all): the canvas, the dream, the autosave. */
void              _inc_window_mask_changed    (IncWindow       *self,
                                               const IncRect   *rect);
gboolean          _inc_window_mask_is_empty   (IncWindow       *self);
void              _inc_window_mask_invert     (IncWindow       *self);
void              _inc_window_mask_clear      (IncWindow       *self);
void              _inc_window_mask_import_dialog (IncWindow    *self);
void              _inc_window_mask_export_dialog (IncWindow    *self);
gboolean          _inc_window_mask_import     (IncWindow       *self,
                                               const char      *path,
                                               GError         **error);

/* inc-window-history.c */
void              _inc_window_history_reset   (IncWindow       *self);
void              _inc_window_history_push_image (IncWindow    *self,
                                                  const char   *label);
void              _inc_window_history_push_mask  (IncWindow      *self,
                                                  const IncImage *before,
                                                  const IncRect  *rect,
                                                  const char     *label);
void              _inc_window_undo            (IncWindow       *self);
void              _inc_window_redo            (IncWindow       *self);
void              _inc_window_history_update  (IncWindow       *self);

/* inc-window-session.c */
IncSession       *_inc_window_make_session    (IncWindow       *self);
void              _inc_window_apply_session   (IncWindow       *self,
                                               IncSession      *session,
                                               const char      *path);
void              _inc_window_save_session_dialog (IncWindow   *self);
void              _inc_window_open_session_dialog (IncWindow   *self);
void              _inc_window_save_session    (IncWindow       *self,
                                               const char      *path);
void              _inc_window_open_session    (IncWindow       *self,
                                               const char      *path);
void              _inc_window_schedule_autosave (IncWindow     *self);
void              _inc_window_check_autosave  (IncWindow       *self);
void              _inc_window_restore_autosave (IncWindow      *self);
void              _inc_window_discard_autosave (IncWindow      *self);
void              _inc_window_session_closing (IncWindow       *self);

/* inc-window-actions.c */
void              _inc_window_class_actions_init (GtkWidgetClass *widget_class);

/* inc-window-files.c */
void              _inc_window_open_dialog     (IncWindow       *self);
void              _inc_window_export_dialog   (IncWindow       *self);
void              _inc_window_save_image_dialog (IncWindow     *self);
void              _inc_window_close_export    (IncWindow       *self);
void              _inc_window_import_model    (IncWindow       *self);
void              _inc_window_setup_drop      (IncWindow       *self);
void              _inc_window_setup_recent    (IncWindow       *self);
void              _inc_window_set_source      (IncWindow       *self,
                                               GFile           *file,
                                               IncImage        *image);

G_END_DECLS
