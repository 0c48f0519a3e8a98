/* image.c: float images, and decoding/encoding image files with gdk-pixbuf. */
#include "core/image.h"
#include "core/npy.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#define RECIPE_KEY "inceptionist-recipe"

G_DEFINE_QUARK (inc-image-error-quark, inc_image_error)

IncImage *
inc_image_new (int width,
               int height,
               int channels)
{
  IncImage *image;

  g_return_val_if_fail (width > 0 && height > 0 && channels > 0, NULL);

  image = g_new0 (IncImage, 1);
  image->width = width;
  image->height = height;
  image->channels = channels;
  image->data = g_new0 (float, (gsize) width * height * channels);
  return image;
}

IncImage *
inc_image_copy (const IncImage *image)
{
  IncImage *copy;

  g_return_val_if_fail (image != NULL, NULL);

  copy = g_new0 (IncImage, 1);
  *copy = *image;
  copy->data = g_memdup2 (image->data, sizeof (float) * (gsize) image->width
                                       * image->height * image->channels);
  return copy;
}

void
inc_image_free (IncImage *image)
{
  if (image == NULL)
    return;
  g_free (image->data);
  g_free (image);
}

/* --- checking that a file is whole ------------------------------------ */

/* gdk-pixbuf hands back a partly grey image, without an error, for a PNG
 * or JPEG cut short after its header; so walk the file's structure first. */

static guint32
be32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

typedef enum { WHOLE, CUT, EMPTY_IMAGE } Shape;

static Shape
check_png (const guint8 *d, gsize n)
{
  gsize i = 8;

  /* IHDR comes first; its width and height start at byte 16. */
  if (n >= 24 && memcmp (d + 12, "IHDR", 4) == 0
      && (be32 (d + 16) == 0 || be32 (d + 20) == 0))
    return EMPTY_IMAGE;

  while (n - i >= 12)
    {
      guint32 len = be32 (d + i);

      if (len > n - i - 12)
        return CUT;
      if (memcmp (d + i + 4, "IEND", 4) == 0)
        return WHOLE;
      i += 12 + (gsize) len;
    }
  return CUT;
}

/* Follows the markers (skipping entropy-coded data, where 0xFF is followed
 * by 0x00 or a restart marker) until EOI; bytes after EOI are allowed. */
static Shape
check_jpeg (const guint8 *d, gsize n)
{
  gsize i = 2;
  gboolean in_scan = FALSE;

  while (i < n)
    {
      const guint8 *ff = memchr (d + i, 0xFF, n - i);
      guint8 m;

      if (ff == NULL)
        return CUT;
      i = ff - d;
      while (i < n && d[i] == 0xFF)
        i++;
      if (i >= n)
        return CUT;
      m = d[i++];
      if (in_scan && (m == 0x00 || (m >= 0xD0 && m <= 0xD7)))
        continue;
      in_scan = FALSE;
      if (m == 0xD9)
        return WHOLE;
      if (m == 0x00 || m == 0x01 || m == 0xD8 || (m >= 0xD0 && m <= 0xD7))
        continue;
      if (n - i < 2)
        return CUT;
      {
        gsize len = (gsize) d[i] << 8 | d[i + 1];

        if (len < 2 || len > n - i)
          return CUT;
        i += len;
      }
      if (m == 0xDA)
        in_scan = TRUE;
    }
  return CUT;
}

static Shape
check_whole (const guint8 *d, gsize n)
{
  if (n >= 8 && memcmp (d, "\x89PNG\r\n\x1a\n", 8) == 0)
    return check_png (d, n);
  if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
    return check_jpeg (d, n);
  return WHOLE;  /* other formats: trust the loader */
}

/* --- decoding ---------------------------------------------------------- */

typedef struct {
  int      max_dim;
  int      width;
  int      height;
  gboolean too_big;
} SizeRequest;

