/* cli.h: the subcommands of inceptionist-cli. Each takes the arguments after
 * its own name (argv[0] is the subcommand) and returns the exit status:
 * 0 success, 1 bad input (one clear line already printed on stderr),
 * 130 interrupted. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define INC_EXIT_OK          0
#define INC_EXIT_BAD_INPUT   1
#define INC_EXIT_INTERRUPTED 130

int inc_cli_devices      (int argc, char **argv);
int inc_cli_layers       (int argc, char **argv);
int inc_cli_probe        (int argc, char **argv);
int inc_cli_bench        (int argc, char **argv);
int inc_cli_import_model (int argc, char **argv);
int inc_cli_fetch_model  (int argc, char **argv);
int inc_cli_dream        (int argc, char **argv);

/* Opens the device (index < 0: the default) and loads the model
 * (model_path NULL: the default place) onto it. */
#include "compute/engine.h"
gboolean inc_cli_open_engine (int          device_index,
                              const char  *model_path,
                              IncDevice  **device,
                              IncNetwork **network,
                              GError     **error);

/* Prints "inceptionist-cli: <message>" on stderr and returns 1. */
int inc_cli_fail         (const GError *error);

G_END_DECLS
