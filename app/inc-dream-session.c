/* inc-dream-session.c: the live dream's threads.
 *
 * A run is one g_task_run_in_thread that steps an IncDream until it is
 * paused, finished or fails. The dream object belongs to the session while
 * idle and is lent to the run while it lasts. Between steps the worker
 * picks up the newest recipe (under the run's mutex). Every N steps it
 * renders a frame and leaves it in a one-frame mailbox; a single idle
 * callback takes whatever is newest, so a slow main loop drops stale frames
 * instead of queueing them. The main thread never waits on the worker. */
#include "app/inc-dream-session.h"

#include <string.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "app/inc-image-rgba.h"
#include "compute/dream-gradient.h"
#include "compute/engine.h"
#include "core/model.h"

typedef struct {
  IncDevice         *device;
  IncModel          *model;
  IncNetwork        *network;
  IncGradientSource *gradients;
  char              *device_name;
} Engine;

typedef struct {
  IncImage *image;
  GBytes   *rgba;
} Frame;

typedef struct {
  gatomicrefcount   ref_count;
  IncDreamSession  *session;     /* strong */
  guint             generation;
  GCancellable     *cancellable;
  int               max_steps;   /* 0: until finished or paused */
  IncDream         *dream;       /* lent by the session, or made here */
  IncImage         *source;      /* for a new dream */
  IncImage         *mask;        /* for a new dream; NULL: everywhere */
  IncRecipe        *recipe;      /* the worker's latest */
  IncGradientSource *gradients;  /* the session's; outlives the run */
  gboolean          finished;    /* set by the worker before returning */

  GMutex            lock;        /* guards what follows */
  IncRecipe        *pending_recipe;
  gboolean          mask_changed;
  IncImage         *pending_mask;
  int               preview_interval;
  Frame            *pending_frame;
  IncDreamProgress  pending_progress;
  gboolean          have_progress;
  gboolean          idle_queued;
} Run;

struct _IncDreamSession
{
  GObject           parent_instance;

  Engine           *engine;
  GCancellable     *engine_cancellable;

  IncImage         *source;
  IncDream         *dream;       /* NULL while lent to a run */
  IncRecipe        *recipe;
  IncImage         *mask;        /* NULL: dream everywhere */
  gboolean          lent;        /* the gradients are out on a job */
  int               preview_interval;
  /* The dream is over (finished or lost with its device): the next start
   * dreams on from the current image. */
  gboolean          restart_from_current;
  gboolean          finished;

  Run              *run;
  /* A prepare task has the engine (see maybe_prepare); Dream pressed
   * meanwhile waits for it, and an engine loaded meanwhile is swapped in
   * after it. */
  gboolean          preparing;
  char             *prepared_for;  /* prepare_key of the last one */
  gboolean          shut_down;     /* the window is closing: no more */
  gboolean          start_pending;
  int               start_max_steps;
  Engine           *pending_engine;
  guint             generation;  /* bumped by reset and new sources */
  gboolean          resume_after_stop;

  Frame            *current;
  IncDreamProgress  progress;
};

G_DEFINE_FINAL_TYPE (IncDreamSession, inc_dream_session, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  FRAME,
  PROGRESS,
  STOPPED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean start_run (IncDreamSession *self, int max_steps, GError **error);
static void maybe_prepare (IncDreamSession *self);

/* Dreaming is background work: on a machine whose CPU is also the GPU
 * (lavapipe), the UI's own rendering threads must win. Threads inherit the
 * value, so the driver's threads, made while the engine loads here, do too. */
static void
lower_thread_priority (void)
{
#ifdef __linux__
  if (getpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid)) < 10)
    setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), 10);
#endif
}

static void
engine_free (Engine *engine)
{
  if (engine == NULL)
    return;
  g_clear_pointer (&engine->gradients, inc_gradient_source_free);
  g_clear_pointer (&engine->network, inc_network_free);
  g_clear_pointer (&engine->model, inc_model_free);
  g_clear_pointer (&engine->device, inc_device_free);
  g_free (engine->device_name);
  g_free (engine);
}

