/* inc-export-dialog.c: the export's options, its file, and the worker.
 *
 * The export borrows the live dream's gradients (one engine, not
 * thread-safe), so a running dream is paused first and no dream starts
 * until the export is over; the canvas stays usable meanwhile. Progress
 * reaches the main loop through a one-slot mailbox, as frames do. */
#include "app/inc-export-dialog.h"

#include <glib/gi18n.h>
#include <string.h>

#include "core/export.h"

typedef struct {
  gatomicrefcount   ref_count;
  IncExportDialog  *dialog;       /* strong */
  IncDreamSession  *session;      /* strong: keeps the engine alive */
  IncExportOptions  options;
  IncRecipe        *recipe;
  IncImage         *source;
  IncImage         *mask;
  IncGradientSource *gradients;
  char             *path;

  GMutex            lock;
  double            fraction;
  gboolean          writing;
  gboolean          idle_queued;
} Job;

struct _IncExportDialog
{
  GtkWindow        parent_instance;

  GtkDropDown     *size_dropdown;
  GtkAdjustment   *long_edge_adjustment;
  GtkWidget       *long_edge_spin;
  GtkLabel        *target_label;
  GtkDropDown     *format_dropdown;
  GtkWidget       *quality_spin;
  GtkAdjustment   *quality_adjustment;
  GtkLabel        *file_label;
  GtkProgressBar  *progress_bar;
  GtkLabel        *status_label;

  IncDreamSession *session;
  GFile           *file;
  GCancellable    *cancellable;
  Job             *job;           /* while exporting */
  gboolean         waiting;       /* for the live dream to pause */
  gboolean         close_when_done;
};

G_DEFINE_FINAL_TYPE (IncExportDialog, inc_export_dialog, GTK_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

enum { SIZE_1X, SIZE_2X, SIZE_4X, SIZE_LONG_EDGE };
enum { FORMAT_PNG, FORMAT_JPEG };

static void start (IncExportDialog *self);

static Job *
job_ref (Job *job)
{
  g_atomic_ref_count_inc (&job->ref_count);
  return job;
}

static void
job_unref (Job *job)
{
  if (!g_atomic_ref_count_dec (&job->ref_count))
    return;
  g_clear_pointer (&job->recipe, inc_recipe_free);
  g_clear_pointer (&job->source, inc_image_free);
  g_clear_pointer (&job->mask, inc_image_free);
  g_free (job->path);
  g_mutex_clear (&job->lock);
  g_clear_object (&job->session);
  g_clear_object (&job->dialog);
  g_free (job);
}

static void
get_options (IncExportDialog  *self,
             IncExportOptions *options)
{
  guint size = gtk_drop_down_get_selected (self->size_dropdown);

  memset (options, 0, sizeof *options);
  options->scale = size == SIZE_4X ? 4 : size == SIZE_2X ? 2 : 1;
  if (size == SIZE_LONG_EDGE)
    options->long_edge = (int) gtk_adjustment_get_value (self->long_edge_adjustment);
  options->jpeg_quality = (int) gtk_adjustment_get_value (self->quality_adjustment);
}

static gboolean
is_jpeg_name (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);

  return g_str_has_suffix (lower, ".jpg") || g_str_has_suffix (lower, ".jpeg");
}

static void
update (IncExportDialog *self)
{
  const IncImage *source = inc_dream_session_get_source (self->session);
  gboolean busy = self->job != NULL || self->waiting;
  IncExportOptions options;
  g_autoptr(GError) error = NULL;
  int width, height;
  gboolean size_ok = FALSE;

  get_options (self, &options);
  gtk_widget_set_sensitive (self->long_edge_spin,
                            gtk_drop_down_get_selected (self->size_dropdown) == SIZE_LONG_EDGE);
  gtk_widget_set_sensitive (self->quality_spin,
                            gtk_drop_down_get_selected (self->format_dropdown) == FORMAT_JPEG);
  if (source == NULL)
    gtk_label_set_text (self->target_label, _("No image"));
  else if (inc_export_target_size (&options, source->width, source->height,
                                   &width, &height, &error))
    {
      g_autofree char *text = g_strdup_printf (_("%d × %d pixels"), width, height);

      gtk_label_set_text (self->target_label, text);
      size_ok = TRUE;
    }
  else
    gtk_label_set_text (self->target_label, error->message);

  if (self->file != NULL)
    {
      g_autofree char *name = g_file_get_parse_name (self->file);

      gtk_label_set_text (self->file_label, name);
    }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "export.start",
                                 !busy && size_ok && self->file != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "export.choose-file", !busy);
}