static void
on_size_prepared (GdkPixbufLoader *loader,
                  int              width,
                  int              height,
                  SizeRequest     *req)
{
  int longest = MAX (width, height);

  req->width = width;
  req->height = height;
  if (width <= 0 || height <= 0)
    return;
  if (req->max_dim > 0 && longest > req->max_dim)
    {
      double scale = (double) req->max_dim / longest;
      int w = MAX (1, (int) lround (width * scale));
      int h = MAX (1, (int) lround (height * scale));

      /* gdk-pixbuf's bilinear reduction averages over each output pixel's
       * footprint (JPEG can be decoded at a reduced DCT size first). */
      gdk_pixbuf_loader_set_size (loader, MIN (w, req->max_dim),
                                  MIN (h, req->max_dim));
    }
  else if (req->max_dim <= 0 && longest > INC_IMAGE_MAX_SIDE)
    {
      req->too_big = TRUE;
      gdk_pixbuf_loader_set_size (loader, 1, 1);
    }
}

static void
set_size_error (GError     **error,
                const char  *path,
                int          width,
                int          height)
{
  g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_SIZE,
               "“%s” is %d×%d pixels; the largest side accepted is %d "
               "(use --max-dim to scale it down)",
               path, width, height, INC_IMAGE_MAX_SIDE);
}

/* Decodes path into an upright 8-bit pixbuf (RGB or RGBA). */
static GdkPixbuf *
load_pixbuf (const char  *path,
             int          max_dim,
             GError     **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GdkPixbufLoader) loader = NULL;
  SizeRequest req = { MIN (max_dim, INC_IMAGE_MAX_SIDE), 0, 0, FALSE };
  GdkPixbuf *pixbuf;
  gboolean ok;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      g_set_error_literal (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_READ,
                           local_error->message);
      return NULL;
    }
  if (length == 0)
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_READ,
                   "“%s” is empty", path);
      return NULL;
    }
  switch (check_whole ((const guint8 *) contents, length))
    {
    case WHOLE:
      break;
    case CUT:
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_READ,
                   "“%s” is truncated or corrupt", path);
      return NULL;
    case EMPTY_IMAGE:
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_SIZE,
                   "“%s” has no pixels", path);
      return NULL;
    }

  loader = gdk_pixbuf_loader_new ();
  g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared), &req);
  ok = gdk_pixbuf_loader_write (loader, (const guchar *) contents, length,
                                &local_error);
  /* Always close: a loader dropped unclosed warns (fatal in tests).  A
   * failed write has closed it already. */
  if (ok)
    ok = gdk_pixbuf_loader_close (loader, &local_error);

  if (req.too_big)
    {
      set_size_error (error, path, req.width, req.height);
      return NULL;
    }
  if (!ok)
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_READ,
                   "Cannot read “%s”: %s", path, local_error->message);
      return NULL;
    }
  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  if (pixbuf == NULL)
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_READ,
                   "Cannot read “%s”: no image in it", path);
      return NULL;
    }
  if (gdk_pixbuf_get_bits_per_sample (pixbuf) != 8
      || gdk_pixbuf_get_colorspace (pixbuf) != GDK_COLORSPACE_RGB
      || gdk_pixbuf_get_n_channels (pixbuf) < 3)
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_FORMAT,
                   "“%s” decodes to an unsupported pixel layout", path);
      return NULL;
    }

  /* Rotates/flips per the EXIF (or TIFF) orientation tag, if any. */
  pixbuf = gdk_pixbuf_apply_embedded_orientation (pixbuf);
  if (pixbuf == NULL)
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_READ,
                   "Cannot read “%s”: out of memory", path);
      return NULL;
    }
  return pixbuf;
}

IncImage *
inc_image_load (const char  *path,
                int          max_dim,
                GError     **error)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  const guint8 *pixels;
  IncImage *image;
  int w, h, stride, n;
  gboolean alpha;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  pixbuf = load_pixbuf (path, max_dim, error);
  if (pixbuf == NULL)
    return NULL;

  w = gdk_pixbuf_get_width (pixbuf);
  h = gdk_pixbuf_get_height (pixbuf);
  stride = gdk_pixbuf_get_rowstride (pixbuf);
  n = gdk_pixbuf_get_n_channels (pixbuf);
  alpha = gdk_pixbuf_get_has_alpha (pixbuf);
  pixels = gdk_pixbuf_read_pixels (pixbuf);

  image = inc_image_new (w, h, 3);
  for (int y = 0; y < h; y++)
    {
      const guint8 *row = pixels + (gsize) y * stride;
      float *out = image->data + (gsize) y * w * 3;

      for (int x = 0; x < w; x++)
        for (int c = 0; c < 3; c++)
          {
            float v = row[x * n + c];

            /* Transparent pixels are composited over white: a cut-out
             * photo reads as if printed on paper. */
            if (alpha && row[x * n + 3] != 255)
              {
                float a = row[x * n + 3] / 255.0f;
                v = v * a + 255.0f * (1.0f - a);
              }
            out[x * 3 + c] = v / 127.5f - 1.0f;
          }
    }
  return image;
}

