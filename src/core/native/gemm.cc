// Matrix products: OpenBLAS's sgemm when present, a portable blocked gemm otherwise, a kernel of
// our own for "short-wide" products x [M, K] times W [N, K] transposed with few rows (a decode
// step's projections: M = the batch, N and K the layer's sizes), and the batched N-API entry point.
#include "gemm.h"

#include <vector>

#include "common.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#if AHA_HAVE_BLAS
#include <cblas.h>
extern "C" void openblas_set_num_threads(int);
#endif

namespace aha {

namespace {

// Portable fallback: pack a KC x NC block of op(B) into NR-wide panels and a MR x KC block of
// op(A), then a register-tiled MR x NR micro-kernel the compiler vectorises (-O3 -march=native).
constexpr int MR = 4, NR = 32, KC = 256, NC = 512;

void gemmFallback(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
                  const float* B, int ldb, float beta, float* C, int ldc) {
  for (int i = 0; i < M; i++) {
    float* c = C + static_cast<int64_t>(i) * ldc;
    if (beta == 0.0f)
      std::fill(c, c + N, 0.0f);
    else if (beta != 1.0f)
      for (int j = 0; j < N; j++) c[j] *= beta;
  }
  if (K == 0 || alpha == 0.0f || M == 0 || N == 0) return;
  thread_local std::vector<float> packB, packA;
  packB.resize(static_cast<size_t>(KC) * (NC + NR));
  packA.resize(static_cast<size_t>(KC) * MR);
  for (int k0 = 0; k0 < K; k0 += KC) {
    const int kc = std::min(KC, K - k0);
    for (int j0 = 0; j0 < N; j0 += NC) {
      const int nc = std::min(NC, N - j0);
      const int panels = (nc + NR - 1) / NR;
      for (int p = 0; p < panels; p++) {
        float* dst = packB.data() + static_cast<size_t>(p) * kc * NR;
        for (int k = 0; k < kc; k++)
          for (int jj = 0; jj < NR; jj++) {
            const int j = j0 + p * NR + jj;
            float val = 0.0f;
            if (j < j0 + nc)
              val = tb ? B[static_cast<int64_t>(j) * ldb + k0 + k]
                       : B[static_cast<int64_t>(k0 + k) * ldb + j];
            dst[k * NR + jj] = val;
          }
      }
      for (int i0 = 0; i0 < M; i0 += MR) {
        const int mr = std::min(MR, M - i0);
        for (int k = 0; k < kc; k++)
          for (int r = 0; r < MR; r++) {
            float val = 0.0f;
            if (r < mr)
              val = ta ? A[static_cast<int64_t>(k0 + k) * lda + i0 + r]
                       : A[static_cast<int64_t>(i0 + r) * lda + k0 + k];
            packA[k * MR + r] = alpha * val;
          }
        for (int p = 0; p < panels; p++) {
          const float* pb = packB.data() + static_cast<size_t>(p) * kc * NR;
          float acc[MR][NR] = {};
          for (int k = 0; k < kc; k++) {
            const float* b = pb + k * NR;
            const float* a = packA.data() + k * MR;
            for (int r = 0; r < MR; r++)
              for (int jj = 0; jj < NR; jj++) acc[r][jj] += a[r] * b[jj];
          }
          const int jbase = j0 + p * NR;
          const int nw = std::min(NR, j0 + nc - jbase);
          for (int r = 0; r < mr; r++) {
            float* c = C + static_cast<int64_t>(i0 + r) * ldc + jbase;
            for (int jj = 0; jj < nw; jj++) c[jj] += acc[r][jj];
          }
        }
      }
    }
  }
}


// ---- Short-wide products: C [M, N] = alpha x [M, K] W[N, K]^T + beta C, M <= 64 --------------
// sgemm packs W (the large operand) into its panel layout on every call; at M = 64 that copy and
// its pass over memory cost about a third of the product (measured: 91-104 GFLOP per CPU-second
// against 118-156 for this kernel at the Qwen2.5-0.5B decode shapes). Here W is read in place,
// once, row by row: the small operand is transposed instead (xt [K, 16 MV], rows zero-padded to
// whole vectors), and a tile of NB rows of W times all of x computes C^T: for each k, MV vector
// loads of xt[k] and NB broadcasts of W[n, k], NB * MV fused multiply-adds. Every element of C
// is one f32 sum over k in order, whatever the thread count (threads own disjoint rows of W).
#if defined(__AVX512F__)
constexpr int kShortWideMaxRows = 64;
bool shortWideOn = true;

// acc[j][r] = sum_k W[j, k] xt[k, r] for the NB rows of W at w (rows ldw apart); the next tile's
// rows (at next) are prefetched one cache line per 16 k.
template <int MV, int NB>
inline void shortWideTile(const float* xt, const float* w, int64_t ldw, int K, float* acc, const float* next) {
  constexpr int MP = MV * 16;
  __m512 c[NB][MV];
  for (int j = 0; j < NB; j++)
    for (int v = 0; v < MV; v++) c[j][v] = _mm512_setzero_ps();
  for (int k = 0; k < K; k++) {
    if (next != nullptr && (k & 15) == 0)
      for (int j = 0; j < NB; j++) _mm_prefetch(reinterpret_cast<const char*>(next + j * ldw + k), _MM_HINT_T0);
    __m512 a[MV];
    for (int v = 0; v < MV; v++) a[v] = _mm512_loadu_ps(xt + static_cast<int64_t>(k) * MP + 16 * v);
    for (int j = 0; j < NB; j++) {
      const __m512 b = _mm512_set1_ps(w[j * ldw + k]);
      for (int v = 0; v < MV; v++) c[j][v] = _mm512_fmadd_ps(b, a[v], c[j][v]);
    }
  }
  for (int j = 0; j < NB; j++)
    for (int v = 0; v < MV; v++) _mm512_storeu_ps(acc + j * MP + 16 * v, c[j][v]);
}

// Rows [n0, n1) of W: full tiles of NB, then single rows. beta 0 overwrites C (NaN included).
template <int MV, int NB>
void shortWideRange(int M, int64_t n0, int64_t n1, int K, float alpha, const float* xt, const float* W, int64_t ldw,
                    float beta, float* C, int64_t ldc) {
  constexpr int MP = MV * 16;
  alignas(64) float acc[NB * MP];
  auto put = [&](int64_t n, int rows) {
    for (int r = 0; r < M; r++)
      for (int j = 0; j < rows; j++) {
        float* d = C + r * ldc + n + j;
        const float v = alpha * acc[j * MP + r];
        *d = beta == 0.0f ? v : v + beta * *d;
      }
  };
  int64_t n = n0;
  for (; n + NB <= n1; n += NB) {
    const float* w = W + n * ldw;
    shortWideTile<MV, NB>(xt, w, ldw, K, acc, n + 2 * NB <= n1 ? w + NB * ldw : nullptr);
    put(n, NB);
  }
  for (; n < n1; n++) {
    shortWideTile<MV, 1>(xt, W + n * ldw, ldw, K, acc, nullptr);
    put(n, 1);
  }
}

// Tiles: MV vectors of rows times NB rows of W, about 24 accumulators (32 zmm registers).
template <int MV>
constexpr int shortWideNB() { return MV == 4 ? 6 : MV == 3 ? 8 : 12; }

template <int MV>
void shortWideRun(int M, int N, int K, float alpha, const float* A, int lda, const float* W, int ldw, float beta,
                  float* C, int ldc, int nt) {
  constexpr int MP = MV * 16, NB = shortWideNB<MV>();
  // xt is shared by the threads: each transposes a block of k, then all read it.
  std::vector<float> xt(static_cast<size_t>(K) * MP);
  const int64_t tiles = (static_cast<int64_t>(N) + NB - 1) / NB;
  nt = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(nt, tiles)));
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num();
    int64_t k0, k1;
    chunk(K, t, nt, k0, k1);
    for (int64_t k = k0; k < k1; k++) {
      float* row = xt.data() + k * MP;
      for (int r = 0; r < M; r++) row[r] = A[static_cast<int64_t>(r) * lda + k];
      for (int r = M; r < MP; r++) row[r] = 0.0f;
    }
#pragma omp barrier
    int64_t t0, t1;
    chunk(tiles, t, nt, t0, t1);
    shortWideRange<MV, NB>(M, t0 * NB, std::min<int64_t>(t1 * NB, N), K, alpha, xt.data(), W, ldw, beta, C, ldc);
  }
}

