/* cli-main.c: inceptionist-cli's entry point; dispatches to a subcommand. */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "app/cli.h"

typedef struct {
  const char *name;
  int (*run) (int argc, char **argv);
  const char *summary;
} Command;

static const Command commands[] = {
  { "devices", inc_cli_devices, "list the Vulkan devices" },
  { "layers", inc_cli_layers, "list the model's layers" },
  { "dream", inc_cli_dream, "dream on an image" },
  { "probe", inc_cli_probe, "write activations and the input gradient" },
  { "bench", inc_cli_bench, "time forward + backward + update steps" },
  { "import-model", inc_cli_import_model, "import a model into the model directory" },
  { "fetch-model", inc_cli_fetch_model, "download, verify and import a model" },
};

int
inc_cli_fail (const GError *error)
{
  g_printerr ("inceptionist-cli: %s\n", error ? error->message : "failed");
  return INC_EXIT_BAD_INPUT;
}

static void
usage (FILE *out)
{
  fprintf (out, "Usage: inceptionist-cli COMMAND [OPTION...]\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-14s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nRun 'inceptionist-cli COMMAND --help' for a command's options.\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  /* Numbers on the command line and in outputs are always C-locale. */
  setlocale (LC_NUMERIC, "C");

  if (argc < 2)
    {
      usage (stderr);
      return INC_EXIT_BAD_INPUT;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 ||
      strcmp (argv[1], "help") == 0)
    {
      usage (stdout);
      return INC_EXIT_OK;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);

  g_printerr ("inceptionist-cli: unknown command '%s'\n", argv[1]);
  usage (stderr);
  return INC_EXIT_BAD_INPUT;
}
