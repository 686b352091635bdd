// Products with frozen BF16 weights: f32 activations times a BF16 matrix W [N, K] (nn.Linear's
// layout), accumulated in f32. A LoRA run keeps the base model in its file precision (half the
// memory of f32) and widens one block of W at a time into a per-thread f32 buffer that the
// ordinary gemm then uses, so the full f32 matrix never exists. Widening a BF16 value is exact
// (its 16 bits are the high half of the f32), so results equal an f32 product with the widened
// weights. AVX-512 widens 16 values per instruction where the CPU has it; a portable loop
// (which compilers vectorise too) elsewhere.
//
// Also the opt-in BF16 sampling products straight from such a base (linearBf16RowsDot): the
// activations are rounded to BF16 too and products accumulate in f32, as decode.cc's panel
// products, but the weights are read from their row-major bits, so sampling in BF16 needs no
// second copy of a base that is already BF16. AMX tiles want the weights in panels (amx.h): each
// thread repacks 32 rows at a time into its own scratch (64 K bytes per 1,000 inputs) and runs
// every row of activations against them, so the repack is paid once per 32 outputs per call.
// Below 4 rows (or without AMX) vdpbf16ps takes the rows as they are: a row of 32 weights and
// 32 inputs is one instruction, summed across lanes at the end.
#include <vector>

#include "amx.h"
#include "bf16pairs.h"
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

// Rows from which the row-major BF16 products use AMX tiles (as decode.cc's panel products).
constexpr int64_t kAmxMinRows = 4;

// y[m, n] (+)= dot(bf16 pairs xb[m], bits of W row n) for rows m of one output n, f32 sums.
#if defined(__AVX512BF16__)
inline float dotRowVector(const uint32_t* xr, const uint16_t* wr, int64_t K) {
  __m512 acc = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 32 <= K; k += 32) {
    const __m512bh x = (__m512bh)_mm512_loadu_si512(xr + k / 2);
    const __m512bh w = (__m512bh)_mm512_loadu_si512(wr + k);
    acc = _mm512_dpbf16_ps(acc, x, w);
  }
  if (k < K) {
    const __mmask32 m = static_cast<__mmask32>((1ull << (K - k)) - 1);
    const __m512bh x = (__m512bh)_mm512_maskz_loadu_epi16(m, reinterpret_cast<const uint16_t*>(xr) + k);
    const __m512bh w = (__m512bh)_mm512_maskz_loadu_epi16(m, wr + k);
    acc = _mm512_dpbf16_ps(acc, x, w);
  }
  return _mm512_reduce_add_ps(acc);
}
#endif

inline float dotRowScalar(const uint32_t* xr, const uint16_t* wr, int64_t K) {
  const uint16_t* x = reinterpret_cast<const uint16_t*>(xr);
  float acc = 0.0f;
  for (int64_t k = 0; k < K; k++) acc += fromBf16(x[k]) * fromBf16(wr[k]);
  return acc;
}

#if defined(__AVX512F__)
// out[c * 16 + l] = r[l][c] for a 16 x 16 block of 32-bit words (rows r[l]): unpack pairs of
// words, then pairs of pairs, then gather the 128-bit lanes.
inline void transpose16(const __m512i r[16], uint32_t* out) {
  __m512i t[16], u[16];
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
  }
  // u[4 g + i], lane j: column 4 j + i of rows 4 g .. 4 g + 3.
  for (int g = 0; g < 4; g++) {
    const __m512i* tg = t + 4 * g;
    u[4 * g] = _mm512_unpacklo_epi64(tg[0], tg[2]);
    u[4 * g + 1] = _mm512_unpackhi_epi64(tg[0], tg[2]);
    u[4 * g + 2] = _mm512_unpacklo_epi64(tg[1], tg[3]);
    u[4 * g + 3] = _mm512_unpackhi_epi64(tg[1], tg[3]);
  }
  for (int i = 0; i < 4; i++) {
    const __m512i v = _mm512_shuffle_i32x4(u[i], u[4 + i], 0x88), w = _mm512_shuffle_i32x4(u[i], u[4 + i], 0xdd);
    const __m512i v2 = _mm512_shuffle_i32x4(u[8 + i], u[12 + i], 0x88), w2 = _mm512_shuffle_i32x4(u[8 + i], u[12 + i], 0xdd);
    _mm512_storeu_si512(out + (i) * 16, _mm512_shuffle_i32x4(v, v2, 0x88));
    _mm512_storeu_si512(out + (4 + i) * 16, _mm512_shuffle_i32x4(w, w2, 0x88));
    _mm512_storeu_si512(out + (8 + i) * 16, _mm512_shuffle_i32x4(v, v2, 0xdd));
    _mm512_storeu_si512(out + (12 + i) * 16, _mm512_shuffle_i32x4(w, w2, 0xdd));
  }
}
#endif