IncImage *
inc_image_load_mask (const char  *path,
                     int          width,
                     int          height,
                     GError     **error)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(IncImage) mask = NULL;
  const guint8 *pixels, *first = NULL;
  gboolean alpha, uniform = TRUE;
  int w, h, stride, n;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (width > 0 && height > 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  pixbuf = load_pixbuf (path, 0, error);
  if (pixbuf == NULL)
    return NULL;

  w = gdk_pixbuf_get_width (pixbuf);
  h = gdk_pixbuf_get_height (pixbuf);
  stride = gdk_pixbuf_get_rowstride (pixbuf);
  n = gdk_pixbuf_get_n_channels (pixbuf);
  alpha = gdk_pixbuf_get_has_alpha (pixbuf);
  pixels = gdk_pixbuf_read_pixels (pixbuf);

  /* One colour everywhere it is visible: the shape is in the alpha. */
  if (alpha)
    for (int y = 0; y < h && uniform; y++)
      for (int x = 0; x < w; x++)
        {
          const guint8 *p = pixels + (gsize) y * stride + x * n;

          if (p[3] == 0)
            continue;
          if (first == NULL)
            first = p;
          else if (memcmp (p, first, 3) != 0)
            {
              uniform = FALSE;
              break;
            }
        }

  mask = inc_image_new (w, h, 1);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        const guint8 *p = pixels + (gsize) y * stride + x * n;
        float v;

        if (alpha && uniform)
          v = p[3] / 255.0f;
        else
          {
            /* Integer weights keep grey levels exact (v / 255). */
            v = (float) ((299 * p[0] + 587 * p[1] + 114 * p[2]) / 255000.0);
            if (alpha)
              v *= p[3] / 255.0f;
          }
        mask->data[(gsize) y * w + x] = v;
      }

  if (w != width || h != height)
    return inc_image_resize (mask, width, height);
  return g_steal_pointer (&mask);
}

/* --- encoding ---------------------------------------------------------- */

static guint8
to_byte (float v)
{
  /* NaN fails both comparisons and ends up 0. */
  if (!(v > 0.0f))
    return 0;
  if (v >= 255.0f)
    return 255;
  return (guint8) floorf (v + 0.5f);
}

static const char *
format_for (const char *path)
{
  const char *dot = strrchr (path, '.');

  if (dot == NULL || strchr (dot, G_DIR_SEPARATOR) != NULL)
    return NULL;
  if (g_ascii_strcasecmp (dot, ".png") == 0)
    return "png";
  if (g_ascii_strcasecmp (dot, ".jpg") == 0 || g_ascii_strcasecmp (dot, ".jpeg") == 0)
    return "jpeg";
  return NULL;
}