static void
frame_free (Frame *frame)
{
  if (frame == NULL)
    return;
  g_clear_pointer (&frame->image, inc_image_free);
  g_clear_pointer (&frame->rgba, g_bytes_unref);
  g_free (frame);
}

static Frame *
frame_new (IncImage *image)
{
  Frame *frame = g_new0 (Frame, 1);

  frame->image = image;
  frame->rgba = _inc_image_to_rgba8 (image);
  return frame;
}

static Run *
run_ref (Run *run)
{
  g_atomic_ref_count_inc (&run->ref_count);
  return run;
}

static void
run_unref (Run *run)
{
  if (!g_atomic_ref_count_dec (&run->ref_count))
    return;
  g_clear_pointer (&run->dream, inc_dream_free);
  g_clear_pointer (&run->source, inc_image_free);
  g_clear_pointer (&run->mask, inc_image_free);
  g_clear_pointer (&run->pending_mask, inc_image_free);
  g_clear_pointer (&run->recipe, inc_recipe_free);
  g_clear_pointer (&run->pending_recipe, inc_recipe_free);
  g_clear_pointer (&run->pending_frame, frame_free);
  g_clear_object (&run->cancellable);
  g_clear_object (&run->session);
  g_mutex_clear (&run->lock);
  g_free (run);
}

/* Main thread: hands whatever the worker left in the mailbox to the UI. */
static void
deliver (Run *run)
{
  IncDreamSession *self = run->session;
  Frame *frame;
  IncDreamProgress progress;
  gboolean have_progress;

  g_mutex_lock (&run->lock);
  frame = g_steal_pointer (&run->pending_frame);
  progress = run->pending_progress;
  have_progress = run->have_progress;
  run->have_progress = FALSE;
  run->idle_queued = FALSE;
  g_mutex_unlock (&run->lock);

  /* A reset or a new image since the frame was made: it is stale. */
  if (run->generation != self->generation)
    {
      frame_free (frame);
      return;
    }

  if (have_progress)
    {
      self->progress = progress;
      g_signal_emit (self, signals[PROGRESS], 0);
    }
  if (frame != NULL)
    {
      frame_free (self->current);
      self->current = frame;
      g_signal_emit (self, signals[FRAME], 0);
    }
}

static gboolean
deliver_idle_cb (gpointer data)
{
  deliver (data);
  return G_SOURCE_REMOVE;
}

/* Worker thread: leaves news for the main loop, replacing older news. */
static void
post (Run      *run,
      Frame    *frame,
      gboolean  with_progress)
{
  IncDreamProgress progress;

  if (with_progress)
    inc_dream_get_progress (run->dream, &progress);

  g_mutex_lock (&run->lock);
  if (frame != NULL)
    {
      frame_free (run->pending_frame);
      run->pending_frame = frame;
    }
  if (with_progress)
    {
      run->pending_progress = progress;
      run->have_progress = TRUE;
    }
  if (!run->idle_queued)
    {
      run->idle_queued = TRUE;
      g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, deliver_idle_cb,
                       run_ref (run), (GDestroyNotify) run_unref);
    }
  g_mutex_unlock (&run->lock);
}

