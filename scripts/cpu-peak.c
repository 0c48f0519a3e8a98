/* cpu-peak.c: this CPU's peak fp32 rate for the two kinds of 256-bit code
 * a convolution can be made of, so that the GFLOPS of `inceptionist-cli
 * bench --profile` can be read against what the machine can do:
 *
 *   mul+add  a multiply and an add per value, which is what lavapipe's JIT
 *            emits (its NIR options lower every fused multiply-add);
 *   fma      fused multiply-adds, which oneDNN (the PyTorch peer) uses.
 *
 * Each thread runs 12 independent chains, as many as the multiply and add
 * units' latency times their number, so that the units, not the chains'
 * latency, set the rate: on one thread, then on one per processor.
 * x86-64 with AVX2 and FMA only (built there as build/scripts/cpu-peak,
 * which bench.sh --profile runs after the profiles).
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define CHAINS 12   /* as written out in TWELVE below */
#define ROUNDS 40000000L

static double
seconds_now (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* The chains are named variables, not an array: compilers keep an
 * array's elements in memory, and the loads and stores would set the
 * rate instead. The factor and term keep every value finite and normal;
 * the chains' sum is stored, so that no chain's work can be dropped. */
#define CHAINS_START \
  __m256 factor = _mm256_set1_ps (1.0000001f), term = _mm256_set1_ps (1e-7f); \
  TWELVE (CHAIN_INIT)
#define CHAIN_INIT(i) __m256 v##i = _mm256_set1_ps (i + 1.0f);
#define CHAIN_SUM(i) sum = _mm256_add_ps (sum, v##i);
#define CHAINS_STORE(result) \
  __m256 sum = _mm256_setzero_ps (); \
  TWELVE (CHAIN_SUM) \
  _mm256_storeu_ps (result, sum);
#define TWELVE(op) op (0) op (1) op (2) op (3) op (4) op (5) op (6) op (7) op (8) op (9) op (10) op (11)

/* An empty statement that takes and gives every chain in a register, once
 * a round: it keeps the compiler from splitting a round's independent
 * chains into loops of their own (loop distribution), which would run the
 * multiplies and the adds one after the other. */
#define ROUND_END \
  __asm__ volatile ("" : "+x"(v0), "+x"(v1), "+x"(v2), "+x"(v3), "+x"(v4), "+x"(v5), \
                         "+x"(v6), "+x"(v7), "+x"(v8), "+x"(v9), "+x"(v10), "+x"(v11));

#define MUL(i) v##i = _mm256_mul_ps (v##i, factor);
#define ADD(i) v##i = _mm256_add_ps (v##i, term);
#define FMA(i) v##i = _mm256_fmadd_ps (v##i, factor, term);

/* 6 chains of multiplies and 6 of adds: 12 operations of 8 lanes, 96
 * flops, a round. */
static void *
run_mul_add (void *result)
{
  CHAINS_START
  for (long r = 0; r < ROUNDS; r++)
    {
      MUL (0) ADD (1) MUL (2) ADD (3) MUL (4) ADD (5)
      MUL (6) ADD (7) MUL (8) ADD (9) MUL (10) ADD (11)
      ROUND_END
    }
  CHAINS_STORE (result)
  return NULL;
}

/* 12 chains of fused multiply-adds: 12 operations of 8 lanes, 192 flops,
 * a round. */
static void *
run_fma (void *result)
{
  CHAINS_START
  for (long r = 0; r < ROUNDS; r++)
    {
      TWELVE (FMA)
      ROUND_END
    }
  CHAINS_STORE (result)
  return NULL;
}

/* GFLOPS of `body` on `threads` threads at once. */
static double
measure (void *(*body) (void *), double flops_per_round, int threads)
{
  pthread_t *ids = calloc (threads, sizeof *ids);
  float (*results)[8] = calloc (threads, sizeof *results);
  if (!ids || !results)
    {
      fprintf (stderr, "cpu-peak: out of memory\n");
      exit (1);
    }
  double start = seconds_now ();
  for (int t = 0; t < threads; t++)
    if (pthread_create (&ids[t], NULL, body, results[t]) != 0)
      {
        fprintf (stderr, "cpu-peak: cannot start thread %d of %d\n", t + 1, threads);
        exit (1);
      }
  for (int t = 0; t < threads; t++)
    pthread_join (ids[t], NULL);
  double elapsed = seconds_now () - start;
  free (ids);
  free (results);
  return flops_per_round * ROUNDS * threads / elapsed / 1e9;
}

int
main (void)
{
  __builtin_cpu_init ();
  if (!__builtin_cpu_supports ("avx2") || !__builtin_cpu_supports ("fma"))
    {
      fprintf (stderr, "cpu-peak: this CPU lacks AVX2 or FMA\n");
      return 1;
    }
  int threads = (int) sysconf (_SC_NPROCESSORS_ONLN);
  if (threads < 1)
    threads = 1;
  /* A multiply or an add is 8 flops, a fused multiply-add 16. One thread
   * first: a core's own rate, which the whole CPU's should multiply. */
  printf ("cpu_peak_threads=%d\n", threads);
  printf ("cpu_peak_mul_add_gflops_one_thread=%.1f\n", measure (run_mul_add, CHAINS * 8.0, 1));
  printf ("cpu_peak_fma_gflops_one_thread=%.1f\n", measure (run_fma, CHAINS * 16.0, 1));
  printf ("cpu_peak_mul_add_gflops=%.1f\n", measure (run_mul_add, CHAINS * 8.0, threads));
  printf ("cpu_peak_fma_gflops=%.1f\n", measure (run_fma, CHAINS * 16.0, threads));
  return 0;
}
