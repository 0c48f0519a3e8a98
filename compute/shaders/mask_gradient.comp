#version 450
// mask_gradient.comp: the backward ReLU on its own, in place: a gradient
// view is zeroed where the activation (same view in `act`) is not > 0.
//
// conv_gemm can fold this into its reads (MASK_INPUT), but there it costs
// a mask fetch at every read, and a backward convolution reads each value
// once per kernel tap and per 32 output channels: where that is 3 times or
// more, masking once beforehand is cheaper on lavapipe, where each fetch
// is a function call.
//
// Views in whole texels (4 channels); lanes as channel_lanes.glsl, each
// lane a run of 4 pixels. WIDE: pairs of lanes store 8 channels.
#extension GL_GOOGLE_include_directive : require
#ifdef WIDE
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#endif
layout(local_size_x = 32) in;

layout(binding = 0) uniform samplerBuffer grad;  // the gradient, read
layout(binding = 3) uniform samplerBuffer act;   // the activations
#ifdef WIDE
#include "wide_store.glsl"                       // the gradient, written
#else
layout(binding = 2) writeonly buffer Dst4 { vec4 dst4[]; };
#endif

layout(push_constant) uniform MaskParams {
  int pixels, off, stride, channels;
  int groups_x;
} p;

#define VEC4
#include "channel_lanes.glsl"

#define PIXELS_PER_GROUP 16

vec4 masked (int i)
{
  vec4 g = texelFetch (grad, i >> 2);
  return mix (vec4 (0.0), g, greaterThan (texelFetch (act, i >> 2), vec4 (0.0)));
}

void main ()
{
  ivec2 at = lane_item_and_channel (p.channels, PIXELS_PER_GROUP, p.groups_x);
  int c = at.y;
  if (c >= p.channels)
    return;
  // Pixels in pairs; an odd last one stands in for its partner too.
  for (int k = 0; k < PIXELS_PER_GROUP / LANE_CHANNELS; k += 2)
    {
      int qa = at.x + k;
      if (qa >= p.pixels)
        break;
      int qb = qa + 1 < p.pixels ? qa + 1 : qa;
      int ia = qa * p.stride + p.off + c, ib = qb * p.stride + p.off + c;
      vec4 ga = masked (ia), gb = masked (ib);
#ifdef WIDE
      store_pair (ia, ga, ib, gb);
#else
      dst4[ia >> 2] = ga;
      dst4[ib >> 2] = gb;
#endif
    }
}
