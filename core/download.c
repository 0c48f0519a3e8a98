/* download.c: one resumable, verified HTTP(S) download with libsoup 3. */
#include "core/download.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

G_DEFINE_QUARK (inc-download-error-quark, inc_download_error)

#define CHUNK (64 * 1024)

char *
inc_download_part_path (const char *dest)
{
  return g_strconcat (dest, ".part", NULL);
}

static goffset
file_size (const char *path)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    return 0;
  return (goffset) st.st_size;
}

static const char *
checksum_name (GChecksumType type)
{
  switch (type)
    {
    case G_CHECKSUM_MD5:
      return "md5";
    case G_CHECKSUM_SHA1:
      return "sha1";
    case G_CHECKSUM_SHA256:
      return "sha256";
    case G_CHECKSUM_SHA384:
      return "sha384";
    case G_CHECKSUM_SHA512:
      return "sha512";
    default:
      return "checksum";
    }
}

gboolean
inc_file_has_checksum (const char    *path,
                       GChecksumType  type,
                       const char    *expected,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_return_val_if_fail (path != NULL && expected != NULL, FALSE);

  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) in = g_file_read (file, cancellable, error);
  if (in == NULL)
    return FALSE;

  g_autoptr(GChecksum) sum = g_checksum_new (type);
  g_autofree guchar *buf = g_malloc (CHUNK);
  for (;;)
    {
      gssize n = g_input_stream_read (G_INPUT_STREAM (in), buf, CHUNK,
                                      cancellable, error);
      if (n < 0)
        return FALSE;
      if (n == 0)
        break;
      g_checksum_update (sum, buf, (gsize) n);
    }

  const char *actual = g_checksum_get_string (sum);
  if (g_ascii_strcasecmp (actual, expected) != 0)
    {
      g_autofree char *base = g_path_get_basename (path);
      g_set_error (error, INC_DOWNLOAD_ERROR, INC_DOWNLOAD_ERROR_CHECKSUM,
                   "%s has %s %s, expected %s", base, checksum_name (type),
                   actual, expected);
      return FALSE;
    }
  return TRUE;
}

