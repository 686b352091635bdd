// Fused kernels of the KV-cache decode path (sampling; no autograd). A decode step works on the
// output of one packed q/k/v product: each token's row holds its queries [Hq, D], then its keys
// [Hkv, D], then its values [Hkv, D]. One call rotates the keys (RoPE), appends keys and values to
// the cache, rotates the queries and attends over the cache, where the unfused path makes five
// calls (two RoPEs, two cache writes, the attention) and three copies of q, k and v. Fewer calls
// means fewer OpenMP wake-ups per layer, which is most of a small model's decode step. (SwiGLU of
// the packed gate/up product is pointwise.cc's SwigluPackedForward, shared with training.) Also
// here: the BF16 panel products of the opt-in BF16 sampling path and the choice of their kernel
// (AMX tiles in amx.cc, vdpbf16ps here, or a portable loop).
//
// The arithmetic of each value follows the unfused kernels' (rotate_half RoPE from the same
// cos/sin table, scores summed over the head dimension in order, the same exp and softmax
// normaliser), so both paths give the same tokens; the packed layout only changes where values
// are read from.
#include <vector>

#include "amx.h"
#include "bf16pairs.h"
#include "common.h"

#if defined(__AVX512BF16__)
#include <immintrin.h>
// GCC 12's own AVX-512 headers trip -Wmaybe-uninitialized (their _mm512_undefined_epi32).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace aha {

namespace {

// ---- BF16 dot products (the opt-in BF16 sampling path) -------------------------------------
// Weights are snapshotted as BF16 in panels of 16 output rows: panel p holds, for each pair of
// inputs k2, the pairs (W[16p + l, 2 k2], W[16p + l, 2 k2 + 1]) for l = 0..15, zero-padded past N
// and K. One 512-bit load is then 16 outputs' next two weights, and vdpbf16ps with a broadcast
// pair of (BF16-rounded) inputs adds both products to 16 f32 accumulators, with no horizontal
// sums. Both operands are rounded to BF16 (8-bit mantissa) and products accumulate in f32.

// bf16Panels(w, out, N, K): w [N, K] f32 into out (ceil(N/16) * ceil(K/2) * 32 values) as above.
// Each of a panel's 16 rows is rounded to pairs first (vectorised), then the pairs are interleaved.
Napi::Value Bf16Panels(const Napi::CallbackInfo& info) {
  const float* w = F32(info, 0);
  uint16_t* out = info[1].As<Napi::Uint16Array>().Data();
  const int64_t N = INT(info, 2), K = INT(info, 3);
  const int64_t panels = (N + 15) / 16, K2 = (K + 1) / 2;
#pragma omp parallel num_threads(threadsFor(N * K))
  {
    std::vector<uint32_t> rows(static_cast<size_t>(16 * K2));
#pragma omp for schedule(static)
    for (int64_t p = 0; p < panels; p++) {
      for (int64_t l = 0; l < 16; l++) {
        uint32_t* r = rows.data() + l * K2;
        if (p * 16 + l < N) packBf16Pairs(w + (p * 16 + l) * K, K, r);
        else std::fill(r, r + K2, 0u);
      }
      uint32_t* o = reinterpret_cast<uint32_t*>(out + p * K2 * 32);
      for (int64_t k2 = 0; k2 < K2; k2++)
        for (int64_t l = 0; l < 16; l++) o[k2 * 16 + l] = rows[l * K2 + k2];
    }
  }
  return info.Env().Undefined();
}

#if defined(__AVX512BF16__)
// Rows m0.. (MR of them) times NV panels starting at panel p0: y[m, 16 p + l] (+)= dot.
template <int MR, int NV>
void dotBlock(const uint32_t* xb, int64_t K2, const uint16_t* wp, float* y, int64_t ldy, int64_t p0, int64_t N,
              bool accumulate) {
  __m512 c[MR][NV];
  for (int r = 0; r < MR; r++)
    for (int j = 0; j < NV; j++) c[r][j] = _mm512_setzero_ps();
  const int64_t stride = K2 * 32;
  const uint16_t* w0 = wp + p0 * stride;
  for (int64_t k2 = 0; k2 < K2; k2++) {
    __m512bh w[NV];
    for (int j = 0; j < NV; j++) w[j] = (__m512bh)_mm512_loadu_si512(w0 + j * stride + k2 * 32);
    for (int r = 0; r < MR; r++) {
      const __m512bh xr = (__m512bh)_mm512_set1_epi32(static_cast<int>(xb[r * K2 + k2]));
      for (int j = 0; j < NV; j++) c[r][j] = _mm512_dpbf16_ps(c[r][j], xr, w[j]);
    }
  }
  for (int j = 0; j < NV; j++) {
    const int64_t col = (p0 + j) * 16;
    const int64_t left = N - col;
    const __mmask16 mask = left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1);
    for (int r = 0; r < MR; r++) {
      float* dst = y + r * ldy + col;
      __m512 v = c[r][j];
      if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, dst));
      _mm512_mask_storeu_ps(dst, mask, v);
    }
  }
}

