// winograd.glsl: what the two transforms of the Winograd convolution share
// (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks",
// 2016), compiled for F(4x4, 3x3), or with -DTILE=6 F(6x6, 3x3), or with
// -DKERNEL=5 F(4x4, 5x5). A KERNEL x KERNEL stride-1 convolution becomes,
// per TILE_IN x TILE_IN input tile giving a TILE x TILE output tile:
//   Y = A^T [ (G g G^T) . (B^T d B) ] A
// where the element-wise product, summed over input channels, is
// POSITIONS = TILE_IN^2 independent matrix products (tiles x cin by
// cin x cout) run by conv_gemm.comp. Multiplies per output: 2.25 with
// F(4x4, 3x3) (36 positions), 1.78 with F(6x6, 3x3) (64), 4 with
// F(4x4, 5x5) (64), instead of 9 or 25. The two 8-point transforms share
// the interpolation points 0, +-1, +-2, +-1/2 and infinity, so B^T is the
// same for both.
//
// Scratch layout: S[t][e][c] at (t * POSITIONS + e) * channels + c, e = the
// transform positions, t = tile (row-major over tiles_h x tiles_w): a
// tile's values are contiguous, so each transform writes (or reads) one
// run of memory per tile; the products read position e as a view with
// offset e * channels and stride POSITIONS * channels. (Position-major
// planes made the input transform's stores land megabytes apart: 2.6x
// slower.)
#ifndef TILE
#define TILE 4         // outputs a tile, each way
#endif
#ifndef KERNEL
#define KERNEL 3
#endif
#define TILE_IN (TILE + KERNEL - 1)    // inputs a tile, each way
// LINE: a 1 x KERNEL or KERNEL x 1 convolution, tiles of TILE outputs
// along the kernel's direction (winograd_line_*.comp).
#ifdef LINE
#define POSITIONS TILE_IN
#else
#define POSITIONS (TILE_IN * TILE_IN)
#endif

layout(push_constant) uniform WinogradParams {
  int h, w, off, stride, channels;  // the spatial view: input (input
                                    // transform) or output (output transform)
  int tiles_h, tiles_w;             // tiles of TILE x TILE outputs; LINE:
                                    // lines, and tiles of TILE a line
  int pad_t, pad_l;                 // input transform: the convolution's padding
  int bias_off;                     // output transform: bias texel, or -1
  int flags;                        // FLAG_RELU, FLAG_ACCUMULATE, FLAG_MASK_INPUT
  int groups_x;
} p;

#define FLAG_RELU 1
#define FLAG_ACCUMULATE 2
#define FLAG_MASK_INPUT 4
// LINE: the kernel runs along y (KERNEL x 1), else along x.
#define FLAG_VERTICAL 8

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
  return (t * POSITIONS + e) * p.channels + c;
}
