/* pass-io.h: a pass's input and input-gradient buffers, for work that
 * fills the input or reads the gradient on the device (compute/step.c). */
#pragma once

#include "compute/device-private.h"

/* H x W x 3 floats, channel-last: what inc_pass_set_input writes and
 * inc_pass_read_gradient reads. */
IncBuffer *_inc_pass_input          (IncPass *pass);
IncBuffer *_inc_pass_input_gradient (IncPass *pass);

/* Work recorded into a pass's own submission: before its forward
 * dispatches (filling the input) or after its backward ones (reading the
 * input's gradient), each saving a submission and the wait for it. */
typedef void (*IncPassRecordFn) (gpointer data);

/* inc_pass_forward, with `before` recorded first. */
gboolean _inc_pass_forward_after (IncPass          *pass,
                                  IncPassRecordFn   before,
                                  gpointer          data,
                                  GError          **error);
/* inc_pass_backward, with `after` recorded last. */
gboolean _inc_pass_backward_then (IncPass            *pass,
                                  const IncObjective *objective,
                                  double             *value,
                                  IncPassRecordFn     after,
                                  gpointer            data,
                                  GError            **error);
/* inc_pass_step, with `before` recorded first and `after` last. */
gboolean _inc_pass_step_with     (IncPass            *pass,
                                  const IncObjective *objective,
                                  double             *value,
                                  IncPassRecordFn     before,
                                  IncPassRecordFn     after,
                                  gpointer            data,
                                  GError            **error);
