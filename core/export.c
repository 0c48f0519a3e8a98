/* export.c: the dream re-rendered at print size, written atomically (see
 * export.h for the memory it holds). */
#include "core/export.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

G_DEFINE_QUARK (inc-export-error-quark, inc_export_error)

static gboolean
invalid (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError **error, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, INC_EXPORT_ERROR, INC_EXPORT_ERROR_INVALID, message);
  return FALSE;
}

gboolean
inc_export_target_size (const IncExportOptions *options,
                        int                     source_width,
                        int                     source_height,
                        int                    *width,
                        int                    *height,
                        GError                **error)
{
  g_return_val_if_fail (options != NULL && width != NULL && height != NULL, FALSE);

  if (source_width < 1 || source_height < 1)
    return invalid (error, "the source image is empty");
  int longest = MAX (source_width, source_height);
  double f;
  if (options->long_edge != 0)
    {
      if (options->long_edge < 1 || options->long_edge > INC_EXPORT_MAX_SIDE)
        return invalid (error, "the long edge must be between 1 and %d px (got %d)",
                        INC_EXPORT_MAX_SIDE, options->long_edge);
      f = (double) options->long_edge / longest;
    }
  else
    {
      if (options->scale != 1 && options->scale != 2 && options->scale != 4)
        return invalid (error, "the scale must be 1, 2 or 4 (got %d)", options->scale);
      f = options->scale;
    }
  double w = round (source_width * f), h = round (source_height * f);
  if (w > INC_EXPORT_MAX_SIDE || h > INC_EXPORT_MAX_SIDE)
    return invalid (error, "%.0fx%.0f px is over the %d px limit", w, h,
                    INC_EXPORT_MAX_SIDE);
  *width = MAX ((int) w, 1);
  *height = MAX ((int) h, 1);
  return TRUE;
}

static const char *
extension_of (const char *path)
{
  const char *dot = strrchr (path, '.');
  const char *slash = strrchr (path, '/');

  if (dot == NULL || (slash != NULL && dot < slash))
    return NULL;
  if (g_ascii_strcasecmp (dot, ".png") == 0 || g_ascii_strcasecmp (dot, ".jpg") == 0 ||
      g_ascii_strcasecmp (dot, ".jpeg") == 0)
    return dot;
  return NULL;
}

static gboolean
check_path (const char *path, const char **ext, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);

  *ext = extension_of (path);
  if (*ext == NULL)
    return invalid (error, "the file name must end in .png, .jpg or .jpeg: %s", path);
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    return invalid (error, "%s is a folder", path);
  /* Fail before a long render rather than after it. */
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR) || g_access (dir, W_OK) != 0)
    return invalid (error, "cannot write to the folder %s", dir);
  return TRUE;
}

static void
report (IncExportProgressFunc progress, gpointer user_data,
        const IncDreamProgress *dream, gboolean writing)
{
  IncExportProgress p = { 0 };

  if (progress == NULL)
    return;
  p.dream = *dream;
  p.writing = writing;
  p.fraction = writing ? 1.0 : dream->total_planned > 0
               ? (double) dream->total_done / dream->total_planned : 0.0;
  progress (&p, user_data);
}

/* The steps at the target size; returns the result.  The resized inputs
 * are freed as soon as the dream holds its own copies. */
