/* cli-dream.c: `inceptionist-cli dream INPUT -o OUTPUT [options]`, the
 * command-line form of the studio's dream (DESIGN.md's contract). */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <glib-unix.h>

#include "app/cli.h"
#include "compute/dream-gradient.h"
#include "core/dream.h"
#include "core/image.h"
#include "core/recipe.h"

/* After Ctrl-C a step that is still busy on the device is not waited for
 * longer than this. */
#define INTERRUPT_GRACE_US (200 * 1000)

typedef struct {
  char *output;
  char *preset;
  char *recipe;
  char *layers;
  char *octaves;
  char *octave_scale;
  char *steps;
  char *step_size;
  char *norm;
  char *tile;
  char *jitter;
  char *seed;
  char *mask;
  char *guide;
  char *max_dim;
  char *device;
  char *model;
} Options;

static void
options_clear (Options *o)
{
  char **fields[] = {
    &o->output, &o->preset, &o->recipe, &o->layers, &o->octaves, &o->octave_scale,
    &o->steps, &o->step_size, &o->norm, &o->tile, &o->jitter, &o->seed, &o->mask,
    &o->guide, &o->max_dim, &o->device, &o->model,
  };
  for (gsize i = 0; i < G_N_ELEMENTS (fields); i++)
    g_clear_pointer (fields[i], g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

static gboolean
bad (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
bad (GError **error, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  char *message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, message);
  g_free (message);
  return FALSE;
}

/* Whole numbers: range checks are the recipe's, so only the syntax here. */
static gboolean
parse_int (const char *option, const char *text, gint64 lo, gint64 hi,
           gint64 *out, GError **error)
{
  char *end = NULL;
  if (text == NULL)
    return TRUE;
  errno = 0;
  gint64 v = g_ascii_strtoll (text, &end, 10);
  if (end == text || *end != '\0' || errno != 0)
    return bad (error, "%s takes a whole number, not '%s'", option, text);
  if (v < lo || v > hi)
    return bad (error, "%s must be between %" G_GINT64_FORMAT " and %"
                G_GINT64_FORMAT " (got %s)", option, lo, hi, text);
  *out = v;
  return TRUE;
}

static gboolean
parse_double (const char *option, const char *text, double *out, GError **error)
{
  char *end = NULL;
  if (text == NULL)
    return TRUE;
  double v = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0')
    return bad (error, "%s takes a number, not '%s'", option, text);
  if (!isfinite (v))
    return bad (error, "%s must be a finite number (got %s)", option, text);
  *out = v;
  return TRUE;
}

/* Preset, then the recipe file, then single options. */
static IncRecipe *
build_recipe (const Options *o, GError **error)
{
  g_autoptr (IncRecipe) r = o->preset ? inc_recipe_preset (o->preset, error)
                                      : inc_recipe_new ();
  gint64 v;

  if (r == NULL)
    return NULL;
  if (o->recipe != NULL)
    {
      g_autofree char *text = NULL;
      gsize length = 0;
      g_autoptr (GError) local = NULL;
      if (!g_file_get_contents (o->recipe, &text, &length, &local) ||
          !inc_recipe_apply_json (r, text, length, &local))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "recipe %s: %s", o->recipe, local->message);
          return NULL;
        }
    }
  if (o->layers != NULL && !inc_recipe_parse_layers (r, o->layers, error))
    return NULL;
  /* Wide ranges here; the recipe's validation names the real limits. */
  v = r->octaves;
  if (!parse_int ("--octaves", o->octaves, G_MININT, G_MAXINT, &v, error))
    return NULL;
  r->octaves = v;
  v = r->steps;
  if (!parse_int ("--steps", o->steps, G_MININT, G_MAXINT, &v, error))
    return NULL;
  r->steps = v;
  v = r->tile;
  if (!parse_int ("--tile", o->tile, G_MININT, G_MAXINT, &v, error))
    return NULL;
  r->tile = v;
  v = r->jitter;
  if (!parse_int ("--jitter", o->jitter, G_MININT, G_MAXINT, &v, error))
    return NULL;
  r->jitter = v;
  v = r->seed;
  if (!parse_int ("--seed", o->seed, 0, G_MAXUINT32, &v, error))
    return NULL;
  r->seed = v;
  if (!parse_double ("--octave-scale", o->octave_scale, &r->octave_scale, error) ||
      !parse_double ("--step-size", o->step_size, &r->step_size, error))
    return NULL;
  if (o->norm != NULL)
    {
      if (!inc_norm_kind_from_string (o->norm, &r->norm))
        {
          bad (error, "--norm takes std, mean-abs or laplacian, not '%s'", o->norm);
          return NULL;
        }
      /* A Laplacian render from noise with another norm is a multiscale one. */
      if (r->noise_render == INC_NOISE_LAPLACIAN && r->norm != INC_NORM_LAPLACIAN)
        r->noise_render = INC_NOISE_MULTISCALE;
    }
  if (o->guide != NULL)
    {
      g_free (r->guide);
      r->guide = g_strdup (o->guide);
    }
  if (!inc_recipe_validate (r, error))
    return NULL;
  return g_steal_pointer (&r);
}