static void
run_worker (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  Run *run = task_data;
  g_autoptr(GError) error = NULL;
  gboolean finished = FALSE;
  int done = 0;
  int since_frame = 0;

  lower_thread_priority ();
  if (run->dream == NULL)
    {
      run->dream = inc_dream_new (run->recipe, run->source, run->mask,
                                  run->gradients, &error);
      if (run->dream == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }
  inc_dream_set_cancellable (run->dream, cancellable);

  for (;;)
    {
      IncRecipe *recipe;
      IncImage *mask = NULL;
      gboolean mask_changed;
      int interval;

      g_mutex_lock (&run->lock);
      recipe = g_steal_pointer (&run->pending_recipe);
      mask_changed = run->mask_changed;
      if (mask_changed)
        mask = g_steal_pointer (&run->pending_mask);
      run->mask_changed = FALSE;
      interval = run->preview_interval;
      g_mutex_unlock (&run->lock);
      if (recipe != NULL)
        {
          inc_dream_set_recipe (run->dream, recipe);
          inc_recipe_free (run->recipe);
          run->recipe = recipe;
        }
      /* A dream's mask is fixed when it is made: a new mask starts a new
       * dream from the image so far, which outside the mask stays as it is. */
      if (mask_changed)
        {
          g_autoptr(IncImage) now = inc_dream_render (run->dream);
          IncDream *fresh = inc_dream_new (run->recipe, now, mask, run->gradients, &error);

          inc_image_free (mask);
          if (fresh == NULL)
            break;
          inc_dream_free (run->dream);
          run->dream = fresh;
          inc_dream_set_cancellable (run->dream, cancellable);
        }

      if (g_cancellable_is_cancelled (cancellable))
        break;
      if (!inc_dream_step (run->dream, &finished, &error))
        {
          /* A cancelled step leaves the image as it was: just a pause. */
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_clear_error (&error);
          break;
        }
      done++;
      since_frame++;

      if (finished || since_frame >= interval ||
          (run->max_steps > 0 && done >= run->max_steps))
        {
          post (run, frame_new (inc_dream_render (run->dream)), TRUE);
          since_frame = 0;
        }
      else
        post (run, NULL, TRUE);

      if (finished || (run->max_steps > 0 && done >= run->max_steps))
        break;
    }

  /* Whatever happened, the image so far reaches the window. */
  if (since_frame > 0)
    post (run, frame_new (inc_dream_render (run->dream)), TRUE);

  inc_dream_set_cancellable (run->dream, NULL);
  run->finished = finished;
  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
run_done_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  IncDreamSession *self = INC_DREAM_SESSION (object);
  Run *run = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  gboolean lost;

  g_task_propagate_boolean (G_TASK (result), &error);

  /* The last frame may still sit in the mailbox: show it before "stopped". */
  deliver (run);

  if (self->run == run)
    self->run = NULL;

  lost = g_error_matches (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_DEVICE_LOST);
  if (run->generation == self->generation)
    {
      self->finished = run->finished;
      if (run->finished || lost)
        {
          /* The dream refers to the engine; a lost device takes both. */
          self->restart_from_current = TRUE;
          g_clear_pointer (&run->dream, inc_dream_free);
        }
      else
        self->dream = g_steal_pointer (&run->dream);
    }
  if (lost)
    {
      g_clear_pointer (&run->dream, inc_dream_free);
      g_clear_pointer (&self->dream, inc_dream_free);
      g_clear_pointer (&self->engine, engine_free);
    }

  /* Dream was pressed again while this run was pausing: go on at once,
   * without telling anyone it stopped. */
  if (self->resume_after_stop && error == NULL)
    {
      self->resume_after_stop = FALSE;
      if (start_run (self, 0, &error))
        return;
    }
  self->resume_after_stop = FALSE;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_signal_emit (self, signals[STOPPED], 0, error);
}

static gboolean
check_can_start (IncDreamSession  *self,
                 GError          **error)
{
  if (self->engine == NULL)
    {
      g_set_error_literal (error, INC_ENGINE_ERROR, INC_ENGINE_ERROR_NO_DEVICE,
                           "The dream engine is not ready");
      return FALSE;
    }
  if (self->lent)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                           "The engine is busy with an export");
      return FALSE;
    }
  if (self->source == NULL)
    {
      g_set_error_literal (error, INC_DREAM_ERROR, INC_DREAM_ERROR_INVALID,
                           "Open an image first");
      return FALSE;
    }
  return inc_recipe_validate (self->recipe, error);
}

