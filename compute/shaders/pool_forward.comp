#version 450
// pool_forward.comp: max or average pooling, one invocation per output
// value (or per 4 channels of it, with VEC4; see pool.glsl).
#extension GL_GOOGLE_include_directive : require
layout(local_size_x = 32) in;

#ifdef VEC4
layout(binding = 0) uniform samplerBuffer src;
layout(binding = 4, rgba32f) uniform writeonly imageBuffer dst;
// The same buffer as an SSBO: whole-vec4 stores at computed addresses are
// cheaper there on lavapipe (MAX_3X3_S2 and AVG_3X3_S1 use it).
layout(binding = 2) writeonly buffer Dst4 { vec4 dst4[]; };
layout(binding = 5, rgba32f) uniform writeonly imageBuffer argmax;
#else
layout(binding = 0) uniform samplerBuffer src;
layout(binding = 4, r32f) uniform writeonly imageBuffer dst;
// Max pools: the position of the maximum in its window, (y - y0) * kw +
// (x - x0) of the first maximum in scan order, dense out_h x out_w x C.
layout(binding = 5, r32f) uniform writeonly imageBuffer argmax;
#endif

layout(binding = 1) uniform samplerBuffer weights;  // RGBA texels: the bias

#include "pool.glsl"

#ifdef VEC4
#define FETCH(i) texelFetch (src, TEXEL (i))
#define STORE(img, i, v) imageStore (img, TEXEL (i), v)
#else
#define FETCH(i) texelFetch (src, i).x
#define STORE(img, i, v) imageStore (img, i, vec4 (v))
#endif

// Takes input value v at window position `here` into an average's sum or
// a maximum (and its position). The first maximum in scan order wins:
// strictly greater.
void take (VALUE v, float here, inout VALUE acc, inout VALUE best)
{
  if (p.mode == MODE_AVG)
    acc += v;
  else
    {
#ifdef VEC4
      bvec4 gt = greaterThan (v, acc);
      best = mix (best, vec4 (here), gt);
      acc = mix (acc, v, gt);
#else
      if (v > acc)
        {
          best = here;
          acc = v;
        }
#endif
    }
}

// Writes one output (and, for max pools, its argmax): an average divides
// by the count of real pixels in the window, then adds the bias, ReLU.
void finish (int oy, int ox, int c, VALUE acc, VALUE best, int ya, int yb, int x0, VALUE bias,
             bool relu)
{
  if (p.mode == MODE_AVG)
    {
      int xa = max (x0, 0), xb = min (x0 + p.kw, p.in_w);
      acc = acc / float ((yb - ya) * (xb - xa)) + bias;
      if (relu)
        acc = max (acc, VALUE (0.0));
    }
  else
    STORE (argmax, (oy * p.out_w + ox) * p.channels + c, best);
  STORE (dst, (oy * p.out_w + ox) * p.out_stride + p.out_off + c, acc);
}

#if defined(MAX_3X3_S2) || defined(AVG_3X3_S1)
// Column x of rows y0 .. y0 + 2 at channel c; values outside the input
// read the first pixel and count as `empty` (the empty window's value).
void fetch_column (int y0, int x, int c, VALUE empty, out VALUE v[3])
{
  for (int i = 0; i < 3; i++)
    {
      int y = y0 + i;
      bool inside = y >= 0 && y < p.in_h && x >= 0 && x < p.in_w;
      v[i] = FETCH (inside ? in_index (y, x, c) : in_index (0, 0, c));
      v[i] = inside ? v[i] : empty;
    }
}
#endif

#ifdef MAX_3X3_S2
// Max pools of 3x3 windows at stride 2 (all of InceptionV3's), 4 channels
// a lane: neighbouring windows share a column, so each output fetches the
// 6 values of its two new columns, not 9. The loop carries the shared
// column; nothing sits in a branch, as lavapipe runs both sides of one.
void main ()
{
  ivec3 at = pixel_and_channel ();
  int oy = at.y, c = at.z;
  if (c >= p.channels)
    return;
  int y0 = oy * 2 - p.pad_t;
  int x = at.x * 2 - p.pad_l;
  int ox_end = min (at.x + PIXELS_PER_LANE, p.out_w);
  VALUE empty = VALUE (-3.0e38);
  VALUE left[3];
  fetch_column (y0, x, c, empty, left);
  for (int ox = at.x; ox < ox_end; ox++, x += 2)
    {
      VALUE mid[3], right[3];
      fetch_column (y0, x + 1, c, empty, mid);
      fetch_column (y0, x + 2, c, empty, right);
      // Scan order, row by row: the first maximum wins (as take()).
      VALUE acc = empty, best = VALUE (0.0);
      for (int i = 0; i < 3; i++)
        {
          take (left[i], float (i * 3), acc, best);
          take (mid[i], float (i * 3 + 1), acc, best);
          take (right[i], float (i * 3 + 2), acc, best);
        }
      STORE (argmax, (oy * p.out_w + ox) * p.channels + c, best);
      dst4[TEXEL ((oy * p.out_w + ox) * p.out_stride + p.out_off + c)] = acc;
      left = right;
    }
}
#elif defined(AVG_3X3_S1)
// Column x of rows y0 .. y0 + 2 at channel c, summed (zero outside).
VALUE column_sum (int y0, int x, int c)
{
  VALUE v[3];
  fetch_column (y0, x, c, VALUE (0.0), v);
  return v[0] + v[1] + v[2];
}

