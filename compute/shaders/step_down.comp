#version 450
// step_down.comp: one level down a Laplacian pyramid: the 5x5 binomial
// filter (k / 16 per axis) with TF 'SAME' padding and stride 2, as
// core/gradnorm.c's resample: along rows first, then columns, taps in the
// same order.  A lane computes one output pixel (3 channels); taps past
// an edge are read clamped with weight 0, so lanes do not diverge.
layout(local_size_x = 64) in;

layout(binding = 0) uniform samplerBuffer src;
layout(binding = 4, r32f) uniform writeonly imageBuffer dst;

layout(push_constant) uniform Params {
  int in_h, in_w, out_w;
  int pad_y, pad_x;
  int groups_x;
} p;

#define PER_LANE 2

const float k5[5] = float[5] (1.0 / 16.0, 4.0 / 16.0, 6.0 / 16.0, 4.0 / 16.0, 1.0 / 16.0);

vec3 fetch3 (int pixel)
{
  return vec3 (texelFetch (src, pixel * 3).x, texelFetch (src, pixel * 3 + 1).x,
               texelFetch (src, pixel * 3 + 2).x);
}

void main ()
{
  int oy = int(gl_WorkGroupID.z);
  int block = int(gl_WorkGroupID.y) * p.groups_x + int(gl_WorkGroupID.x);
  for (int k = 0; k < PER_LANE; k++)
    {
      int ox = (block * PER_LANE + k) * 64 + int(gl_LocalInvocationID.x);
      if (ox >= p.out_w)
        return;
      int xs[5];
      float wx[5];
      for (int b = 0; b < 5; b++)
        {
          int x = 2 * ox + b - p.pad_x;
          wx[b] = (x >= 0 && x < p.in_w) ? k5[b] : 0.0;
          xs[b] = clamp (x, 0, p.in_w - 1);
        }
      vec3 v = vec3 (0.0);
      for (int a = 0; a < 5; a++)
        {
          int y = 2 * oy + a - p.pad_y;
          if (y < 0 || y >= p.in_h)
            continue;   // the same for the whole workgroup
          vec3 row = vec3 (0.0);
          for (int b = 0; b < 5; b++)
            row += wx[b] * fetch3 (y * p.in_w + xs[b]);
          v += k5[a] * row;
        }
      int o = (oy * p.out_w + ox) * 3;
      imageStore (dst, o, vec4 (v.x));
      imageStore (dst, o + 1, vec4 (v.y));
      imageStore (dst, o + 2, vec4 (v.z));
    }
}