static gboolean
start_run (IncDreamSession  *self,
           int               max_steps,
           GError          **error)
{
  g_autoptr(GTask) task = NULL;
  Run *run;

  if (!check_can_start (self, error))
    return FALSE;

  run = g_new0 (Run, 1);
  g_atomic_ref_count_init (&run->ref_count);
  g_mutex_init (&run->lock);
  run->session = g_object_ref (self);
  run->generation = self->generation;
  run->cancellable = g_cancellable_new ();
  run->max_steps = max_steps;
  run->gradients = self->engine->gradients;
  run->preview_interval = self->preview_interval;

  if (self->restart_from_current && self->current != NULL)
    g_clear_pointer (&self->dream, inc_dream_free);
  self->restart_from_current = FALSE;
  self->finished = FALSE;

  run->dream = g_steal_pointer (&self->dream);
  run->recipe = inc_recipe_copy (self->recipe);
  if (run->dream == NULL)
    {
      run->source = inc_image_copy (self->current ? self->current->image : self->source);
      run->mask = self->mask ? inc_image_copy (self->mask) : NULL;
    }
  else
    inc_dream_set_recipe (run->dream, self->recipe);

  self->run = run;
  task = g_task_new (self, run->cancellable, run_done_cb, NULL);
  g_task_set_source_tag (task, start_run);
  g_task_set_name (task, "inceptionist dream");
  /* A pause is not a failure: the result stays the worker's own. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, run, (GDestroyNotify) run_unref);
  g_task_run_in_thread (task, run_worker);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  return TRUE;
}

gboolean
inc_dream_session_start (IncDreamSession  *self,
                         int               max_steps,
                         GError          **error)
{
  g_return_val_if_fail (INC_IS_DREAM_SESSION (self), FALSE);
  g_return_val_if_fail (max_steps >= 0, FALSE);

  if (self->run != NULL)
    {
      /* Pressed again while a pause is still finishing its step. */
      if (g_cancellable_is_cancelled (self->run->cancellable) && max_steps == 0)
        self->resume_after_stop = TRUE;
      return TRUE;
    }
  if (self->preparing)
    {
      /* The run starts as soon as the engine is ready for it. */
      if (!check_can_start (self, error))
        return FALSE;
      if (!self->start_pending)
        {
          self->start_pending = TRUE;
          self->start_max_steps = max_steps;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
        }
      return TRUE;
    }
  return start_run (self, max_steps, error);
}

void
inc_dream_session_pause (IncDreamSession *self)
{
  g_return_if_fail (INC_IS_DREAM_SESSION (self));

  self->resume_after_stop = FALSE;
  if (self->run != NULL)
    g_cancellable_cancel (self->run->cancellable);
  if (self->start_pending)
    {
      self->start_pending = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
    }
}

static void
drop_dream (IncDreamSession *self)
{
  self->generation++;
  self->resume_after_stop = FALSE;
  if (self->run != NULL)
    g_cancellable_cancel (self->run->cancellable);
  g_clear_pointer (&self->dream, inc_dream_free);
  g_clear_pointer (&self->current, frame_free);
  self->restart_from_current = FALSE;
  self->finished = FALSE;
  memset (&self->progress, 0, sizeof self->progress);
  g_signal_emit (self, signals[PROGRESS], 0);
  g_signal_emit (self, signals[FRAME], 0);
}

void
inc_dream_session_reset (IncDreamSession *self)
{
  g_return_if_fail (INC_IS_DREAM_SESSION (self));

  drop_dream (self);
}

void
inc_dream_session_set_source (IncDreamSession *self,
                              IncImage        *source)
{
  g_return_if_fail (INC_IS_DREAM_SESSION (self));
  g_return_if_fail (source == NULL || source->channels == 3);

  g_clear_pointer (&self->source, inc_image_free);
  self->source = source;
  drop_dream (self);
  maybe_prepare (self);
}

