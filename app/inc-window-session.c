/* inc-window-session.c: saving and opening the whole work (source, mask,
 * recipe, result and undo history) through core/session.h, the autosave a
 * minute after a change, and the offer to restore it after a crash.
 *
 * Snapshots are taken on the main thread (the history's packed data is
 * shared, not copied); serialising and writing happen in a worker. */
#include "app/inc-window-private.h"

#include <glib/gi18n.h>
#include <string.h>

#define SESSION_SUFFIX ".inceptionist"

IncSession *
_inc_window_make_session (IncWindow *self)
{
  const IncImage *source = inc_dream_session_get_source (self->session);
  const IncImage *image = inc_dream_session_get_image (self->session);
  IncSession *session;

  if (source == NULL)
    return NULL;
  session = inc_session_new ();
  session->source_path = self->file ? g_file_get_path (self->file) : NULL;
  session->source = inc_image_copy (source);
  if (!_inc_window_mask_is_empty (self))
    session->mask = inc_image_copy (self->mask);
  session->recipe = _inc_window_build_recipe (self);
  if (image != NULL && image != source)
    session->result = inc_image_copy (image);
  session->history = inc_history_copy (self->history);
  return session;
}

void
_inc_window_apply_session (IncWindow  *self,
                           IncSession *session,
                           const char *path)
{
  g_autoptr(GFile) file = NULL;

  if (session->source_path != NULL)
    file = g_file_new_for_path (session->source_path);
  _inc_window_set_source (self, file, g_steal_pointer (&session->source));
  if (file == NULL && path != NULL)
    {
      g_autofree char *name = g_path_get_basename (path);

      gtk_window_set_title (GTK_WINDOW (self), name);
    }
  if (session->mask != NULL && self->mask != NULL &&
      session->mask->width == self->mask->width &&
      session->mask->height == self->mask->height)
    {
      inc_image_free (self->mask);
      self->mask = g_steal_pointer (&session->mask);
    }
  if (session->recipe != NULL)
    _inc_window_apply_recipe (self, session->recipe);
  if (session->result != NULL)
    inc_dream_session_set_image (self->session, g_steal_pointer (&session->result));
  if (session->history != NULL)
    {
      inc_history_free (self->history);
      self->history = g_steal_pointer (&session->history);
    }
  _inc_window_mask_changed (self, NULL);
  _inc_window_history_update (self);
  _inc_window_update_actions (self);
  _inc_window_update_status (self);
}

/* Workers */

static void
save_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  IncSession *session = task_data;
  const char *path = g_object_get_data (G_OBJECT (task), "path");
  GError *error = NULL;
  gboolean ok = path != NULL ? inc_session_save (session, path, &error)
                             : inc_session_autosave (session, &error);

  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
load_worker (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  const char *path = task_data;
  GError *error = NULL;
  IncSession *session = path != NULL ? inc_session_load (path, &error)
                                     : inc_session_load_autosave (&error);

  if (session == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, session, (GDestroyNotify) inc_session_free);
}

/* Save Session */

static void
save_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  IncWindow *self = INC_WINDOW (object);
  const char *path = g_object_get_data (G_OBJECT (result), "path");
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_path_get_basename (path);

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *message = g_strdup_printf (_("Could not save the session “%s”: %s"),
                                                  name, error->message);

      _inc_window_show_error (self, message, FALSE);
      return;
    }
  g_free (self->session_path);
  self->session_path = g_strdup (path);
  {
    g_autofree char *text = g_strdup_printf (_("Saved the session “%s”"), name);

    gtk_label_set_text (self->status_label, text);
  }
}

void
_inc_window_save_session (IncWindow  *self,
                          const char *path)
{
  g_autoptr(GTask) task = NULL;
  IncSession *session = _inc_window_make_session (self);

  if (session == NULL)
    return;
  task = g_task_new (self, NULL, save_done_cb, NULL);
  g_task_set_source_tag (task, _inc_window_save_session);
  g_task_set_name (task, "inceptionist save session");
  g_object_set_data_full (G_OBJECT (task), "path", g_strdup (path), g_free);
  g_task_set_task_data (task, session, (GDestroyNotify) inc_session_free);
  g_task_run_in_thread (task, save_worker);
}