// True when the product was computed here (no transpose of x, W transposed, 2-64 rows).
bool shortWide(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, const float* W, int ldw,
               float beta, float* C, int ldc, int nt) {
  if (!shortWideOn || ta || !tb || M < 2 || M > kShortWideMaxRows || N <= 0 || K <= 0) return false;
  switch ((M + 15) / 16) {
    case 1: shortWideRun<1>(M, N, K, alpha, A, lda, W, ldw, beta, C, ldc, nt); break;
    case 2: shortWideRun<2>(M, N, K, alpha, A, lda, W, ldw, beta, C, ldc, nt); break;
    case 3: shortWideRun<3>(M, N, K, alpha, A, lda, W, ldw, beta, C, ldc, nt); break;
    default: shortWideRun<4>(M, N, K, alpha, A, lda, W, ldw, beta, C, ldc, nt); break;
  }
  return true;
}
#else
bool shortWide(bool, bool, int, int, int, float, const float*, int, const float*, int, float, float*, int, int) {
  return false;
}
#endif

}  // namespace

void blasInit() {
#if AHA_HAVE_BLAS
  openblas_set_num_threads(1);
#endif
}

void gemmSerial(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
                const float* B, int ldb, float beta, float* C, int ldc) {
  if (M <= 0 || N <= 0) return;
#if AHA_HAVE_BLAS
  if (K <= 0) {
    gemmFallback(ta, tb, M, N, 0, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  if (M == 1) {
    // One row (decoding a single sequence): a matrix-vector product reads op(B) once, where
    // sgemm packs it first (measured: 3x the throughput per CPU-second for a 4864 x 896 weight).
    // beta 0 must overwrite whatever C holds, NaN included.
    if (beta == 0.0f) std::fill(C, C + N, 0.0f);
    cblas_sgemv(CblasRowMajor, tb ? CblasNoTrans : CblasTrans, tb ? N : K, tb ? K : N, alpha, B, ldb, A,
                ta ? lda : 1, beta, C, 1);
    return;
  }
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N,
              K, alpha, A, lda, B, ldb, beta, C, ldc);
#else
  gemmFallback(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
}

void gemmParallel(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
                  const float* B, int ldb, float beta, float* C, int ldc) {
  const int64_t work = static_cast<int64_t>(M) * N * K;
  int nt = omp_get_max_threads();
  if (!omp_in_parallel() && shortWide(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, work < (1 << 18) ? 1 : nt))
    return;
  if (nt <= 1 || work < (1 << 18) || omp_in_parallel()) {
    gemmSerial(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  // Split the larger of M and N; N splits stay multiples of 16 floats (whole vectors).
  const bool splitM = M >= N;
  const int64_t units = splitM ? M : (N + 15) / 16;
  nt = static_cast<int>(std::min<int64_t>(nt, units));
#pragma omp parallel num_threads(nt)
  {
    int64_t b, e;
    chunk(units, omp_get_thread_num(), nt, b, e);
    if (splitM) {
      const float* a = ta ? A + b : A + b * lda;
      gemmSerial(ta, tb, static_cast<int>(e - b), N, K, alpha, a, lda, B, ldb, beta, C + b * ldc, ldc);
    } else {
      const int64_t j0 = b * 16, j1 = std::min<int64_t>(e * 16, N);
      if (j1 > j0) {
        const float* bb = tb ? B + j0 * ldb : B + j0;
        gemmSerial(ta, tb, M, static_cast<int>(j1 - j0), K, alpha, A, lda, bb, ldb, beta, C + j0, ldc);
      }
    }
  }
}

namespace {

// gemm(ta, tb, batch, M, N, K, alpha, A, strideA, B, strideB, beta, C, strideC): contiguous
// row-major operands; a stride of 0 broadcasts that operand over the batch.
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  const bool ta = info[0].As<Napi::Boolean>().Value(), tb = info[1].As<Napi::Boolean>().Value();
  const int64_t batch = INT(info, 2);
  const int M = static_cast<int>(INT(info, 3)), N = static_cast<int>(INT(info, 4)),
            K = static_cast<int>(INT(info, 5));
  const float alpha = static_cast<float>(NUM(info, 6));
  const float* A = F32(info, 7);
  const int64_t sA = INT(info, 8);
  const float* B = F32(info, 9);
  const int64_t sB = INT(info, 10);
  const float beta = static_cast<float>(NUM(info, 11));
  float* C = F32(info, 12);
  const int64_t sC = INT(info, 13);
  const int lda = ta ? M : K, ldb = tb ? K : N, ldc = N;
  const int nt = omp_get_max_threads();
  if (sC != 0 && batch >= 2 * nt && static_cast<int64_t>(M) * N * K < (1 << 22)) {
    // Many small products: one whole product per thread.
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t i = 0; i < batch; i++)
      gemmSerial(ta, tb, M, N, K, alpha, A + i * sA, lda, B + i * sB, ldb, beta, C + i * sC, ldc);
  } else {
    for (int64_t i = 0; i < batch; i++)
      gemmParallel(ta, tb, M, N, K, alpha, A + i * sA, lda, B + i * sB, ldb, beta, C + i * sC, ldc);
  }
  return info.Env().Undefined();
}

// gemmStrided(ta, tb, M, N, K, alpha, A, offA, lda, B, offB, ldb, beta, C, offC, ldc): one
// product on sub-matrices of row-major buffers (an operand starts `off` floats in, rows `ld`
// apart), e.g. a block of columns of a fused projection's output.
Napi::Value GemmStrided(const Napi::CallbackInfo& info) {
  const bool ta = info[0].As<Napi::Boolean>().Value(), tb = info[1].As<Napi::Boolean>().Value();
  const int M = static_cast<int>(INT(info, 2)), N = static_cast<int>(INT(info, 3)),
            K = static_cast<int>(INT(info, 4));
  const float alpha = static_cast<float>(NUM(info, 5));
  const float* A = F32(info, 6) + INT(info, 7);
  const int lda = static_cast<int>(INT(info, 8));
  const float* B = F32(info, 9) + INT(info, 10);
  const int ldb = static_cast<int>(INT(info, 11));
  const float beta = static_cast<float>(NUM(info, 12));
  float* C = F32(info, 13) + INT(info, 14);
  const int ldc = static_cast<int>(INT(info, 15));
  gemmParallel(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  return info.Env().Undefined();
}

// setShortWideGemm(on): whether products of 2-64 rows with W transposed take the short-wide kernel
// (default) or sgemm / the fallback (for the in-process comparison in bench/generate-profile.ts).
// Returns whether this build has the kernel (AVX-512).
Napi::Value SetShortWideGemm(const Napi::CallbackInfo& info) {
#if defined(__AVX512F__)
  shortWideOn = info[0].As<Napi::Boolean>().Value();
  return Napi::Boolean::New(info.Env(), true);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

}  // namespace

void registerGemm(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", Napi::Function::New(env, Gemm));
  exports.Set("gemmStrided", Napi::Function::New(env, GemmStrided));
  exports.Set("setShortWideGemm", Napi::Function::New(env, SetShortWideGemm));
}

}  // namespace aha