const IncImage *
inc_dream_session_get_source (IncDreamSession *self)
{
  g_return_val_if_fail (INC_IS_DREAM_SESSION (self), NULL);

  return self->source;
}

const IncImage *
inc_dream_session_get_image (IncDreamSession *self)
{
  g_return_val_if_fail (INC_IS_DREAM_SESSION (self), NULL);

  return self->current ? self->current->image : self->source;
}

GBytes *
inc_dream_session_get_rgba (IncDreamSession *self)
{
  g_return_val_if_fail (INC_IS_DREAM_SESSION (self), NULL);

  if (self->current != NULL)
    return g_bytes_ref (self->current->rgba);
  if (self->source != NULL)
    return _inc_image_to_rgba8 (self->source);
  return NULL;
}

gboolean
inc_dream_session_set_recipe (IncDreamSession  *self,
                              const IncRecipe  *recipe,
                              GError          **error)
{
  g_return_val_if_fail (INC_IS_DREAM_SESSION (self), FALSE);
  g_return_val_if_fail (recipe != NULL, FALSE);

  if (!inc_recipe_validate (recipe, error))
    return FALSE;

  g_clear_pointer (&self->recipe, inc_recipe_free);
  self->recipe = inc_recipe_copy (recipe);

  if (self->run != NULL)
    {
      IncRecipe *copy = inc_recipe_copy (recipe);

      g_mutex_lock (&self->run->lock);
      g_clear_pointer (&self->run->pending_recipe, inc_recipe_free);
      self->run->pending_recipe = copy;
      g_mutex_unlock (&self->run->lock);
    }
  else if (self->dream != NULL)
    inc_dream_set_recipe (self->dream, recipe);
  else
    maybe_prepare (self);
  return TRUE;
}

void
inc_dream_session_set_mask (IncDreamSession *self,
                            const IncImage  *mask)
{
  g_return_if_fail (INC_IS_DREAM_SESSION (self));
  g_return_if_fail (mask == NULL || mask->channels == 1);

  g_clear_pointer (&self->mask, inc_image_free);
  self->mask = mask ? inc_image_copy (mask) : NULL;

  if (self->run != NULL)
    {
      IncImage *copy = mask ? inc_image_copy (mask) : NULL;

      g_mutex_lock (&self->run->lock);
      g_clear_pointer (&self->run->pending_mask, inc_image_free);
      self->run->pending_mask = copy;
      self->run->mask_changed = TRUE;
      g_mutex_unlock (&self->run->lock);
    }
  else
    /* The next start makes a dream with the new mask from the current image. */
    g_clear_pointer (&self->dream, inc_dream_free);
}

const IncImage *
inc_dream_session_get_mask (IncDreamSession *self)
{
  g_return_val_if_fail (INC_IS_DREAM_SESSION (self), NULL);

  return self->mask;
}

void
inc_dream_session_set_image (IncDreamSession *self,
                             IncImage        *image)
{
  g_return_if_fail (INC_IS_DREAM_SESSION (self));
  g_return_if_fail (image != NULL && image->channels == 3);

  drop_dream (self);
  self->current = frame_new (image);
  g_signal_emit (self, signals[FRAME], 0);
}

IncGradientSource *
inc_dream_session_lend_gradients (IncDreamSession *self)
{
  g_return_val_if_fail (INC_IS_DREAM_SESSION (self), NULL);

  if (self->engine == NULL || self->run != NULL || self->preparing || self->lent)
    return NULL;
  self->lent = TRUE;
  return self->engine->gradients;
}

void
inc_dream_session_return_gradients (IncDreamSession *self)
{
  g_return_if_fail (INC_IS_DREAM_SESSION (self));

  self->lent = FALSE;
}

gboolean
inc_dream_session_get_busy (IncDreamSession *self)
{
  g_return_val_if_fail (INC_IS_DREAM_SESSION (self), FALSE);

  return self->lent;
}

