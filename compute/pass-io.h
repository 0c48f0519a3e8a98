/* pass-io.h: a pass's input and input-gradient buffers, for work that
 * fills the input or reads the gradient on the device (compute/step.c). */
#pragma once

#include "compute/device-private.h"

/* H x W x 3 floats, channel-last: what inc_pass_set_input writes and
 * inc_pass_read_gradient reads. */
IncBuffer *_inc_pass_input          (IncPass *pass);
IncBuffer *_inc_pass_input_gradient (IncPass *pass);
