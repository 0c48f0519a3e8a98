#version 450
// step_copy.comp: moves a tile between the dream image and a pass, with
// the step's roll folded into the addressing (no rolled copy is made).
// The "wrapped" side is a whole image, rows of row_len floats that wrap
// around at its edges; the "dense" side is the tile, rows of dense_stride
// floats.  Gather: wrapped -> dense; scatter: dense * scale -> wrapped.
layout(local_size_x = 64) in;

layout(binding = 0) uniform samplerBuffer src;
layout(binding = 4, r32f) uniform writeonly imageBuffer dst;

layout(push_constant) uniform Params {
  int row_len;              // floats copied per row
  int wrap_h, wrap_len;     // wrapped side: rows, floats per row
  int wrap_y0, wrap_x0;     // first row and float there, already wrapped
  int dense_off, dense_stride;
  int scatter;
  float scale;
  int groups_x;
} p;

#define PER_LANE 4

void main ()
{
  // One row per z; along x, runs of 64 * PER_LANE floats, lanes on
  // consecutive floats.  The wrap is one compare: a run of a tile crosses
  // the image edge at most once.
  int row = int(gl_WorkGroupID.z);
  int block = int(gl_WorkGroupID.y) * p.groups_x + int(gl_WorkGroupID.x);
  int wy = p.wrap_y0 + row;
  if (wy >= p.wrap_h)
    wy -= p.wrap_h;
  int wbase = wy * p.wrap_len;
  int dbase = p.dense_off + row * p.dense_stride;
  for (int k = 0; k < PER_LANE; k++)
    {
      int i = (block * PER_LANE + k) * 64 + int(gl_LocalInvocationID.x);
      if (i >= p.row_len)
        return;
      int wx = p.wrap_x0 + i;
      if (wx >= p.wrap_len)
        wx -= p.wrap_len;
      if (p.scatter == 0)
        imageStore (dst, dbase + i, vec4 (texelFetch (src, wbase + wx).x));
      else
        imageStore (dst, wbase + wx, vec4 (texelFetch (src, dbase + i).x * p.scale));
    }
}