static void
options_changed_cb (IncExportDialog *self)
{
  update (self);
}

/* The file's extension follows the format. */
static void
format_changed_cb (IncExportDialog *self)
{
  gboolean jpeg = gtk_drop_down_get_selected (self->format_dropdown) == FORMAT_JPEG;

  if (self->file != NULL)
    {
      g_autofree char *base = g_file_get_basename (self->file);

      if (jpeg != is_jpeg_name (base))
        {
          g_autoptr(GFile) parent = g_file_get_parent (self->file);
          char *dot = strrchr (base, '.');
          g_autofree char *name = NULL;

          if (dot != NULL)
            *dot = '\0';
          name = g_strconcat (base, jpeg ? ".jpg" : ".png", NULL);
          g_clear_object (&self->file);
          self->file = parent ? g_file_get_child (parent, name) : g_file_new_for_path (name);
        }
    }
  update (self);
}

void
inc_export_dialog_set_file (IncExportDialog *self,
                            GFile           *file)
{
  g_autofree char *base = NULL;

  g_return_if_fail (INC_IS_EXPORT_DIALOG (self));
  g_return_if_fail (G_IS_FILE (file));

  g_set_object (&self->file, file);
  base = g_file_get_basename (file);
  gtk_drop_down_set_selected (self->format_dropdown,
                              is_jpeg_name (base) ? FORMAT_JPEG : FORMAT_PNG);
  update (self);
}

GFile *
inc_export_dialog_get_file (IncExportDialog *self)
{
  g_return_val_if_fail (INC_IS_EXPORT_DIALOG (self), NULL);

  return self->file;
}

void
inc_export_dialog_set_size (IncExportDialog *self,
                            int              scale,
                            int              long_edge)
{
  g_return_if_fail (INC_IS_EXPORT_DIALOG (self));

  if (scale == 0)
    {
      gtk_adjustment_set_value (self->long_edge_adjustment, long_edge);
      gtk_drop_down_set_selected (self->size_dropdown, SIZE_LONG_EDGE);
    }
  else
    gtk_drop_down_set_selected (self->size_dropdown,
                                scale == 4 ? SIZE_4X : scale == 2 ? SIZE_2X : SIZE_1X);
  update (self);
}

gboolean
inc_export_dialog_get_running (IncExportDialog *self)
{
  g_return_val_if_fail (INC_IS_EXPORT_DIALOG (self), FALSE);

  return self->job != NULL || self->waiting;
}

const char *
inc_export_dialog_get_status (IncExportDialog *self)
{
  g_return_val_if_fail (INC_IS_EXPORT_DIALOG (self), NULL);

  return gtk_label_get_text (self->status_label);
}

/* Main thread. */
static gboolean
progress_idle_cb (gpointer data)
{
  Job *job = data;
  IncExportDialog *self = job->dialog;
  double fraction;
  gboolean writing;

  g_mutex_lock (&job->lock);
  fraction = job->fraction;
  writing = job->writing;
  job->idle_queued = FALSE;
  g_mutex_unlock (&job->lock);

  if (self->job == job)
    {
      g_autofree char *text = writing ? g_strdup (_("Writing the file…"))
                                      : g_strdup_printf (_("Dreaming at full size… %.0f%%"),
                                                         fraction * 100);

      gtk_progress_bar_set_fraction (self->progress_bar, fraction);
      gtk_label_set_text (self->status_label, text);
    }
  return G_SOURCE_REMOVE;
}

/* Worker thread. */
static void
progress_cb (const IncExportProgress *progress,
             gpointer                 data)
{
  Job *job = data;

  g_mutex_lock (&job->lock);
  job->fraction = progress->fraction;
  job->writing = progress->writing;
  if (!job->idle_queued)
    {
      job->idle_queued = TRUE;
      g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, progress_idle_cb, job_ref (job),
                       (GDestroyNotify) job_unref);
    }
  g_mutex_unlock (&job->lock);
}

