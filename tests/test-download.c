/* test-download.c: the downloader against a real HTTP server on loopback.
 *
 * A SoupServer runs in its own thread and main context on 127.0.0.1 (a port
 * the kernel picks). Its paths:
 *   /file       the content, with Range support (206 + Content-Range)
 *   /drop-once  the first request gets half the body, then the connection
 *               is closed; later requests behave like /file
 *   /truncated  claims the whole length but sends half, on every request
 *   /missing    404
 * The server records every request's Range header.
 */
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

#include "core/download.h"
#include "core/model-fetch.h"

#define CONTENT_SIZE (1024 * 1024 + 37)

typedef struct {
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  SoupServer   *server;
  char         *base_url;
  GBytes       *content;
  GMutex        lock;
  GPtrArray    *ranges;        /* Range header of each request, "" if none */
  gboolean      dropped;       /* /drop-once already dropped one */
  GCond         ready;
} Server;

static Server server;
static char *tmpdir;

/* Writes a raw HTTP response head and part of the body, then hangs up. */
static void
hang_up_after (SoupServerMessage *msg,
               const char        *status_line,
               const char        *extra_headers,
               goffset            claimed_length,
               const guint8      *data,
               gsize              n)
{
  g_autoptr(GIOStream) io = soup_server_message_steal_connection (msg);
  GOutputStream *out = g_io_stream_get_output_stream (io);
  g_autofree char *head = g_strdup_printf (
    "HTTP/1.1 %s\r\nContent-Type: application/octet-stream\r\n"
    "Content-Length: %" G_GOFFSET_FORMAT "\r\n%sConnection: close\r\n\r\n",
    status_line, claimed_length, extra_headers);

  g_output_stream_write_all (out, head, strlen (head), NULL, NULL, NULL);
  if (n > 0)
    g_output_stream_write_all (out, data, n, NULL, NULL, NULL);
  g_output_stream_flush (out, NULL, NULL);
  g_io_stream_close (io, NULL, NULL);
}

static void
serve_range (SoupServerMessage *msg,
             const guint8      *data,
             gsize              size)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  SoupRange *ranges = NULL;
  int n_ranges = 0;

  soup_message_headers_set_content_type (resp, "application/octet-stream",
                                         NULL);
  if (soup_message_headers_get_one (req, "Range") == NULL)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_message_body_append (soup_server_message_get_response_body (msg),
                                SOUP_MEMORY_COPY, data, size);
      return;
    }
  if (!soup_message_headers_get_ranges (req, (goffset) size, &ranges,
                                        &n_ranges) || n_ranges != 1)
    {
      g_autofree char *cr = g_strdup_printf ("bytes */%zu", size);
      soup_message_headers_replace (resp, "Content-Range", cr);
      soup_server_message_set_status (msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE,
                                      NULL);
      if (ranges)
        soup_message_headers_free_ranges (req, ranges);
      return;
    }
  goffset start = ranges[0].start, end = ranges[0].end;
  soup_message_headers_free_ranges (req, ranges);
  /* Stop libsoup from applying the Range a second time. */
  soup_message_headers_remove (req, "Range");
  soup_message_headers_set_content_range (resp, start, end, (goffset) size);
  soup_server_message_set_status (msg, SOUP_STATUS_PARTIAL_CONTENT, NULL);
  soup_message_body_append (soup_server_message_get_response_body (msg),
                            SOUP_MEMORY_COPY, data + start,
                            (gsize) (end - start + 1));
}

static void
handler (SoupServer        *soup_server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           user_data)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (server.content, &size);
  const char *range = soup_message_headers_get_one (
    soup_server_message_get_request_headers (msg), "Range");
  gboolean drop = FALSE;

  g_mutex_lock (&server.lock);
  g_ptr_array_add (server.ranges, g_strdup (range ? range : ""));
  if (g_str_equal (path, "/drop-once") && !server.dropped)
    drop = server.dropped = TRUE;
  g_mutex_unlock (&server.lock);

  if (drop)
    hang_up_after (msg, "200 OK", "", (goffset) size, data, size / 2);
  else if (g_str_equal (path, "/file") || g_str_equal (path, "/drop-once"))
    serve_range (msg, data, size);
  else if (g_str_equal (path, "/truncated") && range == NULL)
    hang_up_after (msg, "200 OK", "", (goffset) size, data, size / 2);
  else if (g_str_equal (path, "/truncated"))
    {
      /* Agree to resume, then send nothing. */
      g_autofree char *cr = g_strdup_printf ("Content-Range: bytes %zu-%zu/%zu\r\n",
                                             size / 2, size - 1, size);
      hang_up_after (msg, "206 Partial Content", cr,
                     (goffset) (size - size / 2), NULL, 0);
    }
  else
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

