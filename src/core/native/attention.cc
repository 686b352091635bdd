// Rotary position embedding and causal grouped-query self-attention: the fused training kernels
// (forward and backward, recomputing probabilities from the saved log-sum-exp instead of storing
// them) and the inference kernels over a KV cache with per-row lengths.
//
// Layouts: q [B, T, Hq, D], k and v [B, T, Hkv, D] (what the projections produce, so no
// transposes are needed); the cache is [B, Hkv, maxLen, D] per layer so each head's keys are
// contiguous. Query head h uses key/value head h / (Hq / Hkv).
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "common.h"
#include "gemm.h"

namespace aha {

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

// The attention blocks' products are small (64 query rows, head size 64, up to T keys) and many:
// OpenBLAS packs both operands on every call, which costs more than it saves at this size, so
// they go through this unpacked kernel. C [M, N] (row stride ldc) = alpha op(A) B + beta C, with
// op(A) [M, K] = A (rows lda apart) or, ta, A^T for A [K, M]; B [K, N] row-major (ldb). Every
// operand is read in place. Rows of N = T keys are padded to whole vectors by the callers; a head
// size that is not a multiple of 16 goes to gemmSerial.
#if defined(__AVX512F__)
// A tile of R rows by NV 16-float vectors: R * NV accumulators stay in registers over all of K
// (R = 6, NV = 4: 24 of the 32 zmm registers), one broadcast of A and NV loads of B per step.
// Plain (unmasked) loads only: GCC keeps the accumulators in memory around a masked load.
template <bool TA, int R, int NV>
void smallTile(int K, float alpha, const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
               int64_t ldc) {
  __m512 acc[R][NV];
  for (int r = 0; r < R; r++)
    for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
  for (int k = 0; k < K; k++) {
    const float* b = B + k * ldb;
    __m512 bv[NV];
    for (int v = 0; v < NV; v++) bv[v] = _mm512_loadu_ps(b + 16 * v);
    for (int r = 0; r < R; r++) {
      const __m512 a = _mm512_set1_ps(TA ? A[k * lda + r] : A[r * lda + k]);
      for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(a, bv[v], acc[r][v]);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  for (int r = 0; r < R; r++)
    for (int v = 0; v < NV; v++) {
      float* c = C + r * ldc + 16 * v;
      __m512 out = _mm512_mul_ps(acc[r][v], va);
      if (beta != 0.0f) out = _mm512_fmadd_ps(vb, _mm512_loadu_ps(c), out);
      _mm512_storeu_ps(c, out);
    }
}

template <bool TA, int R>
void smallRows(int nv, int K, float alpha, const float* A, int64_t lda, const float* B, int64_t ldb, float beta,
               float* C, int64_t ldc) {
  switch (nv) {
    case 1: smallTile<TA, R, 1>(K, alpha, A, lda, B, ldb, beta, C, ldc); break;
    case 2: smallTile<TA, R, 2>(K, alpha, A, lda, B, ldb, beta, C, ldc); break;
    case 3: smallTile<TA, R, 3>(K, alpha, A, lda, B, ldb, beta, C, ldc); break;
    default: smallTile<TA, R, 4>(K, alpha, A, lda, B, ldb, beta, C, ldc); break;
  }
}

template <bool TA>
void smallGemmT(int M, int N, int K, float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
                float beta, float* C, int64_t ldc) {
  constexpr int MR = 6;
  for (int j0 = 0; j0 < N; j0 += 64) {
    const int nv = std::min(4, (N - j0) / 16);
    for (int i0 = 0; i0 < M; i0 += MR) {
      const float* a = TA ? A + i0 : A + i0 * lda;
      float* c = C + i0 * ldc + j0;
      switch (std::min(MR, M - i0)) {
        case 1: smallRows<TA, 1>(nv, K, alpha, a, lda, B + j0, ldb, beta, c, ldc); break;
        case 2: smallRows<TA, 2>(nv, K, alpha, a, lda, B + j0, ldb, beta, c, ldc); break;
        case 3: smallRows<TA, 3>(nv, K, alpha, a, lda, B + j0, ldb, beta, c, ldc); break;
        case 4: smallRows<TA, 4>(nv, K, alpha, a, lda, B + j0, ldb, beta, c, ldc); break;
        case 5: smallRows<TA, 5>(nv, K, alpha, a, lda, B + j0, ldb, beta, c, ldc); break;
        default: smallRows<TA, 6>(nv, K, alpha, a, lda, B + j0, ldb, beta, c, ldc); break;
      }
    }
  }
}

void smallGemm(bool ta, int M, int N, int K, float alpha, const float* A, int64_t lda, const float* B,
               int64_t ldb, float beta, float* C, int64_t ldc) {
  if (N % 16 != 0) {  // a head size that is not whole vectors
    gemmSerial(ta, false, M, N, K, alpha, A, static_cast<int>(lda), B, static_cast<int>(ldb), beta, C,
               static_cast<int>(ldc));
    return;
  }
  if (ta)
    smallGemmT<true>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  else
    smallGemmT<false>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
#else
// Portable form (no AVX-512): row by row, the inner loop over a row of B vectorises.
void smallGemm(bool ta, int M, int N, int K, float alpha, const float* A, int64_t lda, const float* B,
               int64_t ldb, float beta, float* C, int64_t ldc) {
  for (int i = 0; i < M; i++) {
    float* __restrict c = C + i * ldc;
    if (beta == 0.0f)
      std::fill(c, c + N, 0.0f);
    else if (beta != 1.0f)
      for (int j = 0; j < N; j++) c[j] *= beta;
    for (int k = 0; k < K; k++) {
      const float a = alpha * (ta ? A[k * lda + i] : A[i * lda + k]);
      const float* __restrict b = B + k * ldb;
      for (int j = 0; j < N; j++) c[j] += a * b[j];
    }
  }
}
#endif

// Where the training kernels read q, k and v: row t of batch b, head h starts at
// base + (b * T + t) * ld + h * D. Separate tensors have ld = heads * D; the fused q/k/v
// projection's output [B, T, (Hq + 2 Hkv) D] has one ld for all three, at column offsets.
// With cos/sin set, queries and keys are rotated (RoPE, rotate_half) as they are read and their
// gradients rotated back as they are written, so the rotated copies never exist as tensors.
struct AttnShape {
  int64_t B, T, Hq, Hkv, D;
  float scale;
  int64_t ldq, ldk, ldv;
  const int32_t* pos;  // [B * T] token positions (with cos/sin)
  const float* cos;    // [maxPos, D/2] or null: no rotation
  const float* sin;
  // Row stride of the per-head scratch that smallGemm takes as B or C with T columns (probabilities,
  // transposed keys and values): T rounded up to 16, the pad columns zero.
  int64_t Tp() const { return (T + 15) / 16 * 16; }
};

inline int pad16(int64_t n) { return static_cast<int>((n + 15) / 16 * 16); }

// dst [T, D] (contiguous) = src rows (stride ld) of one head, rotated by +angle when the shape
// has tables (the formula of the Rope kernel above).
void loadHead(const AttnShape& s, const float* src, int64_t ld, const int32_t* pos, float* dst) {
  const int64_t D = s.D, half = D / 2;
  for (int64_t t = 0; t < s.T; t++) {
    const float* x = src + t * ld;
    float* o = dst + t * D;
    if (s.cos == nullptr) {
      std::memcpy(o, x, sizeof(float) * D);
      continue;
    }
    const float* c = s.cos + static_cast<int64_t>(pos[t]) * half;
    const float* sn = s.sin + static_cast<int64_t>(pos[t]) * half;
    for (int64_t i = 0; i < half; i++) {
      const float a = x[i], b = x[i + half];
      o[i] = a * c[i] - 1.0f * b * sn[i];
      o[i + half] = b * c[i] + 1.0f * a * sn[i];
    }
  }
}

// dst rows (stride ld) += src [T, D] rotated by -angle (the gradient through the rotation).
void storeHeadGrad(const AttnShape& s, const float* src, float* dst, int64_t ld, const int32_t* pos) {
  const int64_t D = s.D, half = D / 2;
  for (int64_t t = 0; t < s.T; t++) {
    const float* g = src + t * D;
    float* o = dst + t * ld;
    if (s.cos == nullptr) {
      for (int64_t i = 0; i < D; i++) o[i] += g[i];
      continue;
    }
    const float* c = s.cos + static_cast<int64_t>(pos[t]) * half;
    const float* sn = s.sin + static_cast<int64_t>(pos[t]) * half;
    for (int64_t i = 0; i < half; i++) {
      const float a = g[i], b = g[i + half];
      o[i] += a * c[i] - -1.0f * b * sn[i];
      o[i + half] += b * c[i] + -1.0f * a * sn[i];
    }
  }
}

// dst [D, T] = rows (stride ld) of one head, transposed: keys or values as the right operand of
// smallGemm's products with them.
void transposeHead(const AttnShape& s, const float* src, int64_t ld, float* dst) {
  const int64_t Tp = s.Tp();
  for (int64_t t = 0; t < s.T; t++)
    for (int64_t d = 0; d < s.D; d++) dst[d * Tp + t] = src[t * ld + d];
}

// Probabilities of query rows [i0, i1) over keys [0, pad16(i1)) into P (row stride Tp), causal
// (zero past each row's own position); q is one head's contiguous [T, D] copy, kt its keys
// transposed [D, Tp]. With lse given, P = exp(S - lse); otherwise softmax, writing lse.
// With the row's positions `pos`, query i sees only the pos[i] keys before it and itself: rows
// packed with several sequences, each restarting at position 0, attend within their own sequence
// (a plain row has pos[i] = i, the whole causal prefix).
void probsBlock(const AttnShape& s, const float* q, const float* kt, const int32_t* pos, int64_t i0, int64_t i1,
                float* P, float* lse, bool haveLse) {
  const int64_t T = s.Tp();
  const int D = static_cast<int>(s.D), cols = pad16(i1);
  smallGemm(false, static_cast<int>(i1 - i0), cols, D, s.scale, q + i0 * D, D, kt, T, 0.0f, P, T);
  for (int64_t i = i0; i < i1; i++) {
    float* p = P + (i - i0) * T;
    const int64_t n = i + 1;
    const int64_t first = pos ? std::max<int64_t>(0, i - pos[i]) : 0;
    for (int64_t j = 0; j < first; j++) p[j] = 0.0f;
    float* pf = p + first;
    const int64_t m0 = n - first;
    if (!haveLse) {
      float m = maxf(pf, m0);
      for (int64_t j = 0; j < m0; j++) pf[j] = fexp(pf[j] - m);
      const double sum = sumf(pf, m0);
      const float inv = static_cast<float>(1.0 / sum);
      for (int64_t j = 0; j < m0; j++) pf[j] *= inv;
      lse[i] = m + static_cast<float>(std::log(sum));
    } else {
      const float l = lse[i];
      for (int64_t j = 0; j < m0; j++) pf[j] = fexp(pf[j] - l);
    }
    for (int64_t j = n; j < cols; j++) p[j] = 0.0f;
  }
}

// out [B, T, Hq, D] and lse [B, Hq, T] from q, k, v as `s` places them.
void attnForward(const AttnShape& s, const float* q, const float* k, const float* v, float* out, float* lse) {
  const int64_t group = s.Hq / s.Hkv;
  const int64_t tasks = s.B * s.Hq;
  const int64_t ldo = s.Hq * s.D;
#pragma omp parallel num_threads(threadsFor(s.B * s.T * s.T * s.Hq))
  {
    std::vector<float> P(BLK * s.Tp()), Q(s.T * s.D), K(s.T * s.D), KT(s.Tp() * s.D, 0.0f);
#pragma omp for schedule(static)
    for (int64_t task = 0; task < tasks; task++) {
      const int64_t b = task / s.Hq, h = task % s.Hq, hk = h / group;
      const int32_t* pos = s.pos ? s.pos + b * s.T : nullptr;
      loadHead(s, q + b * s.T * s.ldq + h * s.D, s.ldq, pos, Q.data());
      loadHead(s, k + b * s.T * s.ldk + hk * s.D, s.ldk, pos, K.data());
      transposeHead(s, K.data(), s.D, KT.data());
      const float* vb = v + b * s.T * s.ldv + hk * s.D;
      float* ob = out + b * s.T * ldo + h * s.D;
      float* l = lse + (b * s.Hq + h) * s.T;
      for (int64_t i0 = 0; i0 < s.T; i0 += BLK) {
        const int64_t i1 = std::min<int64_t>(s.T, i0 + BLK);
        probsBlock(s, Q.data(), KT.data(), pos, i0, i1, P.data(), l, false);
        smallGemm(false, static_cast<int>(i1 - i0), static_cast<int>(s.D), static_cast<int>(i1), 1.0f, P.data(),
                  s.Tp(), vb, s.ldv, 0.0f, ob + i0 * ldo, ldo);
      }
    }
  }
}

// Adds into dq, dk, dv (laid out as q, k, v). One task per (batch, key/value head) so the
// query heads sharing a key/value head add into dk/dv one after another (no races, fixed order).
void attnBackward(const AttnShape& s, const float* q, const float* k, const float* v, const float* out,
                  const float* dout, const float* lse, float* dq, float* dk, float* dv) {
  const int64_t group = s.Hq / s.Hkv;
  const int64_t tasks = s.B * s.Hkv;
  const int64_t T = s.Tp();
  const int D = static_cast<int>(s.D);
  const int64_t ldo = s.Hq * s.D;
#pragma omp parallel num_threads(threadsFor(s.B * s.T * s.T * s.Hq))
  {
    std::vector<float> P(BLK * T), dP(BLK * T), Di(BLK);
    std::vector<float> Q(s.T * s.D), K(s.T * s.D), KT(T * s.D, 0.0f), VT(T * s.D, 0.0f), dQ(s.T * s.D), dK(s.T * s.D);
#pragma omp for schedule(static)
    for (int64_t task = 0; task < tasks; task++) {
      const int64_t b = task / s.Hkv, hk = task % s.Hkv;
      const int32_t* pos = s.pos ? s.pos + b * s.T : nullptr;
      loadHead(s, k + b * s.T * s.ldk + hk * s.D, s.ldk, pos, K.data());
      transposeHead(s, K.data(), s.D, KT.data());
      std::fill(dK.begin(), dK.end(), 0.0f);
      const float* vb = v + b * s.T * s.ldv + hk * s.D;
      transposeHead(s, vb, s.ldv, VT.data());
      float* dvb = dv + b * s.T * s.ldv + hk * s.D;
      for (int64_t h = hk * group; h < (hk + 1) * group; h++) {
        loadHead(s, q + b * s.T * s.ldq + h * s.D, s.ldq, pos, Q.data());
        std::fill(dQ.begin(), dQ.end(), 0.0f);
        const float* ob = out + b * s.T * ldo + h * s.D;
        const float* dob = dout + b * s.T * ldo + h * s.D;
        const float* l = lse + (b * s.Hq + h) * s.T;
        for (int64_t i0 = 0; i0 < s.T; i0 += BLK) {
          const int64_t i1 = std::min<int64_t>(s.T, i0 + BLK);
          const int rows = static_cast<int>(i1 - i0), cols = static_cast<int>(i1);
          probsBlock(s, Q.data(), KT.data(), pos, i0, i1, P.data(), const_cast<float*>(l), true);
          for (int64_t i = i0; i < i1; i++) Di[i - i0] = dotf(dob + i * ldo, ob + i * ldo, s.D);
          // dP = dO V^T
          smallGemm(false, rows, pad16(cols), D, 1.0f, dob + i0 * ldo, ldo, VT.data(), T, 0.0f, dP.data(), T);
          // dV += P^T dO
          smallGemm(true, cols, D, rows, 1.0f, P.data(), T, dob + i0 * ldo, ldo, 1.0f, dvb, s.ldv);
          // dS = P * (dP - Di), stored in dP
          for (int r = 0; r < rows; r++) {
            float* dp = dP.data() + static_cast<int64_t>(r) * T;
            const float* p = P.data() + static_cast<int64_t>(r) * T;
            const float di = Di[r];
            for (int j = 0; j < cols; j++) dp[j] = p[j] * (dp[j] - di);
          }
          // dQ += scale dS K ; dK += scale dS^T Q
          smallGemm(false, rows, D, cols, s.scale, dP.data(), T, K.data(), D, 1.0f, dQ.data() + i0 * D, D);
          smallGemm(true, cols, D, rows, s.scale, dP.data(), T, Q.data() + i0 * D, D, 1.0f, dK.data(), D);
        }
        storeHeadGrad(s, dQ.data(), dq + b * s.T * s.ldq + h * s.D, s.ldq, pos);
      }
      storeHeadGrad(s, dK.data(), dk + b * s.T * s.ldk + hk * s.D, s.ldk, pos);
    }
  }
}

AttnShape plainShape(const Napi::CallbackInfo& info, size_t at) {
  AttnShape s{INT(info, at), INT(info, at + 1), INT(info, at + 2), INT(info, at + 3), INT(info, at + 4),
              static_cast<float>(NUM(info, at + 5)), 0, 0, 0, nullptr, nullptr, nullptr};
  s.ldq = s.Hq * s.D;
  s.ldk = s.ldv = s.Hkv * s.D;
  return s;
}

// attentionForward(q, k, v, out, lse, B, T, Hq, Hkv, D, scale); lse [B, Hq, T].
Napi::Value AttnForward(const Napi::CallbackInfo& info) {
  attnForward(plainShape(info, 5), F32(info, 0), F32(info, 1), F32(info, 2), F32(info, 3), F32(info, 4));
  return info.Env().Undefined();
}

// attentionBackward(q, k, v, out, dout, lse, dq, dk, dv, B, T, Hq, Hkv, D, scale): adds into
// dq, dk, dv.
Napi::Value AttnBackward(const Napi::CallbackInfo& info) {
  attnBackward(plainShape(info, 9), F32(info, 0), F32(info, 1), F32(info, 2), F32(info, 3), F32(info, 4),
               F32(info, 5), F32(info, 6), F32(info, 7), F32(info, 8));
  return info.Env().Undefined();
}

// The fused form: qkv [B, T, (Hq + 2 Hkv) D] holds each token's q, k and v side by side (one
// product over the concatenated projection weights); pos [B * T] and the RoPE tables cos/sin
// [maxPos, D/2] rotate q and k inside the kernel (cos null: no rotation). Arguments pos, cos, sin
// at posAt.., B, T, Hq, Hkv, D, scale at at...
AttnShape packedShape(const Napi::CallbackInfo& info, size_t posAt, size_t at) {
  AttnShape s{INT(info, at), INT(info, at + 1), INT(info, at + 2), INT(info, at + 3), INT(info, at + 4),
              static_cast<float>(NUM(info, at + 5)), 0, 0, 0, I32(info, posAt), F32orNull(info, posAt + 1),
              F32orNull(info, posAt + 2)};
  s.ldq = s.ldk = s.ldv = (s.Hq + 2 * s.Hkv) * s.D;
  return s;
}

// attentionPackedForward(qkv, out, lse, pos, cos, sin, B, T, Hq, Hkv, D, scale).
Napi::Value AttnPackedForward(const Napi::CallbackInfo& info) {
  const AttnShape s = packedShape(info, 3, 6);
  const float* qkv = F32(info, 0);
  attnForward(s, qkv, qkv + s.Hq * s.D, qkv + (s.Hq + s.Hkv) * s.D, F32(info, 1), F32(info, 2));
  return info.Env().Undefined();
}

// attentionPackedBackward(qkv, out, dout, lse, dqkv, pos, cos, sin, B, T, Hq, Hkv, D, scale):
// adds into dqkv (qkv's layout).
Napi::Value AttnPackedBackward(const Napi::CallbackInfo& info) {
  const AttnShape s = packedShape(info, 5, 8);
  const float* qkv = F32(info, 0);
  float* d = F32(info, 4);
  const int64_t ko = s.Hq * s.D, vo = (s.Hq + s.Hkv) * s.D;
  attnBackward(s, qkv, qkv + ko, qkv + vo, F32(info, 1), F32(info, 2), F32(info, 3), d, d + ko, d + vo);
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
  exports.Set("attentionPackedForward", Napi::Function::New(env, AttnPackedForward));
  exports.Set("attentionPackedBackward", Napi::Function::New(env, AttnPackedBackward));
  exports.Set("cacheWrite", Napi::Function::New(env, CacheWrite));
  exports.Set("cacheAttention", Napi::Function::New(env, CacheAttention));
}

}  // namespace aha