static GtkFileChooserNative *
session_chooser (IncWindow            *self,
                 const char           *title,
                 GtkFileChooserAction  action,
                 const char           *accept)
{
  GtkFileChooserNative *dialog =
    gtk_file_chooser_native_new (title, GTK_WINDOW (self), action, accept, _("_Cancel"));
  g_autoptr(GtkFileFilter) sessions = gtk_file_filter_new ();

  gtk_file_filter_set_name (sessions, _("Inceptionist sessions"));
  gtk_file_filter_add_pattern (sessions, "*" SESSION_SUFFIX);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), sessions);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  return dialog;
}

static void
save_response_cb (GtkNativeDialog *dialog,
                  int              response,
                  IncWindow       *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path != NULL)
        {
          if (!g_str_has_suffix (path, SESSION_SUFFIX))
            {
              char *full = g_strconcat (path, SESSION_SUFFIX, NULL);

              g_free (path);
              path = full;
            }
          _inc_window_save_session (self, path);
        }
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

void
_inc_window_save_session_dialog (IncWindow *self)
{
  GtkFileChooserNative *dialog = session_chooser (self, _("Save Session"),
                                                  GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"));
  g_autofree char *name = NULL;

  if (self->session_path != NULL)
    name = g_path_get_basename (self->session_path);
  else if (self->file != NULL)
    {
      g_autofree char *base = g_file_get_basename (self->file);
      char *dot = strrchr (base, '.');

      if (dot != NULL)
        *dot = '\0';
      name = g_strconcat (base, SESSION_SUFFIX, NULL);
    }
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog),
                                     name ? name : "dream" SESSION_SUFFIX);
  g_signal_connect (dialog, "response", G_CALLBACK (save_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* Open Session */

static void
open_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  IncWindow *self = INC_WINDOW (object);
  const char *path = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(IncSession) session = g_task_propagate_pointer (G_TASK (result), &error);

  self->image_loading = FALSE;
  if (session == NULL)
    {
      g_autofree char *name = path ? g_path_get_basename (path) : g_strdup (_("the autosave"));
      g_autofree char *message = g_strdup_printf (_("Could not open “%s”: %s"),
                                                  name, error->message);

      _inc_window_show_error (self, message, FALSE);
      _inc_window_update_status (self);
      return;
    }
  _inc_window_apply_session (self, session, path);
  if (path != NULL)
    {
      g_free (self->session_path);
      self->session_path = g_strdup (path);
    }
}

static void
load_session (IncWindow  *self,
              const char *path)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, open_done_cb, NULL);

  g_task_set_source_tag (task, load_session);
  g_task_set_name (task, "inceptionist open session");
  g_task_set_task_data (task, g_strdup (path), g_free);
  self->image_loading = TRUE;
  _inc_window_update_status (self);
  g_task_run_in_thread (task, load_worker);
}

void
_inc_window_open_session (IncWindow  *self,
                          const char *path)
{
  g_return_if_fail (path != NULL);

  load_session (self, path);
}

