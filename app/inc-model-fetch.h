/* inc-model-fetch.h: imports the default model from npm's cache. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Runs `npm pack --offline nsfwjs@4.4.0` in a temporary folder, unpacks it
 * and imports the InceptionV3 it ships to model_path. Offline only: fails
 * with a clear message when npm or its cached copy is missing. */
void     _inc_model_fetch_async  (const char          *model_path,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data);
gboolean _inc_model_fetch_finish (GAsyncResult        *result,
                                  GError             **error);

G_END_DECLS
