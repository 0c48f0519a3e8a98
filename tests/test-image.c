/* test-image.c: decoding, encoding, resizing and .npy files. */
#include "core/image.h"
#include "core/npy.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jpeglib.h>

static char *tmp_dir;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

static float
byte_to_net (int p)
{
  return p / 127.5f - 1.0f;
}

/* An RGB pattern with every byte value, from a fixed seed. */
static GdkPixbuf *
random_pixbuf (int w, int h, gboolean alpha, guint32 seed)
{
  GdkPixbuf *pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, alpha, 8, w, h);
  int n = gdk_pixbuf_get_n_channels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w * n; x++)
      pixels[y * stride + x] = (guint8) g_rand_int_range (rand, 0, 256);
  return pixbuf;
}

static void
assert_pixbuf_equals_image (GdkPixbuf *pixbuf, const IncImage *image)
{
  int n = gdk_pixbuf_get_n_channels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  const guint8 *pixels = gdk_pixbuf_read_pixels (pixbuf);

  g_assert_cmpint (image->width, ==, gdk_pixbuf_get_width (pixbuf));
  g_assert_cmpint (image->height, ==, gdk_pixbuf_get_height (pixbuf));
  g_assert_cmpint (image->channels, ==, 3);
  for (int y = 0; y < image->height; y++)
    for (int x = 0; x < image->width; x++)
      for (int c = 0; c < 3; c++)
        g_assert_cmpfloat (image->data[(y * image->width + x) * 3 + c], ==,
                           byte_to_net (pixels[y * stride + x * n + c]));
}

