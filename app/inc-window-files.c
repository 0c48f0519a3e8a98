/* inc-window-files.c: opening images (dialog, drop, command line, recent
 * files), Save Image (the dream as shown, at working size), Export (the
 * dialog that renders it again at print size), and importing the model.
 * Decoding, encoding and importing run in worker threads. */
#include "app/inc-window-private.h"

#include <glib/gi18n.h>
#include <string.h>

#include "app/inc-image-rgba.h"
#include "app/inc-model-fetch.h"
#include "core/image.h"

typedef struct {
  GFile    *file;
  char     *path;
  int       max_dim;
} OpenData;

static void
open_data_free (OpenData *data)
{
  g_clear_object (&data->file);
  g_free (data->path);
  g_free (data);
}

static void
open_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  OpenData *data = task_data;
  GError *error = NULL;
  IncImage *image = inc_image_load (data->path, data->max_dim, &error);

  if (image == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, image, (GDestroyNotify) inc_image_free);
}

static void
open_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  IncWindow *self = INC_WINDOW (object);
  OpenData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  IncImage *image = g_task_propagate_pointer (G_TASK (result), &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->image_loading = FALSE;
  if (image == NULL)
    {
      g_autofree char *name = g_file_get_basename (data->file);
      g_autofree char *message = g_strdup_printf (_("Could not open “%s”: %s"),
                                                  name, error->message);

      _inc_window_show_error (self, message, FALSE);
      _inc_window_update_status (self);
      return;
    }
  _inc_window_set_source (self, data->file, image);
}

void
inc_window_open_file (IncWindow *self,
                      GFile     *file)
{
  g_autoptr(GTask) task = NULL;
  OpenData *data;

  g_return_if_fail (INC_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  data = g_new0 (OpenData, 1);
  data->file = g_object_ref (file);
  data->path = g_file_get_path (file);
  data->max_dim = g_settings_get_int (self->settings, "working-size");

  task = g_task_new (self, self->cancellable, open_done_cb, NULL);
  g_task_set_source_tag (task, inc_window_open_file);
  g_task_set_task_data (task, data, (GDestroyNotify) open_data_free);
  if (data->path == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("only local files can be opened"));
      return;
    }
  self->image_loading = TRUE;
  _inc_window_update_status (self);
  g_task_run_in_thread (task, open_worker);
}

void
_inc_window_set_source (IncWindow *self,
                        GFile     *file,
                        IncImage  *image)
{
  g_autoptr(GBytes) rgba = _inc_image_to_rgba8 (image);
  g_autofree char *uri = file ? g_file_get_uri (file) : NULL;
  g_autofree char *name = file ? g_file_get_basename (file) : NULL;
  g_autoptr(GFile) parent = file ? g_file_get_parent (file) : NULL;

  _inc_window_set_dreaming (self, FALSE);
  _inc_window_hide_error (self);
  g_set_object (&self->file, file);
  g_clear_pointer (&self->session_path, g_free);

  inc_canvas_set_original (self->canvas, rgba, image->width, image->height);
  /* The session shows the source through its "frame" signal. */
  inc_dream_session_set_source (self->session, image);
  _inc_window_mask_reset (self);
  _inc_window_history_reset (self);
  inc_canvas_zoom_fit (self->canvas);
  gtk_widget_set_visible (self->placeholder, FALSE);
  gtk_window_set_title (GTK_WINDOW (self), name ? name : _("Inceptionist"));
  _inc_window_schedule_autosave (self);

  if (uri != NULL)
    gtk_recent_manager_add_item (gtk_recent_manager_get_default (), uri);
  if (parent != NULL && g_file_peek_path (parent) != NULL)
    g_settings_set_string (self->settings, "recent-folder", g_file_peek_path (parent));

  _inc_window_update_actions (self);
  _inc_window_update_status (self);
}

