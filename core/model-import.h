/* model-import.h: turning other model formats into a fused IncModel.
 *
 * inc_model_import() is the one entry point. The rest is shared between the
 * importer files: a tfjs weights manifest becomes a table of named float
 * tensors (model-tfjs.c), a Keras layers-model topology plus those tensors
 * becomes the fused graph (model-keras.c), and nsfwjs's JavaScript wrapping
 * is peeled off first (model-nsfwjs.c, model-jsobject.c).
 */
#pragma once

#include <json-glib/json-glib.h>

#include "core/model.h"

G_BEGIN_DECLS

/* Accepts a directory holding model.min.js (the nsfwjs package layout), a
 * directory holding model.json or the path of a model.json (a tfjs layers
 * model with its .bin shards beside it), or an .incmodel (loaded as is). */
IncModel   *inc_model_import          (const char  *path,
                                       GError     **error);

typedef struct {
  char   *name;
  int     rank;
  int     shape[4];
  gsize   n;          /* product of shape */
  float  *data;
} IncTensor;

/* name -> IncTensor*, owning both. */
/* Sets a model error (printf-style message) and returns FALSE: every
 * importer reports its failures through this. */
gboolean    _inc_model_fail           (GError    **error,
                                       IncModelError code,
                                       const char *format,
                                       ...) G_GNUC_PRINTF (3, 4);

GHashTable *_inc_tensor_table_new     (void);

/* Reads the tensors described by a tfjs weightsManifest. read_shard returns
 * the bytes of one manifest path (a .bin file, or a decoded .min.js). */
typedef GBytes *(*IncShardReader)     (const char  *manifest_path,
                                       gpointer     user_data,
                                       GError     **error);
GHashTable *_inc_tfjs_read_weights    (JsonNode    *manifest,
                                       IncShardReader read_shard,
                                       gpointer     user_data,
                                       GError     **error);
/* The IncShardReader of the nsfwjs package: user_data is its model
 * directory, each shard a .min.js module holding base64. */
GBytes     *_inc_nsfwjs_read_shard    (const char  *manifest_path,
                                       gpointer     user_data,
                                       GError     **error);

/* Builds the fused graph from a Keras model topology (the object holding
 * "model_config", or the model_config itself). */
IncModel   *_inc_keras_build          (JsonNode    *topology,
                                       GHashTable  *tensors,
                                       const char  *source,
                                       GError     **error);

/* Refuses tfjs graph models (and anything but a layers model). */
gboolean    _inc_tfjs_check_format    (JsonObject  *root,
                                       const char  *path,
                                       GError     **error);

/* tfjs model.json in a directory (or given directly). */
IncModel   *_inc_tfjs_import          (const char  *path,
                                       GError     **error);

/* nsfwjs package directory (model.min.js + group1-shard*.min.js). */
IncModel   *_inc_nsfwjs_import        (const char  *dir,
                                       GError     **error);

/* A string member: fallback when absent, NULL when present but not a string
 * (json-glib's own getters warn on the wrong type, and input is untrusted). */
const char *_inc_json_string          (JsonObject  *obj,
                                       const char  *member,
                                       const char  *fallback);

/* Rewrites a JavaScript object literal, as minifiers print it, as JSON. */
char       *_inc_js_object_to_json    (const char  *js,
                                       gsize        len,
                                       GError     **error);

G_END_DECLS
