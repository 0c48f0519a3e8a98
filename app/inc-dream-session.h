/* inc-dream-session.h: one image's live dream. The engine and the steps
 * run in worker threads; results come back to the main loop as frames. */
#pragma once

#include <gio/gio.h>
#include "core/dream.h"
#include "core/image.h"
#include "core/recipe.h"

G_BEGIN_DECLS

#define INC_TYPE_DREAM_SESSION (inc_dream_session_get_type ())
G_DECLARE_FINAL_TYPE (IncDreamSession, inc_dream_session, INC, DREAM_SESSION, GObject)

IncDreamSession *inc_dream_session_new                (void);

/* Opens the Vulkan device, loads the model at model_path and uploads it;
 * errors are INC_ENGINE_ERROR or INC_MODEL_ERROR. */
void             inc_dream_session_load_engine_async  (IncDreamSession     *self,
                                                       const char          *model_path,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean         inc_dream_session_load_engine_finish (IncDreamSession     *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
/* Uses this gradient source (taken) instead of loading the engine: another
 * backend, or a test's. */
void             inc_dream_session_set_gradient_source (IncDreamSession   *self,
                                                        IncGradientSource *gradients,
                                                        const char        *device_name);
gboolean         inc_dream_session_get_engine_ready   (IncDreamSession     *self);
const char      *inc_dream_session_get_device_name    (IncDreamSession     *self);

/* Takes the image (the original at working size); stops a running dream. */
void             inc_dream_session_set_source         (IncDreamSession     *self,
                                                       IncImage            *source);
const IncImage  *inc_dream_session_get_source         (IncDreamSession     *self);
/* The latest frame, or the source when nothing was dreamt yet. */
const IncImage  *inc_dream_session_get_image          (IncDreamSession     *self);
/* RGBA8 of get_image(), for the canvas. */
GBytes          *inc_dream_session_get_rgba           (IncDreamSession     *self);

/* A copy is taken; a running dream applies it from its next step. An
 * invalid recipe is refused (the previous one stays). */
gboolean         inc_dream_session_set_recipe         (IncDreamSession     *self,
                                                       const IncRecipe     *recipe,
                                                       GError             **error);
const IncRecipe *inc_dream_session_get_recipe         (IncDreamSession     *self);
/* A copy is taken; NULL: dream everywhere. The next dream uses it; a
 * running one goes on from the image so far with it after its step. */
void             inc_dream_session_set_mask           (IncDreamSession     *self,
                                                       const IncImage      *mask);
const IncImage  *inc_dream_session_get_mask           (IncDreamSession     *self);
/* Shows image (taken) as the result so far, e.g. after an undo; the next
 * dream starts from it. A running dream is stopped. */
void             inc_dream_session_set_image          (IncDreamSession     *self,
                                                       IncImage            *image);
/* The engine's gradients for a one-off job in a worker (an export) while no
 * dream runs, or NULL; no dream starts until they are given back. */
IncGradientSource *inc_dream_session_lend_gradients   (IncDreamSession     *self);
void             inc_dream_session_return_gradients   (IncDreamSession     *self);
gboolean         inc_dream_session_get_busy           (IncDreamSession     *self);
void             inc_dream_session_set_preview_interval (IncDreamSession   *self,
                                                         int                steps);

/* Dreams until finished or paused (max_steps 0) or for max_steps steps.
 * Fails (without starting) if there is no engine, no source, or the
 * recipe is invalid. */
gboolean         inc_dream_session_start              (IncDreamSession     *self,
                                                       int                  max_steps,
                                                       GError             **error);
/* Stops after the current step; the image so far is kept. */
void             inc_dream_session_pause              (IncDreamSession     *self);
/* Back to the original; a running dream is stopped first. */
void             inc_dream_session_reset              (IncDreamSession     *self);
/* TRUE from start until the worker has returned. */
gboolean         inc_dream_session_get_running        (IncDreamSession     *self);
/* TRUE while any worker has the engine: a run, or the background set-up
 * for a newly opened image. "notify::running" is emitted when it ends. */
gboolean         inc_dream_session_get_working        (IncDreamSession     *self);
gboolean         inc_dream_session_get_finished       (IncDreamSession     *self);
void             inc_dream_session_get_progress       (IncDreamSession     *self,
                                                       IncDreamProgress    *out);

/* Cancels everything in flight, for a closing window. */
void             inc_dream_session_shutdown           (IncDreamSession     *self);

G_END_DECLS
