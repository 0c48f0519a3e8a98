/* npy.c: reading and writing float32 .npy files. */
#include "core/npy.h"
#include "core/image.h"

#include <string.h>

#define NPY_MAGIC     "\x93NUMPY"
#define NPY_MAGIC_LEN 6

void
inc_npy_free (IncNpy *npy)
{
  if (npy == NULL)
    return;
  g_free (npy->data);
  g_free (npy);
}

/* A tiny reader for the Python dict literal in the header, e.g.
 * {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } */
typedef struct {
  const char *p;
  const char *end;
} Scan;

static void
scan_space (Scan *s)
{
  while (s->p < s->end && g_ascii_isspace (*s->p))
    s->p++;
}

static gboolean
scan_char (Scan *s, char c)
{
  scan_space (s);
  if (s->p < s->end && *s->p == c)
    {
      s->p++;
      return TRUE;
    }
  return FALSE;
}

static char *
scan_string (Scan *s)
{
  char quote;
  const char *start;

  scan_space (s);
  if (s->p >= s->end || (*s->p != '\'' && *s->p != '"'))
    return NULL;
  quote = *s->p++;
  start = s->p;
  while (s->p < s->end && *s->p != quote)
    s->p++;
  if (s->p >= s->end)
    return NULL;
  return g_strndup (start, s->p++ - start);
}

static gboolean
scan_word (Scan *s, const char *word)
{
  gsize n = strlen (word);

  scan_space (s);
  if ((gsize) (s->end - s->p) >= n && memcmp (s->p, word, n) == 0)
    {
      s->p += n;
      return TRUE;
    }
  return FALSE;
}

/* "(2, 3)", "(5,)" or "()". */
static gboolean
scan_shape (Scan *s, int *ndim, gsize *shape)
{
  *ndim = 0;
  if (!scan_char (s, '('))
    return FALSE;
  for (;;)
    {
      guint64 v = 0;
      gboolean digits = FALSE;

      if (scan_char (s, ')'))
        return TRUE;
      scan_space (s);
      while (s->p < s->end && g_ascii_isdigit (*s->p))
        {
          if (v > G_MAXSIZE / 10)
            return FALSE;
          v = v * 10 + (guint64) (*s->p++ - '0');
          digits = TRUE;
        }
      if (s->p < s->end && *s->p == 'L')  /* Python 2 longs */
        s->p++;
      if (!digits || *ndim >= INC_NPY_MAX_DIMS)
        return FALSE;
      shape[(*ndim)++] = (gsize) v;
      if (!scan_char (s, ',') && !(scan_space (s), s->p < s->end && *s->p == ')'))
        return FALSE;
    }
}

static gboolean
parse_header (const char  *path,
              const char  *text,
              gsize        len,
              IncNpy      *npy,
              GError     **error)
{
  Scan s = { text, text + len };
  g_autofree char *descr = NULL;
  gboolean have_order = FALSE, have_shape = FALSE, fortran = FALSE;

  if (!scan_char (&s, '{'))
    goto bad;
  while (!scan_char (&s, '}'))
    {
      g_autofree char *key = scan_string (&s);

      if (key == NULL || !scan_char (&s, ':'))
        goto bad;
      if (g_str_equal (key, "descr"))
        {
          g_free (descr);
          if ((descr = scan_string (&s)) == NULL)
            goto bad;
        }
      else if (g_str_equal (key, "fortran_order"))
        {
          if (scan_word (&s, "False"))
            fortran = FALSE;
          else if (scan_word (&s, "True"))
            fortran = TRUE;
          else
            goto bad;
          have_order = TRUE;
        }
      else if (g_str_equal (key, "shape"))
        {
          if (!scan_shape (&s, &npy->ndim, npy->shape))
            {
              g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_FORMAT,
                           "“%s” has an unreadable shape or more than %d "
                           "dimensions", path, INC_NPY_MAX_DIMS);
              return FALSE;
            }
          have_shape = TRUE;
        }
      else
        goto bad;
      if (!scan_char (&s, ','))
        {
          if (!scan_char (&s, '}'))
            goto bad;
          break;
        }
    }
  if (descr == NULL || !have_order || !have_shape)
    goto bad;

  if (!g_str_equal (descr, "<f4"))
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_FORMAT,
                   "“%s” holds values of type '%s'; only little-endian "
                   "float32 ('<f4') arrays are supported", path, descr);
      return FALSE;
    }
  if (fortran)
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_FORMAT,
                   "“%s” is in Fortran order; only C-order arrays are "
                   "supported", path);
      return FALSE;
    }
  return TRUE;

bad:
  g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_FORMAT,
               "“%s” has a malformed .npy header", path);
  return FALSE;
}