static IncImage *
render (const IncRecipe *recipe, const IncImage *source, const IncImage *mask,
        int width, int height, IncGradientSource *gradients,
        GCancellable *cancellable, IncExportProgressFunc progress,
        gpointer user_data, GError **error)
{
  g_autoptr (IncDream) dream = NULL;
  gboolean finished = FALSE;
  IncDreamProgress p;

  {
    g_autoptr (IncImage) big = NULL;
    g_autoptr (IncImage) big_mask = NULL;
    gboolean same = width == source->width && height == source->height;

    if (!same)
      big = inc_image_resize (source, width, height);
    if (mask != NULL && !same)
      {
        big_mask = inc_image_resize (mask, width, height);
        /* Bilinear weights sum to 1, but keep the mask in range anyway. */
        gsize n = (gsize) width * height;
        for (gsize i = 0; i < n; i++)
          big_mask->data[i] = CLAMP (big_mask->data[i], 0.0f, 1.0f);
      }
    dream = inc_dream_new (recipe, same ? source : big,
                           same ? mask : big_mask, gradients, error);
    if (dream == NULL)
      return NULL;
  }

  inc_dream_set_cancellable (dream, cancellable);
  inc_dream_get_progress (dream, &p);
  report (progress, user_data, &p, FALSE);
  while (!finished)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      if (!inc_dream_step (dream, &finished, error))
        return NULL;
      inc_dream_get_progress (dream, &p);
      report (progress, user_data, &p, FALSE);
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  IncImage *result = inc_dream_render (dream);
  report (progress, user_data, &p, TRUE);
  return result;
}

/* inc_image_save is atomic itself; writing to a hidden name first lets a
 * cancel that comes during the encoding still leave nothing behind. */
static gboolean
write_file (const IncImage *image, const char *path, const char *ext,
            const char *json, int quality, GCancellable *cancellable, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *name = g_strdup_printf (".%s-XXXXXX%s", base, ext);
  g_autofree char *tmp = g_build_filename (dir, name, NULL);
  /* The XXXXXX is the last one in the template, before the extension. */
  int fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, 0666);

  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "cannot create a file in %s: %s", dir, g_strerror (saved));
      return FALSE;
    }
  close (fd);
  if (!inc_image_save (image, tmp, g_ascii_strcasecmp (ext, ".png") == 0 ? json : NULL,
                       quality, error) ||
      g_cancellable_set_error_if_cancelled (cancellable, error))
    {
      g_unlink (tmp);
      return FALSE;
    }
  if (g_rename (tmp, path) != 0)
    {
      int saved = errno;
      g_unlink (tmp);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "cannot write %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

gboolean
inc_export_run (const IncExportOptions *options,
                const IncRecipe        *recipe,
                const IncImage         *source,
                const IncImage         *mask,
                IncGradientSource      *gradients,
                const char             *path,
                GCancellable           *cancellable,
                IncExportProgressFunc   progress,
                gpointer                user_data,
                GError                **error)
{
  g_return_val_if_fail (options != NULL && recipe != NULL && source != NULL, FALSE);
  g_return_val_if_fail (gradients != NULL && path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  const char *ext = NULL;
  int width, height;

  if (!check_path (path, &ext, error) ||
      !inc_export_target_size (options, source->width, source->height, &width,
                               &height, error))
    return FALSE;
  if (options->jpeg_quality < 0 || options->jpeg_quality > 100)
    return invalid (error, "the JPEG quality must be between 1 and 100 (got %d)",
                    options->jpeg_quality);
  if (source->channels != 3)
    return invalid (error, "the source must be an RGB image");
  if (mask != NULL && (mask->channels != 1 || mask->width != source->width ||
                       mask->height != source->height))
    return invalid (error, "the mask must be one channel of the source's size (%dx%d)",
                    source->width, source->height);

  g_autoptr (IncRecipe) r = inc_recipe_copy (recipe);
  if (r->tile <= 0)
    r->tile = INC_EXPORT_DEFAULT_TILE;
  r->tile = MIN (r->tile, INC_EXPORT_MAX_TILE);

  g_autoptr (IncImage) result = render (r, source, mask, width, height, gradients,
                                        cancellable, progress, user_data, error);
  if (result == NULL)
    return FALSE;
  /* The recipe that ran (with its tile), so the file can be re-rendered. */
  g_autofree char *json = inc_recipe_to_json (r);
  return write_file (result, path, ext, json, options->jpeg_quality, cancellable, error);
}
