// Fused kernels of the KV-cache decode path (sampling; no autograd). A decode step works on the
// output of one packed q/k/v product: each token's row holds its queries [Hq, D], then its keys
// [Hkv, D], then its values [Hkv, D]. One call rotates the keys (RoPE), appends keys and values to
// the cache, rotates the queries and attends over the cache, where the unfused path makes five
// calls (two RoPEs, two cache writes, the attention) and three copies of q, k and v; a second
// kernel applies SwiGLU to one packed gate/up product. Fewer calls means fewer OpenMP wake-ups
// per layer, which is most of a small model's decode step.
//
// The arithmetic of each value follows the unfused kernels' (rotate_half RoPE from the same
// cos/sin table, scores summed over the head dimension in order, the same exp and softmax
// normaliser), so both paths give the same tokens; the packed layout only changes where values
// are read from.
#include <vector>

#include "common.h"

namespace aha {

namespace {

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
    std::vector<float> sc(group * maxLen), qr(D);
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
        for (int64_t g = 0; g < group; g++) {
          const float* q = tok + (hk * group + g) * D;
          for (int64_t d = 0; d < half; d++) {
            const float a = q[d], e = q[d + half];
            qr[d] = a * co[d] - e * si[d];
            qr[d + half] = e * co[d] + a * si[d];
          }
          float* s = sc.data() + g * maxLen;
          for (int64_t j = 0; j < L; j++) s[j] = 0.0f;
          for (int64_t d = 0; d < D; d++) {
            const float qd = qr[d] * scale;
            const float* kd = kt + d * maxLen;
            for (int64_t j = 0; j < L; j++) s[j] += qd * kd[j];
          }
          const float m = maxf(s, L);
          for (int64_t j = 0; j < L; j++) s[j] = fexp(s[j] - m);
          const float inv = static_cast<float>(1.0 / sumf(s, L));
          float* o = out + ((b * n + i) * Hq + hk * group + g) * D;
          for (int64_t d = 0; d < D; d++) o[d] = 0.0f;
          for (int64_t j = 0; j < L; j++) {
            const float pj = s[j] * inv;
            const float* vj = vb + j * D;
            for (int64_t d = 0; d < D; d++) o[d] += pj * vj[d];
          }
        }
      }
    }
  }
  return info.Env().Undefined();
}

// swigluPacked(gu, y, rows, I): gu [rows, 2I] holds each row's gate then up projection;
// y [rows, I] = silu(gate) * up, silu(g) = g / (1 + exp(-g)) as the unfused kernel computes it.
Napi::Value SwigluPacked(const Napi::CallbackInfo& info) {
  const float* gu = F32(info, 0);
  float* y = F32(info, 1);
  const int64_t R = INT(info, 2), I = INT(info, 3);
#pragma omp parallel for schedule(static) num_threads(threadsFor(R * I))
  for (int64_t r = 0; r < R; r++) {
    const float* g = gu + r * 2 * I;
    const float* u = g + I;
    float* yr = y + r * I;
    for (int64_t i = 0; i < I; i++) yr[i] = fexp(-g[i]);
    for (int64_t i = 0; i < I; i++) yr[i] = g[i] * (1.0f / (1.0f + yr[i])) * u[i];
  }
  return info.Env().Undefined();
}

}  // namespace

void registerDecode(Napi::Env env, Napi::Object exports) {
  exports.Set("decodeAttention", Napi::Function::New(env, DecodeAttention));
  exports.Set("swigluPacked", Napi::Function::New(env, SwigluPacked));
}

}  // namespace aha
