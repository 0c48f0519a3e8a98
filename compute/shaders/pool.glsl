// pool.glsl: push constants and window arithmetic shared by the pooling
// shaders. Views as in common.glsl; the input view and its gradient share
// (offset, stride), and so do the output and its gradient.
layout(push_constant) uniform PoolParams {
  int in_h, in_w, in_off, in_stride;
  int out_h, out_w, out_off, out_stride;
  int channels, kh, kw, stride, pad_t, pad_l;
  int mode;      // MODE_MAX or MODE_AVG
  // Average pools moved behind the 1x1 convolution they fed (see
  // compute/pass-fuse.c) finish that convolution: forward adds its bias
  // (texel bias_off of `weights`) and applies its ReLU; backward lets the
  // output gradient through where the activation (`mask`) is > 0.
  int bias_off;
  int flags;     // POOL_RELU, POOL_MASK, POOL_OVERWRITE
  // maxpool_scatter.comp: this dispatch's windows are (phase + n * step).
  int phase_y, phase_x, step_y, step_x;
  int groups_x;
} p;

#define MODE_MAX 0
// Keras 'same' average pools divide by the count of real (non-padding) pixels.
#define MODE_AVG 1

#define POOL_RELU 1
#define POOL_MASK 2
// Backward: write the input gradient instead of adding to it.
#define POOL_OVERWRITE 4

#include "channel_lanes.glsl"

// Dispatched as (channel blocks x width / PIXELS_PER_GROUP, ..., height):
// runs of PIXELS_PER_GROUP pixels of a row (lavapipe pays per workgroup,
// so they must not be tiny: 64 against 16 made the pools about 10%
// faster). Returns (first x, y, first channel). kernels.c
// POOL_PIXELS_PER_GROUP.
#define PIXELS_PER_GROUP 64
#define PIXELS_PER_LANE (PIXELS_PER_GROUP / LANE_CHANNELS)
ivec3 pixel_and_channel ()
{
  ivec2 at = lane_item_and_channel (p.channels, PIXELS_PER_GROUP, p.groups_x);
  return ivec3 (at.x, int(gl_WorkGroupID.z), at.y);
}

int in_index (int y, int x, int c)
{
  return (y * p.in_w + x) * p.in_stride + p.in_off + c;
}