static void
export_worker (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  Job *job = task_data;
  GError *error = NULL;

  if (!inc_export_run (&job->options, job->recipe, job->source, job->mask,
                       job->gradients, job->path, cancellable,
                       progress_cb, job, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
export_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  IncExportDialog *self = INC_EXPORT_DIALOG (object);
  Job *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  g_task_propagate_boolean (G_TASK (result), &error);
  inc_dream_session_return_gradients (job->session);
  if (g_application_get_default () != NULL)
    g_application_release (g_application_get_default ());
  if (self->job != job)
    return;
  self->job = NULL;
  g_clear_object (&self->cancellable);

  if (error == NULL)
    {
      g_autofree char *name = g_path_get_basename (job->path);
      g_autofree char *text = g_strdup_printf (_("Exported “%s”"), name);

      gtk_progress_bar_set_fraction (self->progress_bar, 1.0);
      gtk_label_set_text (self->status_label, text);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
      gtk_label_set_text (self->status_label, _("Cancelled: no file was written"));
    }
  else
    {
      g_autofree char *text = g_strdup_printf (_("Could not export: %s"), error->message);

      gtk_label_set_text (self->status_label, text);
    }
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_signal_emit (self, signals[FINISHED], 0, job->path, error);
  if (self->close_when_done || error == NULL)
    gtk_window_destroy (GTK_WINDOW (self));
}

static void
running_changed_cb (IncExportDialog *self)
{
  if (self->waiting && !inc_dream_session_get_working (self->session))
    {
      self->waiting = FALSE;
      g_signal_handlers_disconnect_by_func (self->session, running_changed_cb, self);
      start (self);
    }
}

static void
start (IncExportDialog *self)
{
  g_autoptr(GTask) task = NULL;
  IncGradientSource *gradients;
  const IncImage *source = inc_dream_session_get_source (self->session);
  const IncImage *mask = inc_dream_session_get_mask (self->session);
  Job *job;

  if (self->job != NULL || self->waiting || self->file == NULL || source == NULL)
    return;
  if (g_file_peek_path (self->file) == NULL)
    {
      gtk_label_set_text (self->status_label, _("Only local files can be written"));
      return;
    }
  /* The live dream and the export share one engine: pause the dream (or
   * wait for the engine's set-up for a newly opened image). */
  if (inc_dream_session_get_working (self->session))
    {
      self->waiting = TRUE;
      gtk_label_set_text (self->status_label,
                          inc_dream_session_get_running (self->session)
                          ? _("Pausing the dream…") : _("Waiting for the engine…"));
      g_signal_connect_object (self->session, "notify::running",
                               G_CALLBACK (running_changed_cb), self, G_CONNECT_SWAPPED);
      inc_dream_session_pause (self->session);
      update (self);
      return;
    }
  gradients = inc_dream_session_lend_gradients (self->session);
  if (gradients == NULL)
    {
      gtk_label_set_text (self->status_label,
                          _("The dream engine is not ready: see the message in the window, "
                            "or press Dream once to load it."));
      return;
    }

  job = g_new0 (Job, 1);
  g_atomic_ref_count_init (&job->ref_count);
  g_mutex_init (&job->lock);
  job->dialog = g_object_ref (self);
  job->session = g_object_ref (self->session);
  get_options (self, &job->options);
  job->recipe = inc_recipe_copy (inc_dream_session_get_recipe (self->session));
  job->source = inc_image_copy (source);
  job->mask = mask ? inc_image_copy (mask) : NULL;
  job->gradients = gradients;
  job->path = g_file_get_path (self->file);

  self->job = job;
  self->cancellable = g_cancellable_new ();
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_label_set_text (self->status_label, _("Starting…"));
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);

  /* The process stays until the worker has let go of the device, even if
   * every window closes meanwhile. */
  if (g_application_get_default () != NULL)
    g_application_hold (g_application_get_default ());
  task = g_task_new (self, self->cancellable, export_done_cb, NULL);
  g_task_set_source_tag (task, start);
  g_task_set_name (task, "inceptionist export");
  g_task_set_task_data (task, job, (GDestroyNotify) job_unref);
  g_task_run_in_thread (task, export_worker);
}

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  start (INC_EXPORT_DIALOG (widget));
}

/* Cancel stops an export (the dialog stays, to try again) or closes. */
static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  IncExportDialog *self = INC_EXPORT_DIALOG (widget);

  if (self->waiting)
    {
      self->waiting = FALSE;
      g_signal_handlers_disconnect_by_func (self->session, running_changed_cb, self);
      gtk_label_set_text (self->status_label, "");
      update (self);
    }
  else if (self->job != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      gtk_label_set_text (self->status_label, _("Cancelling…"));
    }
  else
    gtk_window_close (GTK_WINDOW (self));
}

