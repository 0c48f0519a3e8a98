/* cli-model.c: `inceptionist-cli import-model SOURCE [-o OUTPUT]`. */
#include <errno.h>
#include <glib/gstdio.h>

#include "app/cli.h"
#include "core/model-import.h"

int
inc_cli_import_model (int    argc,
                      char **argv)
{
  g_autofree char *output = NULL;
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      "where to write the model (default: the user's model directory)",
      "OUTPUT.incmodel" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("SOURCE");
  g_autoptr(GError) error = NULL;

  g_option_context_set_summary (ctx,
    "Imports a model into the fused .incmodel format. SOURCE is an nsfwjs\n"
    "model directory (model.min.js + group1-shard*.min.js), a tfjs layers\n"
    "model (model.json or its directory) or an .incmodel file.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    return inc_cli_fail (error);
  if (argc != 2)
    {
      g_set_error_literal (&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           "import-model takes exactly one SOURCE "
                           "(see import-model --help)");
      return inc_cli_fail (error);
    }

  if (output == NULL)
    output = inc_model_default_path ();

  g_autoptr(IncModel) model = inc_model_import (argv[1], &error);
  if (model == NULL)
    return inc_cli_fail (error);

  g_autofree char *dir = g_path_get_dirname (output);
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved = errno;
      g_set_error (&error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "cannot create %s: %s", dir, g_strerror (saved));
      return inc_cli_fail (error);
    }
  if (!inc_model_save (model, output, &error))
    return inc_cli_fail (error);

  g_print ("%s\n", output);
  g_print ("nodes=%u weights=%zu\n", model->n_nodes, model->n_weights);
  return INC_EXIT_OK;
}