static void
open_response_cb (GtkNativeDialog *dialog,
                  int              response,
                  IncWindow       *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      if (file != NULL && g_file_peek_path (file) != NULL)
        _inc_window_open_session (self, g_file_peek_path (file));
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

void
_inc_window_open_session_dialog (IncWindow *self)
{
  GtkFileChooserNative *dialog = session_chooser (self, _("Open Session"),
                                                  GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"));

  g_signal_connect (dialog, "response", G_CALLBACK (open_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* Autosave */

static void autosave_now (IncWindow *self);

static void
autosave_done_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  IncWindow *self = INC_WINDOW (object);
  g_autoptr(GError) error = NULL;

  self->autosave_busy = FALSE;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_warning ("Autosave failed: %s", error->message);
  else
    self->autosaves++;

  /* The window closed cleanly while this was being written. */
  if (self->discard_when_saved)
    {
      inc_session_discard_autosave (NULL);
      return;
    }
  if (self->autosave_again)
    {
      self->autosave_again = FALSE;
      _inc_window_schedule_autosave (self);
    }
}

static void
autosave_now (IncWindow *self)
{
  g_autoptr(GTask) task = NULL;
  IncSession *session;

  if (self->autosave_busy)
    {
      self->autosave_again = TRUE;
      return;
    }
  session = _inc_window_make_session (self);
  if (session == NULL)
    return;
  self->autosave_busy = TRUE;
  task = g_task_new (self, NULL, autosave_done_cb, NULL);
  g_task_set_source_tag (task, autosave_now);
  g_task_set_name (task, "inceptionist autosave");
  g_task_set_task_data (task, session, (GDestroyNotify) inc_session_free);
  g_task_run_in_thread (task, save_worker);
}

static gboolean
autosave_timeout_cb (gpointer data)
{
  IncWindow *self = data;

  self->autosave_id = 0;
  autosave_now (self);
  return G_SOURCE_REMOVE;
}

/* The first change after a save starts the clock; later ones ride along,
 * so no change waits longer than the delay (a minute) to be saved. */
void
_inc_window_schedule_autosave (IncWindow *self)
{
  if (self->autosave_held || self->discard_when_saved ||
      inc_dream_session_get_source (self->session) == NULL)
    return;
  if (self->autosave_id == 0)
    self->autosave_id = g_timeout_add (self->autosave_delay_ms, autosave_timeout_cb, self);
}

static gboolean
other_windows_with_work (IncWindow *self)
{
  GtkApplication *application = gtk_window_get_application (GTK_WINDOW (self));

  if (application == NULL)
    return FALSE;
  for (GList *l = gtk_application_get_windows (application); l != NULL; l = l->next)
    if (l->data != self && INC_IS_WINDOW (l->data) &&
        inc_dream_session_get_source (INC_WINDOW (l->data)->session) != NULL)
      return TRUE;
  return FALSE;
}

/* A clean close: the autosave is no longer needed, unless another window
 * still has work (it writes its own at its next change). */
void
_inc_window_session_closing (IncWindow *self)
{
  g_clear_handle_id (&self->autosave_id, g_source_remove);
  if (self->autosave_held || other_windows_with_work (self))
    return;
  self->discard_when_saved = TRUE;
  if (!self->autosave_busy)
    inc_session_discard_autosave (NULL);
}

/* Restore banner */

void
_inc_window_check_autosave (IncWindow *self)
{
  GtkApplication *application = gtk_window_get_application (GTK_WINDOW (self));
  g_autofree char *path = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileInfo) info = NULL;
  g_autofree char *when = NULL;
  g_autofree char *text = NULL;

  /* Only the first window of a start: later ones see their siblings' file. */
  if (application != NULL)
    for (GList *l = gtk_application_get_windows (application); l != NULL; l = l->next)
      if (l->data != self && INC_IS_WINDOW (l->data))
        return;
  if (!inc_session_autosave_exists ())
    return;

  path = inc_session_autosave_path ();
  file = g_file_new_for_path (path);
  info = g_file_query_info (file, G_FILE_ATTRIBUTE_TIME_MODIFIED, G_FILE_QUERY_INFO_NONE,
                            NULL, NULL);
  if (info != NULL)
    {
      g_autoptr(GDateTime) time = g_file_info_get_modification_date_time (info);

      if (time != NULL)
        {
          g_autoptr(GDateTime) local = g_date_time_to_local (time);

          when = g_date_time_format (local, "%x %X");
        }
    }
  text = when != NULL
    ? g_strdup_printf (_("Inceptionist did not close properly last time. Restore the work "
                         "saved automatically at %s?"), when)
    : g_strdup (_("Inceptionist did not close properly last time. Restore the work saved "
                  "automatically?"));
  gtk_label_set_text (self->restore_label, text);
  /* Until the user answers, nothing overwrites it. */
  self->autosave_held = TRUE;
  gtk_info_bar_set_revealed (self->restore_banner, TRUE);
}

void
_inc_window_restore_autosave (IncWindow *self)
{
  if (!self->autosave_held)
    return;
  self->autosave_held = FALSE;
  gtk_info_bar_set_revealed (self->restore_banner, FALSE);
  _inc_window_set_dreaming (self, FALSE);
  load_session (self, NULL);
}

void
_inc_window_discard_autosave (IncWindow *self)
{
  g_autoptr(GError) error = NULL;

  if (!self->autosave_held)
    return;
  self->autosave_held = FALSE;
  gtk_info_bar_set_revealed (self->restore_banner, FALSE);
  if (!inc_session_discard_autosave (&error))
    g_warning ("Could not remove the autosave: %s", error->message);
  _inc_window_schedule_autosave (self);
}