static gboolean
check_output (const char *input, const char *output, GError **error)
{
  g_autofree char *lower = g_ascii_strdown (output, -1);
  g_autofree char *dir = g_path_get_dirname (output);

  if (!g_str_has_suffix (lower, ".png") && !g_str_has_suffix (lower, ".jpg") &&
      !g_str_has_suffix (lower, ".jpeg"))
    return bad (error, "the output must end in .png, .jpg or .jpeg: %s", output);
  if (inc_path_same_file (input, output))
    return bad (error, "refusing to overwrite the input %s", input);
  if (g_file_test (output, G_FILE_TEST_IS_DIR))
    return bad (error, "the output %s is a directory", output);
  /* Fail now rather than after a long dream. */
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR) || g_access (dir, W_OK) != 0)
    return bad (error, "cannot write to the folder %s", dir);
  return TRUE;
}

static IncImage *
load_source (const char *path, int max_dim, GError **error)
{
  g_autoptr (IncImage) image = NULL;

  if (!g_str_has_suffix (path, ".npy"))
    return inc_image_load (path, max_dim, error);

  image = inc_image_load_npy (path, error);
  if (image == NULL)
    return NULL;
  if (image->channels != 3 || image->width < 1 || image->height < 1)
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_FORMAT,
                   "%s: expected a non-empty array of shape (H, W, 3)", path);
      return NULL;
    }
  for (gsize i = 0; i < (gsize) image->width * image->height * 3; i++)
    if (!isfinite (image->data[i]))
      {
        g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_FORMAT,
                     "%s: the array holds NaN or infinite values", path);
        return NULL;
      }
  int longest = MAX (image->width, image->height);
  if (max_dim > 0 && longest > max_dim)
    {
      double f = (double) max_dim / longest;
      return inc_image_resize (image, MAX ((int) lround (image->width * f), 1),
                               MAX ((int) lround (image->height * f), 1));
    }
  if (max_dim <= 0 && longest > INC_IMAGE_MAX_SIDE)
    {
      g_set_error (error, INC_IMAGE_ERROR, INC_IMAGE_ERROR_SIZE,
                   "%s: %dx%d is over %d px; use --max-dim to scale it down",
                   path, image->width, image->height, INC_IMAGE_MAX_SIDE);
      return NULL;
    }
  return g_steal_pointer (&image);
}

/* Every layer must be a node of the model, and its channel must exist. */
static gboolean
check_layers (const IncModel *model, const IncRecipe *recipe, GError **error)
{
  for (guint i = 0; i < recipe->n_layers; i++)
    {
      const IncRecipeLayer *l = &recipe->layers[i];
      int node = inc_model_find (model, l->name);
      if (node < 0)
        {
          g_autoptr (GString) valid = g_string_new (NULL);
          for (guint k = 0; k < model->n_nodes; k++)
            {
              const char *name = model->nodes[k].name;
              if (g_str_has_prefix (name, "mixed") && strchr (name, '_') == NULL)
                g_string_append_printf (valid, "%s%s", valid->len ? ", " : "", name);
            }
          return bad (error, "unknown layer '%s'; valid layers: %s (or any node "
                      "listed by 'inceptionist-cli layers --all')", l->name, valid->str);
        }
      if (l->channel >= model->nodes[node].cout)
        return bad (error, "layer '%s' has %d channels; there is no channel %d",
                    l->name, model->nodes[node].cout, l->channel);
    }
  return TRUE;
}

/* Progress and interruption */

