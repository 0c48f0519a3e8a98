/* inc-model-fetch.h: imports the default model from npm's cache. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Imports the InceptionV3 inside nsfwjs-4.4.0.tgz to model_path, taking the
 * package from $XDG_CACHE_HOME/inceptionist (where fetch-model.sh keeps it)
 * or from npm's cache (npm pack --offline). Offline only: fails with a clear
 * message when neither has it. */
void     _inc_model_fetch_async  (const char          *model_path,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data);
gboolean _inc_model_fetch_finish (GAsyncResult        *result,
                                  GError             **error);

G_END_DECLS
