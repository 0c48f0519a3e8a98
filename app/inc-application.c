/* inc-application.c: app-wide actions (About, Preferences, Quit), the
 * keyboard accels, the style sheet, and opening files given to it. */
#include "app/inc-application.h"

#include <epoxy/gl.h>
#include <glib/gi18n.h>
#include <string.h>

#include "app/inc-preferences.h"
#include "app/inc-window-private.h"

struct _IncApplication
{
  GtkApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (IncApplication, inc_application, GTK_TYPE_APPLICATION)

static IncWindow *
get_window (IncApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (INC_IS_WINDOW (window))
    return INC_WINDOW (window);
  return inc_window_new (GTK_APPLICATION (self));
}

static void
inc_application_activate (GApplication *application)
{
  gtk_window_present (GTK_WINDOW (get_window (INC_APPLICATION (application))));
}

static void
inc_application_open (GApplication  *application,
                      GFile        **files,
                      int            n_files,
                      const char    *hint)
{
  IncApplication *self = INC_APPLICATION (application);

  /* One image per window. */
  for (int i = 0; i < n_files; i++)
    {
      IncWindow *window = i == 0 ? get_window (self) : inc_window_new (GTK_APPLICATION (self));

      inc_window_open_file (window, files[i]);
      gtk_window_present (GTK_WINDOW (window));
    }
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  GtkApplication *application = user_data;
  const char *authors[] = { _("The Inceptionist developers"), NULL };

  gtk_show_about_dialog (gtk_application_get_active_window (application),
                         "program-name", _("Inceptionist"),
                         "logo-icon-name", "org.inceptionist.Studio",
                         "version", PACKAGE_VERSION,
                         "comments", _("DeepDream art on your own computer: InceptionV3 runs "
                                       "on the GPU through Vulkan compute, or on the CPU "
                                       "through lavapipe."),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "authors", authors,
                         "copyright", _("The default model is the InceptionV3 shipped in "
                                        "nsfwjs 4.4.0 (MIT licence)."),
                         NULL);
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  GtkApplication *application = user_data;
  GtkWindow *parent = gtk_application_get_active_window (application);
  const char *device = NULL;

  if (INC_IS_WINDOW (parent))
    device = inc_dream_session_get_device_name (_inc_window_get_session (INC_WINDOW (parent)));
  gtk_window_present (GTK_WINDOW (inc_preferences_new (parent, device)));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  GtkApplication *application = user_data;
  GList *windows = g_list_copy (gtk_application_get_windows (application));

  /* Closing each window lets running dreams stop cleanly first. */
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
  g_list_free (windows);
}

/* On software GL (llvmpipe, as under Xvfb or in a VM), GTK's GL renderer
 * repaints the whole window for every new preview, which stalls the UI for
 * tens of milliseconds; the cairo renderer repaints only what changed. The
 * canvas stays a GtkGLArea either way. GSK_RENDERER from the user wins. */
static void
choose_renderer (void)
{
  GdkDisplay *display = gdk_display_get_default ();
  g_autoptr(GdkGLContext) context = NULL;
  const char *renderer;

  if (display == NULL || g_getenv ("GSK_RENDERER") != NULL)
    return;
  context = gdk_display_create_gl_context (display, NULL);
  if (context == NULL || !gdk_gl_context_realize (context, NULL))
    return;
  gdk_gl_context_make_current (context);
  renderer = (const char *) glGetString (GL_RENDERER);
  if (renderer != NULL &&
      (strstr (renderer, "llvmpipe") != NULL || strstr (renderer, "softpipe") != NULL ||
       strstr (renderer, "swrast") != NULL))
    {
      g_debug ("software GL (%s): using the cairo renderer", renderer);
      g_setenv ("GSK_RENDERER", "cairo", TRUE);
    }
  gdk_gl_context_clear_current ();
}

static void
inc_application_startup (GApplication *application)
{
  static const GActionEntry actions[] = {
    { "about", about_action },
    { "preferences", preferences_action },
    { "quit", quit_action },
  };
  static const struct {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "app.preferences", { "<Control>comma", NULL } },
    { "win.open", { "<Control>o", NULL } },
    { "win.export", { "<Control>e", NULL } },
    { "win.save-image", { "<Control><Shift>e", NULL } },
    { "win.save-session", { "<Control>s", NULL } },
    { "win.open-session", { "<Control><Shift>o", NULL } },
    { "win.undo", { "<Control>z", NULL } },
    { "win.redo", { "<Control><Shift>z", "<Control>y", NULL } },
    { "win.dream", { "<Control>d", NULL } },
    { "win.step", { "<Control>period", NULL } },
    { "win.reset", { "<Control>r", NULL } },
    { "window.close", { "<Control>w", NULL } },
  };
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

  G_APPLICATION_CLASS (inc_application_parent_class)->startup (application);
  choose_renderer ();

  /* Recent files are recorded under this name. */
  if (g_get_application_name () == NULL)
    g_set_application_name (_("Inceptionist"));

  g_action_map_add_action_entries (G_ACTION_MAP (application), actions,
                                   G_N_ELEMENTS (actions), application);
  for (gsize i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (application),
                                           accels[i].action, accels[i].accels);

  gtk_css_provider_load_from_resource (css, "/org/inceptionist/Studio/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  gtk_window_set_default_icon_name ("org.inceptionist.Studio");
}

static void
inc_application_class_init (IncApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = inc_application_activate;
  app_class->open = inc_application_open;
  app_class->startup = inc_application_startup;
}

static void
inc_application_init (IncApplication *self)
{
}

IncApplication *
inc_application_new (const char        *application_id,
                     GApplicationFlags  flags)
{
  return g_object_new (INC_TYPE_APPLICATION,
                       "application-id", application_id,
                       "flags", flags | G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/org/inceptionist/Studio",
                       NULL);
}
