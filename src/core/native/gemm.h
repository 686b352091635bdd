// Matrix products C = alpha * op(A) op(B) + beta * C (row-major, op = optional transpose).
// With OpenBLAS (AHA_HAVE_BLAS=1) these call cblas_sgemm pinned to one thread, and aha splits the
// work over its own OpenMP pool, so only one thread pool ever runs; otherwise a blocked C++ gemm.
#pragma once
#include <cstdint>

namespace aha {

// On the calling thread only (safe inside an OpenMP parallel region).
void gemmSerial(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
                const float* B, int ldb, float beta, float* C, int ldc);

// Split over the OpenMP pool by rows or columns of C (each element owned by one thread).
void gemmParallel(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
                  const float* B, int ldb, float beta, float* C, int ldc);

// Tell the BLAS library to stay single-threaded (called once at load).
void blasInit();

}  // namespace aha