// 16 rows n0.. of W (row-major bits, zero past N and K) as one panel: for each pair of inputs
// k2, the 16 rows' pairs (decode.cc's layout, an AMX B tile per 32 inputs). With AVX-512, blocks
// of 16 pairs x 16 rows are transposed in registers; the rest word by word.
void repackPanel(const uint16_t* w, int64_t N, int64_t K, int64_t n0, int64_t K2, uint32_t* out) {
  int64_t done = 0;  // pairs already written for all 16 rows
#if defined(__AVX512F__)
  if (K % 2 == 0) {
    __m512i r[16];
    for (; done + 16 <= K2; done += 16) {
      for (int l = 0; l < 16; l++)
        r[l] = n0 + l < N ? _mm512_loadu_si512(w + (n0 + l) * K + 2 * done) : _mm512_setzero_si512();
      transpose16(r, out + done * 16);
    }
  }
#endif
  for (int64_t l = 0; l < 16; l++) {
    const int64_t n = n0 + l;
    if (n >= N) {
      for (int64_t k2 = done; k2 < K2; k2++) out[k2 * 16 + l] = 0;
      continue;
    }
    const uint16_t* wr = w + n * K;
    for (int64_t k2 = done; k2 < K / 2; k2++)
      out[k2 * 16 + l] = static_cast<uint32_t>(wr[2 * k2]) | static_cast<uint32_t>(wr[2 * k2 + 1]) << 16;
    if (K % 2) out[(K2 - 1) * 16 + l] = wr[K - 1];
  }
}

// linearBf16RowsDot(x, w, y, M, N, K, accumulate): y [M, N] (+)= bf16(x) [M, K] W^T with W [N, K]
// given as row-major BF16 bits, f32 sums: AMX tiles from 4 rows where usable, else vdpbf16ps
// where the build has AVX512_BF16, else a portable loop of the same operands. Threads own
// disjoint outputs (columns of y) in a fixed split, so results depend only on the thread count.
Napi::Value LinearBf16RowsDot(const Napi::CallbackInfo& info) {
  const float* x = F32(info, 0);
  const uint16_t* w = U16(info, 1);
  float* y = F32(info, 2);
  const int64_t M = INT(info, 3), N = INT(info, 4), K = INT(info, 5);
  const bool accumulate = info[6].As<Napi::Boolean>().Value();
  if (M <= 0 || N <= 0) return info.Env().Undefined();
  const int64_t K2 = (K + 1) / 2;
  const bool amx = M >= kAmxMinRows && amxUsable(nullptr);
  const int nt0 = M * N * K < (1 << 18) ? 1 : omp_get_max_threads();
  // The inputs as BF16 pairs; AMX reads whole tiles of 16 rows, so zero rows up to a multiple of 16.
  const int64_t rowsHeld = amx ? (M + 15) / 16 * 16 : M;
  std::vector<uint32_t> xb(static_cast<size_t>(rowsHeld * K2), 0u);
#pragma omp parallel for schedule(static) num_threads(M * K < (1 << 16) ? 1 : nt0)
  for (int64_t m = 0; m < M; m++) packBf16Pairs(x + m * K, K, xb.data() + m * K2);
  if (amx) {
    const int64_t panels = (N + 15) / 16, pairs = (panels + 1) / 2;
    const int nt = static_cast<int>(std::min<int64_t>(nt0, pairs));
#pragma omp parallel num_threads(nt)
    {
      thread_local std::vector<uint32_t> scratch;
      scratch.resize(static_cast<size_t>(2 * K2 * 16));
      int64_t q0, q1;
      chunk(pairs, omp_get_thread_num(), nt, q0, q1);
      amxThreadBegin();
      for (int64_t q = q0; q < q1; q++) {
        const int64_t p0 = 2 * q, np = std::min<int64_t>(2, panels - p0);
        for (int64_t j = 0; j < np; j++) repackPanel(w, N, K, (p0 + j) * 16, K2, scratch.data() + j * K2 * 16);
        amxPanelsProduct(xb.data(), M, K2, reinterpret_cast<const uint16_t*>(scratch.data()), np, y, N, p0 * 16, accumulate);
      }
      amxThreadEnd();
    }
    return info.Env().Undefined();
  }
  const int nt = static_cast<int>(std::min<int64_t>(nt0, N));
#pragma omp parallel num_threads(nt)
  {
    int64_t n0, n1;
    chunk(N, omp_get_thread_num(), nt, n0, n1);
    for (int64_t n = n0; n < n1; n++) {
      const uint16_t* wr = w + n * K;
      for (int64_t m = 0; m < M; m++) {
#if defined(__AVX512BF16__)
        const float v = dotRowVector(xb.data() + m * K2, wr, K);
#else
        const float v = dotRowScalar(xb.data() + m * K2, wr, K);
#endif
        float* o = y + m * N + n;
        *o = accumulate ? *o + v : v;
      }
    }
  }
  return info.Env().Undefined();
}

}  // namespace

void registerBf16(Napi::Env env, Napi::Object exports) {
  exports.Set("linearBf16", Napi::Function::New(env, LinearBf16));
  exports.Set("linearBf16Backward", Napi::Function::New(env, LinearBf16Backward));
  exports.Set("bf16Widen", Napi::Function::New(env, Bf16Widen));
  exports.Set("linearBf16RowsDot", Napi::Function::New(env, LinearBf16RowsDot));
}

}  // namespace aha
