// pool.glsl: push constants and window arithmetic shared by the pooling
// shaders. Views as in common.glsl; the input view and its gradient share
// (offset, stride), and so do the output and its gradient.
layout(push_constant) uniform PoolParams {
  int in_h, in_w, in_off, in_stride;
  int out_h, out_w, out_off, out_stride;
  int channels, kh, kw, stride, pad_t, pad_l;
  int mode;      // MODE_MAX or MODE_AVG
  int groups_x;
} p;

#define MODE_MAX 0
// Keras 'same' average pools divide by the count of real (non-padding) pixels.
#define MODE_AVG 1

uint flat_group_id ()
{
  return gl_WorkGroupID.y * uint(p.groups_x) + gl_WorkGroupID.x;
}

int in_index (int y, int x, int c)
{
  return (y * p.in_w + x) * p.in_stride + p.in_off + c;
}
