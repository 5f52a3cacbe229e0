// Times cblas_sgemm (row-major C = A·Bᵀ, A m×k, B n×k) on deterministic data: the best of RUNS.
// docs/packaging.md compares the reference BLAS and OpenBLAS with it, both linked statically from
// the bullseye sysroot scripts/package makes:
//
//   S=.build-sysroot/bullseye-sdk L=$S/usr/lib/x86_64-linux-gnu
//   clang --sysroot=$S -O2 scripts/blas-sgemm.c -o /tmp/sgemm-reference $L/blas/libblas.a -lm
//   clang --sysroot=$S -O2 scripts/blas-sgemm.c -o /tmp/sgemm-openblas \
//     $L/openblas-pthread/libopenblas.a -lpthread -lm
//   /tmp/sgemm-reference 256 45000 640 3; /tmp/sgemm-openblas 256 45000 640 3
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec time;
  clock_gettime(CLOCK_MONOTONIC, &time);
  return time.tv_sec + time.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s M N K RUNS\n", argv[0]);
    return 64;
  }
  int m = atoi(argv[1]), n = atoi(argv[2]), k = atoi(argv[3]), runs = atoi(argv[4]);
  float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n);
  float *c = malloc(sizeof(float) * m * n);
  if (a == NULL || b == NULL || c == NULL) return 1;
  for (long i = 0; i < (long)m * k; i++) a[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
  for (long i = 0; i < (long)k * n; i++) b[i] = (float)((i * 104729) % 1000) / 1000.0f - 0.5f;
  double best = 1e9;
  for (int run = 0; run < runs; run++) {
    double start = now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n);
    double elapsed = now() - start;
    if (elapsed < best) best = elapsed;
  }
  printf("%d x %d x %d: %.4f s, %.1f GFLOP/s (c[0] = %.9g)\n", m, n, k, best, 2.0 * m * n * k / best / 1e9, c[0]);
  return 0;
}
