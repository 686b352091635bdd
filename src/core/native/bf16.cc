// Products with frozen BF16 weights: f32 activations times a BF16 matrix W [N, K] (nn.Linear's
// layout), accumulated in f32. A LoRA run keeps the base model in its file precision (half the
// memory of f32) and widens one block of W at a time into a per-thread f32 buffer that the
// ordinary gemm then uses, so the full f32 matrix never exists. Widening a BF16 value is exact
// (its 16 bits are the high half of the f32), so results equal an f32 product with the widened
// weights. AVX-512 widens 16 values per instruction where the CPU has it; a portable loop
// (which compilers vectorise too) elsewhere.
#include <vector>

#include "common.h"
#include "gemm.h"

#if defined(__AVX512F__)
#include <immintrin.h>
// GCC 12's own AVX-512 headers trip -Wmaybe-uninitialized (their _mm512_undefined_epi32).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace aha {

namespace {

inline uint16_t* U16(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Uint16Array>().Data();
}

// dst[i] = widen(src[i]) for n values.
inline void widen(const uint16_t* src, float* dst, int64_t n) {
  int64_t i = 0;
#if defined(__AVX512F__)
  for (; i + 16 <= n; i += 16) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
    const __m512i w = _mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16);
    _mm512_storeu_ps(dst + i, _mm512_castsi512_ps(w));
  }
#endif
  for (; i < n; i++) {
    const uint32_t bits = static_cast<uint32_t>(src[i]) << 16;
    std::memcpy(dst + i, &bits, 4);
  }
}

// Rows of W widened per block: about 256K floats (1 MB, cache-sized) per buffer, at least 16.
inline int blockRows(int K) { return std::max(16, (1 << 18) / std::max(K, 1)); }

// linearBf16(x, w, y, M, N, K, beta): y [M, N] = x [M, K] W^T + beta * y, W [N, K] in BF16.
// Threads own disjoint column blocks of y (blocks of W's rows).
Napi::Value LinearBf16(const Napi::CallbackInfo& info) {
  const float* x = F32(info, 0);
  const uint16_t* w = U16(info, 1);
  float* y = F32(info, 2);
  const int M = static_cast<int>(INT(info, 3)), N = static_cast<int>(INT(info, 4)),
            K = static_cast<int>(INT(info, 5));
  const float beta = static_cast<float>(NUM(info, 6));
  if (M <= 0 || N <= 0) return info.Env().Undefined();
  const int nb = blockRows(K);
  const int64_t blocks = (N + nb - 1) / nb;
  const int64_t work = static_cast<int64_t>(M) * N * K;
  const int nt = static_cast<int>(std::min<int64_t>(work < (1 << 18) ? 1 : omp_get_max_threads(), blocks));
#pragma omp parallel num_threads(nt)
  {
    thread_local std::vector<float> buf;
    buf.resize(static_cast<size_t>(nb) * K);
    int64_t b0, b1;
    chunk(blocks, omp_get_thread_num(), nt, b0, b1);
    for (int64_t b = b0; b < b1; b++) {
      const int n0 = static_cast<int>(b * nb), rows = std::min(nb, N - n0);
      widen(w + static_cast<int64_t>(n0) * K, buf.data(), static_cast<int64_t>(rows) * K);
      gemmSerial(false, true, M, rows, K, 1.0f, x, K, buf.data(), K, beta, y + n0, N);
    }
  }
  return info.Env().Undefined();
}

// linearBf16Backward(dy, w, dx, M, N, K): dx [M, K] += dy [M, N] W, W [N, K] in BF16 (the input
// gradient of linearBf16). Threads own disjoint column ranges of dx (columns of W); each widens
// W[n0:n0+rows, k0:k1] block by block and accumulates.
Napi::Value LinearBf16Backward(const Napi::CallbackInfo& info) {
  const float* dy = F32(info, 0);
  const uint16_t* w = U16(info, 1);
  float* dx = F32(info, 2);
  const int M = static_cast<int>(INT(info, 3)), N = static_cast<int>(INT(info, 4)),
            K = static_cast<int>(INT(info, 5));
  if (M <= 0 || N <= 0 || K <= 0) return info.Env().Undefined();
  const int64_t units = (K + 15) / 16;  // whole vectors of columns
  const int64_t work = static_cast<int64_t>(M) * N * K;
  const int nt = static_cast<int>(std::min<int64_t>(work < (1 << 18) ? 1 : omp_get_max_threads(), units));
#pragma omp parallel num_threads(nt)
  {
    int64_t u0, u1;
    chunk(units, omp_get_thread_num(), nt, u0, u1);
    const int k0 = static_cast<int>(u0 * 16), k1 = static_cast<int>(std::min<int64_t>(u1 * 16, K));
    const int kc = k1 - k0;
    if (kc > 0) {
      const int nb = blockRows(kc);
      thread_local std::vector<float> buf;
      buf.resize(static_cast<size_t>(nb) * kc);
      for (int n0 = 0; n0 < N; n0 += nb) {
        const int rows = std::min(nb, N - n0);
        for (int r = 0; r < rows; r++)
          widen(w + static_cast<int64_t>(n0 + r) * K + k0, buf.data() + static_cast<int64_t>(r) * kc, kc);
        gemmSerial(false, false, M, kc, rows, 1.0f, dy + n0, N, buf.data(), kc, 1.0f, dx + k0, K);
      }
    }
  }
  return info.Env().Undefined();
}

// bf16Widen(src, dst, n): dst = widen(src) (embedding rows, merging, tests).
Napi::Value Bf16Widen(const Napi::CallbackInfo& info) {
  const uint16_t* src = U16(info, 0);
  float* dst = F32(info, 1);
  const int64_t n = INT(info, 2);
#pragma omp parallel num_threads(threadsFor(n))
  {
    int64_t b, e;
    chunk(n, omp_get_thread_num(), omp_get_num_threads(), b, e);
    widen(src + b, dst + b, e - b);
  }
  return info.Env().Undefined();
}

}  // namespace

void registerBf16(Napi::Env env, Napi::Object exports) {
  exports.Set("linearBf16", Napi::Function::New(env, LinearBf16));
  exports.Set("linearBf16Backward", Napi::Function::New(env, LinearBf16Backward));
  exports.Set("bf16Widen", Napi::Function::New(env, Bf16Widen));
}

}  // namespace aha