template <int NV>
void dotRows(int64_t mr, const uint32_t* xb, int64_t K2, const uint16_t* wp, float* y, int64_t ldy, int64_t p0, int64_t N,
             bool acc) {
  switch (mr) {
    case 1: return dotBlock<1, NV>(xb, K2, wp, y, ldy, p0, N, acc);
    case 2: return dotBlock<2, NV>(xb, K2, wp, y, ldy, p0, N, acc);
    case 3: return dotBlock<3, NV>(xb, K2, wp, y, ldy, p0, N, acc);
    case 4: return dotBlock<4, NV>(xb, K2, wp, y, ldy, p0, N, acc);
    case 5: return dotBlock<5, NV>(xb, K2, wp, y, ldy, p0, N, acc);
    case 6: return dotBlock<6, NV>(xb, K2, wp, y, ldy, p0, N, acc);
    case 7: return dotBlock<7, NV>(xb, K2, wp, y, ldy, p0, N, acc);
    default: return dotBlock<8, NV>(xb, K2, wp, y, ldy, p0, N, acc);
  }
}
#endif

// Which kernel runs the BF16 products: chosen per call in auto mode, or forced (tests and the
// in-process comparison in bench/bf16-kernels.ts).
enum Bf16Kernel { kAuto = 0, kAmx = 1, kVector = 2, kScalar = 3 };
int bf16Mode = kAuto;

// Rows from which auto mode takes AMX: a tile product covers 16 rows whatever M is, so below this
// the vdpbf16ps kernel (which reads the same weights at the same bandwidth) is as fast.
constexpr int64_t kAmxMinRows = 4;

constexpr bool kHaveVector =
#if defined(__AVX512BF16__)
    true;
#else
    false;
#endif

int kernelFor(int64_t M) {
  if (bf16Mode != kAuto) return bf16Mode;
  if (M >= kAmxMinRows && amxUsable(nullptr)) return kAmx;
  return kHaveVector ? kVector : kScalar;
}

// The portable kernel: the same BF16 operands, products summed in f32 pair by pair.
void dotScalar(int64_t m0, int64_t mr, const uint32_t* xb, int64_t K2, const uint16_t* wp, float* y, int64_t N,
               int64_t p0, int64_t nv, bool accumulate) {
  for (int64_t r = m0; r < m0 + mr; r++)
    for (int64_t n = p0 * 16; n < std::min<int64_t>((p0 + nv) * 16, N); n++) {
      const uint16_t* w = wp + (n / 16) * K2 * 32 + (n % 16) * 2;
      float acc = 0.0f;
      for (int64_t k2 = 0; k2 < K2; k2++) {
        const uint32_t xp = xb[r * K2 + k2];
        acc += fromBf16(static_cast<uint16_t>(xp & 0xffff)) * fromBf16(w[k2 * 32]);
        acc += fromBf16(static_cast<uint16_t>(xp >> 16)) * fromBf16(w[k2 * 32 + 1]);
      }
      y[r * N + n] = accumulate ? y[r * N + n] + acc : acc;
    }
}

