/* threads.c: work split into shares, one thread a share (the pipelines'
 * build and the weights' packing at start-up). */
#include "compute/threads.h"

guint
_inc_share_count (void)
{
  return CLAMP (g_get_num_processors (), 1, INC_MAX_SHARES);
}

void
_inc_run_shares (const char *name, GThreadFunc fn, gpointer shares, gsize size, guint n)
{
  GThread *threads[INC_MAX_SHARES] = { NULL };

  g_return_if_fail (n >= 1 && n <= INC_MAX_SHARES);
  for (guint k = 1; k < n; k++)
    threads[k] = g_thread_try_new (name, fn, (char *) shares + k * size, NULL);
  fn (shares);
  for (guint k = 1; k < n; k++)
    {
      if (threads[k] != NULL)
        g_thread_join (threads[k]);
      else
        fn ((char *) shares + k * size);
    }
}