/* Writes a PNG with libpng directly, for layouts gdk-pixbuf cannot save. */
static void
write_png (const char *path, int w, int h, int color_type, int depth,
           const guint8 *data)
{
  FILE *f = fopen (path, "wb");
  png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct (png);
  int channels = color_type == PNG_COLOR_TYPE_GRAY ? 1
                 : color_type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
                 : color_type == PNG_COLOR_TYPE_RGB ? 3 : 4;
  gsize row_bytes = (gsize) w * channels * depth / 8;

  g_assert_nonnull (f);
  g_assert_true (setjmp (png_jmpbuf (png)) == 0);
  png_init_io (png, f);
  png_set_IHDR (png, info, w, h, depth, color_type, PNG_INTERLACE_NONE,
                PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info (png, info);
  for (int y = 0; y < h; y++)
    png_write_row (png, data + y * row_bytes);
  png_write_end (png, NULL);
  png_destroy_write_struct (&png, &info);
  fclose (f);
}

static void
assert_load_fails (const char *path, int code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(IncImage) image = inc_image_load (path, 0, &error);

  g_assert_null (image);
  g_assert_error (error, INC_IMAGE_ERROR, code);
  g_assert_nonnull (strstr (error->message, path));
}

/* --- round trips ------------------------------------------------------- */

static void
test_roundtrip_png (void)
{
  g_autofree char *src = tmp_path ("rt-src.png");
  g_autofree char *out1 = tmp_path ("rt-1.png");
  g_autofree char *out2 = tmp_path ("rt-2.png");
  g_autoptr(GdkPixbuf) pixbuf = random_pixbuf (37, 23, FALSE, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(IncImage) a = NULL;
  g_autoptr(IncImage) b = NULL;
  g_autoptr(IncImage) c = NULL;
  gsize n;

  g_assert_true (gdk_pixbuf_save (pixbuf, src, "png", &error, NULL));
  a = inc_image_load (src, 0, &error);
  g_assert_no_error (error);
  assert_pixbuf_equals_image (pixbuf, a);

  g_assert_true (inc_image_save (a, out1, NULL, 0, &error));
  g_assert_no_error (error);
  b = inc_image_load (out1, 0, &error);
  g_assert_no_error (error);
  n = (gsize) a->width * a->height * 3;
  g_assert_cmpmem (a->data, n * sizeof (float), b->data, n * sizeof (float));

  g_assert_true (inc_image_save (b, out2, NULL, 0, &error));
  c = inc_image_load (out2, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (a->data, n * sizeof (float), c->data, n * sizeof (float));
}

static void
test_roundtrip_clamp (void)
{
  g_autofree char *path = tmp_path ("clamp.png");
  g_autoptr(IncImage) image = inc_image_new (4, 1, 3);
  g_autoptr(IncImage) back = NULL;
  g_autoptr(GError) error = NULL;
  const float in[4] = { -3.0f, 2.5f, NAN, 0.0f };

  for (int x = 0; x < 4; x++)
    for (int c = 0; c < 3; c++)
      image->data[x * 3 + c] = in[x];
  g_assert_true (inc_image_save (image, path, NULL, 0, &error));
  back = inc_image_load (path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (back->data[0], ==, -1.0f);
  g_assert_cmpfloat (back->data[3], ==, 1.0f);
  g_assert_cmpfloat (back->data[6], ==, -1.0f);
  /* 0 is 127.5: rounds half up to 128. */
  g_assert_cmpfloat (back->data[9], ==, byte_to_net (128));
}

static void
test_roundtrip_jpeg (void)
{
  g_autofree char *hi = tmp_path ("rt-hi.jpg");
  g_autofree char *lo = tmp_path ("rt-lo.JPEG");
  g_autoptr(IncImage) image = inc_image_new (64, 48, 3);
  g_autoptr(IncImage) back = NULL;
  g_autoptr(GError) error = NULL;
  GStatBuf st_hi, st_lo;
  double max_err = 0;

  /* Smooth gradients survive JPEG nearly intact. */
  for (int y = 0; y < 48; y++)
    for (int x = 0; x < 64; x++)
      {
        float *p = image->data + (y * 64 + x) * 3;
        p[0] = x / 63.0f * 1.6f - 0.8f;
        p[1] = y / 47.0f * 1.6f - 0.8f;
        p[2] = 0.25f;
      }
  g_assert_true (inc_image_save (image, hi, "{\"ignored\": true}", 95, &error));
  g_assert_no_error (error);
  g_assert_true (inc_image_save (image, lo, NULL, 20, &error));
  g_assert_no_error (error);
  back = inc_image_load (hi, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->width, ==, 64);
  g_assert_cmpint (back->height, ==, 48);
  for (gsize i = 0; i < 64 * 48 * 3; i++)
    max_err = MAX (max_err, fabs (back->data[i] - image->data[i]));
  g_assert_cmpfloat (max_err, <, 0.05);

  g_assert_cmpint (g_stat (hi, &st_hi), ==, 0);
  g_assert_cmpint (g_stat (lo, &st_lo), ==, 0);
  g_assert_cmpint (st_lo.st_size, <, st_hi.st_size);
}

static void
test_save_bad_format (void)
{
  g_autofree char *bmp = tmp_path ("x.bmp");
  g_autofree char *none = tmp_path ("noext");
  g_autofree char *two = tmp_path ("two.png");
  g_autoptr(IncImage) image = inc_image_new (2, 2, 3);
  g_autoptr(IncImage) two_ch = inc_image_new (2, 2, 2);
  g_autoptr(GError) error = NULL;

  g_assert_false (inc_image_save (image, bmp, NULL, 0, &error));
  g_assert_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_FORMAT);
  g_clear_error (&error);
  g_assert_false (inc_image_save (image, none, NULL, 0, &error));
  g_assert_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_FORMAT);
  g_clear_error (&error);
  g_assert_false (inc_image_save (two_ch, two, NULL, 0, &error));
  g_assert_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_FORMAT);
  g_assert_false (g_file_test (bmp, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (none, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (two, G_FILE_TEST_EXISTS));
}

static void
test_recipe_chunk (void)
{
  g_autofree char *path = tmp_path ("recipe.png");
  g_autofree char *plain = tmp_path ("plain.png");
  g_autoptr(IncImage) image = inc_image_new (5, 3, 3);
  g_autoptr(GError) error = NULL;
  g_autofree char *back = NULL;
  g_autofree char *none = NULL;
  g_autofree char *missing = NULL;
  const char *recipe = "{\"layers\": {\"mixed3\": 1.0, \"mixed5\": 1.5},\n"
                       " \"note\": \"caf\xc3\xa9 \\\"quoted\\\"\", \"octaves\": 4}";

  g_assert_true (inc_image_save (image, path, recipe, 0, &error));
  g_assert_no_error (error);
  back = inc_image_read_recipe (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back, ==, recipe);

  g_assert_true (inc_image_save (image, plain, NULL, 0, &error));
  none = inc_image_read_recipe (plain, &error);
  g_assert_null (none);
  g_assert_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_FORMAT);
  g_clear_error (&error);

  missing = inc_image_read_recipe ("/nonexistent/recipe.png", &error);
  g_assert_null (missing);
  g_assert_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_READ);
}

/* Only the target directory's own entries, to spot leftover temporaries. */
static guint
count_entries (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  g_assert_nonnull (d);
  while (g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
test_save_atomic (void)
{
  g_autofree char *dir = tmp_path ("atomic");
  g_autofree char *blocker = NULL;
  g_autofree char *target = NULL;
  g_autofree char *deep = NULL;
  g_autofree char *npy = NULL;
  g_autoptr(IncImage) image = inc_image_new (8, 8, 3);
  g_autoptr(IncImage) other = inc_image_new (8, 8, 3);
  g_autoptr(IncImage) back = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);
  /* A directory where the file should go: the rename must fail. */
  blocker = g_build_filename (dir, "taken.png", NULL);
  g_assert_cmpint (g_mkdir (blocker, 0755), ==, 0);
  g_assert_false (inc_image_save (image, blocker, NULL, 0, &error));
  g_assert_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_WRITE);
  g_assert_nonnull (strstr (error->message, blocker));
  g_clear_error (&error);
  npy = g_build_filename (dir, "taken.png", NULL);
  g_assert_false (inc_image_save_npy (image, npy, &error));
  g_assert_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_WRITE);
  g_clear_error (&error);
  g_assert_cmpuint (count_entries (dir), ==, 1);

  deep = g_build_filename (dir, "no-such-dir", "x.png", NULL);
  g_assert_false (inc_image_save (image, deep, NULL, 0, &error));
  g_assert_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_WRITE);
  g_clear_error (&error);
  g_assert_cmpuint (count_entries (dir), ==, 1);

  /* Replacing an existing file leaves exactly the new one. */
  target = g_build_filename (dir, "out.png", NULL);
  for (gsize i = 0; i < 8 * 8 * 3; i++)
    other->data[i] = 1.0f;
  g_assert_true (inc_image_save (image, target, NULL, 0, &error));
  g_assert_true (inc_image_save (other, target, NULL, 0, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_entries (dir), ==, 2);
  back = inc_image_load (target, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (back->data[0], ==, 1.0f);
}

static void
test_same_file (void)
{
  g_autofree char *a = tmp_path ("same-a.png");
  g_autofree char *b = tmp_path ("same-b.png");
  g_autofree char *a2 = g_build_filename (tmp_dir, ".", "same-a.png", NULL);
  g_autofree char *link = tmp_path ("same-link.png");
  g_autofree char *missing = tmp_path ("same-missing.png");

  g_assert_true (g_file_set_contents (a, "x", 1, NULL));
  g_assert_true (g_file_set_contents (b, "x", 1, NULL));
  g_assert_cmpint (symlink (a, link), ==, 0);
  g_assert_true (inc_path_same_file (a, a2));
  g_assert_true (inc_path_same_file (a, link));
  g_assert_false (inc_path_same_file (a, b));
  g_assert_false (inc_path_same_file (a, missing));
  g_assert_false (inc_path_same_file (missing, missing));
}

/* --- decoding variants ------------------------------------------------- */

/* Inserts an EXIF APP1 segment with the given orientation after SOI. */
static void
add_exif_orientation (const char *path, int orientation)
{
  const guint8 app1[] = {
    0xFF, 0xE1, 0x00, 0x22,
    'E', 'x', 'i', 'f', 0, 0,
    'I', 'I', 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00,   /* TIFF, IFD at 8 */
    0x01, 0x00,                                     /* one entry */
    0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, /* 0x0112 SHORT x1 */
    (guint8) orientation, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,                         /* no next IFD */
  };
  g_autofree char *data = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  gsize len;

  g_assert_cmpuint (sizeof app1, ==, 0x22 + 2);
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  g_byte_array_append (out, (guint8 *) data, 2);
  g_byte_array_append (out, app1, sizeof app1);
  g_byte_array_append (out, (guint8 *) data + 2, len - 2);
  g_assert_true (g_file_set_contents (path, (char *) out->data, out->len, NULL));
}

static double
block_mean (const IncImage *im, int x0, int y0, int w, int h, int c)
{
  double sum = 0;

  for (int y = y0; y < y0 + h; y++)
    for (int x = x0; x < x0 + w; x++)
      sum += im->data[(y * im->width + x) * im->channels + c];
  return sum / (w * h);
}

static void
test_exif_orientation (void)
{
  g_autofree char *path = tmp_path ("exif6.jpg");
  g_autoptr(IncImage) image = inc_image_new (32, 16, 3);
  g_autoptr(IncImage) upright = NULL;
  g_autoptr(IncImage) small = NULL;
  g_autoptr(GError) error = NULL;

  /* 32x16, dark grey with a white top-left quadrant. */
  for (int y = 0; y < 16; y++)
    for (int x = 0; x < 32; x++)
      for (int c = 0; c < 3; c++)
        image->data[(y * 32 + x) * 3 + c] = (x < 16 && y < 8) ? 1.0f : -0.6f;
  g_assert_true (inc_image_save (image, path, NULL, 95, &error));
  g_assert_no_error (error);
  add_exif_orientation (path, 6);

  /* Orientation 6 is shown turned 90 degrees clockwise: 16 wide, 32 high,
   * and the white quadrant lands at the top right. */
  upright = inc_image_load (path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (upright->width, ==, 16);
  g_assert_cmpint (upright->height, ==, 32);
  g_assert_cmpfloat (block_mean (upright, 10, 2, 4, 12, 0), >, 0.9);
  g_assert_cmpfloat (block_mean (upright, 2, 2, 4, 12, 0), <, -0.5);
  g_assert_cmpfloat (block_mean (upright, 10, 18, 4, 12, 0), <, -0.5);

  /* Scaled on load, still upright. */
  small = inc_image_load (path, 16, &error);
  g_assert_no_error (error);
  g_assert_cmpint (small->width, ==, 8);
  g_assert_cmpint (small->height, ==, 16);
  g_assert_cmpfloat (block_mean (small, 5, 1, 2, 6, 0), >, 0.85);
  g_assert_cmpfloat (block_mean (small, 1, 1, 2, 6, 0), <, -0.45);
}

static void
test_grey_png (void)
{
  g_autofree char *path = tmp_path ("grey.png");
  g_autoptr(IncImage) image = NULL;
  g_autoptr(GError) error = NULL;
  guint8 data[16 * 16];

  for (int i = 0; i < 256; i++)
    data[i] = (guint8) (i * 7 + 3);
  write_png (path, 16, 16, PNG_COLOR_TYPE_GRAY, 8, data);
  image = inc_image_load (path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->channels, ==, 3);
  for (int i = 0; i < 256; i++)
    for (int c = 0; c < 3; c++)
      g_assert_cmpfloat (image->data[i * 3 + c], ==, byte_to_net (data[i]));
}

static void
test_png16 (void)
{
  g_autofree char *path = tmp_path ("deep.png");
  g_autoptr(IncImage) image = NULL;
  g_autoptr(GError) error = NULL;
  guint8 data[8 * 4 * 6];
  guint8 expect[8 * 4 * 3];

  /* v16 = p * 257 is p exactly in 8 bits, however the 16 bits are cut. */
  for (int i = 0; i < 8 * 4 * 3; i++)
    {
      int p = (i * 37 + 11) % 256;
      expect[i] = (guint8) p;
      data[i * 2] = (guint8) p;      /* big-endian: high byte first */
      data[i * 2 + 1] = (guint8) p;
    }
  write_png (path, 8, 4, PNG_COLOR_TYPE_RGB, 16, data);
  image = inc_image_load (path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->width, ==, 8);
  g_assert_cmpint (image->height, ==, 4);
  for (int i = 0; i < 8 * 4 * 3; i++)
    g_assert_cmpfloat (image->data[i], ==, byte_to_net (expect[i]));
}

static void
test_alpha_png (void)
{
  g_autofree char *path = tmp_path ("alpha.png");
  g_autoptr(IncImage) image = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 data[4 * 4] = {
    10, 200, 30, 255,    /* opaque: unchanged */
    0, 0, 0, 0,          /* transparent: white */
    0, 0, 0, 128,        /* half black over white */
    255, 0, 100, 51,
  };

  write_png (path, 4, 1, PNG_COLOR_TYPE_RGB_ALPHA, 8, data);
  image = inc_image_load (path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->channels, ==, 3);
  for (int x = 0; x < 4; x++)
    for (int c = 0; c < 3; c++)
      {
        double a = data[x * 4 + 3] / 255.0;
        double expect = (data[x * 4 + c] * a + 255.0 * (1 - a)) / 127.5 - 1.0;
        g_assert_cmpfloat_with_epsilon (image->data[x * 3 + c], expect, 1e-5);
      }
  g_assert_cmpfloat (image->data[0], ==, byte_to_net (10));
  g_assert_cmpfloat (image->data[3], ==, 1.0f);
}

static void
write_prefix (const char *src, const char *dst, double fraction)
{
  g_autofree char *data = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (src, &data, &len, NULL));
  g_assert_true (g_file_set_contents (dst, data, (gssize) (len * fraction), NULL));
}

/* Writes a JPEG with libjpeg: every row is the same `row` of w pixels. */
static void
write_jpeg (const char *path, int w, int h, int components, J_COLOR_SPACE space,
            gboolean progressive, const guint8 *row)
{
  struct jpeg_compress_struct cinfo;
  struct jpeg_error_mgr jerr;
  JSAMPROW rows[1] = { (JSAMPROW) row };
  FILE *f = fopen (path, "wb");

  g_assert_nonnull (f);
  cinfo.err = jpeg_std_error (&jerr);
  jpeg_create_compress (&cinfo);
  jpeg_stdio_dest (&cinfo, f);
  cinfo.image_width = w;
  cinfo.image_height = h;
  cinfo.input_components = components;
  cinfo.in_color_space = space;
  jpeg_set_defaults (&cinfo);
  jpeg_set_quality (&cinfo, 100, TRUE);
  if (progressive)
    jpeg_simple_progression (&cinfo);
  jpeg_start_compress (&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height)
    jpeg_write_scanlines (&cinfo, rows, 1);
  jpeg_finish_compress (&cinfo);
  jpeg_destroy_compress (&cinfo);
  fclose (f);
}

static void
test_cmyk_jpeg (void)
{
  g_autofree char *path = tmp_path ("cmyk.jpg");
  g_autoptr(IncImage) image = NULL;
  g_autoptr(GError) error = NULL;
  guint8 row[16 * 4];

  /* libjpeg marks CMYK with an Adobe segment, whose convention (as
   * Photoshop writes it) stores inverted ink: RGB = C * K / 255 etc. */
  for (int x = 0; x < 16; x++)
    {
      row[x * 4 + 0] = 200;
      row[x * 4 + 1] = 100;
      row[x * 4 + 2] = 50;
      row[x * 4 + 3] = 255;
    }
  write_jpeg (path, 16, 8, 4, JCS_CMYK, FALSE, row);

  image = inc_image_load (path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->width, ==, 16);
  g_assert_cmpint (image->height, ==, 8);
  g_assert_cmpfloat_with_epsilon (block_mean (image, 0, 0, 16, 8, 0), byte_to_net (200), 0.03);
  g_assert_cmpfloat_with_epsilon (block_mean (image, 0, 0, 16, 8, 1), byte_to_net (100), 0.03);
  g_assert_cmpfloat_with_epsilon (block_mean (image, 0, 0, 16, 8, 2), byte_to_net (50), 0.03);
}

/* Several scans with tables between them: the completeness check must
 * follow them all, and still refuse a cut inside a later scan. */
static void
test_progressive_jpeg (void)
{
  g_autofree char *path = tmp_path ("progressive.jpg");
  g_autofree char *cut = tmp_path ("progressive-cut.jpg");
  g_autoptr(IncImage) image = NULL;
  g_autoptr(GError) error = NULL;
  guint8 row[40 * 3];

  for (int x = 0; x < 40; x++)
    {
      row[x * 3 + 0] = (guint8) (x * 6);
      row[x * 3 + 1] = 90;
      row[x * 3 + 2] = (guint8) (240 - x * 6);
    }
  write_jpeg (path, 40, 24, 3, JCS_RGB, TRUE, row);

  image = inc_image_load (path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->width, ==, 40);
  g_assert_cmpint (image->height, ==, 24);
  g_assert_cmpfloat_with_epsilon (block_mean (image, 0, 0, 40, 24, 1), byte_to_net (90), 0.03);

  write_prefix (path, cut, 0.8);
  assert_load_fails (cut, INC_IMAGE_ERROR_READ);
}

static void
test_tiff (void)
{
  g_autofree char *path = tmp_path ("photo.tiff");
  g_autoptr(GdkPixbuf) pixbuf = random_pixbuf (9, 7, FALSE, 5);
  g_autoptr(IncImage) image = NULL;
  g_autoptr(GError) error = NULL;

  if (!gdk_pixbuf_save (pixbuf, path, "tiff", &error, NULL))
    {
      g_test_skip ("gdk-pixbuf cannot write TIFF here");
      return;
    }
  image = inc_image_load (path, 0, &error);
  g_assert_no_error (error);
  assert_pixbuf_equals_image (pixbuf, image);
}

/* --- bad files --------------------------------------------------------- */

static void
test_truncated (void)
{
  g_autofree char *png = tmp_path ("whole.png");
  g_autofree char *jpg = tmp_path ("whole.jpg");
  g_autofree char *cut = NULL;
  g_autoptr(GdkPixbuf) pixbuf = random_pixbuf (64, 64, FALSE, 2);
  g_autoptr(GError) error = NULL;
  const double fractions[] = { 0.1, 0.5, 0.9, 0.99 };

  g_assert_true (gdk_pixbuf_save (pixbuf, png, "png", &error, NULL));
  g_assert_true (gdk_pixbuf_save (pixbuf, jpg, "jpeg", &error, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (fractions); i++)
    {
      g_free (cut);
      cut = tmp_path ("cut.png");
      write_prefix (png, cut, fractions[i]);
      assert_load_fails (cut, INC_IMAGE_ERROR_READ);
      g_free (cut);
      cut = tmp_path ("cut.jpg");
      write_prefix (jpg, cut, fractions[i]);
      assert_load_fails (cut, INC_IMAGE_ERROR_READ);
    }
  /* The 2 bytes of EOI are what a cut at the very end loses. */
  {
    g_autofree char *data = NULL;
    gsize len;

    g_assert_true (g_file_get_contents (jpg, &data, &len, NULL));
    g_assert_true (g_file_set_contents (cut, data, len - 2, NULL));
    assert_load_fails (cut, INC_IMAGE_ERROR_READ);
  }
}

static void
test_corrupt_png (void)
{
  g_autofree char *path = tmp_path ("corrupt.png");
  g_autoptr(GdkPixbuf) pixbuf = random_pixbuf (32, 32, FALSE, 3);
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;
  char *idat;

  g_assert_true (gdk_pixbuf_save (pixbuf, path, "png", &error, NULL));
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  idat = NULL;
  for (gsize i = 0; i + 4 <= len && idat == NULL; i++)
    if (memcmp (data + i, "IDAT", 4) == 0)
      idat = data + i;
  g_assert_nonnull (idat);
  /* Damage the compressed data, keeping the chunk structure intact. */
  for (int i = 10; i < 60; i++)
    idat[i] ^= 0x5A;
  g_assert_true (g_file_set_contents (path, data, len, NULL));
  assert_load_fails (path, INC_IMAGE_ERROR_READ);
}

/* Damaged entropy-coded data with intact markers: libjpeg only warns, and
 * under G_DEBUG=fatal-warnings that must not become an abort.  Either a
 * (damaged) image or a READ error is acceptable. */
static void
test_corrupt_jpeg (void)
{
  g_autofree char *path = tmp_path ("corrupt.jpg");
  g_autoptr(GdkPixbuf) pixbuf = random_pixbuf (48, 48, FALSE, 4);
  g_autoptr(IncImage) image = NULL;
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  gsize len, sos = 0;

  g_assert_true (gdk_pixbuf_save (pixbuf, path, "jpeg", &error, NULL));
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  for (gsize i = 2; i + 1 < len && sos == 0; i++)
    if ((guint8) data[i] == 0xFF && (guint8) data[i + 1] == 0xDA)
      sos = i;
  g_assert_cmpuint (sos, >, 0);
  /* Flip bits away from markers, never making a new 0xFF. */
  for (gsize i = sos + 20; i < len - 40; i += 7)
    if ((guint8) data[i] != 0xFF && (guint8) data[i - 1] != 0xFF)
      {
        guint8 v = (guint8) data[i] ^ 0x3C;
        data[i] = (char) (v == 0xFF ? 0x00 : v);
      }
  g_assert_true (g_file_set_contents (path, data, len, NULL));

  image = inc_image_load (path, 0, &error);
  if (image == NULL)
    {
      g_test_message ("refused: %s", error->message);
      g_assert_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_READ);
    }
  else
    {
      g_test_message ("decoded with damage");
      g_assert_no_error (error);
      g_assert_cmpint (image->width, ==, 48);
    }
}

static void
test_not_an_image (void)
{
  g_autofree char *empty = tmp_path ("empty.png");
  g_autofree char *text = tmp_path ("text.png");
  g_autofree char *missing = tmp_path ("missing.png");

  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  assert_load_fails (empty, INC_IMAGE_ERROR_READ);
  g_assert_true (g_file_set_contents (text, "hello, this is not a picture\n", -1, NULL));
  assert_load_fails (text, INC_IMAGE_ERROR_READ);
  assert_load_fails (missing, INC_IMAGE_ERROR_READ);
  assert_load_fails (tmp_dir, INC_IMAGE_ERROR_READ);
}

static void
test_zero_pixels (void)
{
  g_autofree char *path = tmp_path ("zero.png");
  /* Signature, IHDR 0x5 (RGB 8-bit), IEND; CRCs do not matter here. */
  const guint8 png[] = {
    0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n',
    0, 0, 0, 13, 'I', 'H', 'D', 'R',
    0, 0, 0, 0,  0, 0, 0, 5,  8, 2, 0, 0, 0,  0, 0, 0, 0,
    0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82,
  };

  g_assert_true (g_file_set_contents (path, (const char *) png, sizeof png, NULL));
  assert_load_fails (path, INC_IMAGE_ERROR_SIZE);
}

/* --- size limits and scaling ------------------------------------------- */

static void
test_max_side (void)
{
  g_autofree char *wide = tmp_path ("wide.png");
  g_autofree char *edge = tmp_path ("edge.png");
  g_autoptr(GdkPixbuf) big = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8,
                                             INC_IMAGE_MAX_SIDE + 1, 1);
  g_autoptr(GdkPixbuf) ok = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8,
                                            INC_IMAGE_MAX_SIDE, 1);
  g_autoptr(IncImage) image = NULL;
  g_autoptr(GError) error = NULL;

  gdk_pixbuf_fill (big, 0x336699ff);
  gdk_pixbuf_fill (ok, 0x336699ff);
  g_assert_true (gdk_pixbuf_save (big, wide, "png", &error, NULL));
  g_assert_true (gdk_pixbuf_save (ok, edge, "png", &error, NULL));

  image = inc_image_load (wide, 0, &error);
  g_assert_null (image);
  g_assert_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_SIZE);
  g_assert_nonnull (strstr (error->message, "--max-dim"));
  g_clear_error (&error);

  image = inc_image_load (wide, 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->width, ==, 1000);
  g_assert_cmpint (image->height, ==, 1);
  g_assert_cmpfloat (image->data[3 * 500 + 2], ==, byte_to_net (0x99));
  g_clear_pointer (&image, inc_image_free);

  /* A larger max_dim still ends at the limit. */
  image = inc_image_load (wide, INC_IMAGE_MAX_SIDE * 2, &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->width, ==, INC_IMAGE_MAX_SIDE);
  g_clear_pointer (&image, inc_image_free);

  image = inc_image_load (edge, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->width, ==, INC_IMAGE_MAX_SIDE);
}

