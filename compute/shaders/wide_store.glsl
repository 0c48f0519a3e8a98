// wide_store.glsl: stores of 8 floats by one lane (needs shaderInt64).
//
// On lavapipe a store to a computed address runs lane by lane, one scalar
// store per component, whatever its width: a 64-bit component carries two
// floats, so a u64vec4 store writes 8 floats for the cost of a vec4. Lanes
// own 4 channels each; neighbours (lane, lane ^ 1) own 8 consecutive ones,
// so they swap halves by one shuffle and each writes all 8 channels of one
// of two values. Both lanes of a pair must be active. The including
// shader enables GL_EXT_shader_explicit_arithmetic_types_int64 and
// GL_KHR_shader_subgroup_shuffle (extensions come before declarations).

layout(binding = 2) writeonly buffer Dst8 { u64vec4 dst8[]; };

u64vec4 pack8 (vec4 lo, vec4 hi)
{
  return u64vec4 (packUint2x32 (floatBitsToUint (lo.xy)), packUint2x32 (floatBitsToUint (lo.zw)),
                  packUint2x32 (floatBitsToUint (hi.xy)), packUint2x32 (floatBitsToUint (hi.zw)));
}

// a at float index ia and b at ib are this lane's 4 channels of two
// values; ia and ib are multiples of 8 on even lanes. The even lane writes
// the pair's 8 channels of a, the odd lane those of b: one store.
void store_pair (int ia, vec4 a, int ib, vec4 b)
{
  bool odd = (gl_SubgroupInvocationID & 1u) != 0u;
  vec4 got = subgroupShuffleXor (odd ? a : b, 1u);
  int at = odd ? ib - 4 : ia;
  dst8[at >> 3] = odd ? pack8 (got, b) : pack8 (a, got);
}
