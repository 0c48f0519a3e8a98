#version 450
// step_up.comp: out = fa * up(lo) + fb * out, in place, where up is the
// transpose of step_down (k / 8 per axis) to out's size.  The pyramid's
// split uses fa = -1, fb = 1 (the high band); the merge scales both by
// the bands' factors.  Output f gets lo[s] * k[f + pad - 2 s]: 2 or 3
// taps per axis by f's parity, added in core/gradnorm.c's order
// (ascending s).  A lane computes one pixel (3 channels); taps past an
// edge are read clamped with weight 0, so lanes do not diverge.
layout(local_size_x = 64) in;

layout(binding = 0) uniform samplerBuffer src;      // lo
layout(binding = 3) uniform samplerBuffer aux;      // scratch: factors
layout(binding = 4, r32f) uniform imageBuffer dst;  // out

layout(push_constant) uniform Params {
  int lo_h, lo_w, out_w;
  int pad_y, pad_x;
  float fa_sign;
  int fa_at, fb_at;    // factors in the scratch buffer; < 0: 1
  int groups_x;
} p;

#define PER_LANE 2

const float k5[5] = float[5] (1.0 / 8.0, 4.0 / 8.0, 6.0 / 8.0, 4.0 / 8.0, 1.0 / 8.0);

vec3 fetch3 (int pixel)
{
  return vec3 (texelFetch (src, pixel * 3).x, texelFetch (src, pixel * 3 + 1).x,
               texelFetch (src, pixel * 3 + 2).x);
}

void main ()
{
  int fy = int(gl_WorkGroupID.z);
  int block = int(gl_WorkGroupID.y) * p.groups_x + int(gl_WorkGroupID.x);
  float fa = p.fa_sign * (p.fa_at >= 0 ? texelFetch (aux, p.fa_at).x : 1.0);
  float fb = p.fb_at >= 0 ? texelFetch (aux, p.fb_at).x : 1.0;
  // Taps j = 2, 1, 0: s = (f + pad) / 2 - j, weight k[(f + pad) % 2 + 2 j].
  int ty = fy + p.pad_y;
  for (int k = 0; k < PER_LANE; k++)
    {
      int fx = (block * PER_LANE + k) * 64 + int(gl_LocalInvocationID.x);
      if (fx >= p.out_w)
        return;
      int tx = fx + p.pad_x;
      int xs[3];
      float wx[3];
      for (int j = 0; j < 3; j++)
        {
          int b = (tx & 1) + 2 * j;
          int sx = (tx >> 1) - j;
          wx[j] = (b <= 4 && sx >= 0 && sx < p.lo_w) ? k5[min (b, 4)] : 0.0;
          xs[j] = clamp (sx, 0, p.lo_w - 1);
        }
      vec3 v = vec3 (0.0);
      for (int jy = 2; jy >= 0; jy--)
        {
          int a = (ty & 1) + 2 * jy;
          int sy = (ty >> 1) - jy;
          if (a > 4 || sy < 0 || sy >= p.lo_h)
            continue;   // the same for the whole workgroup
          vec3 row = vec3 (0.0);
          for (int jx = 2; jx >= 0; jx--)
            row += wx[jx] * fetch3 (sy * p.lo_w + xs[jx]);
          v += k5[a] * row;
        }
      int o = (fy * p.out_w + fx) * 3;
      for (int c = 0; c < 3; c++)
        imageStore (dst, o + c, vec4 (fb * imageLoad (dst, o + c).x + fa * v[c]));
    }
}
