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

// Dispatched as (channel blocks x width / PIXELS_PER_GROUP, ..., height):
// 32 channels along the lanes, a run of PIXELS_PER_GROUP pixels of a row per
// workgroup (lavapipe pays per workgroup, so they must not be tiny); all
// divisions here are per workgroup. Returns (first x, y, channel).
#define PIXELS_PER_GROUP 16
ivec3 pixel_and_channel ()
{
  int group_index = int(gl_WorkGroupID.y) * p.groups_x + int(gl_WorkGroupID.x);
  int cblocks = (p.channels + 31) / 32;
  return ivec3 ((group_index / cblocks) * PIXELS_PER_GROUP, int(gl_WorkGroupID.z),
                (group_index % cblocks) * 32 + int(gl_LocalInvocationID.x));
}

int in_index (int y, int x, int c)
{
  return (y * p.in_w + x) * p.in_stride + p.in_off + c;
}
