#version 450
// step_reduce.comp: the first level of a sum over n floats: workgroup g
// sums its chunk and writes partial g of the slot.  step_factor.comp adds
// the partials.  Lanes read consecutive floats; one barrier per group.
layout(local_size_x = 64) in;

layout(binding = 0) uniform samplerBuffer src;
layout(binding = 3) uniform samplerBuffer aux;        // the scratch buffer
layout(binding = 5, r32f) uniform writeonly imageBuffer aux_out;  // the same

layout(push_constant) uniform Params {
  int n, chunk;
  int mode;
  int out_off;       // where partial 0 goes
  int mean_at;       // MODE_SQUARED_DEVIATION: where the mean is
  int groups_x;
} p;

#define MODE_SUM 0
#define MODE_ABS 1
#define MODE_SQUARE 2
#define MODE_SQUARED_DEVIATION 3

shared float sums[64];

void main ()
{
  int g = int(gl_WorkGroupID.y) * p.groups_x + int(gl_WorkGroupID.x);
  int lane = int(gl_LocalInvocationID.x);
  int start = g * p.chunk;
  int end = min (start + p.chunk, p.n);
  float mean = p.mode == MODE_SQUARED_DEVIATION ? texelFetch (aux, p.mean_at).x : 0.0;
  float acc = 0.0;

  for (int i = start + lane; i < end; i += 64)
    {
      float x = texelFetch (src, i).x;
      if (p.mode == MODE_ABS)
        x = abs (x);
      else if (p.mode == MODE_SQUARE)
        x = x * x;
      else if (p.mode == MODE_SQUARED_DEVIATION)
        x = (x - mean) * (x - mean);
      acc += x;
    }
  sums[lane] = acc;
  barrier ();
  if (lane == 0)
    {
      float total = 0.0;
      for (int k = 0; k < 64; k++)
        total += sums[k];
      imageStore (aux_out, p.out_off + g, vec4 (total));
    }
}