typedef struct {
  IncRecipe         *recipe;
  IncImage          *source;
  IncImage          *mask;
  IncGradientSource *gradients;
  GCancellable      *cancellable;
  GMainLoop         *loop;
  gboolean           tty;
  gint64             started;
  gint64             octave_started;  /* when the last octave ended */
  IncImage          *result;
  GError            *error;
  gint               done;      /* atomic */
  gboolean           interrupted;
} Job;

static void
on_progress (const IncDreamProgress *p, gpointer user_data)
{
  Job *job = user_data;
  double elapsed = (g_get_monotonic_time () - job->started) / 1e6;
  int left = p->total_planned - p->total_done;
  double eta = p->total_done > 0 ? elapsed / p->total_done * left : 0;
  int eta_s = (int) lround (eta);

  if (job->tty)
    {
      char bar[25];
      int filled = p->total_planned > 0 ? 24 * p->total_done / p->total_planned : 24;
      memset (bar, '#', filled);
      memset (bar + filled, '-', 24 - filled);
      bar[24] = '\0';
      fprintf (stderr, "\r\033[K[%s] octave %d/%d  step %d/%d  loss %.5g  ETA %d:%02d",
               bar, p->octave, p->n_octaves, p->step, p->n_steps, p->loss,
               eta_s / 60, eta_s % 60);
    }
  else
    fprintf (stderr, "octave %d/%d step %d/%d loss %.6g eta %ds\n",
             p->octave, p->n_octaves, p->step, p->n_steps, p->loss, eta_s);
  /* Each octave's time, its resize and set-up included: where a recipe's
   * time goes (scripts/bench.sh --preset compares it with the peer's). */
  if (p->step == p->n_steps)
    {
      gint64 now = g_get_monotonic_time ();
      fprintf (stderr, "%soctave %d/%d done: %dx%d, %d steps, %.3f s\n", job->tty ? "\r\033[K" : "",
               p->octave, p->n_octaves, p->width, p->height, p->n_steps,
               (now - job->octave_started) / 1e6);
      job->octave_started = now;
    }
  fflush (stderr);
}

static gboolean
quit_loop (gpointer user_data)
{
  Job *job = user_data;
  g_main_loop_quit (job->loop);
  return G_SOURCE_REMOVE;
}

static gpointer
dream_thread (gpointer user_data)
{
  Job *job = user_data;

  job->result = inc_dream_run (job->recipe, job->source, job->mask, job->gradients,
                               job->cancellable, on_progress, job, &job->error);
  g_atomic_int_set (&job->done, 1);
  g_idle_add (quit_loop, job);
  return NULL;
}

static gboolean
on_sigint (gpointer user_data)
{
  Job *job = user_data;
  job->interrupted = TRUE;
  g_cancellable_cancel (job->cancellable);
  g_main_loop_quit (job->loop);
  return G_SOURCE_CONTINUE;
}

static int
interrupted (Job *job)
{
  if (job->tty)
    fputc ('\n', stderr);
  g_printerr ("inceptionist-cli: interrupted; nothing was written\n");
  /* A step still busy on the device would hold the exit back: leave now
   * (nothing has been written, so nothing is left half-done). */
  for (gint64 waited = 0; !g_atomic_int_get (&job->done) && waited < INTERRUPT_GRACE_US;
       waited += 10000)
    g_usleep (10000);
  if (!g_atomic_int_get (&job->done))
    _exit (INC_EXIT_INTERRUPTED);
  return INC_EXIT_INTERRUPTED;
}

