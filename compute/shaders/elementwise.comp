#version 450
// elementwise.comp: the small passes between convolutions: objective seeds
// and adding an uploaded gradient.
// All work on a view (h, w, offset, stride) restricted to channels c0..c1-1
// and to the box `border` pixels inside each edge.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 32) in;

layout(binding = 0) uniform samplerBuffer src;  // MODE_ADD_SRC: dense, from src_off
layout(binding = 4, r32f) uniform imageBuffer dst;
layout(binding = 3) uniform samplerBuffer aux;  // activations, same view

layout(push_constant) uniform Params {
  int h, w, off, stride, c0, c1, border;
  int mode;
  float value;
  int src_off;
  int groups_x;
} p;

#define MODE_ADD_CONSTANT 0   // dst += value                (mean seeds)
#define MODE_ADD_SCALED_AUX 1 // dst += value * aux          (mean-square seeds)
#define MODE_ADD_SRC 3        // dst += src                  (uploaded seeds)

void main ()
{
  // Dispatched as (channel blocks x box width, ..., box height): channels
  // along the lanes, so no per-value integer division.
  // Each workgroup takes a run of 16 pixels of a row (lavapipe pays per
  // workgroup, so they must not be tiny).
  int nc = p.c1 - p.c0;
  int bw = p.w - 2 * p.border;
  int group_index = int(gl_WorkGroupID.y) * p.groups_x + int(gl_WorkGroupID.x);
  int cblocks = (nc + 31) / 32;
  int bx0 = (group_index / cblocks) * 16;
  int c = (group_index % cblocks) * 32 + int(gl_LocalInvocationID.x);
  if (c >= nc)
    return;
  int y = int(gl_WorkGroupID.z) + p.border;
  for (int bx = bx0; bx < min (bx0 + 16, bw); bx++)
    {
      int x = bx + p.border;
      int idx = (int(gl_WorkGroupID.z) * bw + bx) * nc + c;
      int o = (y * p.w + x) * p.stride + p.off + p.c0 + c;
      float d = imageLoad (dst, o).x;
      if (p.mode == MODE_ADD_CONSTANT)
        d += p.value;
      else if (p.mode == MODE_ADD_SCALED_AUX)
        d += p.value * texelFetch (aux, o).x;
      else
        d += texelFetch (src, p.src_off + idx).x;
      imageStore (dst, o, vec4 (d));
    }
}
