/* pass-io.c: see pass-io.h. */
#include "compute/pass-io.h"
#include "compute/pass-private.h"

IncBuffer *
_inc_pass_input (IncPass *pass)
{
  return &pass->acts[0];
}

IncBuffer *
_inc_pass_input_gradient (IncPass *pass)
{
  return &pass->grads[0];
}