const IncRecipe *
inc_dream_session_get_recipe (IncDreamSession *self)
{
  g_return_val_if_fail (INC_IS_DREAM_SESSION (self), NULL);

  return self->recipe;
}

void
inc_dream_session_set_preview_interval (IncDreamSession *self,
                                        int              steps)
{
  g_return_if_fail (INC_IS_DREAM_SESSION (self));

  self->preview_interval = MAX (1, steps);
  if (self->run != NULL)
    {
      g_mutex_lock (&self->run->lock);
      self->run->preview_interval = self->preview_interval;
      g_mutex_unlock (&self->run->lock);
    }
}

gboolean
inc_dream_session_get_running (IncDreamSession *self)
{
  g_return_val_if_fail (INC_IS_DREAM_SESSION (self), FALSE);

  return self->run != NULL || self->start_pending;
}

gboolean
inc_dream_session_get_working (IncDreamSession *self)
{
  g_return_val_if_fail (INC_IS_DREAM_SESSION (self), FALSE);

  return self->run != NULL || self->start_pending || self->preparing;
}

gboolean
inc_dream_session_get_finished (IncDreamSession *self)
{
  g_return_val_if_fail (INC_IS_DREAM_SESSION (self), FALSE);

  return self->finished;
}

void
inc_dream_session_get_progress (IncDreamSession  *self,
                                IncDreamProgress *out)
{
  g_return_if_fail (INC_IS_DREAM_SESSION (self));
  g_return_if_fail (out != NULL);

  *out = self->progress;
}

/* Preparing: when an image is opened, the engine sets up (and first
 * touches) the memory for the first step's sizes in the background, so
 * that pressing Dream is not followed by that wait: 150-200 ms of a first
 * preview at 500 px on lavapipe. */

typedef struct {
  IncRecipe         *recipe;
  IncImage          *image;
  IncImage          *mask;
  IncGradientSource *gradients;
} Prepare;

static void
prepare_free (Prepare *prepare)
{
  inc_recipe_free (prepare->recipe);
  inc_image_free (prepare->image);
  g_clear_pointer (&prepare->mask, inc_image_free);
  g_free (prepare);
}

static void
prepare_worker (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  Prepare *prepare = task_data;
  g_autoptr(GError) error = NULL;
  IncDream *dream;

  lower_thread_priority ();
  /* Only a head start: a failure here is the real step's to report. */
  dream = inc_dream_new (prepare->recipe, prepare->image, prepare->mask,
                         prepare->gradients, &error);
  if (dream == NULL || !inc_dream_prepare (dream, &error))
    g_debug ("Preparing the engine failed: %s", error->message);
  g_clear_pointer (&dream, inc_dream_free);
  g_task_return_boolean (task, TRUE);
}

/* Replaces the engine (not while a worker holds it). */
static void
swap_engine (IncDreamSession *self,
             Engine          *engine)
{
  if (self->preparing)
    {
      engine_free (self->pending_engine);
      self->pending_engine = engine;
      return;
    }
  /* A dream holds its engine's gradient source (and its image on that
   * device): it goes with the old engine, and the next run starts again
   * from the current picture. */
  g_clear_pointer (&self->dream, inc_dream_free);
  self->restart_from_current = self->current != NULL;
  engine_free (self->engine);
  self->engine = engine;
  maybe_prepare (self);
}

static void
prepare_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  IncDreamSession *self = INC_DREAM_SESSION (object);
  g_autoptr(GError) error = NULL;

  g_task_propagate_boolean (G_TASK (result), NULL);
  self->preparing = FALSE;
  if (self->pending_engine != NULL)
    swap_engine (self, g_steal_pointer (&self->pending_engine));

  if (self->start_pending)
    {
      self->start_pending = FALSE;
      if (!start_run (self, self->start_max_steps, &error))
        {
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
          g_signal_emit (self, signals[STOPPED], 0, error);
        }
      return;
    }
  /* Whoever waits for the engine (an export, closing) may go on. */
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  /* A new image or other layers since: ready the engine for those. */
  maybe_prepare (self);
}

