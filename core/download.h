/* download.h: fetching one file over HTTP(S), resumably and verified.
 *
 * The bytes go to "<dest>.part" first. A later call for the same dest asks
 * the server only for what is missing (a Range request), so an interrupted
 * download resumes where it stopped. The final name appears only after the
 * whole file matched the expected checksum; a file that fails the check is
 * deleted, so nothing unverified is ever left under the final name.
 *
 * The call is synchronous: run it in a worker thread (GTask) from a UI.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define INC_DOWNLOAD_ERROR (inc_download_error_quark ())
GQuark inc_download_error_quark (void);

typedef enum {
  INC_DOWNLOAD_ERROR_HTTP,        /* the server answered with an error status */
  INC_DOWNLOAD_ERROR_TRUNCATED,   /* the connection ended before the body did */
  INC_DOWNLOAD_ERROR_CHECKSUM,    /* the file is complete but its hash is wrong */
  INC_DOWNLOAD_ERROR_IO,          /* the local file could not be written */
} IncDownloadError;

/* received and total are byte counts of the whole file (total -1: unknown);
 * called from the downloading thread. */
typedef void (*IncDownloadProgress) (goffset  received,
                                     goffset  total,
                                     gpointer user_data);

typedef struct {
  const char          *url;
  const char          *dest;            /* final path */
  GChecksumType        checksum_type;
  const char          *checksum;        /* hex, any case; NULL: no check */
  guint                retries;         /* automatic resumes after a drop */
  IncDownloadProgress  progress;
  gpointer             progress_data;
} IncDownloadRequest;

/* Downloads req->url to req->dest. On failure the partial data stays in
 * "<dest>.part" (except after a checksum mismatch, when it is deleted) and
 * req->dest is untouched. A cancelled call returns G_IO_ERROR_CANCELLED. */
gboolean inc_download_file     (const IncDownloadRequest *req,
                                GCancellable             *cancellable,
                                GError                  **error);

/* Whether the file at path has this checksum (hex, any case). */
gboolean inc_file_has_checksum (const char               *path,
                                GChecksumType             type,
                                const char               *expected,
                                GCancellable             *cancellable,
                                GError                  **error);

/* "<dest>.part" */
char    *inc_download_part_path (const char              *dest);

G_END_DECLS
