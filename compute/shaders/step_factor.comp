#version 450
// step_factor.comp: adds a slot's 64 partial sums (step_reduce.comp) and
// turns the sum s over n values into the normalisation's factor (or the
// mean), written to one float of the scratch buffer.  One workgroup.
layout(local_size_x = 64) in;

layout(binding = 3) uniform samplerBuffer aux;
layout(binding = 5, r32f) uniform writeonly imageBuffer aux_out;

layout(push_constant) uniform Params {
  int partials_off;
  float n;
  int mode;
  int out_at;
  int groups_x;
} p;

#define MODE_MEAN 0      // s / n
#define MODE_STD 1       // 1 / (sqrt(s / n) + 1e-8), s: squared deviations
#define MODE_MEAN_ABS 2  // 1 / (s / n + 1e-7), s: absolute values
#define MODE_RMS 3       // 1 / max(sqrt(s / n), 1e-10), s: squares

shared float sums[64];

void main ()
{
  int lane = int(gl_LocalInvocationID.x);
  sums[lane] = texelFetch (aux, p.partials_off + lane).x;
  barrier ();
  if (lane != 0)
    return;
  float s = 0.0;
  for (int k = 0; k < 64; k++)
    s += sums[k];
  float m = s / p.n;
  float f;
  if (p.mode == MODE_MEAN)
    f = m;
  else if (p.mode == MODE_STD)
    f = 1.0 / (sqrt (m) + 1e-8);
  else if (p.mode == MODE_MEAN_ABS)
    f = 1.0 / (m + 1e-7);
  else
    f = 1.0 / max (sqrt (m), 1e-10);
  imageStore (aux_out, p.out_at, vec4 (f));
}
