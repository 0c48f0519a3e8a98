/* session.h: a studio session in one file, and the autosave.
 *
 * A session file (.incsession) holds the source image's path and its
 * pixels (so a moved or deleted photo loses nothing), the mask, the
 * recipe, the current result and the undo history as far as it is kept,
 * every image exactly (float32, compressed as in core/packed.h).
 *
 * Format: a 48-byte header ("INCSESS1", the payload's length as a
 * little-endian 64-bit number, the payload's SHA-256) and a GVariant
 * a{sv} payload with the keys "source-path" (s), "source", "mask",
 * "result" ((iiiay) packed images), "recipe" (s, JSON) and "history" (v).
 * A file that is cut short or damaged is refused as a whole.
 *
 * Files are written to a temporary name in the same folder, flushed to
 * disk and renamed over the target, so a crash or kill -9 at any moment
 * leaves the previous file or the new one, never a broken one. */
#pragma once

#include <gio/gio.h>
#include "core/history.h"
#include "core/image.h"
#include "core/recipe.h"

G_BEGIN_DECLS

#define INC_SESSION_ERROR (inc_session_error_quark ())
GQuark inc_session_error_quark (void);

typedef enum {
  INC_SESSION_ERROR_NOT_FOUND,
  INC_SESSION_ERROR_CORRUPT,   /* not a session file, cut short, damaged */
  INC_SESSION_ERROR_VERSION,   /* written by a newer version */
  INC_SESSION_ERROR_FAILED,    /* could not read or write */
} IncSessionError;

typedef struct {
  char       *source_path;  /* may be NULL */
  IncImage   *source;       /* 3 channels; required to save */
  IncImage   *mask;         /* 1 channel at the source's size, or NULL */
  IncRecipe  *recipe;       /* NULL: the default recipe */
  IncImage   *result;       /* the image shown, or NULL */
  IncHistory *history;      /* may be NULL */
} IncSession;

IncSession *inc_session_new   (void);
/* Copies the images and the recipe and shares the history's packed data:
 * a snapshot to save from a worker thread while the studio goes on. */
IncSession *inc_session_copy  (const IncSession *session);
void        inc_session_free  (IncSession *session);

/* The file's bytes (header and payload).  Packs the images (the history's
 * are already packed and only shared), which takes a while for large ones:
 * a studio takes an inc_session_copy on the main thread and serialises and
 * writes it (inc_session_autosave, inc_session_save) in a worker. */
GBytes     *inc_session_serialize   (const IncSession  *session,
                                     GError           **error);
IncSession *inc_session_deserialize (GBytes            *bytes,
                                     GError           **error);

/* Writes bytes to path atomically and durably (see above). */
gboolean    inc_session_write_bytes (GBytes            *bytes,
                                     const char        *path,
                                     GError           **error);

gboolean    inc_session_save   (const IncSession  *session,
                                const char        *path,
                                GError           **error);
IncSession *inc_session_load   (const char        *path,
                                GError           **error);

/* $XDG_STATE_HOME/inceptionist/autosave.incsession */
char       *inc_session_autosave_path    (void);
/* Whether an autosave is there to offer a restore (it is only checked to
 * be a session file of a size that matches its header). */
gboolean    inc_session_autosave_exists  (void);
gboolean    inc_session_autosave         (const IncSession  *session,
                                          GError           **error);
IncSession *inc_session_load_autosave    (GError           **error);
/* After a clean exit or a declined restore; no error if there was none. */
gboolean    inc_session_discard_autosave (GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IncSession, inc_session_free)

G_END_DECLS
