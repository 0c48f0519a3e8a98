// div_mod.glsl: quotient and remainder by a float division.
//
// q / d and q % d for 0 <= q < 2^24 (pixel and block counts: a larger
// one would not fit a texel buffer), d > 0, without an integer division:
// lavapipe runs those lane by lane (a scalar idiv each), while a float
// division is one vector instruction. The float quotient is off by less
// than 1, and one correction step makes it exact.
ivec2 div_mod (int q, int d)
{
  int y = int(float(q) / float(d));
  int r = q - y * d;
  if (r < 0)
    {
      y--;
      r += d;
    }
  else if (r >= d)
    {
      y++;
      r -= d;
    }
  return ivec2 (y, r);
}
