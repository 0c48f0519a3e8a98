/* packed.c: exact images as deflated byte planes (see packed.h). */
#include "core/packed.h"

#include <string.h>

/* Fast deflate: packing runs on every undo step. */
#define PACK_LEVEL 1
/* zlib counts in 32 bits; GIO passes sizes straight through. */
#define CHUNK ((gsize) 1 << 28)
#define OVERHEAD 64
/* Bytes of a plane deflated to see whether deflating it pays. */
#define SAMPLE ((gsize) 32 * 1024)
#define MODE_RAW 0
#define MODE_DEFLATE 1

static GBytes *
run_converter (GConverter *conv, const guint8 *in, gsize n, gsize cap,
               gsize exact_out, GError **error)
{
  g_autofree guint8 *out = g_malloc (MAX (cap, 1));
  gsize in_done = 0, out_done = 0;

  for (;;)
    {
      gsize chunk = MIN (n - in_done, CHUNK);
      GConverterFlags flags = in_done + chunk == n ? G_CONVERTER_INPUT_AT_END
                                                   : G_CONVERTER_NO_FLAGS;
      if (out_done == cap)
        {
          if (exact_out != 0)
            {
              g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                   "more data than the image holds");
              return NULL;
            }
          cap = cap * 2 + 4096;
          out = g_realloc (out, cap);
        }
      gsize room = MIN (cap - out_done, CHUNK);
      gsize r = 0, w = 0;
      g_autoptr (GError) local = NULL;
      GConverterResult res = g_converter_convert (conv, in + in_done, chunk,
                                                  out + out_done, room, flags,
                                                  &r, &w, &local);
      in_done += r;
      out_done += w;
      if (res == G_CONVERTER_FINISHED)
        break;
      if (res == G_CONVERTER_ERROR)
        {
          if (exact_out == 0 && g_error_matches (local, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
            {
              cap = cap * 2 + 4096;
              out = g_realloc (out, cap);
              continue;
            }
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      if (r == 0 && w == 0 && chunk == n - in_done && in_done == n)
        {
          /* No progress with all input given: the stream never ends. */
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "the data ends too soon");
          return NULL;
        }
    }
  if (exact_out != 0 && out_done != exact_out)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "less data than the image holds");
      return NULL;
    }
  if (exact_out == 0)
    out = g_realloc (out, MAX (out_done, 1));
  return g_bytes_new_take (g_steal_pointer (&out), out_done);
}

static GBytes *
deflate_bytes (const guint8 *in, gsize n)
{
  g_autoptr (GZlibCompressor) z = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_RAW,
                                                         PACK_LEVEL);
  g_autoptr (GError) error = NULL;
  GBytes *data = run_converter (G_CONVERTER (z), in, n, n + n / 64 + 1024, 0, &error);
  if (data == NULL)
    g_error ("deflate failed: %s", error->message);  /* only out of memory */
  return data;
}

/* Low mantissa bytes of dreamt images are noise that deflate cannot
 * shrink but spends most of its time on: a sample decides. */
static gboolean
worth_deflating (const guint8 *plane, gsize n)
{
  gsize sample = MIN (n, SAMPLE);
  if (sample < SAMPLE)
    return TRUE;
  g_autoptr (GBytes) z = deflate_bytes (plane + (n - sample) / 2, sample);
  return g_bytes_get_size (z) < sample / 10 * 9;
}

/* A plane's segment: mode, length (64-bit little-endian), bytes. */
static void
add_plane (GByteArray *out, const guint8 *plane, gsize n)
{
  g_autoptr (GBytes) z = worth_deflating (plane, n) ? deflate_bytes (plane, n) : NULL;
  gboolean deflated = z != NULL && g_bytes_get_size (z) < n;
  gsize size = deflated ? g_bytes_get_size (z) : n;
  guint8 mode = deflated ? MODE_DEFLATE : MODE_RAW;
  guint64 le = GUINT64_TO_LE ((guint64) size);

  g_byte_array_append (out, &mode, 1);
  g_byte_array_append (out, (const guint8 *) &le, 8);
  g_byte_array_append (out, deflated ? g_bytes_get_data (z, NULL) : plane, size);
}