/* What decides the passes a new dream's first step uses: the engine, the
 * image (its generation), the layers, and the octave and tile geometry. */
static char *
prepare_key (IncDreamSession *self)
{
  const IncRecipe *r = self->recipe;
  GString *key = g_string_new (NULL);

  g_string_append_printf (key, "%p %u %d %d %g %d %d %d %d", (void *) self->engine,
                          self->generation, r->octave_style, r->octaves, r->octave_scale,
                          r->octave_start, r->start, r->noise_render, r->tile);
  for (guint i = 0; i < r->n_layers; i++)
    g_string_append_printf (key, " %s", r->layers[i].name);
  return g_string_free (key, FALSE);
}

static void
maybe_prepare (IncDreamSession *self)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *key = NULL;
  Prepare *prepare;

  /* A paused dream goes on at the size it has: nothing to prepare. */
  if (self->shut_down || self->engine == NULL || self->source == NULL || self->run != NULL ||
      self->preparing || self->lent || self->dream != NULL ||
      !inc_recipe_validate (self->recipe, NULL))
    return;
  key = prepare_key (self);
  if (g_strcmp0 (key, self->prepared_for) == 0)
    return;
  g_free (self->prepared_for);
  self->prepared_for = g_steal_pointer (&key);

  prepare = g_new0 (Prepare, 1);
  prepare->recipe = inc_recipe_copy (self->recipe);
  prepare->image = inc_image_copy (self->current ? self->current->image : self->source);
  prepare->mask = self->mask ? inc_image_copy (self->mask) : NULL;
  prepare->gradients = self->engine->gradients;
  self->preparing = TRUE;

  task = g_task_new (self, NULL, prepare_done_cb, NULL);
  g_task_set_source_tag (task, maybe_prepare);
  g_task_set_name (task, "inceptionist prepare");
  g_task_set_task_data (task, prepare, (GDestroyNotify) prepare_free);
  g_task_run_in_thread (task, prepare_worker);
}

/* Engine loading */

