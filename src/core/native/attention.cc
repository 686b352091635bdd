// Rotary position embedding and causal grouped-query self-attention: the fused training kernels
// (forward and backward, recomputing probabilities from the saved log-sum-exp instead of storing
// them) and the inference kernels over a KV cache with per-row lengths.
//
// Layouts: q [B, T, Hq, D], k and v [B, T, Hkv, D] (what the projections produce, so no
// transposes are needed); the cache is [B, Hkv, maxLen, D] per layer so each head's keys are
// contiguous. Query head h uses key/value head h / (Hq / Hkv).
#include <vector>

#include "common.h"
#include "gemm.h"

namespace aha {

namespace {

// rope(x, out, pos, cos, sin, N, H, D, inverse, accumulate): x [N, H, D] at positions pos[N];
// cos/sin tables [maxPos, D/2]. Hugging Face's rotate_half convention: dims i and i + D/2 pair.
// inverse rotates by -angle (the backward pass); accumulate adds into out.
Napi::Value Rope(const Napi::CallbackInfo& info) {
  const float* x = F32(info, 0);
  float* out = F32(info, 1);
  const int32_t* pos = I32(info, 2);
  const float* cs = F32(info, 3);
  const float* sn = F32(info, 4);
  const int64_t N = INT(info, 5), H = INT(info, 6), D = INT(info, 7);
  const bool inverse = info[8].As<Napi::Boolean>().Value();
  const bool accumulate = info[9].As<Napi::Boolean>().Value();
  const int64_t half = D / 2;
  const float sign = inverse ? -1.0f : 1.0f;
#pragma omp parallel for schedule(static) num_threads(threadsFor(N * H * D))
  for (int64_t n = 0; n < N; n++) {
    const float* c = cs + static_cast<int64_t>(pos[n]) * half;
    const float* s = sn + static_cast<int64_t>(pos[n]) * half;
    for (int64_t h = 0; h < H; h++) {
      const float* xi = x + (n * H + h) * D;
      float* o = out + (n * H + h) * D;
      for (int64_t i = 0; i < half; i++) {
        const float a = xi[i], b = xi[i + half];
        const float ra = a * c[i] - sign * b * s[i];
        const float rb = b * c[i] + sign * a * s[i];
        if (accumulate) {
          o[i] += ra;
          o[i + half] += rb;
        } else {
          o[i] = ra;
          o[i + half] = rb;
        }
      }
    }
  }
  return info.Env().Undefined();
}

constexpr int BLK = 64;  // query rows per block: keys beyond the block's last row are skipped

struct AttnShape {
  int64_t B, T, Hq, Hkv, D;
  float scale;
  int64_t qStride() const { return Hq * D; }
  int64_t kStride() const { return Hkv * D; }
};

// Probabilities of query rows [i0, i1) over keys [0, i1) into P (row stride T), causal.
// With lse given, P = exp(S - lse); otherwise softmax, writing lse.
void probsBlock(const AttnShape& s, const float* q, const float* k, int64_t i0, int64_t i1,
                float* P, float* lse, bool haveLse) {
  const int T = static_cast<int>(s.T);
  gemmSerial(false, true, static_cast<int>(i1 - i0), static_cast<int>(i1), static_cast<int>(s.D),
             s.scale, q + i0 * s.qStride(), static_cast<int>(s.qStride()), k,
             static_cast<int>(s.kStride()), 0.0f, P, T);
  for (int64_t i = i0; i < i1; i++) {
    float* p = P + (i - i0) * T;
    const int64_t n = i + 1;
    if (!haveLse) {
      float m = maxf(p, n);
      for (int64_t j = 0; j < n; j++) p[j] = fexp(p[j] - m);
      const double sum = sumf(p, n);
      const float inv = static_cast<float>(1.0 / sum);
      for (int64_t j = 0; j < n; j++) p[j] *= inv;
      lse[i] = m + static_cast<float>(std::log(sum));
    } else {
      const float l = lse[i];
      for (int64_t j = 0; j < n; j++) p[j] = fexp(p[j] - l);
    }
    for (int64_t j = n; j < i1; j++) p[j] = 0.0f;
  }
}

// attentionForward(q, k, v, out, lse, B, T, Hq, Hkv, D, scale); lse [B, Hq, T].
Napi::Value AttnForward(const Napi::CallbackInfo& info) {
  const float* q = F32(info, 0);
  const float* k = F32(info, 1);
  const float* v = F32(info, 2);
  float* out = F32(info, 3);
  float* lse = F32(info, 4);
  AttnShape s{INT(info, 5), INT(info, 6), INT(info, 7), INT(info, 8), INT(info, 9),
              static_cast<float>(NUM(info, 10))};
  const int64_t group = s.Hq / s.Hkv;
  const int64_t tasks = s.B * s.Hq;
#pragma omp parallel num_threads(threadsFor(s.B * s.T * s.T * s.Hq))
  {
    std::vector<float> P(BLK * s.T);
#pragma omp for schedule(static)
    for (int64_t task = 0; task < tasks; task++) {
      const int64_t b = task / s.Hq, h = task % s.Hq, hk = h / group;
      const float* qb = q + b * s.T * s.qStride() + h * s.D;
      const float* kb = k + b * s.T * s.kStride() + hk * s.D;
      const float* vb = v + b * s.T * s.kStride() + hk * s.D;
      float* ob = out + b * s.T * s.qStride() + h * s.D;
      float* l = lse + (b * s.Hq + h) * s.T;
      for (int64_t i0 = 0; i0 < s.T; i0 += BLK) {
        const int64_t i1 = std::min<int64_t>(s.T, i0 + BLK);
        probsBlock(s, qb, kb, i0, i1, P.data(), l, false);
        gemmSerial(false, false, static_cast<int>(i1 - i0), static_cast<int>(s.D),
                   static_cast<int>(i1), 1.0f, P.data(), static_cast<int>(s.T), vb,
                   static_cast<int>(s.kStride()), 0.0f, ob + i0 * s.qStride(),
                   static_cast<int>(s.qStride()));
      }
    }
  }
  return info.Env().Undefined();
}

// attentionBackward(q, k, v, out, dout, lse, dq, dk, dv, B, T, Hq, Hkv, D, scale): adds into
// dq, dk, dv. One task per (batch, key/value head) so the query heads sharing a key/value head
// add into dk/dv one after another (no races, fixed order).
Napi::Value AttnBackward(const Napi::CallbackInfo& info) {
  const float* q = F32(info, 0);
  const float* k = F32(info, 1);
  const float* v = F32(info, 2);
  const float* out = F32(info, 3);
  const float* dout = F32(info, 4);
  const float* lse = F32(info, 5);
  float* dq = F32(info, 6);
  float* dk = F32(info, 7);
  float* dv = F32(info, 8);
  AttnShape s{INT(info, 9), INT(info, 10), INT(info, 11), INT(info, 12), INT(info, 13),
              static_cast<float>(NUM(info, 14))};
  const int64_t group = s.Hq / s.Hkv;
  const int64_t tasks = s.B * s.Hkv;
  const int T = static_cast<int>(s.T), D = static_cast<int>(s.D);
  const int qs = static_cast<int>(s.qStride()), ks = static_cast<int>(s.kStride());
#pragma omp parallel num_threads(threadsFor(s.B * s.T * s.T * s.Hq))
  {
    std::vector<float> P(BLK * s.T), dP(BLK * s.T), Di(BLK);
#pragma omp for schedule(static)
    for (int64_t task = 0; task < tasks; task++) {
      const int64_t b = task / s.Hkv, hk = task % s.Hkv;
      const float* kb = k + b * s.T * ks + hk * s.D;
      const float* vb = v + b * s.T * ks + hk * s.D;
      float* dkb = dk + b * s.T * ks + hk * s.D;
      float* dvb = dv + b * s.T * ks + hk * s.D;
      for (int64_t h = hk * group; h < (hk + 1) * group; h++) {
        const float* qb = q + b * s.T * qs + h * s.D;
        const float* ob = out + b * s.T * qs + h * s.D;
        const float* dob = dout + b * s.T * qs + h * s.D;
        float* dqb = dq + b * s.T * qs + h * s.D;
        float* l = const_cast<float*>(lse + (b * s.Hq + h) * s.T);
        for (int64_t i0 = 0; i0 < s.T; i0 += BLK) {
          const int64_t i1 = std::min<int64_t>(s.T, i0 + BLK);
          const int rows = static_cast<int>(i1 - i0), cols = static_cast<int>(i1);
          probsBlock(s, qb, kb, i0, i1, P.data(), l, true);
          for (int64_t i = i0; i < i1; i++)
            Di[i - i0] = dotf(dob + i * qs, ob + i * qs, s.D);
          // dP = dO V^T
          gemmSerial(false, true, rows, cols, D, 1.0f, dob + i0 * qs, qs, vb, ks, 0.0f, dP.data(), T);
          // dV += P^T dO
          gemmSerial(true, false, cols, D, rows, 1.0f, P.data(), T, dob + i0 * qs, qs, 1.0f, dvb, ks);
          // dS = P * (dP - Di), stored in dP
          for (int r = 0; r < rows; r++) {
            float* dp = dP.data() + static_cast<int64_t>(r) * T;
            const float* p = P.data() + static_cast<int64_t>(r) * T;
            const float di = Di[r];
            for (int j = 0; j < cols; j++) dp[j] = p[j] * (dp[j] - di);
          }
          // dQ += scale dS K ; dK += scale dS^T Q
          gemmSerial(false, false, rows, D, cols, s.scale, dP.data(), T, kb, ks, 1.0f, dqb + i0 * qs, qs);
          gemmSerial(true, false, cols, D, rows, s.scale, dP.data(), T, qb + i0 * qs, qs, 1.0f, dkb, ks);
        }
      }
    }
  }
  return info.Env().Undefined();
}

// cacheWrite(x, cache, pos, rows, B, n, H, D, maxLen, transposed): x [B, n, H, D] goes to cache
// row c = rows[b] (or b when rows is null) at positions pos[b] + i: cache[c, h, pos, :] (values,
// [rows, H, maxLen, D]) or, transposed, cache[c, h, :, pos] (keys, [rows, H, D, maxLen]).
Napi::Value CacheWrite(const Napi::CallbackInfo& info) {
  const float* x = F32(info, 0);
  float* cache = F32(info, 1);
  const int32_t* pos = I32(info, 2);
  const int32_t* rows = I32orNull(info, 3);
  const int64_t B = INT(info, 4), n = INT(info, 5), H = INT(info, 6), D = INT(info, 7),
                maxLen = INT(info, 8);
  const bool transposed = info[9].As<Napi::Boolean>().Value();
  for (int64_t b = 0; b < B; b++) {
    const int64_t c = rows ? rows[b] : b;
    for (int64_t i = 0; i < n; i++)
      for (int64_t h = 0; h < H; h++) {
        const float* src = x + ((b * n + i) * H + h) * D;
        float* head = cache + (c * H + h) * maxLen * D;
        if (transposed)
          for (int64_t d = 0; d < D; d++) head[d * maxLen + pos[b] + i] = src[d];
        else
          std::memcpy(head + (pos[b] + i) * D, src, sizeof(float) * D);
      }
  }
  return info.Env().Undefined();
}

// One query over L cached positions: scores from transposed keys kt [D, maxLen] (contiguous
// over positions, so no horizontal sums), softmax, then the weighted sum of values v [maxLen, D].
void attendOne(const float* __restrict q, const float* __restrict kt, const float* __restrict v,
               float* __restrict out, float* __restrict sc, int64_t L, int64_t D, int64_t maxLen,
               float scale) {
  for (int64_t j = 0; j < L; j++) sc[j] = 0.0f;
  for (int64_t d = 0; d < D; d++) {
    const float qd = q[d] * scale;
    const float* k = kt + d * maxLen;
    for (int64_t j = 0; j < L; j++) sc[j] += qd * k[j];
  }
  const float m = maxf(sc, L);
  for (int64_t j = 0; j < L; j++) sc[j] = fexp(sc[j] - m);
  const float inv = static_cast<float>(1.0 / sumf(sc, L));
  for (int64_t d = 0; d < D; d++) out[d] = 0.0f;
  for (int64_t j = 0; j < L; j++) {
    const float p = sc[j] * inv;
    const float* vj = v + j * D;
    for (int64_t d = 0; d < D; d++) out[d] += p * vj[d];
  }
}

// cacheAttention(q, kc, vc, pos, rows, out, B, n, Hq, Hkv, D, maxLen, scale): q [B, n, Hq, D]
// holds the queries of tokens at positions pos[b] .. pos[b]+n-1 (their keys already written to
// cache row rows[b], or b when rows is null); query i attends to cached positions 0 .. pos[b]+i.
// Keys are cached transposed [rows, Hkv, D, maxLen], values [rows, Hkv, maxLen, D]. out has q's
// layout.
Napi::Value CacheAttention(const Napi::CallbackInfo& info) {
  const float* q = F32(info, 0);
  const float* kc = F32(info, 1);
  const float* vc = F32(info, 2);
  const int32_t* pos = I32(info, 3);
  const int32_t* rows = I32orNull(info, 4);
  float* out = F32(info, 5);
  const int64_t B = INT(info, 6), n = INT(info, 7), Hq = INT(info, 8), Hkv = INT(info, 9),
                D = INT(info, 10), maxLen = INT(info, 11);
  const float scale = static_cast<float>(NUM(info, 12));
  const int64_t group = Hq / Hkv;
  int64_t work = 0;
  for (int64_t b = 0; b < B; b++) work += (pos[b] + n) * n * Hq * D;
#pragma omp parallel num_threads(threadsFor(work))
  {
    std::vector<float> sc(maxLen);
#pragma omp for schedule(static)
    for (int64_t task = 0; task < B * Hq; task++) {
      const int64_t b = task / Hq, h = task % Hq, hk = h / group;
      const int64_t c = rows ? rows[b] : b;
      const float* kt = kc + (c * Hkv + hk) * maxLen * D;
      const float* vb = vc + (c * Hkv + hk) * maxLen * D;
      for (int64_t i = 0; i < n; i++) {
        const int64_t at = ((b * n + i) * Hq + h) * D;
        attendOne(q + at, kt, vb, out + at, sc.data(), pos[b] + i + 1, D, maxLen, scale);
      }
    }
  }
  return info.Env().Undefined();
}

}  // namespace

void registerAttention(Napi::Env env, Napi::Object exports) {
  exports.Set("rope", Napi::Function::New(env, Rope));
  exports.Set("attentionForward", Napi::Function::New(env, AttnForward));
  exports.Set("attentionBackward", Napi::Function::New(env, AttnBackward));
  exports.Set("cacheWrite", Napi::Function::New(env, CacheWrite));
  exports.Set("cacheAttention", Napi::Function::New(env, CacheAttention));
}

}  // namespace aha
