/* studio-main.c: the inceptionist executable. */
#include <glib/gi18n.h>
#include <locale.h>

#include "app/inc-application.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(IncApplication) application = NULL;

  setlocale (LC_ALL, "");
  g_set_application_name (_("Inceptionist"));

  application = inc_application_new (APPLICATION_ID, G_APPLICATION_DEFAULT_FLAGS);
  return g_application_run (G_APPLICATION (application), argc, argv);
}