static void
packed_clear (gpointer data)
{
  IncPacked *p = data;
  g_bytes_unref (p->data);
}

IncPacked *
inc_packed_new_from_bytes (int     width,
                           int     height,
                           int     channels,
                           GBytes *data)
{
  g_return_val_if_fail (data != NULL, NULL);

  IncPacked *p = g_atomic_rc_box_new0 (IncPacked);
  p->width = width;
  p->height = height;
  p->channels = channels;
  p->data = g_bytes_ref (data);
  return p;
}

IncPacked *
inc_packed_new_region (const IncImage *image,
                       int             x,
                       int             y,
                       int             width,
                       int             height)
{
  g_return_val_if_fail (image != NULL, NULL);
  g_return_val_if_fail (x >= 0 && y >= 0 && width >= 0 && height >= 0 &&
                        x + width <= image->width && y + height <= image->height,
                        NULL);

  int c = image->channels;
  gsize n = (gsize) width * height * c;      /* floats */
  g_autofree guint8 *planes = g_malloc (MAX (n * 4, 1));
  gsize k = 0;

  /* Byte b of every float goes to plane b. */
  for (int j = 0; j < height; j++)
    {
      const guint8 *row = (const guint8 *) (image->data +
                                            ((gsize) (y + j) * image->width + x) * c);
      for (gsize i = 0; i < (gsize) width * c; i++, k++)
        for (int b = 0; b < 4; b++)
          planes[b * n + k] = row[i * 4 + b];
    }

  g_autoptr (GByteArray) out = g_byte_array_sized_new (n * 4 / 2 + 64);
  for (int b = 0; b < 4; b++)
    add_plane (out, planes + b * n, n);
  g_autoptr (GBytes) data = g_byte_array_free_to_bytes (g_steal_pointer (&out));
  return inc_packed_new_from_bytes (width, height, c, data);
}

IncPacked *
inc_packed_new (const IncImage *image)
{
  g_return_val_if_fail (image != NULL, NULL);
  return inc_packed_new_region (image, 0, 0, image->width, image->height);
}

IncPacked *
inc_packed_ref (IncPacked *packed)
{
  g_return_val_if_fail (packed != NULL, NULL);
  return g_atomic_rc_box_acquire (packed);
}

void
inc_packed_unref (IncPacked *packed)
{
  if (packed != NULL)
    g_atomic_rc_box_release_full (packed, packed_clear);
}

gsize
inc_packed_size (const IncPacked *packed)
{
  g_return_val_if_fail (packed != NULL, 0);
  return g_bytes_get_size (packed->data) + sizeof (IncPacked) + OVERHEAD;
}

static gboolean
check_shape (const IncPacked *p, GError **error)
{
  if (p->width < 0 || p->height < 0 || p->channels < 1 || p->channels > 4 ||
      p->width > INC_IMAGE_MAX_SIDE || p->height > INC_IMAGE_MAX_SIDE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "bad stored image shape %dx%dx%d", p->width, p->height,
                   p->channels);
      return FALSE;
    }
  return TRUE;
}

static GBytes *
damaged (const IncPacked *p, const char *why, GError **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "a stored %dx%d image is damaged (%s)", p->width, p->height, why);
  return NULL;
}

