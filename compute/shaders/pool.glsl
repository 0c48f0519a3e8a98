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
  int groups_x;
} p;

#define MODE_MAX 0
// Keras 'same' average pools divide by the count of real (non-padding) pixels.
#define MODE_AVG 1

#define POOL_RELU 1
#define POOL_MASK 2
// Backward: write the input gradient instead of adding to it.
#define POOL_OVERWRITE 4

// Values are handled LANE_CHANNELS at a time. With VEC4 (every channel
// count, offset and stride a multiple of 4) a lane reads 4 channels with
// one RGBA32F texel fetch, which on lavapipe costs little more than one
// R32F fetch; indices below are then in texels (units of 4 floats).
#ifdef VEC4
#define VALUE vec4
#define LANE_CHANNELS 4
#define TEXEL(i) ((i) >> 2)
#else
#define VALUE float
#define LANE_CHANNELS 1
#define TEXEL(i) (i)
#endif

// Dispatched as (channel blocks x width / PIXELS_PER_GROUP, ..., height):
// a workgroup covers 32 channels of a run of PIXELS_PER_GROUP pixels of a
// row (lavapipe pays per workgroup, so they must not be tiny); all
// divisions here are per workgroup. The 32 lanes cover the 32 channels,
// or with VEC4 8 lanes cover them and the 4 rows of 8 lanes split the run.
// Returns (first x, y, first channel) and the lane's count of pixels.
#define PIXELS_PER_GROUP 16
#define LANES_PER_RUN (32 / LANE_CHANNELS)
#define PIXELS_PER_LANE (PIXELS_PER_GROUP / LANE_CHANNELS)
ivec3 pixel_and_channel ()
{
  int group_index = int(gl_WorkGroupID.y) * p.groups_x + int(gl_WorkGroupID.x);
  int cblocks = (p.channels + 31) / 32;
  int lane = int(gl_LocalInvocationID.x);
  int run = lane / LANES_PER_RUN;
  return ivec3 ((group_index / cblocks) * PIXELS_PER_GROUP + run * PIXELS_PER_LANE,
                int(gl_WorkGroupID.z),
                (group_index % cblocks) * 32 + (lane % LANES_PER_RUN) * LANE_CHANNELS);
}

int in_index (int y, int x, int c)
{
  return (y * p.in_w + x) * p.in_stride + p.in_off + c;
}
