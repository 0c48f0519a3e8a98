#version 450
// elementwise.comp: the small passes between convolutions: objective seeds,
// the ReLU mask of the backward pass, and adding an uploaded gradient.
// All work on a view (h, w, offset, stride) restricted to channels c0..c1-1
// and to the box `border` pixels inside each edge.
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 64) in;

layout(binding = 0) uniform samplerBuffer src;  // MODE_ADD_SRC: dense, from src_off
layout(binding = 2) buffer Dst { float dst[]; };
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
#define MODE_RELU_MASK 2      // dst = aux > 0 ? dst : 0     (backward ReLU)
#define MODE_ADD_SRC 3        // dst += src                  (uploaded seeds)

void main ()
{
  int idx = int((gl_WorkGroupID.y * uint(p.groups_x) + gl_WorkGroupID.x) * 64u +
                gl_LocalInvocationID.x);
  int nc = p.c1 - p.c0;
  int bh = p.h - 2 * p.border, bw = p.w - 2 * p.border;
  if (nc <= 0 || bh <= 0 || bw <= 0 || idx >= bh * bw * nc)
    return;
  int c = idx % nc;
  int pix = idx / nc;
  int y = pix / bw + p.border, x = pix % bw + p.border;
  int o = (y * p.w + x) * p.stride + p.off + p.c0 + c;

  if (p.mode == MODE_ADD_CONSTANT)
    dst[o] += p.value;
  else if (p.mode == MODE_ADD_SCALED_AUX)
    dst[o] += p.value * texelFetch (aux, o).x;
  else if (p.mode == MODE_RELU_MASK)
    dst[o] = texelFetch (aux, o).x > 0.0 ? dst[o] : 0.0;
  else
    dst[o] += texelFetch (src, p.src_off + idx).x;
}
