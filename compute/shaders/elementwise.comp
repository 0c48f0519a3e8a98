#version 450
// elementwise.comp: the small passes between convolutions: objective seeds
// and adding an uploaded gradient.
// All work on a view (h, w, offset, stride) restricted to channels c0..c1-1
// and to the box `border` pixels inside each edge.
//
// VEC4 (the view's offset and stride, c0 and c1, and src_off multiples of
// 4): 4 channels a lane, read as RGBA32F texels and stored as whole vec4s,
// a quarter of the scalar form's loads and stores (mixed5's mean seed, a
// strided view when its sibling convolutions share its buffer, went
// through the scalar form).
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 32) in;

layout(binding = 0) uniform samplerBuffer src;  // MODE_ADD_SRC: dense, from src_off
layout(binding = 3) uniform samplerBuffer aux;  // activations, same view
#ifdef VEC4
layout(binding = 2) writeonly buffer Dst4 { vec4 dst4[]; };
layout(binding = 6) uniform samplerBuffer dst_in4;  // the same buffer, read
#else
layout(binding = 4, r32f) uniform imageBuffer dst;
#endif

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

#include "channel_lanes.glsl"

#ifdef VEC4
#define LOAD(o) texelFetch (dst_in4, TEXEL (o))
#define STORE(o, v) dst4[TEXEL (o)] = v
#define FETCH(buf, i) texelFetch (buf, TEXEL (i))
#else
#define LOAD(o) imageLoad (dst, o).x
#define STORE(o, v) imageStore (dst, o, vec4 (v))
#define FETCH(buf, i) texelFetch (buf, i).x
#endif

void main ()
{
  // Dispatched as (channel blocks x box width, ..., box height): channels
  // along the lanes (channel_lanes.glsl), so no per-value integer
  // division. Each workgroup takes a run of 16 pixels of a row (lavapipe
  // pays per workgroup, so they must not be tiny); with VEC4, 4 runs of
  // 4 pixels.
  int nc = p.c1 - p.c0;
  int bw = p.w - 2 * p.border;
  ivec2 at = lane_item_and_channel (nc, 16, p.groups_x);
  int c = at.y;
  if (c >= nc)
    return;
  int y = int(gl_WorkGroupID.z) + p.border;
  for (int bx = at.x; bx < min (at.x + 16 / LANE_CHANNELS, bw); bx++)
    {
      int x = bx + p.border;
      int idx = (int(gl_WorkGroupID.z) * bw + bx) * nc + c;
      int o = (y * p.w + x) * p.stride + p.off + p.c0 + c;
      VALUE d = LOAD (o);
      if (p.mode == MODE_ADD_CONSTANT)
        d += p.value;
      else if (p.mode == MODE_ADD_SCALED_AUX)
        d += p.value * FETCH (aux, o);
      else
        d += FETCH (src, p.src_off + idx);
      STORE (o, d);
    }
}
