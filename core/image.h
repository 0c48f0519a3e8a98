/* image.h: float images in memory, and reading/writing image files.
 *
 * An IncImage is channel-last float32: data[(y * width + x) * channels + c].
 * Photos have 3 channels in the network's space, [-1, 1] (pixel / 127.5 - 1,
 * Keras inception_v3.preprocess_input); masks have 1 channel in [0, 1].
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define INC_IMAGE_ERROR (inc_image_error_quark ())
GQuark inc_image_error_quark (void);

typedef enum {
  INC_IMAGE_ERROR_READ,      /* missing, unreadable, truncated, corrupt */
  INC_IMAGE_ERROR_SIZE,      /* 0 pixels, or over the size limit */
  INC_IMAGE_ERROR_FORMAT,    /* unsupported format or layout */
  INC_IMAGE_ERROR_WRITE,
} IncImageError;

/* Longest side accepted from a file unless the caller scales it down. */
#define INC_IMAGE_MAX_SIDE 16384

typedef struct {
  int    width;
  int    height;
  int    channels;
  float *data;
} IncImage;

IncImage *inc_image_new   (int width, int height, int channels);  /* zeroed */
IncImage *inc_image_copy  (const IncImage *image);
void      inc_image_free  (IncImage *image);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IncImage, inc_image_free)

/* Decodes a photo (any format gdk-pixbuf reads) into 3 channels in [-1, 1],
 * upright per its EXIF orientation, alpha flattened over white.  With
 * max_dim > 0 an image whose longest side exceeds it is scaled down to fit;
 * with max_dim <= 0 a side over INC_IMAGE_MAX_SIDE is a SIZE error.  A
 * max_dim over INC_IMAGE_MAX_SIDE counts as INC_IMAGE_MAX_SIDE. */
IncImage *inc_image_load       (const char  *path,
                                int          max_dim,
                                GError     **error);

/* Decodes a mask into 1 channel in [0, 1] of exactly width x height
 * (bilinear when the file's size differs).  The value is the pixel's
 * luminance (Rec. 601) times its alpha, except that a file whose colour is
 * the same everywhere and which has alpha is read by its alpha alone (a
 * stroke painted on a transparent layer). */
IncImage *inc_image_load_mask  (const char  *path,
                                int          width,
                                int          height,
                                GError     **error);

/* Writes a 3-channel [-1, 1] image (or a 1-channel [0, 1] mask) as PNG or
 * JPEG, chosen by the extension (.png, .jpg, .jpeg).  A PNG carries
 * recipe_json, when given, in a tEXt chunk "inceptionist-recipe".
 * jpeg_quality <= 0 means 95.  The file appears whole or not at all. */
gboolean  inc_image_save       (const IncImage *image,
                                const char     *path,
                                const char     *recipe_json,
                                int             jpeg_quality,
                                GError        **error);

/* The recipe a PNG carries; NULL with an error when there is none. */
char     *inc_image_read_recipe (const char  *png_path,
                                 GError     **error);

/* TRUE when both paths exist and name the same file (device and inode). */
gboolean  inc_path_same_file   (const char  *a,
                                const char  *b);

/* Bilinear resampling with half-pixel centres and no antialiasing, the same
 * as tf.image.resize (method='bilinear', antialias=False) and torch
 * F.interpolate (mode='bilinear', align_corners=False); any channel count. */
IncImage *inc_image_resize     (const IncImage *src,
                                int             width,
                                int             height);

/* A float32 .npy of shape (H, W, C) or (H, W) (then C = 1); values are
 * taken as they are. */
IncImage *inc_image_load_npy   (const char  *path,
                                GError     **error);
/* Writes (H, W, C) float32. */
gboolean  inc_image_save_npy   (const IncImage *image,
                                const char     *path,
                                GError        **error);

G_END_DECLS
