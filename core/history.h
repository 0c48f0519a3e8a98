/* history.h: undo and redo for the studio's image (dream runs, resets) and
 * mask (strokes, invert, clear, fill), in bounded memory.
 *
 * The history is a list of edits and a cursor.  An image edit keeps the
 * image after it; the image before it is the previous image edit's, or the
 * base (the image the history started from).  A mask edit keeps the
 * rectangle it changed, before and after.  Everything is stored exactly
 * (float32 bit for bit) and compressed (core/packed.h), so undo and redo
 * give back the very floats that were pushed.
 *
 * Memory bound: the bytes held (compressed data and bookkeeping, reported
 * by inc_history_get_bytes) stay within the budget (default
 * INC_HISTORY_DEFAULT_BUDGET, 256 MiB); pushing past it drops the oldest
 * edits (an image edit that is dropped becomes the new base).  The newest
 * edit and the base are always kept, so one state larger than the budget
 * on its own is the only way to exceed it.
 *
 * Not thread-safe: use it from one thread (the packing can be done in a
 * worker with inc_packed_new and handed over with inc_history_push_packed;
 * a copy can go to another thread). */
#pragma once

#include <glib.h>
#include "core/image.h"
#include "core/mask-brush.h"
#include "core/packed.h"

G_BEGIN_DECLS

#define INC_HISTORY_DEFAULT_BUDGET ((gsize) 256 * 1024 * 1024)

typedef enum {
  INC_HISTORY_IMAGE,
  INC_HISTORY_MASK,
} IncHistoryKind;

/* What an undo or redo changed. */
typedef struct {
  IncHistoryKind  kind;
  IncImage       *image;   /* IMAGE: the image to show now (caller frees) */
  IncRect         rect;    /* MASK: the pixels of the mask written */
  const char     *label;   /* of the edit undone or redone */
} IncHistoryChange;

void inc_history_change_clear (IncHistoryChange *change);

typedef struct _IncHistory IncHistory;

/* budget 0: INC_HISTORY_DEFAULT_BUDGET. */
IncHistory *inc_history_new          (gsize             budget);
/* A copy that shares the packed data (cheap: no pixels are copied), e.g.
 * to save a session from a worker thread while the studio goes on. */
IncHistory *inc_history_copy         (IncHistory       *history);
void        inc_history_free         (IncHistory       *history);

/* Forgets every edit and starts over from image (e.g. a newly opened
 * photo); NULL: no base until the first image edit. */
void        inc_history_set_base     (IncHistory       *history,
                                      const IncImage   *image);
/* Records the image as it is after an edit; the edits that could have
 * been redone are dropped.  Without a base, the first image becomes the
 * base and there is nothing to undo. */
void        inc_history_push_image   (IncHistory       *history,
                                      const IncImage   *image,
                                      const char       *label);
void        inc_history_push_packed  (IncHistory       *history,
                                      IncPacked        *image,
                                      const char       *label);
/* Records a mask edit that changed rect (before: the whole mask as it was,
 * after: as it is).  An empty rect records nothing and returns FALSE. */
gboolean    inc_history_push_mask    (IncHistory       *history,
                                      const IncImage   *before,
                                      const IncImage   *after,
                                      const IncRect    *rect,
                                      const char       *label);

gboolean    inc_history_can_undo     (IncHistory       *history);
gboolean    inc_history_can_redo     (IncHistory       *history);
/* Labels of the edit the next undo or redo acts on; NULL if none. */
const char *inc_history_undo_label   (IncHistory       *history);
const char *inc_history_redo_label   (IncHistory       *history);

/* Undoes the last edit.  A mask edit is written into mask (which must
 * have the edit's size); an image edit gives change->image.  FALSE with an
 * error if there is nothing to undo or the mask does not fit; the cursor
 * then stays. */
gboolean    inc_history_undo         (IncHistory       *history,
                                      IncImage         *mask,
                                      IncHistoryChange *change,
                                      GError          **error);
gboolean    inc_history_redo         (IncHistory       *history,
                                      IncImage         *mask,
                                      IncHistoryChange *change,
                                      GError          **error);

/* The image at the cursor (the latest image edit at or before it, or the
 * base); NULL if there is none. */
IncImage   *inc_history_current_image (IncHistory      *history,
                                       GError         **error);

gsize       inc_history_get_bytes    (IncHistory       *history);
gsize       inc_history_get_budget   (IncHistory       *history);
/* Drops edits at once if the new budget is smaller. */
void        inc_history_set_budget   (IncHistory       *history,
                                      gsize             budget);
guint       inc_history_get_n_edits  (IncHistory       *history);
guint       inc_history_get_position (IncHistory       *history);  /* edits done */

/* The whole history as a GVariant (data shared, not copied), for session
 * files, and back; the budget is not stored. */
GVariant   *inc_history_to_variant   (IncHistory       *history);
IncHistory *inc_history_from_variant (GVariant         *variant,
                                      gsize             budget,
                                      GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (IncHistory, inc_history_free)

G_END_DECLS
