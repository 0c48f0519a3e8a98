/* packed.h: an image stored exactly but compressed, for undo history and
 * session files.
 *
 * The float32 values are split into byte planes (all first bytes, then all
 * second bytes, ...; sign and exponent bytes repeat a lot), and each plane
 * is deflated (raw zlib stream through GIO's GZlibCompressor, level 1) or,
 * when a sample shows it would not shrink (the low mantissa bytes of a
 * dreamt image), stored as it is.  Unpacking gives the same floats bit
 * for bit.
 *
 * data: per plane, a mode byte (0 stored, 1 deflated), the length as a
 * little-endian 64-bit number, and the bytes. */
#pragma once

#include <gio/gio.h>
#include "core/image.h"

G_BEGIN_DECLS

typedef struct {
  int     width;
  int     height;
  int     channels;
  GBytes *data;      /* deflated byte planes */
} IncPacked;

/* The whole image, or the rectangle (x, y, width, height) of it. */
IncPacked *inc_packed_new        (const IncImage  *image);
IncPacked *inc_packed_new_region (const IncImage  *image,
                                  int              x,
                                  int              y,
                                  int              width,
                                  int              height);
/* Takes a reference on data; nothing is checked until unpacking. */
IncPacked *inc_packed_new_from_bytes (int          width,
                                      int          height,
                                      int          channels,
                                      GBytes      *data);
IncPacked *inc_packed_ref        (IncPacked       *packed);
void       inc_packed_unref      (IncPacked       *packed);

/* A new image; an error if the data is not a valid stream of exactly the
 * right size. */
IncImage  *inc_packed_unpack     (const IncPacked *packed,
                                  GError         **error);
/* Unpacks into the rectangle at (x, y) of image (same channel count). */
gboolean   inc_packed_unpack_into (const IncPacked *packed,
                                   IncImage        *image,
                                   int              x,
                                   int              y,
                                   GError         **error);

/* Bytes held, compressed data and bookkeeping. */
gsize      inc_packed_size       (const IncPacked *packed);

/* GVariant form "(iiiay)" (the bytes are shared, not copied), and back. */
GVariant  *inc_packed_to_variant   (const IncPacked *packed);
IncPacked *inc_packed_from_variant (GVariant        *variant,
                                    GError         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IncPacked, inc_packed_unref)

G_END_DECLS