static void
choose_response_cb (GtkNativeDialog *chooser,
                    int              response,
                    IncExportDialog *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (file != NULL)
        inc_export_dialog_set_file (self, file);
    }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

static void
choose_file_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  IncExportDialog *self = INC_EXPORT_DIALOG (widget);
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) png = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) jpeg = gtk_file_filter_new ();

  chooser = gtk_file_chooser_native_new (_("Export To"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_SAVE,
                                         _("_Select"), _("_Cancel"));
  gtk_file_filter_set_name (png, _("PNG (keeps the recipe)"));
  gtk_file_filter_add_pattern (png, "*.png");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), png);
  gtk_file_filter_set_name (jpeg, _("JPEG"));
  gtk_file_filter_add_pattern (jpeg, "*.jpg");
  gtk_file_filter_add_pattern (jpeg, "*.jpeg");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), jpeg);
  if (self->file != NULL)
    {
      g_autoptr(GFile) parent = g_file_get_parent (self->file);
      g_autofree char *name = g_file_get_basename (self->file);

      if (parent != NULL)
        gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), parent, NULL);
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
    }
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (choose_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static gboolean
inc_export_dialog_close_request (GtkWindow *window)
{
  IncExportDialog *self = INC_EXPORT_DIALOG (window);

  /* Closing cancels; the dialog goes once the worker has let go. */
  if (self->job != NULL)
    {
      self->close_when_done = TRUE;
      g_cancellable_cancel (self->cancellable);
      gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
      return TRUE;
    }
  return GTK_WINDOW_CLASS (inc_export_dialog_parent_class)->close_request (window);
}

static void
inc_export_dialog_dispose (GObject *object)
{
  IncExportDialog *self = INC_EXPORT_DIALOG (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  self->job = NULL;
  gtk_widget_dispose_template (GTK_WIDGET (self), INC_TYPE_EXPORT_DIALOG);
  g_clear_object (&self->session);
  g_clear_object (&self->file);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (inc_export_dialog_parent_class)->dispose (object);
}

static void
inc_export_dialog_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  IncExportDialog *self = INC_EXPORT_DIALOG (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, self->job != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
inc_export_dialog_class_init (IncExportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = inc_export_dialog_dispose;
  object_class->get_property = inc_export_dialog_get_property;

  /* The worker has the engine. */
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  window_class->close_request = inc_export_dialog_close_request;

  /* (path, error): error NULL once the file is written. */
  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass),
                                    G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                    G_TYPE_NONE, 2, G_TYPE_STRING,
                                    G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/inceptionist/Studio/inc-export-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, IncExportDialog, size_dropdown);
  gtk_widget_class_bind_template_child (widget_class, IncExportDialog, long_edge_adjustment);
  gtk_widget_class_bind_template_child (widget_class, IncExportDialog, long_edge_spin);
  gtk_widget_class_bind_template_child (widget_class, IncExportDialog, target_label);
  gtk_widget_class_bind_template_child (widget_class, IncExportDialog, format_dropdown);
  gtk_widget_class_bind_template_child (widget_class, IncExportDialog, quality_spin);
  gtk_widget_class_bind_template_child (widget_class, IncExportDialog, quality_adjustment);
  gtk_widget_class_bind_template_child (widget_class, IncExportDialog, file_label);
  gtk_widget_class_bind_template_child (widget_class, IncExportDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, IncExportDialog, status_label);
  gtk_widget_class_bind_template_callback (widget_class, options_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, format_changed_cb);

  gtk_widget_class_install_action (widget_class, "export.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "export.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "export.choose-file", NULL, choose_file_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "export.cancel", NULL);
}

static void
inc_export_dialog_init (IncExportDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

IncExportDialog *
inc_export_dialog_new (GtkWindow       *parent,
                       IncDreamSession *session,
                       GFile           *file)
{
  IncExportDialog *self;

  g_return_val_if_fail (INC_IS_DREAM_SESSION (session), NULL);

  self = g_object_new (INC_TYPE_EXPORT_DIALOG, "transient-for", parent, NULL);
  self->session = g_object_ref (session);
  if (file != NULL)
    inc_export_dialog_set_file (self, file);
  update (self);
  return self;
}