// linearBf16Dot(x, panels, y, M, N, K, accumulate): y [M, N] (+)= bf16(x) [M, K] bf16(W)^T from
// W's panels (bf16Panels). Threads own disjoint groups of panels (columns of y). AMX tiles
// (amx.cc) where usable and M is large enough, else vdpbf16ps where the build has AVX512_BF16,
// else the portable loop; setBf16Kernel can force one.
Napi::Value LinearBf16Dot(const Napi::CallbackInfo& info) {
  const float* x = F32(info, 0);
  const uint16_t* wp = info[1].As<Napi::Uint16Array>().Data();
  float* y = F32(info, 2);
  const int64_t M = INT(info, 3), N = INT(info, 4), K = INT(info, 5);
  const bool accumulate = info[6].As<Napi::Boolean>().Value();
  const int64_t K2 = (K + 1) / 2, panels = (N + 15) / 16;
  const int kernel = kernelFor(M);
  const int nt0 = M * N * K < (1 << 18) ? 1 : omp_get_max_threads();
  // The inputs as BF16 pairs (bf16pairs.h); AMX reads whole tiles of 16 rows, so it gets zero rows
  // up to a multiple of 16.
  const int64_t rowsHeld = kernel == kAmx ? (M + 15) / 16 * 16 : M;
  std::vector<uint32_t> xb(static_cast<size_t>(rowsHeld * K2));
#pragma omp parallel for schedule(static) num_threads(M * K < (1 << 16) ? 1 : nt0)
  for (int64_t m = 0; m < M; m++) packBf16Pairs(x + m * K, K, xb.data() + m * K2);
  if (kernel == kAmx) {
    amxBf16Product(xb.data(), M, K2, wp, y, N, accumulate, nt0);
    return info.Env().Undefined();
  }
  constexpr int64_t NV = 3;  // panels per block: 3 x 16 outputs, 8 rows -> 24 accumulators
  const int64_t groups = (panels + NV - 1) / NV;
  const int nt = static_cast<int>(std::min<int64_t>(nt0, groups));
#pragma omp parallel num_threads(nt)
  {
    int64_t g0, g1;
    chunk(groups, omp_get_thread_num(), nt, g0, g1);
    for (int64_t g = g0; g < g1; g++) {
      const int64_t p0 = g * NV, nv = std::min<int64_t>(NV, panels - p0);
      for (int64_t m0 = 0; m0 < M; m0 += 8) {
        const int64_t mr = std::min<int64_t>(8, M - m0);
#if defined(__AVX512BF16__)
        if (kernel == kVector) {
          const uint32_t* xr = xb.data() + m0 * K2;
          float* yr = y + m0 * N;
          if (nv == 3) dotRows<3>(mr, xr, K2, wp, yr, N, p0, N, accumulate);
          else if (nv == 2) dotRows<2>(mr, xr, K2, wp, yr, N, p0, N, accumulate);
          else dotRows<1>(mr, xr, K2, wp, yr, N, p0, N, accumulate);
          continue;
        }
#endif
        dotScalar(m0, mr, xb.data(), K2, wp, y, N, p0, nv, accumulate);
      }
    }
  }
  return info.Env().Undefined();
}

// setBf16Kernel(mode): 0 auto, 1 AMX, 2 vdpbf16ps, 3 portable. The caller (inference.ts) checks
// that a forced kernel is available (bf16Kernels).
Napi::Value SetBf16Kernel(const Napi::CallbackInfo& info) {
  bf16Mode = static_cast<int>(INT(info, 0));
  return info.Env().Undefined();
}

// bf16Kernels(): { amx, amxWhy, vector, mode } — what this process can run and what is forced.
Napi::Value Bf16Kernels(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  const char* why = nullptr;
  const bool amx = amxUsable(&why);
  out.Set("amx", Napi::Boolean::New(env, amx));
  out.Set("amxWhy", Napi::String::New(env, amx ? "" : why));
  out.Set("vector", Napi::Boolean::New(env, kHaveVector));
  out.Set("mode", Napi::Number::New(env, bf16Mode));
  return out;
}