IncNpy *
inc_npy_read (const char  *path,
              GError     **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(IncNpy) npy = g_new0 (IncNpy, 1);
  gsize length, header_len, offset, n = 1, n_bytes;
  const guint8 *bytes;
  guint major;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_READ,
                   "Cannot read “%s”: %s", path, local_error->message);
      return NULL;
    }
  bytes = (const guint8 *) contents;

  if (length < NPY_MAGIC_LEN + 2 || memcmp (bytes, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_FORMAT,
                   "“%s” is not a .npy file", path);
      return NULL;
    }
  major = bytes[6];
  if (major == 1 && length >= 10)
    {
      header_len = bytes[8] | (gsize) bytes[9] << 8;
      offset = 10;
    }
  else if ((major == 2 || major == 3) && length >= 12)
    {
      header_len = bytes[8] | (gsize) bytes[9] << 8
                   | (gsize) bytes[10] << 16 | (gsize) bytes[11] << 24;
      offset = 12;
    }
  else if (major >= 1 && major <= 3)
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_READ,
                   "“%s” is truncated", path);
      return NULL;
    }
  else
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_FORMAT,
                   "“%s” is a .npy file of unsupported version %u.%u",
                   path, major, bytes[7]);
      return NULL;
    }
  if (header_len > length - offset)
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_READ,
                   "“%s” is truncated", path);
      return NULL;
    }
  if (!parse_header (path, contents + offset, header_len, npy, error))
    return NULL;
  offset += header_len;

  for (int i = 0; i < npy->ndim; i++)
    if (!g_size_checked_mul (&n, n, npy->shape[i]))
      goto too_big;
  if (!g_size_checked_mul (&n_bytes, n, sizeof (float)))
    goto too_big;
  if (length - offset < n_bytes)
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_READ,
                   "“%s” is truncated: its shape needs %" G_GSIZE_FORMAT
                   " bytes of data, it has %" G_GSIZE_FORMAT,
                   path, n_bytes, length - offset);
      return NULL;
    }
  if (length - offset > n_bytes)
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_FORMAT,
                   "“%s” has %" G_GSIZE_FORMAT " bytes after the data its "
                   "shape describes", path, length - offset - n_bytes);
      return NULL;
    }

  npy->n_values = n;
  npy->data = g_try_malloc (MAX (n_bytes, 1));
  if (npy->data == NULL)
    goto too_big;
  memcpy (npy->data, contents + offset, n_bytes);
#if G_BYTE_ORDER == G_BIG_ENDIAN
  for (gsize i = 0; i < n; i++)
    {
      guint32 *w = (guint32 *) &npy->data[i];
      *w = GUINT32_FROM_LE (*w);
    }
#endif
  return g_steal_pointer (&npy);

too_big:
  g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_SIZE,
               "“%s” is too large to load", path);
  return NULL;
}

gboolean
inc_npy_write (const char  *path,
               const float *data,
               int          ndim,
               const gsize *shape,
               GError     **error)
{
  g_autoptr(GString) header = g_string_new ("{'descr': '<f4', "
                                            "'fortran_order': False, "
                                            "'shape': (");
  g_autoptr(GError) local_error = NULL;
  g_autofree guint8 *out = NULL;
  gsize n = 1, n_bytes, prefix, total;
  guint32 header_len;
  guint8 version;
  gboolean fits = TRUE;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (ndim >= 0 && ndim <= INC_NPY_MAX_DIMS, FALSE);
  g_return_val_if_fail (ndim == 0 || shape != NULL, FALSE);

  for (int i = 0; i < ndim; i++)
    {
      g_string_append_printf (header, "%" G_GSIZE_FORMAT "%s", shape[i],
                              ndim == 1 ? "," : i + 1 < ndim ? ", " : "");
      fits = fits && g_size_checked_mul (&n, n, shape[i]);
    }
  g_string_append (header, "), }");

  /* Pad with spaces and a newline so the data starts 64-byte aligned, as
   * NumPy itself does. */
  version = header->len + 1 + 10 > G_MAXUINT16 ? 2 : 1;
  prefix = version == 1 ? 10 : 12;
  while ((prefix + header->len + 1) % 64 != 0)
    g_string_append_c (header, ' ');
  g_string_append_c (header, '\n');

  fits = fits && g_size_checked_mul (&n_bytes, n, sizeof (float))
         && g_size_checked_add (&total, prefix + header->len, n_bytes)
         && total <= G_MAXSSIZE;
  if (fits)
    out = g_try_malloc (total);
  if (out == NULL)
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_SIZE,
                   "Cannot write “%s”: the array is too large", path);
      return FALSE;
    }
  g_return_val_if_fail (n == 0 || data != NULL, FALSE);

  memcpy (out, NPY_MAGIC, NPY_MAGIC_LEN);
  out[6] = version;
  out[7] = 0;
  header_len = (guint32) header->len;
  for (gsize i = 0; i < prefix - 8; i++)
    out[8 + i] = (guint8) (header_len >> (8 * i));
  memcpy (out + prefix, header->str, header->len);
#if G_BYTE_ORDER == G_BIG_ENDIAN
  for (gsize i = 0; i < n; i++)
    {
      guint32 w;

      memcpy (&w, &data[i], 4);
      w = GUINT32_TO_LE (w);
      memcpy (out + prefix + header->len + 4 * i, &w, 4);
    }
#else
  if (n_bytes > 0)
    memcpy (out + prefix + header->len, data, n_bytes);
#endif

  if (!g_file_set_contents_full (path, (const char *) out, (gssize) total,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0666,
                                 &local_error))
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_WRITE,
                   "Cannot write “%s”: %s", path, local_error->message);
      return FALSE;
    }
  return TRUE;
}
