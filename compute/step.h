/* step.h: a dream image kept on the device and the dispatches of one
 * gradient step around the network's passes: copying rolled tiles in and
 * their gradients out, normalising the gradient (std, mean-abs or
 * Laplacian, as core/gradnorm.c) and the masked, clipped update (as
 * core/dream.c). */
#pragma once

#include "compute/device-private.h"
#include "core/recipe.h"
#include "core/tiler.h"

G_BEGIN_DECLS

#define INC_STEP_MAX_LEVELS 16

typedef struct {
  IncDevice *device;
  int        height, width;
  gboolean   has_mask;
  IncBuffer  image;       /* height x width x 3 */
  IncBuffer  gradient;    /* the same; level 0 of the Laplacian pyramid */
  IncBuffer  scratch;     /* partial sums, factors, then the mask */
  IncBuffer  levels[INC_STEP_MAX_LEVELS];  /* pyramid levels 1 and up */
  int        n_levels;    /* pyramid levels allocated, level 0 included */
} IncStepImage;

IncStepImage *_inc_step_image_new      (IncDevice     *device,
                                        int            height,
                                        int            width,
                                        GError       **error);
void          _inc_step_image_free     (IncStepImage  *self);
/* mask: height x width or NULL (step everywhere). */
gboolean      _inc_step_image_upload   (IncStepImage  *self,
                                        const float   *image,
                                        const float   *mask,
                                        GError       **error);
gboolean      _inc_step_image_download (IncStepImage  *self,
                                        float         *image,
                                        GError       **error);

/* Record into the device's open command buffer; the caller places the
 * barriers around them.  The roll is np.roll by (shift_x, shift_y), the
 * tile in rolled coordinates (dream-tiles.c).
 * gather: the tile's input region of the rolled image -> input
 *         (tile->height x tile->width x 3).
 * scatter: share * the tile's core from gradient (its input's size) ->
 *          the image's gradient at the un-rolled place. */
void          _inc_step_record_gather  (IncStepImage    *self,
                                        const IncTile   *tile,
                                        int              shift_x,
                                        int              shift_y,
                                        const IncBuffer *input);
void          _inc_step_record_scatter (IncStepImage    *self,
                                        const IncTile   *tile,
                                        int              shift_x,
                                        int              shift_y,
                                        const IncBuffer *gradient,
                                        float            share);
/* Normalises the gradient and updates the image, in one submission. */
gboolean      _inc_step_apply          (IncStepImage  *self,
                                        IncNormKind    norm,
                                        int            levels,
                                        float          step_size,
                                        gboolean       clip,
                                        GError       **error);

G_END_DECLS