static void
test_max_dim (void)
{
  g_autofree char *path = tmp_path ("checker.png");
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 80, 40);
  g_autoptr(IncImage) image = NULL;
  g_autoptr(GError) error = NULL;
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);

  /* A one-pixel checkerboard: point sampling would give black or white,
   * averaging gives mid grey. */
  for (int y = 0; y < 40; y++)
    for (int x = 0; x < 80; x++)
      memset (pixels + y * stride + x * 3, (x + y) % 2 ? 255 : 0, 3);
  g_assert_true (gdk_pixbuf_save (pixbuf, path, "png", &error, NULL));

  image = inc_image_load (path, 20, &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->width, ==, 20);
  g_assert_cmpint (image->height, ==, 10);
  for (gsize i = 0; i < 20 * 10 * 3; i++)
    g_assert_cmpfloat (fabsf (image->data[i]), <, 0.05f);
  g_clear_pointer (&image, inc_image_free);

  /* Within the limit: untouched. */
  image = inc_image_load (path, 80, &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->width, ==, 80);
  g_assert_cmpfloat (image->data[0], ==, -1.0f);
  g_assert_cmpfloat (image->data[3], ==, 1.0f);
}

/* --- masks ------------------------------------------------------------- */

static void
test_mask_grey (void)
{
  g_autofree char *path = tmp_path ("mask-grey.png");
  g_autoptr(IncImage) mask = NULL;
  g_autoptr(IncImage) big = NULL;
  g_autoptr(GError) error = NULL;
  guint8 data[4 * 2] = { 0, 255, 128, 7, 255, 0, 64, 200 };

  write_png (path, 4, 2, PNG_COLOR_TYPE_GRAY, 8, data);
  mask = inc_image_load_mask (path, 4, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpint (mask->channels, ==, 1);
  for (int i = 0; i < 8; i++)
    g_assert_cmpfloat_with_epsilon (mask->data[i], data[i] / 255.0, 1e-7);

  big = inc_image_load_mask (path, 8, 4, &error);
  g_assert_no_error (error);
  g_assert_cmpint (big->width, ==, 8);
  g_assert_cmpint (big->height, ==, 4);
  /* Exactly the bilinear resize of the mask at its own size. */
  {
    g_autoptr(IncImage) expect = inc_image_resize (mask, 8, 4);
    for (int i = 0; i < 32; i++)
      g_assert_cmpfloat (big->data[i], ==, expect->data[i]);
  }
}

static void
test_mask_rule (void)
{
  g_autofree char *stroke = tmp_path ("mask-stroke.png");
  g_autofree char *colour = tmp_path ("mask-colour.png");
  g_autoptr(IncImage) a = NULL;
  g_autoptr(IncImage) b = NULL;
  g_autoptr(GError) error = NULL;
  /* Red everywhere it is visible: the alpha is the mask. */
  const guint8 red[3 * 4] = { 255, 0, 0, 255,  0, 0, 0, 0,  255, 0, 0, 100 };
  /* Different colours: luminance times alpha. */
  const guint8 mixed[3 * 4] = { 255, 255, 255, 255,  0, 255, 0, 255,  100, 100, 100, 51 };

  write_png (stroke, 3, 1, PNG_COLOR_TYPE_RGB_ALPHA, 8, red);
  write_png (colour, 3, 1, PNG_COLOR_TYPE_RGB_ALPHA, 8, mixed);
  a = inc_image_load_mask (stroke, 3, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (a->data[0], 1.0, 1e-7);
  g_assert_cmpfloat_with_epsilon (a->data[1], 0.0, 1e-7);
  g_assert_cmpfloat_with_epsilon (a->data[2], 100 / 255.0, 1e-7);

  b = inc_image_load_mask (colour, 3, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (b->data[0], 1.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (b->data[1], 0.587, 1e-6);
  g_assert_cmpfloat_with_epsilon (b->data[2], 100 / 255.0 * 51 / 255.0, 1e-6);
}

static void
test_mask_save (void)
{
  g_autofree char *path = tmp_path ("mask-out.png");
  g_autoptr(IncImage) mask = inc_image_new (5, 1, 1);
  g_autoptr(IncImage) back = NULL;
  g_autoptr(GError) error = NULL;

  for (int i = 0; i < 5; i++)
    mask->data[i] = i / 4.0f;
  g_assert_true (inc_image_save (mask, path, NULL, 0, &error));
  back = inc_image_load_mask (path, 5, 1, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 5; i++)
    g_assert_cmpfloat_with_epsilon (back->data[i], i / 4.0, 0.5 / 255.0 + 1e-6);
}

/* --- resize ------------------------------------------------------------ */

static IncImage *
load_data_npy (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", name, NULL);
  g_autoptr(GError) error = NULL;
  IncImage *image = inc_image_load_npy (path, &error);

  g_assert_no_error (error);
  return image;
}

static void
test_resize_reference (void)
{
  g_autoptr(IncImage) src = load_data_npy ("resize-input.npy");
  const int sizes[][2] = { { 13, 11 }, { 3, 4 }, { 2, 9 }, { 1, 1 }, { 5, 20 }, { 6, 7 } };

  g_assert_cmpint (src->width, ==, 7);
  g_assert_cmpint (src->height, ==, 6);
  g_assert_cmpint (src->channels, ==, 2);
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      int h = sizes[s][0], w = sizes[s][1];
      g_autofree char *name = g_strdup_printf ("resize-%dx%d.npy", h, w);
      g_autoptr(IncImage) expect = load_data_npy (name);
      g_autoptr(IncImage) got = inc_image_resize (src, w, h);

      g_assert_cmpint (expect->width, ==, w);
      g_assert_cmpint (expect->height, ==, h);
      g_assert_cmpint (got->width, ==, w);
      g_assert_cmpint (got->height, ==, h);
      g_assert_cmpint (got->channels, ==, 2);
      for (gsize i = 0; i < (gsize) w * h * 2; i++)
        if (fabsf (got->data[i] - expect->data[i]) > 1e-6f)
          g_error ("resize to %dx%d: value %" G_GSIZE_FORMAT " is %.9g, torch says %.9g",
                   w, h, i, got->data[i], expect->data[i]);
    }
}

static void
test_resize_constant (void)
{
  g_autoptr(IncImage) src = inc_image_new (5, 3, 13);
  g_autoptr(IncImage) up = NULL;
  g_autoptr(IncImage) down = NULL;

  for (gsize i = 0; i < 5 * 3 * 13; i++)
    src->data[i] = (float) (i % 13) * 0.1f - 0.5f;
  up = inc_image_resize (src, 17, 9);
  down = inc_image_resize (src, 2, 1);
  for (gsize i = 0; i < 17 * 9 * 13; i++)
    g_assert_cmpfloat_with_epsilon (up->data[i], (i % 13) * 0.1f - 0.5f, 1e-6);
  for (gsize i = 0; i < 2 * 1 * 13; i++)
    g_assert_cmpfloat_with_epsilon (down->data[i], (i % 13) * 0.1f - 0.5f, 1e-6);
}

/* --- .npy -------------------------------------------------------------- */

static void
test_npy_roundtrip (void)
{
  g_autofree char *path = tmp_path ("rt.npy");
  const gsize shapes[][4] = { { 0 }, { 5 }, { 3, 4 }, { 2, 3, 5 }, { 2, 1, 3, 2 }, { 0, 3 } };
  const int ndims[] = { 0, 1, 2, 3, 4, 2 };

  for (guint s = 0; s < G_N_ELEMENTS (ndims); s++)
    {
      g_autoptr(IncNpy) npy = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree float *data = NULL;
      gsize n = 1;
      GStatBuf st;

      for (int d = 0; d < ndims[s]; d++)
        n *= shapes[s][d];
      data = g_new (float, MAX (n, 1));
      for (gsize i = 0; i < n; i++)
        data[i] = (float) i * 0.37f - 1.0f / 3.0f;
      g_assert_true (inc_npy_write (path, data, ndims[s], shapes[s], &error));
      g_assert_no_error (error);
      /* NumPy's layout: the data starts on a 64-byte boundary. */
      g_assert_cmpint (g_stat (path, &st), ==, 0);
      g_assert_cmpint ((st.st_size - (goffset) (n * 4)) % 64, ==, 0);

      npy = inc_npy_read (path, &error);
      g_assert_no_error (error);
      g_assert_cmpint (npy->ndim, ==, ndims[s]);
      g_assert_cmpuint (npy->n_values, ==, n);
      for (int d = 0; d < ndims[s]; d++)
        g_assert_cmpuint (npy->shape[d], ==, shapes[s][d]);
      if (n > 0)
        g_assert_cmpmem (npy->data, n * 4, data, n * 4);
    }
}

static void
test_npy_image (void)
{
  g_autofree char *path = tmp_path ("image.npy");
  g_autoptr(IncImage) image = inc_image_new (7, 5, 3);
  g_autoptr(IncImage) back = NULL;
  g_autoptr(IncImage) ref = load_data_npy ("ref-147x147-input.npy");
  g_autoptr(GError) error = NULL;

  for (gsize i = 0; i < 7 * 5 * 3; i++)
    image->data[i] = sinf ((float) i);
  g_assert_true (inc_image_save_npy (image, path, &error));
  back = inc_image_load_npy (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->width, ==, 7);
  g_assert_cmpint (back->height, ==, 5);
  g_assert_cmpint (back->channels, ==, 3);
  g_assert_cmpmem (back->data, 7 * 5 * 3 * 4, image->data, 7 * 5 * 3 * 4);

  /* A file NumPy wrote. */
  g_assert_cmpint (ref->width, ==, 147);
  g_assert_cmpint (ref->height, ==, 147);
  g_assert_cmpint (ref->channels, ==, 3);
  for (gsize i = 0; i < 147 * 147 * 3; i++)
    g_assert_true (ref->data[i] >= -1.0f && ref->data[i] <= 1.0f);
}

static void
write_npy_raw (const char *path, const char *header, int major, gsize n_floats)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  guint32 len = (guint32) strlen (header);
  guint8 v[2] = { (guint8) major, 0 };
  guint8 l[4] = { len & 0xFF, (len >> 8) & 0xFF, (len >> 16) & 0xFF, len >> 24 };

  g_byte_array_append (out, (const guint8 *) "\x93NUMPY", 6);
  g_byte_array_append (out, v, 2);
  g_byte_array_append (out, l, major == 1 ? 2 : 4);
  g_byte_array_append (out, (const guint8 *) header, len);
  for (gsize i = 0; i < n_floats; i++)
    {
      float f = (float) i;
      g_byte_array_append (out, (const guint8 *) &f, 4);
    }
  g_assert_true (g_file_set_contents (path, (const char *) out->data, out->len, NULL));
}

static void
test_npy_bad (void)
{
  g_autofree char *path = tmp_path ("bad.npy");
  const struct {
    const char *header;
    int major;
    gsize n;
    int code;
    const char *says;
  } cases[] = {
    { "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n", 1, 4, INC_IMAGE_ERROR_FORMAT, "<f8" },
    { "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }\n", 1, 2, INC_IMAGE_ERROR_FORMAT, ">f4" },
    { "{'descr': '|u1', 'fortran_order': False, 'shape': (8,), }\n", 1, 2, INC_IMAGE_ERROR_FORMAT, "|u1" },
    { "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 1), }\n", 1, 2, INC_IMAGE_ERROR_FORMAT, "Fortran" },
    { "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 2), }\n", 1, 2, INC_IMAGE_ERROR_FORMAT, "dimensions" },
    { "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }\n", 1, 5, INC_IMAGE_ERROR_READ, "truncated" },
    { "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", 1, 3, INC_IMAGE_ERROR_FORMAT, "after" },
    { "{'descr': '<f4', 'shape': (2,), }\n", 1, 2, INC_IMAGE_ERROR_FORMAT, "header" },
    { "{'descr': '<f4', 'fortran_order': False, 'shape': (2 2), }\n", 1, 2, INC_IMAGE_ERROR_FORMAT, "shape" },
    { "['descr', '<f4']\n", 1, 2, INC_IMAGE_ERROR_FORMAT, "header" },
    { "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", 4, 2, INC_IMAGE_ERROR_FORMAT, "version" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(IncNpy) npy = NULL;

      write_npy_raw (path, cases[i].header, cases[i].major, cases[i].n);
      npy = inc_npy_read (path, &error);
      g_assert_null (npy);
      g_assert_error (error, INC_IMAGE_ERROR, cases[i].code);
      if (strstr (error->message, cases[i].says) == NULL)
        g_error ("case %u: “%s” does not mention %s", i, error->message, cases[i].says);
    }

  /* Version 2.0 headers are fine. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(IncNpy) npy = NULL;

    write_npy_raw (path, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n", 2, 3);
    npy = inc_npy_read (path, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat (npy->data[2], ==, 2.0f);
  }
  /* Not .npy at all, cut inside the header, missing. */
  {
    g_autoptr(GError) error = NULL;

    g_assert_true (g_file_set_contents (path, "PK\x03\x04 zip", -1, NULL));
    g_assert_null (inc_npy_read (path, &error));
    g_assert_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_FORMAT);
    g_clear_error (&error);
    {
      const char cut[] = "\x93NUMPY\x01\x00\x76\x00{'descr'";
      g_assert_true (g_file_set_contents (path, cut, sizeof cut - 1, NULL));
    }
    g_assert_null (inc_npy_read (path, &error));
    g_assert_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_READ);
    g_clear_error (&error);
    g_assert_null (inc_npy_read ("/nonexistent/x.npy", &error));
    g_assert_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_READ);
  }
  /* Arrays that are not images. */
  {
    g_autoptr(GError) error = NULL;

    write_npy_raw (path, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", 1, 2);
    g_assert_null (inc_image_load_npy (path, &error));
    g_assert_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_FORMAT);
    g_clear_error (&error);
    write_npy_raw (path, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 2, 3), }\n", 1, 0);
    g_assert_null (inc_image_load_npy (path, &error));
    g_assert_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_SIZE);
  }
}