#if defined(__AVX512F__)
// The queries of one (row, kv head) over its cache in one pass, for head sizes of 16-96 and 128: G (<= 8) rotated queries qr [G, D] (already scaled), keys kt [D, maxLen]
// (transposed), values v [maxLen, D], into out (query g at out + g * ostride); sc is scratch of
// G * L floats. attendOne reads the keys and values once per query head; here each key and value
// vector is loaded once for the whole group and the scores and outputs stay in registers. Each
// value is computed as attendOne computes it (scores summed over d in order, the same exp and
// normaliser, outputs summed over positions in order).
template <int DV>
void attendGroup(const float* qr, int G, const float* kt, const float* v, float* out, int64_t ostride, float* sc,
                 int64_t L, int64_t maxLen) {
  constexpr int64_t D = 16 * DV;
  // Scores: 16 positions at a time, all G queries.
  for (int64_t j = 0; j < L; j += 16) {
    const __mmask16 m = L - j >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << (L - j)) - 1);
    __m512 acc[8];
    for (int g = 0; g < 8; g++) acc[g] = _mm512_setzero_ps();
    for (int64_t d = 0; d < D; d++) {
      const __m512 k = _mm512_maskz_loadu_ps(m, kt + d * maxLen + j);
      for (int g = 0; g < 8; g++)
        if (g < G) acc[g] = _mm512_fmadd_ps(_mm512_set1_ps(qr[g * D + d]), k, acc[g]);
    }
    for (int g = 0; g < G; g++) _mm512_mask_storeu_ps(sc + g * L + j, m, acc[g]);
  }
  float inv[8];
  for (int g = 0; g < G; g++) {
    float* s = sc + g * L;
    const float mx = maxf(s, L);
    for (int64_t j = 0; j < L; j++) s[j] = fexp(s[j] - mx);
    inv[g] = static_cast<float>(1.0 / sumf(s, L));
  }
  // Outputs: up to 24 accumulators (G x DV) per pass over the values.
  constexpr int GB = DV >= 4 ? 24 / DV : 8;
  for (int g0 = 0; g0 < G; g0 += GB) {
    const int gn = std::min(GB, G - g0);
    __m512 o[GB][DV];
    for (int g = 0; g < GB; g++)
      for (int e = 0; e < DV; e++) o[g][e] = _mm512_setzero_ps();
    for (int64_t j = 0; j < L; j++) {
      __m512 vv[DV];
      for (int e = 0; e < DV; e++) vv[e] = _mm512_loadu_ps(v + j * D + 16 * e);
      for (int g = 0; g < GB; g++) {
        if (g >= gn) break;
        const __m512 p = _mm512_set1_ps(sc[(g0 + g) * L + j] * inv[g0 + g]);
        for (int e = 0; e < DV; e++) o[g][e] = _mm512_fmadd_ps(p, vv[e], o[g][e]);
      }
    }
    for (int g = 0; g < gn; g++)
      for (int e = 0; e < DV; e++) _mm512_storeu_ps(out + (g0 + g) * ostride + 16 * e, o[g][e]);
  }
}

// Head sizes attendGroup takes.
bool groupedHeadSize(int64_t D) { return D % 16 == 0 && D >= 16 && D <= 128 && D != 112; }

void attendGroup(const float* qr, int G, const float* kt, const float* v, float* out, int64_t ostride, float* sc,
                 int64_t L, int64_t D, int64_t maxLen) {
  switch (D) {
    case 16: return attendGroup<1>(qr, G, kt, v, out, ostride, sc, L, maxLen);
    case 32: return attendGroup<2>(qr, G, kt, v, out, ostride, sc, L, maxLen);
    case 48: return attendGroup<3>(qr, G, kt, v, out, ostride, sc, L, maxLen);
    case 64: return attendGroup<4>(qr, G, kt, v, out, ostride, sc, L, maxLen);
    case 80: return attendGroup<5>(qr, G, kt, v, out, ostride, sc, L, maxLen);
    case 96: return attendGroup<6>(qr, G, kt, v, out, ostride, sc, L, maxLen);
    default: return attendGroup<8>(qr, G, kt, v, out, ostride, sc, L, maxLen);
  }
}
#else
bool groupedHeadSize(int64_t) { return false; }
void attendGroup(const float*, int, const float*, const float*, float*, int64_t, float*, int64_t, int64_t, int64_t) {}
#endif

