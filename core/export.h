/* export.h: re-rendering a recipe at print size.
 *
 * The source is resized up to the target size (bilinear), the mask with it,
 * and the whole dream runs again there, through tiles (the recipe's tile
 * size; an untiled recipe gets INC_EXPORT_DEFAULT_TILE and a larger tile is
 * capped at INC_EXPORT_MAX_TILE, so the device holds one tile's pass
 * whatever the image size).  The file is written beside the target under a
 * temporary name and renamed over it once whole: a cancel or a failure
 * leaves no file (and an existing file as it was).
 *
 * Host memory.  With F = width x height x 12 bytes (one float RGB image at
 * the target size) the export holds: while the dream's last octave steps,
 * the dream's source copy, its image, its mask and the octave's mask (2F/3
 * with a mask), the step's gradient and, when the tiles are rolled (always
 * when tiled), the rolled image, the rolled gradient and the gradient
 * rolled back (core/dream-tiles.c): about 6F + 2F/3 at the peak.  The
 * export itself keeps no copy once the dream has one.  Writing needs F for
 * the result plus an 8-bit copy (F/4) and the encoded file.  Measured with
 * scripts/bench-export.sh on lavapipe: 6.7F at 4096 px and 6.3F at 8192 px
 * beyond the engine's own memory, and the same device memory (about 1 GiB
 * of cached tile passes) for 48 or 176 tiles a step. */
#pragma once

#include <gio/gio.h>
#include "core/dream.h"
#include "core/gradient-source.h"
#include "core/image.h"
#include "core/recipe.h"

G_BEGIN_DECLS

#define INC_EXPORT_ERROR (inc_export_error_quark ())
GQuark inc_export_error_quark (void);

typedef enum {
  INC_EXPORT_ERROR_INVALID,   /* bad size, format or file name */
} IncExportError;

#define INC_EXPORT_MAX_SIDE     INC_IMAGE_MAX_SIDE  /* 16384 */
#define INC_EXPORT_DEFAULT_TILE 512
#define INC_EXPORT_MAX_TILE     1024

typedef struct {
  int scale;         /* 1, 2 or 4 times the source; used when long_edge is 0 */
  int long_edge;     /* > 0: the target's longest side in pixels */
  int jpeg_quality;  /* 1..100 for .jpg / .jpeg; 0: 95 */
} IncExportOptions;

/* The output size for a source size; an error when the options are out of
 * range or the result has a side over INC_EXPORT_MAX_SIDE. */
gboolean inc_export_target_size (const IncExportOptions *options,
                                 int                     source_width,
                                 int                     source_height,
                                 int                    *width,
                                 int                    *height,
                                 GError                **error);

typedef struct {
  double            fraction;   /* 0..1 of the gradient steps */
  IncDreamProgress  dream;
  gboolean          writing;    /* the steps are done; the file is written */
} IncExportProgress;

typedef void (*IncExportProgressFunc) (const IncExportProgress *progress,
                                       gpointer                 user_data);

/* Renders recipe over source (3 channels, [-1, 1]) and mask (1 channel at
 * the source's size, or NULL) at the options' size and writes path (.png
 * with the recipe in its "inceptionist-recipe" text chunk, or .jpg/.jpeg).
 * Blocking: run it in a worker thread; progress is called from that
 * thread after every step.  The gradients are used only by this call. */
gboolean inc_export_run         (const IncExportOptions *options,
                                 const IncRecipe        *recipe,
                                 const IncImage         *source,
                                 const IncImage         *mask,
                                 IncGradientSource      *gradients,
                                 const char             *path,
                                 GCancellable           *cancellable,
                                 IncExportProgressFunc   progress,
                                 gpointer                user_data,
                                 GError                **error);

G_END_DECLS
