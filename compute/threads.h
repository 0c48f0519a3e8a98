/* threads.h: work split into shares, one thread a share. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The most threads a split uses, whatever the processor count. */
#define INC_MAX_SHARES 8

/* How many shares to split into: one per processor, up to INC_MAX_SHARES. */
guint _inc_share_count (void);

/* Runs fn on each of n shares (share k at (char *) shares + k * size),
 * share 0 on this thread and each other one on a thread named `name`;
 * a thread that cannot start leaves its share to this one. Returns when
 * every share is done. */
void  _inc_run_shares  (const char  *name,
                        GThreadFunc  fn,
                        gpointer     shares,
                        gsize        size,
                        guint        n);

G_END_DECLS
