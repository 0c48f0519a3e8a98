#version 450
// maxpool_scatter.comp: the input gradient of a max pool, scattered: each
// window adds its output gradient to the input its forward pass chose
// (the first maximum in scan order, recorded in `argmax`). One dispatch
// per phase of windows: windows step_y rows and step_x columns apart
// (step * stride >= kernel size) do not overlap, so no two invocations of
// a dispatch add to the same place. Against pool_backward's gather (every
// input value visiting the windows that hold it) this reads each output
// once instead of about 9 times: the max pools' backward passes ran 3x
// slower as a gather on lavapipe.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 32) in;

layout(binding = 0) uniform samplerBuffer dy;      // gradient of the output
layout(binding = 3) uniform samplerBuffer argmax;  // dense out_h x out_w x C
// Gradient of the input, added to value by value: the 4 channels of a
// texel go to 4 different pixels.
layout(binding = 4, r32f) uniform imageBuffer dx;

#include "pool.glsl"

#ifdef VEC4
#define FETCH(buf, i) texelFetch (buf, TEXEL (i))
#else
#define FETCH(buf, i) texelFetch (buf, i).x
#endif

void main ()
{
  // pool.glsl's walk over a grid of items: here the phase's windows.
  ivec3 at = pixel_and_channel ();
  int oy = p.phase_y + at.y * p.step_y, c = at.z;
  if (c >= p.channels || oy >= p.out_h)
    return;
  int y0 = oy * p.stride - p.pad_t;
  int q_end = at.x + PIXELS_PER_LANE;

  for (int q = at.x; q < q_end; q++)
    {
      int ox = p.phase_x + q * p.step_x;
      if (ox >= p.out_w)
        break;
      int x0 = ox * p.stride - p.pad_l;
      VALUE g = FETCH (dy, (oy * p.out_w + ox) * p.out_stride + p.out_off + c);
      VALUE best = FETCH (argmax, (oy * p.out_w + ox) * p.channels + c);
      for (int k = 0; k < LANE_CHANNELS; k++)
        {
#ifdef VEC4
          int b = int(best[k]);
          float gk = g[k];
#else
          int b = int(best);
          float gk = g;
#endif
          // b / kw for b < kh * kw, without an integer division.
          int by = int((float(b) + 0.5) / float(p.kw));
          int iy = y0 + by, ix = x0 + b - by * p.kw;
          if (iy < 0 || iy >= p.in_h || ix < 0 || ix >= p.in_w)
            continue;
          int o = in_index (iy, ix, c + k);
          imageStore (dx, o, vec4 (imageLoad (dx, o).x + gk));
        }
    }
}
