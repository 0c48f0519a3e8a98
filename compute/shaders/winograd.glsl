// winograd.glsl: what the two transforms of the F(4x4, 3x3) Winograd
// convolution share (Lavin & Gray, "Fast Algorithms for Convolutional
// Neural Networks", 2016). A 3x3 stride-1 convolution becomes, per 6x6
// input tile giving a 4x4 output tile:
//   Y = A^T [ (G g G^T) . (B^T d B) ] A
// where the element-wise product, summed over input channels, is 36
// independent matrix products (tiles x cin by cin x cout) run by
// conv_gemm.comp: 4 multiplies per output instead of 9.
//
// Scratch layout: S[t][e][c] at (t * 36 + e) * channels + c, e = the 36
// transform positions, t = tile (row-major over tiles_h x tiles_w): a
// tile's values are contiguous, so each transform writes (or reads) one
// run of memory per tile; the products read position e as a view with
// offset e * channels and stride 36 * channels. (Position-major planes
// made the input transform's 36 stores land megabytes apart: 2.6x slower.)
layout(push_constant) uniform WinogradParams {
  int h, w, off, stride, channels;  // the spatial view: input (input
                                    // transform) or output (output transform)
  int tiles_h, tiles_w;             // tiles of 4 x 4 outputs
  int pad_t, pad_l;                 // input transform: the convolution's padding
  int bias_off;                     // output transform: bias texel, or -1
  int flags;                        // FLAG_RELU, FLAG_ACCUMULATE, FLAG_MASK_INPUT
  int groups_x;
} p;

#define FLAG_RELU 1
#define FLAG_ACCUMULATE 2
#define FLAG_MASK_INPUT 4

#include "channel_lanes.glsl"

// Runs of TILES_PER_GROUP tiles. Returns (first tile, first channel).
#define TILES_PER_GROUP 32
#define TILES_PER_LANE (TILES_PER_GROUP / LANE_CHANNELS)
ivec2 tile_and_channel ()
{
  return lane_item_and_channel (p.channels, TILES_PER_GROUP, p.groups_x);
}

#include "div_mod.glsl"

// The input transform numbers its items over rows of tiles padded to a
// multiple of TILES_PER_LANE (winograd.c), so that no lane's run wraps
// onto the next row: item -> (tile row, tile column).
ivec2 tile_in_row (int item)
{
  int padded = (p.tiles_w + TILES_PER_LANE - 1) / TILES_PER_LANE * TILES_PER_LANE;
  return div_mod (item, padded);
}

int scratch_index (int e, int t, int c)
{
  return (t * 36 + e) * p.channels + c;
}