static void
load_engine_worker (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  const char *model_path = task_data;
  g_autoptr(GError) error = NULL;
  Engine *engine = g_new0 (Engine, 1);

  lower_thread_priority ();
  /* The model first: a missing model is the likelier fix for the user. */
  if (!(engine->model = inc_model_load (model_path, &error)) ||
      !(engine->device = inc_device_open (-1, &error)) ||
      !(engine->network = inc_network_new (engine->device, engine->model, &error)))
    {
      engine_free (engine);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  engine->gradients = inc_engine_gradient_source_new (engine->network);
  if (engine->gradients == NULL)
    {
      engine_free (engine);
      g_task_return_new_error (task, INC_ENGINE_ERROR, INC_ENGINE_ERROR_FAILED,
                               "Could not set up the gradient computation");
      return;
    }
  /* Compile the shaders now, not when the user presses Dream. A failure
   * here is not fatal: the real step will report it. */
  if (!inc_engine_gradient_source_warm_up (engine->gradients, &error))
    {
      g_debug ("Warm-up failed: %s", error->message);
      g_clear_error (&error);
    }
  engine->device_name = g_strdup (inc_device_name (engine->device));
  g_task_return_pointer (task, engine, (GDestroyNotify) engine_free);
}

void
inc_dream_session_load_engine_async (IncDreamSession     *self,
                                     const char          *model_path,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (INC_IS_DREAM_SESSION (self));
  g_return_if_fail (model_path != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, inc_dream_session_load_engine_async);
  g_task_set_name (task, "inceptionist engine");
  g_task_set_task_data (task, g_strdup (model_path), g_free);
  g_task_run_in_thread (task, load_engine_worker);
}

gboolean
inc_dream_session_load_engine_finish (IncDreamSession  *self,
                                      GAsyncResult     *result,
                                      GError          **error)
{
  Engine *engine;

  g_return_val_if_fail (INC_IS_DREAM_SESSION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  engine = g_task_propagate_pointer (G_TASK (result), error);
  if (engine == NULL)
    return FALSE;
  /* Only an idle session swaps engines: a run or a job holds the old one. */
  if (self->run != NULL || self->lent)
    {
      engine_free (engine);
      return TRUE;
    }
  swap_engine (self, engine);
  return TRUE;
}

void
inc_dream_session_set_gradient_source (IncDreamSession   *self,
                                       IncGradientSource *gradients,
                                       const char        *device_name)
{
  Engine *engine;

  g_return_if_fail (INC_IS_DREAM_SESSION (self));
  g_return_if_fail (gradients != NULL);
  g_return_if_fail (self->run == NULL);
  g_return_if_fail (!self->lent);

  engine = g_new0 (Engine, 1);
  engine->gradients = gradients;
  engine->device_name = g_strdup (device_name);
  swap_engine (self, engine);
}

gboolean
inc_dream_session_get_engine_ready (IncDreamSession *self)
{
  g_return_val_if_fail (INC_IS_DREAM_SESSION (self), FALSE);

  return self->engine != NULL;
}

const char *
inc_dream_session_get_device_name (IncDreamSession *self)
{
  g_return_val_if_fail (INC_IS_DREAM_SESSION (self), NULL);

  return self->engine ? self->engine->device_name : NULL;
}

void
inc_dream_session_shutdown (IncDreamSession *self)
{
  g_return_if_fail (INC_IS_DREAM_SESSION (self));

  self->generation++;
  self->shut_down = TRUE;
  self->resume_after_stop = FALSE;
  self->start_pending = FALSE;
  if (self->run != NULL)
    g_cancellable_cancel (self->run->cancellable);
}

static void
inc_dream_session_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  IncDreamSession *self = INC_DREAM_SESSION (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, inc_dream_session_get_running (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
inc_dream_session_finalize (GObject *object)
{
  IncDreamSession *self = INC_DREAM_SESSION (object);

  /* A run holds a reference, so none can be in flight here. */
  g_clear_pointer (&self->dream, inc_dream_free);
  g_clear_pointer (&self->engine, engine_free);
  g_clear_pointer (&self->pending_engine, engine_free);
  g_free (self->prepared_for);
  g_clear_pointer (&self->source, inc_image_free);
  g_clear_pointer (&self->mask, inc_image_free);
  g_clear_pointer (&self->recipe, inc_recipe_free);
  g_clear_pointer (&self->current, frame_free);

  G_OBJECT_CLASS (inc_dream_session_parent_class)->finalize (object);
}

static void
inc_dream_session_class_init (IncDreamSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = inc_dream_session_finalize;
  object_class->get_property = inc_dream_session_get_property;

  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A new image to show: get_rgba() / get_image(). */
  signals[FRAME] = g_signal_new ("frame", G_TYPE_FROM_CLASS (klass),
                                 G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                 G_TYPE_NONE, 0);
  signals[PROGRESS] = g_signal_new ("progress", G_TYPE_FROM_CLASS (klass),
                                    G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                    G_TYPE_NONE, 0);
  /* The worker has returned; the error is NULL after a pause or the end. */
  signals[STOPPED] = g_signal_new ("stopped", G_TYPE_FROM_CLASS (klass),
                                   G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 1,
                                   G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
inc_dream_session_init (IncDreamSession *self)
{
  self->recipe = inc_recipe_new ();
  self->preview_interval = 1;
}

IncDreamSession *
inc_dream_session_new (void)
{
  return g_object_new (INC_TYPE_DREAM_SESSION, NULL);
}