gboolean
inc_image_save (const IncImage *image,
                const char     *path,
                const char     *recipe_json,
                int             jpeg_quality,
                GError        **error)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *buffer = NULL;
  g_autofree char *quality = NULL;
  const char *keys[2] = { NULL, NULL };
  const char *values[2] = { NULL, NULL };
  const char *format;
  guint8 *pixels;
  gsize size;
  int stride;

  g_return_val_if_fail (image != NULL && image->data != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  format = format_for (path);
  if (format == NULL)
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_FORMAT,
                   "Cannot write “%s”: the name must end in .png, .jpg or "
                   ".jpeg", path);
      return FALSE;
    }
  if (image->channels != 3 && image->channels != 1)
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_FORMAT,
                   "Cannot write “%s”: an image file needs 1 or 3 channels, "
                   "not %d", path, image->channels);
      return FALSE;
    }

  pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, image->width,
                           image->height);
  if (pixbuf == NULL)
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_SIZE,
                   "Cannot write “%s”: out of memory for %d×%d pixels",
                   path, image->width, image->height);
      return FALSE;
    }
  pixels = gdk_pixbuf_get_pixels (pixbuf);
  stride = gdk_pixbuf_get_rowstride (pixbuf);
  for (int y = 0; y < image->height; y++)
    {
      const float *in = image->data + (gsize) y * image->width * image->channels;
      guint8 *row = pixels + (gsize) y * stride;

      for (int x = 0; x < image->width; x++)
        if (image->channels == 3)
          for (int c = 0; c < 3; c++)
            row[x * 3 + c] = to_byte ((in[x * 3 + c] + 1.0f) * 127.5f);
        else
          row[x * 3] = row[x * 3 + 1] = row[x * 3 + 2] = to_byte (in[x] * 255.0f);
    }

  if (g_str_equal (format, "png"))
    {
      if (recipe_json != NULL && *recipe_json != '\0')
        {
          keys[0] = "tEXt::" RECIPE_KEY;
          values[0] = recipe_json;
        }
    }
  else
    {
      quality = g_strdup_printf ("%d", jpeg_quality > 0 ? MIN (jpeg_quality, 100) : 95);
      keys[0] = "quality";
      values[0] = quality;
    }

  if (!gdk_pixbuf_save_to_bufferv (pixbuf, &buffer, &size, format,
                                   (char **) keys, (char **) values,
                                   &local_error))
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_WRITE,
                   "Cannot write “%s”: %s", path, local_error->message);
      return FALSE;
    }
  /* Written to a temporary file beside the target and renamed over it, so
   * readers see the old file or the new one, never half of one. */
  if (!g_file_set_contents_full (path, buffer, size,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0666,
                                 &local_error))
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_WRITE,
                   "Cannot write “%s”: %s", path, local_error->message);
      return FALSE;
    }
  return TRUE;
}

char *
inc_image_read_recipe (const char  *png_path,
                       GError     **error)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  const char *value;

  g_return_val_if_fail (png_path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  pixbuf = load_pixbuf (png_path, 0, error);
  if (pixbuf == NULL)
    return NULL;
  value = gdk_pixbuf_get_option (pixbuf, "tEXt::" RECIPE_KEY);
  if (value == NULL)
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_FORMAT,
                   "“%s” carries no recipe", png_path);
      return NULL;
    }
  return g_strdup (value);
}

gboolean
inc_path_same_file (const char *a,
                    const char *b)
{
  GStatBuf sa, sb;

  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  if (g_stat (a, &sa) != 0 || g_stat (b, &sb) != 0)
    return FALSE;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* --- .npy -------------------------------------------------------------- */

IncImage *
inc_image_load_npy (const char  *path,
                    GError     **error)
{
  g_autoptr(IncNpy) npy = NULL;
  IncImage *image;
  gsize h, w, c;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  npy = inc_npy_read (path, error);
  if (npy == NULL)
    return NULL;
  if (npy->ndim != 2 && npy->ndim != 3)
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_FORMAT,
                   "“%s” has %d dimensions; an image array is (H, W, C) "
                   "or (H, W)", path, npy->ndim);
      return NULL;
    }
  h = npy->shape[0];
  w = npy->shape[1];
  c = npy->ndim == 3 ? npy->shape[2] : 1;
  if (h == 0 || w == 0 || c == 0)
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_SIZE,
                   "“%s” has no pixels", path);
      return NULL;
    }
  if (h > INC_IMAGE_MAX_SIDE || w > INC_IMAGE_MAX_SIDE || c > G_MAXINT / 4)
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_SIZE,
                   "“%s” is %" G_GSIZE_FORMAT "×%" G_GSIZE_FORMAT "; the "
                   "largest side accepted is %d", path, w, h,
                   INC_IMAGE_MAX_SIDE);
      return NULL;
    }

  image = g_new0 (IncImage, 1);
  image->width = (int) w;
  image->height = (int) h;
  image->channels = (int) c;
  image->data = g_steal_pointer (&npy->data);
  return image;
}

gboolean
inc_image_save_npy (const IncImage *image,
                    const char     *path,
                    GError        **error)
{
  gsize shape[3];

  g_return_val_if_fail (image != NULL && image->data != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  shape[0] = image->height;
  shape[1] = image->width;
  shape[2] = image->channels;
  return inc_npy_write (path, image->data, 3, shape, error);
}