// Average pools of 3x3 windows at stride 1 (InceptionV3's pool branches,
// finishing the 1x1 convolution moved in front of them: bias and ReLU),
// 4 channels a lane: neighbouring windows share two columns, so each
// output fetches one new column of 3 values, not 9.
void main ()
{
  ivec3 at = pixel_and_channel ();
  int oy = at.y, c = at.z;
  if (c >= p.channels)
    return;
  int y0 = oy - p.pad_t;
  int rows = min (y0 + 3, p.in_h) - max (y0, 0);
  int x = at.x - p.pad_l;
  int ox_end = min (at.x + PIXELS_PER_LANE, p.out_w);
  VALUE bias = p.bias_off >= 0 ? texelFetch (weights, p.bias_off + c / 4) : VALUE (0.0);
  bool relu = (p.flags & POOL_RELU) != 0;
  VALUE s0 = column_sum (y0, x, c), s1 = column_sum (y0, x + 1, c);
  for (int ox = at.x; ox < ox_end; ox++, x++)
    {
      VALUE s2 = column_sum (y0, x + 2, c);
      // Keras 'same' average pools divide by the real pixels only.
      int cols = min (x + 3, p.in_w) - max (x, 0);
      VALUE acc = (s0 + s1 + s2) / float (rows * cols) + bias;
      if (relu)
        acc = max (acc, VALUE (0.0));
      dst4[TEXEL ((oy * p.out_w + ox) * p.out_stride + p.out_off + c)] = acc;
      s0 = s1;
      s1 = s2;
    }
}
#else
void main ()
{
  ivec3 at = pixel_and_channel ();
  int oy = at.y, c = at.z;
  if (c >= p.channels)
    return;
  int y0 = oy * p.stride - p.pad_t;
  int ya = max (y0, 0), yb = min (y0 + p.kh, p.in_h);
  int ox_end = min (at.x + PIXELS_PER_LANE, p.out_w);
  VALUE bias = VALUE (0.0);
  if (p.bias_off >= 0)
    {
      vec4 b = texelFetch (weights, p.bias_off + c / 4);
#ifdef VEC4
      bias = b;
#else
      bias = b[c % 4];
#endif
    }
  bool relu = (p.flags & POOL_RELU) != 0;

  // 3x3 windows (all of InceptionV3's) take a path of fixed length: every
  // fetch first, then the arithmetic. On lavapipe a fetch is a call, and
  // a loop of run-time length masks every value it carries.
  if (p.kh == 3 && p.kw == 3)
    {
      for (int ox = at.x; ox < ox_end; ox++)
        {
          int x0 = ox * p.stride - p.pad_l;
          VALUE v[9];
          bool inside[9];
          for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
              {
                int y = y0 + i, x = x0 + j;
                inside[i * 3 + j] = y >= 0 && y < p.in_h && x >= 0 && x < p.in_w;
                // Taps outside read the first pixel instead.
                v[i * 3 + j] = FETCH (inside[i * 3 + j] ? in_index (y, x, c) : in_index (0, 0, c));
              }
          // Taps outside count as the empty window's value, changing nothing.
          VALUE empty = VALUE (p.mode == MODE_MAX ? -3.0e38 : 0.0);
          VALUE acc = empty;
          VALUE best = VALUE (0.0);
          for (int k = 0; k < 9; k++)
            take (inside[k] ? v[k] : empty, float (k), acc, best);
          finish (oy, ox, c, acc, best, ya, yb, x0, bias, relu);
        }
      return;
    }

  for (int ox = at.x; ox < ox_end; ox++)
    {
      int x0 = ox * p.stride - p.pad_l;
      int xa = max (x0, 0), xb = min (x0 + p.kw, p.in_w);
      VALUE acc = VALUE (p.mode == MODE_MAX ? -3.0e38 : 0.0);
      VALUE best = VALUE (0.0);
      for (int y = ya; y < yb; y++)
        for (int x = xa; x < xb; x++)
          take (FETCH (in_index (y, x, c)), float ((y - y0) * p.kw + (x - x0)), acc, best);
      finish (oy, ox, c, acc, best, ya, yb, x0, bias, relu);
    }
}
#endif