static void
test_npy_mono (void)
{
  g_autofree char *path = tmp_path ("mono.npy");
  g_autoptr(IncImage) image = NULL;
  g_autoptr(GError) error = NULL;

  write_npy_raw (path, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", 1, 6);
  image = inc_image_load_npy (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (image->width, ==, 3);
  g_assert_cmpint (image->height, ==, 2);
  g_assert_cmpint (image->channels, ==, 1);
  g_assert_cmpfloat (image->data[4], ==, 4.0f);
}

/* --- the sample photo -------------------------------------------------- */

static void
test_sample_photo (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "data", "sample.jpg", NULL);
  g_autoptr(IncImage) image = NULL;
  g_autoptr(GError) error = NULL;
  double sum = 0, sum2 = 0;
  gsize n;

  image = inc_image_load (path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (MAX (image->width, image->height), ==, 500);
  n = (gsize) image->width * image->height * 3;
  for (gsize i = 0; i < n; i++)
    {
      sum += image->data[i];
      sum2 += image->data[i] * image->data[i];
    }
  /* A real photograph: neither flat nor clipped. */
  g_assert_cmpfloat (sqrt (sum2 / n - (sum / n) * (sum / n)), >, 0.2);
}

static void
remove_tree (const char *path)
{
  GStatBuf st;

  if (g_lstat (path, &st) == 0 && S_ISDIR (st.st_mode))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("test-image-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/image/roundtrip/png-exact", test_roundtrip_png);
  g_test_add_func ("/image/roundtrip/clamp", test_roundtrip_clamp);
  g_test_add_func ("/image/roundtrip/jpeg", test_roundtrip_jpeg);
  g_test_add_func ("/image/save/bad-format", test_save_bad_format);
  g_test_add_func ("/image/save/atomic", test_save_atomic);
  g_test_add_func ("/image/save/recipe-chunk", test_recipe_chunk);
  g_test_add_func ("/image/same-file", test_same_file);
  g_test_add_func ("/image/load/exif-orientation", test_exif_orientation);
  g_test_add_func ("/image/load/grey-png", test_grey_png);
  g_test_add_func ("/image/load/png-16bit", test_png16);
  g_test_add_func ("/image/load/alpha-over-white", test_alpha_png);
  g_test_add_func ("/image/load/cmyk-jpeg", test_cmyk_jpeg);
  g_test_add_func ("/image/load/progressive-jpeg", test_progressive_jpeg);
  g_test_add_func ("/image/load/tiff", test_tiff);
  g_test_add_func ("/image/load/truncated", test_truncated);
  g_test_add_func ("/image/load/corrupt-png", test_corrupt_png);
  g_test_add_func ("/image/load/corrupt-jpeg", test_corrupt_jpeg);
  g_test_add_func ("/image/load/not-an-image", test_not_an_image);
  g_test_add_func ("/image/load/zero-pixels", test_zero_pixels);
  g_test_add_func ("/image/load/max-side", test_max_side);
  g_test_add_func ("/image/load/max-dim", test_max_dim);
  g_test_add_func ("/image/load/sample-photo", test_sample_photo);
  g_test_add_func ("/image/mask/grey", test_mask_grey);
  g_test_add_func ("/image/mask/alpha-rule", test_mask_rule);
  g_test_add_func ("/image/mask/save", test_mask_save);
  g_test_add_func ("/image/resize/torch-reference", test_resize_reference);
  g_test_add_func ("/image/resize/constant", test_resize_constant);
  g_test_add_func ("/image/npy/roundtrip", test_npy_roundtrip);
  g_test_add_func ("/image/npy/image", test_npy_image);
  g_test_add_func ("/image/npy/mono", test_npy_mono);
  g_test_add_func ("/image/npy/bad", test_npy_bad);

  ret = g_test_run ();
  remove_tree (tmp_dir);
  g_free (tmp_dir);
  return ret;
}