// decodeAttention(qkv, kc, vc, pos, rows, cos, sin, out, B, n, Hq, Hkv, D, maxLen, scale):
// qkv [B, n, (Hq + 2 Hkv) D] holds n new tokens per row at positions pos[b] .. pos[b]+n-1. Their
// rotated keys go to cache row c = rows[b] (b when rows is null) of kc [rows, Hkv, D, maxLen]
// (transposed) and their values to vc [rows, Hkv, maxLen, D]; then query i of row b (rotated)
// attends to positions 0 .. pos[b]+i of its cache row, into out [B, n, Hq, D]. cos/sin are
// [positions, D/2] tables covering pos[b]+n-1.
Napi::Value DecodeAttention(const Napi::CallbackInfo& info) {
  const float* qkv = F32(info, 0);
  float* kc = F32(info, 1);
  float* vc = F32(info, 2);
  const int32_t* pos = I32(info, 3);
  const int32_t* rows = I32orNull(info, 4);
  const float* cs = F32(info, 5);
  const float* sn = F32(info, 6);
  float* out = F32(info, 7);
  const int64_t B = INT(info, 8), n = INT(info, 9), Hq = INT(info, 10), Hkv = INT(info, 11),
                D = INT(info, 12), maxLen = INT(info, 13);
  const float scale = static_cast<float>(NUM(info, 14));
  const int64_t width = (Hq + 2 * Hkv) * D, half = D / 2, group = Hq / Hkv;
  int64_t work = 0;
  for (int64_t b = 0; b < B; b++) work += (pos[b] + n) * n * Hq * D;
#pragma omp parallel num_threads(threadsFor(work))
  {
    // 1. Rotated keys and the values into the cache (every token's, before any query reads them).
#pragma omp for schedule(static)
    for (int64_t task = 0; task < B * n * Hkv; task++) {
      const int64_t b = task / (n * Hkv), i = (task / Hkv) % n, h = task % Hkv;
      const int64_t c = rows ? rows[b] : b, p = pos[b] + i;
      const float* tok = qkv + (b * n + i) * width;
      const float* k = tok + (Hq + h) * D;
      const float* v = tok + (Hq + Hkv + h) * D;
      const float* co = cs + p * half;
      const float* si = sn + p * half;
      float* kt = kc + (c * Hkv + h) * maxLen * D;
      for (int64_t d = 0; d < half; d++) {
        const float a = k[d], e = k[d + half];
        kt[d * maxLen + p] = a * co[d] - e * si[d];
        kt[(d + half) * maxLen + p] = e * co[d] + a * si[d];
      }
      std::memcpy(vc + ((c * Hkv + h) * maxLen + p) * D, v, sizeof(float) * D);
    }
    // 2. Each (row, kv head) task serves its group of query heads, so every key and value it
    // reads is used by all of them while in cache.
    // Queries are rotated into qr, up to 8 of a group at a time: they go through attendGroup
    // together (scaled first) where the head size allows, else one by one through attendOne
    // (which scales them itself).
    constexpr int64_t kGroupMax = 8;
    const bool grouped = groupedHeadSize(D);
    std::vector<float> sc(kGroupMax * maxLen), qr(kGroupMax * D);
#pragma omp for schedule(static)
    for (int64_t task = 0; task < B * Hkv; task++) {
      const int64_t b = task / Hkv, hk = task % Hkv;
      const int64_t c = rows ? rows[b] : b;
      const float* kt = kc + (c * Hkv + hk) * maxLen * D;
      const float* vb = vc + (c * Hkv + hk) * maxLen * D;
      for (int64_t i = 0; i < n; i++) {
        const int64_t p = pos[b] + i, L = p + 1;
        const float* tok = qkv + (b * n + i) * width;
        const float* co = cs + p * half;
        const float* si = sn + p * half;
        for (int64_t g0 = 0; g0 < group; g0 += kGroupMax) {
          const int64_t gn = std::min(kGroupMax, group - g0);
          for (int64_t g = 0; g < gn; g++) {
            const float* q = tok + (hk * group + g0 + g) * D;
            float* r = qr.data() + g * D;
            for (int64_t d = 0; d < half; d++) {
              const float a = q[d], e = q[d + half];
              r[d] = a * co[d] - e * si[d];
              r[d + half] = e * co[d] + a * si[d];
            }
          }
          float* o = out + ((b * n + i) * Hq + hk * group + g0) * D;
          if (grouped) {
            for (int64_t x = 0; x < gn * D; x++) qr[x] *= scale;
            attendGroup(qr.data(), static_cast<int>(gn), kt, vb, o, D, sc.data(), L, D, maxLen);
          } else {
            for (int64_t g = 0; g < gn; g++) attendOne(qr.data() + g * D, kt, vb, o + g * D, sc.data(), L, D, maxLen, scale);
          }
        }
      }
    }
  }
  return info.Env().Undefined();
}

}  // namespace

void registerDecode(Napi::Env env, Napi::Object exports) {
  exports.Set("decodeAttention", Napi::Function::New(env, DecodeAttention));
  exports.Set("bf16Panels", Napi::Function::New(env, Bf16Panels));
  exports.Set("linearBf16Dot", Napi::Function::New(env, LinearBf16Dot));
  exports.Set("setBf16Kernel", Napi::Function::New(env, SetBf16Kernel));
  exports.Set("bf16Kernels", Napi::Function::New(env, Bf16Kernels));
}

}  // namespace aha
