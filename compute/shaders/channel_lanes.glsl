// channel_lanes.glsl: how the memory-bound passes (pools, Winograd
// transforms) spread their work. A workgroup of 32 lanes covers 32
// channels of a run of items (pixels of a row, or tiles): lane = channel,
// each lane walking the whole run; or, with VEC4 (every channel count,
// offset and stride a multiple of 4), 8 lanes cover the 32 channels 4 at a
// time, reading RGBA32F texels (on lavapipe one costs little more than an
// R32F one), and 4 rows of 8 lanes split the run. All divisions here are
// per workgroup: lavapipe runs integer division lane by lane.
#ifdef VEC4
#define VALUE vec4
#define LANE_CHANNELS 4
#define TEXEL(i) ((i) >> 2)   // indices in floats -> texels of 4
#else
#define VALUE float
#define LANE_CHANNELS 1
#define TEXEL(i) (i)
#endif

#define LANES_PER_RUN (32 / LANE_CHANNELS)

// (first item, first channel) of this lane.
ivec2 lane_item_and_channel (int channels, int items_per_group, int groups_x)
{
  int group_index = int(gl_WorkGroupID.y) * groups_x + int(gl_WorkGroupID.x);
  int cblocks = (channels + 31) / 32;
  int lane = int(gl_LocalInvocationID.x);
  int run = lane / LANES_PER_RUN;
  return ivec2 ((group_index / cblocks) * items_per_group + run * (items_per_group / LANE_CHANNELS),
                (group_index % cblocks) * 32 + (lane % LANES_PER_RUN) * LANE_CHANNELS);
}
