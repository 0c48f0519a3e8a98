/* model-fetch.h: getting a model the way a user does, at first run.
 *
 * Three sources, each ending in one .incmodel written atomically (nothing is
 * installed when any step fails):
 *   NPM       the npm package nsfwjs@4.4.0 (registry tarball, pinned sha512)
 *   KERAS_H5  Keras's ImageNet InceptionV3 weights (no top), canonical URL,
 *             pinned md5 (the hash Keras itself publishes for the file)
 *   FILE      a file the user already has: that .h5, the npm .tgz, an
 *             nsfwjs/tfjs model directory, a model.json or an .incmodel
 * Downloads are kept in the cache directory and resume after interruption.
 * The call blocks: run it in a worker thread from a UI.
 */
#pragma once

#include "core/download.h"
#include "core/model.h"

G_BEGIN_DECLS

typedef enum {
  INC_MODEL_SOURCE_NPM,
  INC_MODEL_SOURCE_KERAS_H5,
  INC_MODEL_SOURCE_FILE,
} IncModelSource;

#define INC_NPM_PACKAGE        "nsfwjs"
#define INC_NPM_VERSION        "4.4.0"
#define INC_NPM_URL            "https://registry.npmjs.org/nsfwjs/-/nsfwjs-4.4.0.tgz"
#define INC_NPM_INTEGRITY      "sha512-krC1fgeTLXtZwgdpKJ0jm7hqv0gTSRQQRL+FhOaxaJ9Wj92t42BO3csO2odwgTAgZgf2RvkwPtp0R8Aa7dc+MA=="
#define INC_KERAS_H5_NAME      "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
#define INC_KERAS_H5_URL       "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/" INC_KERAS_H5_NAME
#define INC_KERAS_H5_MD5       "bcbd6486424b2319ff4ef7d526e38f63"
#define INC_TOPOLOGY_NAME      "inception_v3-topology.json"

typedef enum {
  INC_FETCH_STAGE_DOWNLOAD,   /* progress reports follow */
  INC_FETCH_STAGE_VERIFY,
  INC_FETCH_STAGE_EXTRACT,
  INC_FETCH_STAGE_IMPORT,
  INC_FETCH_STAGE_SAVE,
} IncFetchStage;

typedef void (*IncFetchStageFunc) (IncFetchStage  stage,
                                   const char    *detail,
                                   gpointer       user_data);

typedef struct {
  IncModelSource       source;
  const char          *file;        /* FILE: the user's file */
  const char          *output;      /* NULL: inc_model_default_path () */
  const char          *url;         /* NULL: the canonical URL (a mirror must
                                       still match the pinned hash) */
  const char          *cache_dir;   /* NULL: $XDG_CACHE_HOME/inceptionist */
  const char          *topology;    /* NULL: inc_model_fetch_find_topology */
  guint                retries;     /* automatic resumes per download */
  IncDownloadProgress  progress;
  IncFetchStageFunc    stage;
  gpointer             user_data;   /* for progress and stage */
} IncModelFetchRequest;

/* Fetches (or finds in the cache), verifies, imports and saves. Returns the
 * path written (newly allocated). */
char     *inc_model_fetch                (const IncModelFetchRequest *req,
                                          GCancellable               *cancellable,
                                          GError                    **error);

/* The InceptionV3 Keras topology: $INCEPTIONIST_TOPOLOGY, else
 * inceptionist/inception_v3-topology.json in the XDG data directories
 * (user first, then system: /usr/share, /usr/local/share, /app/share). */
char     *inc_model_fetch_find_topology  (GError                    **error);

/* Unpacks the model directory of an nsfwjs package tarball into a new
 * directory under parent and returns the model directory's path. */
char     *inc_npm_tarball_extract        (const char                 *tarball,
                                          const char                 *parent,
                                          GError                    **error);

/* Removes a directory tree (used for temporary extraction directories). */
void      inc_remove_tree                (const char                 *path);

G_END_DECLS