/* The four byte planes, read back and checked. */
static GBytes *
inflate_planes (const IncPacked *p, GError **error)
{
  gsize n = (gsize) p->width * p->height * p->channels;
  gsize size = 0, at = 0;
  const guint8 *in = g_bytes_get_data (p->data, &size);

  if (!check_shape (p, error))
    return NULL;
  g_autofree guint8 *planes = g_malloc (MAX (n * 4, 1));
  for (int b = 0; b < 4; b++)
    {
      guint64 length;
      guint8 mode;

      if (size - at < 9)
        return damaged (p, "cut short", error);
      mode = in[at];
      memcpy (&length, in + at + 1, 8);
      length = GUINT64_FROM_LE (length);
      at += 9;
      if (length > size - at)
        return damaged (p, "cut short", error);
      if (mode == MODE_RAW)
        {
          if (length != n)
            return damaged (p, "wrong size", error);
          memcpy (planes + b * n, in + at, n);
        }
      else if (mode == MODE_DEFLATE)
        {
          g_autoptr (GZlibDecompressor) z = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_RAW);
          g_autoptr (GError) local = NULL;
          g_autoptr (GBytes) plane = n == 0 ? NULL
            : run_converter (G_CONVERTER (z), in + at, length, n, n, &local);
          if (n > 0 && plane == NULL)
            return damaged (p, local->message, error);
          if (n > 0)
            memcpy (planes + b * n, g_bytes_get_data (plane, NULL), n);
        }
      else
        return damaged (p, "unknown storage", error);
      at += length;
    }
  if (at != size)
    return damaged (p, "trailing data", error);
  return g_bytes_new_take (g_steal_pointer (&planes), n * 4);
}

gboolean
inc_packed_unpack_into (const IncPacked *packed,
                        IncImage        *image,
                        int              x,
                        int              y,
                        GError         **error)
{
  g_return_val_if_fail (packed != NULL && image != NULL, FALSE);

  if (packed->channels != image->channels || x < 0 || y < 0 ||
      x + packed->width > image->width || y + packed->height > image->height)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "a stored %dx%d region does not fit at (%d, %d) in a %dx%d "
                   "image", packed->width, packed->height, x, y, image->width,
                   image->height);
      return FALSE;
    }

  g_autoptr (GBytes) bytes = inflate_planes (packed, error);
  if (bytes == NULL)
    return FALSE;

  const guint8 *planes = g_bytes_get_data (bytes, NULL);
  int c = packed->channels;
  gsize n = (gsize) packed->width * packed->height * c;
  gsize k = 0;
  for (int j = 0; j < packed->height; j++)
    {
      guint8 *row = (guint8 *) (image->data + ((gsize) (y + j) * image->width + x) * c);
      for (gsize i = 0; i < (gsize) packed->width * c; i++, k++)
        for (int b = 0; b < 4; b++)
          row[i * 4 + b] = planes[b * n + k];
    }
  return TRUE;
}

IncImage *
inc_packed_unpack (const IncPacked *packed,
                   GError         **error)
{
  g_return_val_if_fail (packed != NULL, NULL);

  if (!check_shape (packed, error))
    return NULL;
  if (packed->width < 1 || packed->height < 1)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "a stored image is empty");
      return NULL;
    }
  g_autoptr (IncImage) image = inc_image_new (packed->width, packed->height,
                                              packed->channels);
  if (!inc_packed_unpack_into (packed, image, 0, 0, error))
    return NULL;
  return g_steal_pointer (&image);
}

GVariant *
inc_packed_to_variant (const IncPacked *packed)
{
  g_return_val_if_fail (packed != NULL, NULL);
  return g_variant_new ("(iii@ay)", packed->width, packed->height, packed->channels,
                        g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING,
                                                  packed->data, TRUE));
}

IncPacked *
inc_packed_from_variant (GVariant  *variant,
                         GError   **error)
{
  g_return_val_if_fail (variant != NULL, NULL);

  if (!g_variant_is_of_type (variant, G_VARIANT_TYPE ("(iiiay)")))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "a stored image has the type %s",
                   g_variant_get_type_string (variant));
      return NULL;
    }
  int w, h, c;
  g_autoptr (GVariant) bytes = NULL;
  g_variant_get (variant, "(iii@ay)", &w, &h, &c, &bytes);
  g_autoptr (GBytes) data = g_variant_get_data_as_bytes (bytes);
  IncPacked p = { w, h, c, data };
  if (!check_shape (&p, error))
    return NULL;
  return inc_packed_new_from_bytes (w, h, c, data);
}