static gpointer
server_thread (gpointer data)
{
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (server.context);
  server.server = soup_server_new ("server-header", "inceptionist-test ", NULL);
  soup_server_add_handler (server.server, NULL, handler, NULL, NULL);
  if (!soup_server_listen_local (server.server, 0,
                                 SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    g_error ("cannot listen on loopback: %s", error->message);

  GSList *uris = soup_server_get_uris (server.server);
  g_assert_nonnull (uris);
  g_mutex_lock (&server.lock);
  server.base_url = g_uri_to_string (uris->data);
  /* No trailing slash: paths are appended as "/name". */
  if (g_str_has_suffix (server.base_url, "/"))
    server.base_url[strlen (server.base_url) - 1] = '\0';
  g_cond_signal (&server.ready);
  g_mutex_unlock (&server.lock);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_main_loop_run (server.loop);
  soup_server_disconnect (server.server);
  g_clear_object (&server.server);
  g_main_context_pop_thread_default (server.context);
  return NULL;
}

static void
server_start (void)
{
  GRand *rand = g_rand_new_with_seed (7);
  guint8 *data = g_malloc (CONTENT_SIZE);
  for (gsize i = 0; i < CONTENT_SIZE; i++)
    data[i] = (guint8) g_rand_int (rand);
  g_rand_free (rand);
  server.content = g_bytes_new_take (data, CONTENT_SIZE);
  server.ranges = g_ptr_array_new_with_free_func (g_free);
  server.context = g_main_context_new ();
  server.loop = g_main_loop_new (server.context, FALSE);
  g_mutex_init (&server.lock);
  g_cond_init (&server.ready);

  g_mutex_lock (&server.lock);
  server.thread = g_thread_new ("http-server", server_thread, NULL);
  while (server.base_url == NULL)
    g_cond_wait (&server.ready, &server.lock);
  g_mutex_unlock (&server.lock);
  g_assert_true (g_str_has_prefix (server.base_url, "http://127.0.0.1:"));
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (server.loop);
  return G_SOURCE_REMOVE;
}

static void
server_stop (void)
{
  g_main_context_invoke (server.context, quit_loop, NULL);
  g_thread_join (server.thread);
  g_main_loop_unref (server.loop);
  g_main_context_unref (server.context);
  g_ptr_array_unref (server.ranges);
  g_bytes_unref (server.content);
  g_free (server.base_url);
}

/* Range headers seen so far, and forget them. */
static GPtrArray *
take_ranges (void)
{
  g_mutex_lock (&server.lock);
  GPtrArray *seen = server.ranges;
  server.ranges = g_ptr_array_new_with_free_func (g_free);
  server.dropped = FALSE;
  g_mutex_unlock (&server.lock);
  return seen;
}

static char *
content_sha256 (void)
{
  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, server.content);
}

static char *
url_for (const char *path)
{
  return g_strconcat (server.base_url, path, NULL);
}

static char *
fresh_dest (const char *name)
{
  char *dest = g_build_filename (tmpdir, name, NULL);
  g_autofree char *part = inc_download_part_path (dest);
  g_unlink (dest);
  g_unlink (part);
  take_ranges ();
  return dest;
}

static void
assert_content (const char *path)
{
  g_autofree char *data = NULL;
  gsize len;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_get_contents (path, &data, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (len, ==, g_bytes_get_size (server.content));
  g_assert_true (memcmp (data, g_bytes_get_data (server.content, NULL), len) == 0);
}

static goffset
size_of (const char *path)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    return -1;
  return (goffset) st.st_size;
}

typedef struct {
  guint    calls;
  goffset  last;
  goffset  total;
  gboolean monotonic;
} Progress;

static void
record_progress (goffset  received,
                 goffset  total,
                 gpointer user_data)
{
  Progress *p = user_data;

  if (p->calls > 0 && received < p->last)
    p->monotonic = FALSE;
  p->calls++;
  p->last = received;
  p->total = total;
}

static void
test_full (void)
{
  g_autofree char *dest = fresh_dest ("full.bin");
  g_autofree char *url = url_for ("/file");
  g_autofree char *sum = content_sha256 ();
  g_autofree char *part = inc_download_part_path (dest);
  g_autoptr(GError) error = NULL;
  Progress progress = { .monotonic = TRUE };
  IncDownloadRequest req = {
    .url = url, .dest = dest,
    .checksum_type = G_CHECKSUM_SHA256, .checksum = sum,
    .progress = record_progress, .progress_data = &progress,
  };

  g_assert_true (inc_download_file (&req, NULL, &error));
  g_assert_no_error (error);
  assert_content (dest);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  g_assert_true (progress.monotonic);
  g_assert_cmpint (progress.last, ==, CONTENT_SIZE);
  g_assert_cmpint (progress.total, ==, CONTENT_SIZE);

  g_autoptr(GPtrArray) ranges = take_ranges ();
  g_assert_cmpuint (ranges->len, ==, 1);
  g_assert_cmpstr (ranges->pdata[0], ==, "");
}

/* The first call loses the connection half-way and keeps the .part; the
 * second asks only for the rest. */
static void
test_resume_later (void)
{
  g_autofree char *dest = fresh_dest ("resume.bin");
  g_autofree char *url = url_for ("/drop-once");
  g_autofree char *sum = content_sha256 ();
  g_autofree char *part = inc_download_part_path (dest);
  g_autoptr(GError) error = NULL;
  IncDownloadRequest req = {
    .url = url, .dest = dest,
    .checksum_type = G_CHECKSUM_SHA256, .checksum = sum,
  };

  g_assert_false (inc_download_file (&req, NULL, &error));
  g_assert_error (error, INC_DOWNLOAD_ERROR, INC_DOWNLOAD_ERROR_TRUNCATED);
  g_assert_false (g_file_test (dest, G_FILE_TEST_EXISTS));
  g_assert_cmpint (size_of (part), ==, CONTENT_SIZE / 2);
  g_clear_error (&error);

  g_assert_true (inc_download_file (&req, NULL, &error));
  g_assert_no_error (error);
  assert_content (dest);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));

  g_autoptr(GPtrArray) ranges = take_ranges ();
  g_autofree char *expected = g_strdup_printf ("bytes=%d-", CONTENT_SIZE / 2);
  g_assert_cmpuint (ranges->len, ==, 2);
  g_assert_cmpstr (ranges->pdata[0], ==, "");
  g_assert_cmpstr (ranges->pdata[1], ==, expected);
}