/* Opens the .part file for appending, or empties it first. */
static GOutputStream *
open_part (const char *part,
           gboolean    append,
           GError    **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (part);
  g_autoptr(GError) local = NULL;

  if (!append && !g_file_delete (file, NULL, &local) &&
      !g_error_matches (local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  return G_OUTPUT_STREAM (g_file_append_to (file, G_FILE_CREATE_NONE, NULL,
                                            error));
}

static gboolean
http_error (GError     **error,
            SoupMessage *msg,
            const char  *url)
{
  guint status = soup_message_get_status (msg);
  const char *phrase = soup_message_get_reason_phrase (msg);

  g_set_error (error, INC_DOWNLOAD_ERROR, INC_DOWNLOAD_ERROR_HTTP,
               "%s: the server answered %u %s", url, status,
               phrase && *phrase ? phrase : soup_status_get_phrase (status));
  return FALSE;
}

/* One GET, continuing the .part file when the server allows it. Sets
 * *received to the bytes this attempt wrote. */
static gboolean
attempt (SoupSession              *session,
         const IncDownloadRequest *req,
         const char               *part,
         goffset                  *received,
         GCancellable             *cancellable,
         GError                  **error)
{
  goffset have = file_size (part);
  g_autoptr(GError) local = NULL;

  *received = 0;
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, req->url);
  if (msg == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "'%s' is not a valid URL", req->url);
      return FALSE;
    }
  SoupMessageHeaders *request_headers = soup_message_get_request_headers (msg);
  /* Byte ranges refer to the stored bytes: no transparent decompression. */
  soup_message_headers_replace (request_headers, "Accept-Encoding", "identity");
  if (have > 0)
    soup_message_headers_set_range (request_headers, have, -1);

  g_autoptr(GInputStream) body = soup_session_send (session, msg, cancellable,
                                                    &local);
  if (body == NULL)
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local));
      else
        g_propagate_prefixed_error (error, g_steal_pointer (&local), "%s: ",
                                    req->url);
      return FALSE;
    }

  guint status = soup_message_get_status (msg);
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  gboolean append = FALSE;

  if (status == SOUP_STATUS_PARTIAL_CONTENT && have > 0)
    {
      goffset start = -1, end = -1, total = -1;
      if (!soup_message_headers_get_content_range (headers, &start, &end,
                                                   &total) || start != have)
        {
          /* A range we did not ask for: start over next time. */
          g_unlink (part);
          g_set_error (error, INC_DOWNLOAD_ERROR, INC_DOWNLOAD_ERROR_HTTP,
                       "%s: the server resumed at the wrong offset", req->url);
          return FALSE;
        }
      append = TRUE;
    }
  else if (status == SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE && have > 0)
    {
      /* The .part already holds everything the server has; the checksum
       * decides whether that is the file. Without one, fetch it anew. */
      if (req->checksum != NULL)
        return TRUE;
      g_unlink (part);
      return http_error (error, msg, req->url);
    }
  else if (!SOUP_STATUS_IS_SUCCESSFUL (status) ||
           status == SOUP_STATUS_PARTIAL_CONTENT)
    return http_error (error, msg, req->url);
  else
    have = 0;

  goffset length = -1;
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    length = soup_message_headers_get_content_length (headers);
  goffset total = length >= 0 ? have + length : -1;

  g_autoptr(GOutputStream) out = open_part (part, append, error);
  if (out == NULL)
    {
      g_prefix_error (error, "cannot write %s: ", part);
      return FALSE;
    }

  g_autofree guchar *buf = g_malloc (CHUNK);
  goffset got = have;
  gboolean read_failed = FALSE, write_failed = FALSE;
  if (req->progress)
    req->progress (got, total, req->progress_data);
  for (;;)
    {
      gssize n = g_input_stream_read (body, buf, CHUNK, cancellable, &local);
      if (n == 0)
        break;
      if (n < 0)
        {
          read_failed = TRUE;
          break;
        }
      if (!g_output_stream_write_all (out, buf, (gsize) n, NULL, NULL, &local))
        {
          write_failed = TRUE;
          break;
        }
      got += n;
      *received += n;
      if (req->progress)
        req->progress (got, total, req->progress_data);
    }

  /* Whatever arrived is kept for the next attempt, even on failure. */
  if (!g_output_stream_close (out, NULL, local ? NULL : &local))
    write_failed = TRUE;
  if (write_failed)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local),
                                  "cannot write %s: ", part);
      return FALSE;
    }
  if (read_failed)
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      g_autofree char *of = total >= 0
        ? g_strdup_printf (" of %" G_GOFFSET_FORMAT, total) : g_strdup ("");
      g_set_error (error, INC_DOWNLOAD_ERROR, INC_DOWNLOAD_ERROR_TRUNCATED,
                   "%s: the connection ended after %" G_GOFFSET_FORMAT
                   "%s bytes (%s)", req->url, got, of, local->message);
      return FALSE;
    }
  if (total >= 0 && got != total)
    {
      g_set_error (error, INC_DOWNLOAD_ERROR, INC_DOWNLOAD_ERROR_TRUNCATED,
                   "%s: the connection ended after %" G_GOFFSET_FORMAT
                   " of %" G_GOFFSET_FORMAT " bytes", req->url, got, total);
      return FALSE;
    }
  return TRUE;
}

gboolean
inc_download_file (const IncDownloadRequest *req,
                   GCancellable             *cancellable,
                   GError                  **error)
{
  g_return_val_if_fail (req != NULL && req->url != NULL && req->dest != NULL,
                        FALSE);

  g_autofree char *part = inc_download_part_path (req->dest);
  g_autofree char *dir = g_path_get_dirname (req->dest);
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved = errno;
      g_set_error (error, INC_DOWNLOAD_ERROR, INC_DOWNLOAD_ERROR_IO,
                   "cannot create %s: %s", dir, g_strerror (saved));
      return FALSE;
    }

  g_autoptr(SoupSession) session = soup_session_new ();
  soup_session_set_user_agent (session, "inceptionist ");
  soup_session_set_timeout (session, 60);
  soup_session_remove_feature_by_type (session, SOUP_TYPE_CONTENT_DECODER);

  for (guint i = 0;; i++)
    {
      g_autoptr(GError) local = NULL;
      goffset received = 0;

      if (attempt (session, req, part, &received, cancellable, &local))
        break;
      /* Resume right away only after a drop that still made progress. */
      if (i < req->retries && received > 0 &&
          g_error_matches (local, INC_DOWNLOAD_ERROR,
                           INC_DOWNLOAD_ERROR_TRUNCATED))
        continue;
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }

  g_autoptr(GError) check_error = NULL;
  if (req->checksum != NULL &&
      !inc_file_has_checksum (part, req->checksum_type, req->checksum,
                              cancellable, &check_error))
    {
      /* A wrong file is no base to resume from. */
      if (g_error_matches (check_error, INC_DOWNLOAD_ERROR,
                           INC_DOWNLOAD_ERROR_CHECKSUM))
        g_unlink (part);
      g_propagate_error (error, g_steal_pointer (&check_error));
      return FALSE;
    }

  if (g_rename (part, req->dest) != 0)
    {
      int saved = errno;
      g_set_error (error, INC_DOWNLOAD_ERROR, INC_DOWNLOAD_ERROR_IO,
                   "cannot rename %s: %s", part, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}