static void
open_response_cb (GtkNativeDialog *dialog,
                  int              response,
                  gpointer         user_data)
{
  IncWindow *self = INC_WINDOW (user_data);

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      if (file != NULL)
        inc_window_open_file (self, file);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
set_initial_folder (IncWindow      *self,
                    GtkFileChooser *chooser)
{
  g_autofree char *folder = g_settings_get_string (self->settings, "recent-folder");

  if (self->file != NULL)
    {
      g_autoptr(GFile) parent = g_file_get_parent (self->file);

      if (parent != NULL)
        {
          gtk_file_chooser_set_current_folder (chooser, parent, NULL);
          return;
        }
    }
  if (*folder != '\0' && g_file_test (folder, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GFile) dir = g_file_new_for_path (folder);

      gtk_file_chooser_set_current_folder (chooser, dir, NULL);
    }
}

void
_inc_window_open_dialog (IncWindow *self)
{
  GtkFileChooserNative *dialog;
  g_autoptr(GtkFileFilter) images = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();

  dialog = gtk_file_chooser_native_new (_("Open Image"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_OPEN,
                                        _("_Open"), _("_Cancel"));
  gtk_file_filter_set_name (images, _("Images"));
  gtk_file_filter_add_pixbuf_formats (images);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), images);
  gtk_file_filter_set_name (all, _("All Files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), all);
  set_initial_folder (self, GTK_FILE_CHOOSER (dialog));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);

  g_signal_connect (dialog, "response", G_CALLBACK (open_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* Save Image: what is shown, at working size, at once */

typedef struct {
  IncImage *image;
  char     *path;
  char     *recipe_json;
} ExportData;

static void
export_data_free (ExportData *data)
{
  g_clear_pointer (&data->image, inc_image_free);
  g_free (data->path);
  g_free (data->recipe_json);
  g_free (data);
}

static void
export_worker (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ExportData *data = task_data;
  GError *error = NULL;

  if (!inc_image_save (data->image, data->path, data->recipe_json, 95, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
export_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  IncWindow *self = INC_WINDOW (object);
  ExportData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *message = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      message = g_strdup_printf (_("Could not save to %s: %s"), data->path, error->message);
      _inc_window_show_error (self, message, FALSE);
      return;
    }
  {
    g_autofree char *name = g_path_get_basename (data->path);
    g_autofree char *text = g_strdup_printf (_("Saved “%s”"), name);

    gtk_label_set_text (self->status_label, text);
  }
}

static void
export_response_cb (GtkNativeDialog *dialog,
                    int              response,
                    gpointer         user_data)
{
  IncWindow *self = INC_WINDOW (user_data);

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      const IncImage *image = inc_dream_session_get_image (self->session);

      if (file != NULL && image != NULL)
        {
          g_autoptr(GTask) task = g_task_new (self, self->cancellable, export_done_cb, NULL);
          ExportData *data = g_new0 (ExportData, 1);

          data->image = inc_image_copy (image);
          data->path = g_file_get_path (file);
          data->recipe_json = inc_recipe_to_json (inc_dream_session_get_recipe (self->session));
          g_task_set_source_tag (task, _inc_window_save_image_dialog);
          g_task_set_task_data (task, data, (GDestroyNotify) export_data_free);
          if (data->path == NULL)
            g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                     _("only local files can be written"));
          else
            g_task_run_in_thread (task, export_worker);
        }
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static char *
suggested_name (IncWindow *self)
{
  g_autofree char *base = NULL;
  char *dot;

  if (self->file == NULL)
    return g_strdup ("dream.png");
  base = g_file_get_basename (self->file);
  dot = strrchr (base, '.');
  if (dot != NULL)
    *dot = '\0';
  return g_strdup_printf ("%s-dream.png", base);
}

void
_inc_window_save_image_dialog (IncWindow *self)
{
  GtkFileChooserNative *dialog;
  g_autoptr(GtkFileFilter) png = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) jpeg = gtk_file_filter_new ();
  g_autofree char *name = NULL;

  dialog = gtk_file_chooser_native_new (_("Save Image"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SAVE,
                                        _("_Save"), _("_Cancel"));
  gtk_file_filter_set_name (png, _("PNG (keeps the recipe)"));
  gtk_file_filter_add_pattern (png, "*.png");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), png);
  gtk_file_filter_set_name (jpeg, _("JPEG"));
  gtk_file_filter_add_pattern (jpeg, "*.jpg");
  gtk_file_filter_add_pattern (jpeg, "*.jpeg");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), jpeg);
  set_initial_folder (self, GTK_FILE_CHOOSER (dialog));

  name = suggested_name (self);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);

  g_signal_connect (dialog, "response", G_CALLBACK (export_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* Export: the dialog renders it again at print size */

static void
export_finished_cb (IncWindow       *self,
                    const char      *path,
                    const GError    *error,
                    IncExportDialog *dialog)
{
  g_autofree char *name = g_path_get_basename (path);

  if (error == NULL)
    {
      g_free (self->export_status);
      self->export_status = g_strdup_printf (_("Exported “%s”"), name);
      gtk_label_set_text (self->status_label, self->export_status);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *message = g_strdup_printf (_("Could not export “%s”: %s"),
                                                  name, error->message);

      _inc_window_show_error (self, message, FALSE);
    }
  _inc_window_update_actions (self);
}

static void
export_dialog_gone_cb (gpointer  data,
                       GObject  *where_the_dialog_was)
{
  IncWindow *self = data;

  self->export_dialog = NULL;
  _inc_window_update_actions (self);
}

void
_inc_window_close_export (IncWindow *self)
{
  IncExportDialog *dialog = g_steal_pointer (&self->export_dialog);

  if (dialog == NULL)
    return;
  g_object_weak_unref (G_OBJECT (dialog), export_dialog_gone_cb, self);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

void
_inc_window_export_dialog (IncWindow *self)
{
  g_autofree char *name = NULL;
  g_autofree char *folder = NULL;
  g_autoptr(GFile) dir = NULL;
  g_autoptr(GFile) file = NULL;

  if (self->export_dialog != NULL)
    {
      gtk_window_present (GTK_WINDOW (self->export_dialog));
      return;
    }
  name = suggested_name (self);
  if (self->file != NULL)
    dir = g_file_get_parent (self->file);
  if (dir == NULL)
    {
      folder = g_settings_get_string (self->settings, "recent-folder");
      dir = g_file_new_for_path (*folder != '\0' ? folder : g_get_home_dir ());
    }
  file = g_file_get_child (dir, name);

  self->export_dialog = inc_export_dialog_new (GTK_WINDOW (self), self->session, file);
  g_object_weak_ref (G_OBJECT (self->export_dialog), export_dialog_gone_cb, self);
  g_signal_connect_object (self->export_dialog, "finished",
                           G_CALLBACK (export_finished_cb), self, G_CONNECT_SWAPPED);
  /* Dream and Step wait while the export has the engine. */
  g_signal_connect_object (self->export_dialog, "notify::running",
                           G_CALLBACK (_inc_window_update_actions), self, G_CONNECT_SWAPPED);
  _inc_window_update_actions (self);
  gtk_window_present (GTK_WINDOW (self->export_dialog));
}

/* Drag and drop */

static gboolean
drop_cb (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         IncWindow     *self)
{
  GFile *file = NULL;

  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    {
      GSList *files = gdk_file_list_get_files (g_value_get_boxed (value));

      file = files ? files->data : NULL;
      g_slist_free (files);
    }
  else if (G_VALUE_HOLDS (value, G_TYPE_FILE))
    file = g_value_get_object (value);

  if (file == NULL)
    return FALSE;
  inc_window_open_file (self, file);
  return TRUE;
}

void
_inc_window_setup_drop (IncWindow *self)
{
  GtkDropTarget *target = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);
  GType types[] = { GDK_TYPE_FILE_LIST, G_TYPE_FILE };

  gtk_drop_target_set_gtypes (target, types, G_N_ELEMENTS (types));
  g_signal_connect (target, "drop", G_CALLBACK (drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->canvas), GTK_EVENT_CONTROLLER (target));
}

/* Model import */

static void
import_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(IncWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!_inc_model_fetch_finish (result, &error))
    {
      g_autofree char *message = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      self->importing = FALSE;
      message = g_strdup_printf (_("Could not import the model: %s"), error->message);
      _inc_window_show_error (self, message, TRUE);
      _inc_window_update_actions (self);
      _inc_window_update_status (self);
      return;
    }
  self->importing = FALSE;
  _inc_window_hide_error (self);
  _inc_window_update_actions (self);
  _inc_window_load_engine (self);
}

void
_inc_window_import_model (IncWindow *self)
{
  if (self->importing)
    return;
  self->importing = TRUE;
  _inc_window_hide_error (self);
  _inc_window_update_actions (self);
  _inc_window_update_status (self);
  _inc_model_fetch_async (self->model_path, self->cancellable, import_done_cb,
                          g_object_ref (self));
}

/* Recent images */

#define MAX_RECENT 10

static int
compare_recent (gconstpointer a,
                gconstpointer b)
{
  GDateTime *ta = gtk_recent_info_get_modified ((GtkRecentInfo *) a);
  GDateTime *tb = gtk_recent_info_get_modified ((GtkRecentInfo *) b);

  return g_date_time_compare (tb, ta);
}

static void
update_recent (IncWindow        *self,
               GtkRecentManager *manager)
{
  GList *items = gtk_recent_manager_get_items (manager);
  const char *app = g_get_application_name ();
  guint n = 0;

  g_menu_remove_all (self->recent_menu);
  items = g_list_sort (items, compare_recent);
  for (GList *l = items; l != NULL && n < MAX_RECENT; l = l->next)
    {
      GtkRecentInfo *info = l->data;
      const char *mime = gtk_recent_info_get_mime_type (info);
      g_autoptr(GMenuItem) item = NULL;

      /* Only images this application opened, and still there. */
      if (app == NULL || !gtk_recent_info_has_application (info, app) ||
          mime == NULL || !g_str_has_prefix (mime, "image/") ||
          !gtk_recent_info_exists (info))
        continue;
      item = g_menu_item_new (gtk_recent_info_get_display_name (info), NULL);
      g_menu_item_set_action_and_target_value (item, "win.open-uri",
                                               g_variant_new_string (gtk_recent_info_get_uri (info)));
      g_menu_append_item (self->recent_menu, item);
      n++;
    }
  g_list_free_full (items, (GDestroyNotify) gtk_recent_info_unref);
}

void
_inc_window_setup_recent (IncWindow *self)
{
  GtkRecentManager *manager = gtk_recent_manager_get_default ();

  g_signal_connect_object (manager, "changed", G_CALLBACK (update_recent), self,
                           G_CONNECT_SWAPPED);
  update_recent (self, manager);
}
