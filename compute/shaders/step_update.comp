#version 450
// step_update.comp: image += step * mask * factor * gradient, then the
// optional clip to [-1, 1], in one pass (core/dream.c's update).
layout(local_size_x = 64) in;

layout(binding = 0) uniform samplerBuffer src;   // the gradient
layout(binding = 3) uniform samplerBuffer aux;   // scratch: factor, mask
layout(binding = 4, r32f) uniform imageBuffer dst;  // the image

layout(push_constant) uniform Params {
  int n;             // floats: pixels * 3
  int factor_at;     // < 0: factor 1
  int mask_off;      // < 0: no mask
  float step;
  int clip;
  int groups_x;
} p;

#define PER_LANE 16

void main ()
{
  int g = int(gl_WorkGroupID.y) * p.groups_x + int(gl_WorkGroupID.x);
  float f = p.factor_at >= 0 ? texelFetch (aux, p.factor_at).x : 1.0;
  for (int k = 0; k < PER_LANE; k++)
    {
      int i = (g * PER_LANE + k) * 64 + int(gl_LocalInvocationID.x);
      if (i >= p.n)
        return;
      // As on the host: the normalised gradient is rounded to float, the
      // step scaled by the mask, and a 0 in the mask adds exactly 0.
      float gn = texelFetch (src, i).x * f;
      float s = p.mask_off >= 0 ? p.step * texelFetch (aux, p.mask_off + i / 3).x : p.step;
      precise float v = imageLoad (dst, i).x + s * gn;
      if (p.clip != 0)
        v = clamp (v, -1.0, 1.0);
      imageStore (dst, i, vec4 (v));
    }
}