int
inc_cli_dream (int argc, char **argv)
{
  g_auto (Options) o = { 0 };
  g_autoptr (GError) error = NULL;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o.output, "Output image (.png or .jpg)", "OUTPUT" },
    { "preset", 0, 0, G_OPTION_ARG_STRING, &o.preset,
      "tf-tutorial (default), keras-example, caffe-classic or lapnorm-noise", "NAME" },
    { "recipe", 0, 0, G_OPTION_ARG_FILENAME, &o.recipe, "Recipe JSON (over the preset)", "FILE.json" },
    { "layers", 0, 0, G_OPTION_ARG_STRING, &o.layers, "Layers and weights", "mixed3:1.0,mixed5:1.5" },
    { "octaves", 0, 0, G_OPTION_ARG_STRING, &o.octaves, "Number of octaves", "N" },
    { "octave-scale", 0, 0, G_OPTION_ARG_STRING, &o.octave_scale, "Scale between octaves", "S" },
    { "steps", 0, 0, G_OPTION_ARG_STRING, &o.steps, "Steps per octave", "N" },
    { "step-size", 0, 0, G_OPTION_ARG_STRING, &o.step_size, "Step size", "F" },
    { "norm", 0, 0, G_OPTION_ARG_STRING, &o.norm, "Gradient normalisation", "std|mean-abs|laplacian" },
    { "tile", 0, 0, G_OPTION_ARG_STRING, &o.tile, "Tile size (0 = no tiling)", "N" },
    { "jitter", 0, 0, G_OPTION_ARG_STRING, &o.jitter, "Random shift per step (0 = none)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_STRING, &o.seed, "Random seed", "N" },
    { "mask", 0, 0, G_OPTION_ARG_FILENAME, &o.mask, "Dream only where the mask is white", "MASK.png" },
    { "guide", 0, 0, G_OPTION_ARG_FILENAME, &o.guide, "Guide image", "IMAGE" },
    { "max-dim", 0, 0, G_OPTION_ARG_STRING, &o.max_dim, "Scale the input down to this longest side", "N" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &o.device, "Vulkan device index", "N" },
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &o.model, "Model file", "PATH" },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("INPUT - dream on an image");
  gint64 max_dim = 0, device_index = -1;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return inc_cli_fail (error);
  if (argc != 2)
    {
      g_printerr ("inceptionist-cli: dream takes one INPUT (got %d); see 'dream --help'\n",
                  argc - 1);
      return INC_EXIT_BAD_INPUT;
    }
  const char *input = argv[1];
  if (o.output == NULL)
    {
      g_printerr ("inceptionist-cli: -o OUTPUT is required\n");
      return INC_EXIT_BAD_INPUT;
    }

  g_autoptr (IncRecipe) recipe = build_recipe (&o, &error);
  if (recipe == NULL ||
      !parse_int ("--max-dim", o.max_dim, 1, INC_IMAGE_MAX_SIDE, &max_dim, &error) ||
      !parse_int ("--device", o.device, 0, 1024, &device_index, &error) ||
      !check_output (input, o.output, &error))
    return inc_cli_fail (error);

  g_autoptr (IncImage) source = load_source (input, (int) max_dim, &error);
  if (source == NULL)
    return inc_cli_fail (error);
  g_autoptr (IncImage) mask = NULL;
  if (o.mask != NULL)
    {
      mask = inc_image_load_mask (o.mask, source->width, source->height, &error);
      if (mask == NULL)
        return inc_cli_fail (error);
    }

  /* The dream loads the guide itself; reading it now reports a bad file
   * before the device is opened. */
  if (recipe->guide != NULL)
    {
      g_autoptr (IncImage) guide = inc_image_load (recipe->guide, 0, &error);
      if (guide == NULL)
        return inc_cli_fail (error);
    }

  g_autoptr (IncDevice) device = NULL;
  g_autoptr (IncNetwork) network = NULL;
  if (!inc_cli_open_engine ((int) device_index, o.model, &device, &network, &error) ||
      !check_layers (inc_network_model (network), recipe, &error))
    return inc_cli_fail (error);
  g_autoptr (IncGradientSource) gradients = inc_engine_gradient_source_new (network);

  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Job job = {
    .recipe = recipe, .source = source, .mask = mask, .gradients = gradients,
    .cancellable = cancellable, .loop = loop, .tty = isatty (STDERR_FILENO),
    .started = g_get_monotonic_time (),
  };
  job.octave_started = job.started;
  guint sigint = g_unix_signal_add (SIGINT, on_sigint, &job);
  GThread *thread = g_thread_new ("dream", dream_thread, &job);

  g_main_loop_run (loop);
  if (job.interrupted)
    {
      int status = interrupted (&job);
      g_thread_join (thread);
      g_source_remove (sigint);
      g_clear_pointer (&job.result, inc_image_free);
      g_clear_error (&job.error);
      return status;
    }
  g_thread_join (thread);
  if (job.tty)
    fputc ('\n', stderr);

  g_autoptr (IncImage) result = job.result;
  if (result == NULL)
    {
      g_source_remove (sigint);
      int status = inc_cli_fail (job.error);
      g_clear_error (&job.error);
      return status;
    }
  /* A Ctrl-C that came in while the last step finished still counts. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_source_remove (sigint);
  if (job.interrupted)
    return interrupted (&job);

  g_autofree char *json = inc_recipe_to_json (recipe);
  if (!inc_image_save (result, o.output, json, 0, &error))
    return inc_cli_fail (error);
  return INC_EXIT_OK;
}
