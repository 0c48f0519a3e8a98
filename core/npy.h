/* npy.h: NumPy .npy arrays of float32, the exchange format with test tools.
 *
 * Only little-endian float32 ('<f4') in C order is read or written; header
 * versions 1.0, 2.0 and 3.0 are read, 1.0 (or 2.0 when the header is long)
 * is written.  Errors are in the INC_IMAGE_ERROR domain: READ for a missing
 * or truncated file, FORMAT for anything else that is not such an array,
 * WRITE when the file cannot be written.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define INC_NPY_MAX_DIMS 4

typedef struct {
  int    ndim;                      /* 0 .. INC_NPY_MAX_DIMS */
  gsize  shape[INC_NPY_MAX_DIMS];
  gsize  n_values;                  /* product of the shape */
  float *data;
} IncNpy;

IncNpy   *inc_npy_read   (const char  *path,
                          GError     **error);
void      inc_npy_free   (IncNpy      *npy);

/* Writes the array atomically (temporary file, then rename). */
gboolean  inc_npy_write  (const char  *path,
                          const float *data,
                          int          ndim,
                          const gsize *shape,
                          GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IncNpy, inc_npy_free)

G_END_DECLS