/* With retries, one call resumes by itself. */
static void
test_resume_retry (void)
{
  g_autofree char *dest = fresh_dest ("retry.bin");
  g_autofree char *url = url_for ("/drop-once");
  g_autofree char *sum = content_sha256 ();
  g_autoptr(GError) error = NULL;
  Progress progress = { .monotonic = TRUE };
  IncDownloadRequest req = {
    .url = url, .dest = dest, .retries = 2,
    .checksum_type = G_CHECKSUM_SHA256, .checksum = sum,
    .progress = record_progress, .progress_data = &progress,
  };

  g_assert_true (inc_download_file (&req, NULL, &error));
  g_assert_no_error (error);
  assert_content (dest);
  g_assert_true (progress.monotonic);
  g_assert_cmpint (progress.last, ==, CONTENT_SIZE);

  g_autoptr(GPtrArray) ranges = take_ranges ();
  g_autofree char *expected = g_strdup_printf ("bytes=%d-", CONTENT_SIZE / 2);
  g_assert_cmpuint (ranges->len, ==, 2);
  g_assert_cmpstr (ranges->pdata[1], ==, expected);
}

/* A body shorter than its Content-Length is refused, even with retries
 * (the resumed request makes no progress), and never installed. */
static void
test_truncated (void)
{
  g_autofree char *dest = fresh_dest ("truncated.bin");
  g_autofree char *url = url_for ("/truncated");
  g_autoptr(GError) error = NULL;
  IncDownloadRequest req = { .url = url, .dest = dest };

  g_assert_false (inc_download_file (&req, NULL, &error));
  g_assert_error (error, INC_DOWNLOAD_ERROR, INC_DOWNLOAD_ERROR_TRUNCATED);
  g_assert_false (g_file_test (dest, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  req.retries = 3;
  g_assert_false (inc_download_file (&req, NULL, &error));
  g_assert_error (error, INC_DOWNLOAD_ERROR, INC_DOWNLOAD_ERROR_TRUNCATED);
  g_assert_false (g_file_test (dest, G_FILE_TEST_EXISTS));
  g_autoptr(GPtrArray) ranges = take_ranges ();
  g_assert_cmpuint (ranges->len, ==, 2);
}

static void
test_wrong_hash (void)
{
  g_autofree char *dest = fresh_dest ("wrong.bin");
  g_autofree char *url = url_for ("/file");
  g_autofree char *part = inc_download_part_path (dest);
  g_autofree char *sum = content_sha256 ();
  g_autoptr(GError) error = NULL;

  /* The right hash with its last digit changed. */
  sum[63] = sum[63] == '0' ? '1' : '0';
  IncDownloadRequest req = {
    .url = url, .dest = dest,
    .checksum_type = G_CHECKSUM_SHA256, .checksum = sum,
  };
  g_assert_false (inc_download_file (&req, NULL, &error));
  g_assert_error (error, INC_DOWNLOAD_ERROR, INC_DOWNLOAD_ERROR_CHECKSUM);
  g_assert_false (g_file_test (dest, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  take_ranges ();
}

static void
cancel_on_first_bytes (goffset  received,
                       goffset  total,
                       gpointer user_data)
{
  if (received > 0)
    g_cancellable_cancel (user_data);
}

static void
test_cancel (void)
{
  g_autofree char *dest = fresh_dest ("cancel.bin");
  g_autofree char *url = url_for ("/file");
  g_autofree char *sum = content_sha256 ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  IncDownloadRequest req = {
    .url = url, .dest = dest,
    .checksum_type = G_CHECKSUM_SHA256, .checksum = sum,
    .progress = cancel_on_first_bytes, .progress_data = cancellable,
  };

  g_assert_false (inc_download_file (&req, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (g_file_test (dest, G_FILE_TEST_EXISTS));
  take_ranges ();
}

static void
test_http_error (void)
{
  g_autofree char *dest = fresh_dest ("missing.bin");
  g_autofree char *url = url_for ("/missing");
  g_autofree char *part = inc_download_part_path (dest);
  g_autoptr(GError) error = NULL;
  IncDownloadRequest req = { .url = url, .dest = dest };

  g_assert_false (inc_download_file (&req, NULL, &error));
  g_assert_error (error, INC_DOWNLOAD_ERROR, INC_DOWNLOAD_ERROR_HTTP);
  g_assert_nonnull (strstr (error->message, "404"));
  g_assert_false (g_file_test (dest, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  take_ranges ();
}


/* A mirror serving the wrong bytes: the pinned sha512 refuses them and no
 * model, no tarball and no .part remain. */
static void
test_fetch_wrong_tarball (void)
{
  g_autofree char *url = url_for ("/file");
  g_autofree char *cache = g_build_filename (tmpdir, "cache", NULL);
  g_autofree char *output = g_build_filename (tmpdir, "models", "m.incmodel",
                                              NULL);
  g_autofree char *tarball = g_build_filename (cache, "nsfwjs-4.4.0.tgz", NULL);
  g_autofree char *part = inc_download_part_path (tarball);
  g_autoptr(GError) error = NULL;
  IncModelFetchRequest req = {
    .source = INC_MODEL_SOURCE_NPM, .url = url, .output = output,
    .cache_dir = cache,
  };

  g_autofree char *written = inc_model_fetch (&req, NULL, &error);
  g_assert_null (written);
  g_assert_error (error, INC_DOWNLOAD_ERROR, INC_DOWNLOAD_ERROR_CHECKSUM);
  g_assert_nonnull (strstr (error->message, "sha512"));
  g_assert_false (g_file_test (output, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (tarball, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  g_rmdir (cache);
  take_ranges ();
}

static void
test_checksum_file (void)
{
  g_autofree char *path = g_build_filename (tmpdir, "abc.txt", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, "abc", 3, &error));
  /* FIPS 180-2 test vector for "abc". */
  g_assert_true (inc_file_has_checksum (path, G_CHECKSUM_SHA256,
    "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
    NULL, &error));
  g_assert_no_error (error);
  g_assert_false (inc_file_has_checksum (path, G_CHECKSUM_MD5,
    "00000000000000000000000000000000", NULL, &error));
  g_assert_error (error, INC_DOWNLOAD_ERROR, INC_DOWNLOAD_ERROR_CHECKSUM);
  g_unlink (path);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  /* Loopback only: never a proxy from the environment. */
  g_setenv ("no_proxy", "*", TRUE);
  g_unsetenv ("http_proxy");
  g_unsetenv ("HTTP_PROXY");

  tmpdir = g_dir_make_tmp ("inc-download-XXXXXX", NULL);
  g_assert_nonnull (tmpdir);
  server_start ();

  g_test_add_func ("/download/full", test_full);
  g_test_add_func ("/download/resume/later", test_resume_later);
  g_test_add_func ("/download/resume/retry", test_resume_retry);
  g_test_add_func ("/download/truncated", test_truncated);
  g_test_add_func ("/download/wrong-hash", test_wrong_hash);
  g_test_add_func ("/download/cancel", test_cancel);
  g_test_add_func ("/download/http-error", test_http_error);
  g_test_add_func ("/download/checksum-file", test_checksum_file);
  g_test_add_func ("/download/fetch/wrong-tarball", test_fetch_wrong_tarball);

  int ret = g_test_run ();

  server_stop ();
  g_autoptr(GDir) dir = g_dir_open (tmpdir, 0, NULL);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (tmpdir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (tmpdir);
  g_free (tmpdir);
  return ret;
}
