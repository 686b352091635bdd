// Drawing tokens from rows of logits over a large vocabulary (150k for Qwen), the per-token work
// of sampling: the raw log-probability (log-softmax at temperature 1) of the drawn token, and an
// inverse-CDF draw from softmax(logits / T) given one uniform number per row, or the argmax at
// T = 0. Everything is in double precision, as the TypeScript sampler it replaces computed it:
// the exponentials use `dexp` below (relative error ~1e-16, tested against Math.exp), and the
// weights are summed in fixed-size chunks with fixed lanes, so the result is the same for every
// thread count. No [rows, vocab] scratch is written: the chosen chunk's weights are recomputed.
#include <vector>

#include "common.h"

#if defined(__AVX512F__)
#include <immintrin.h>
// GCC 12's own AVX-512 headers trip -Wmaybe-uninitialized (their _mm512_undefined_ps).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace aha {

namespace {

// exp(x) in double for x <= 0, written with plain arithmetic so loops over it vectorise (the C
// library's exp does not without -ffast-math). Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2,
// then the Taylor series of exp(r) to degree 13 (truncation error < 5e-18) and 2^n from the
// exponent bits. Below -708 (where 2^n would leave the normal range) it returns 0, which also
// covers -inf logits.
inline double dexp(double x) {
  const bool tiny = !(x >= -708.0);
  const double xc = tiny ? 0.0 : x;
  const double n = std::floor(xc * 1.4426950408889634 + 0.5);
  double r = xc - n * 0.693147180369123816490;  // ln2 high part (exact in n * hi for |n| < 2^11)
  r = r - n * 1.90821492927058770002e-10;       // ln2 low part
  double p = 1.0 / 6227020800.0;                // 1/13!
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  const int64_t bits = (static_cast<int64_t>(n) + 1023) << 52;
  double scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return tiny ? 0.0 : p * scale;
}

// Weights exp((x - m) * invT) are summed per chunk of this many tokens; a draw rescans one chunk.
constexpr int64_t CHUNK = 2048;

// The largest of n logits, 16 lanes (common.h's maxf is a serial chain GCC does not vectorise,
// most of drawRows' time over a 150k vocabulary). Max is exact, so the lanes change nothing; a NaN
// is passed over as maxf passes it over.
inline float chunkMax(const float* x, int64_t n) {
  int64_t i = 0;
  float m = -INFINITY;
#if defined(__AVX512F__)
  __m512 acc = _mm512_set1_ps(-INFINITY);
  // max_ps(a, b) is a > b ? a : b, so a NaN in x leaves the lane as it was.
  for (; i + 16 <= n; i += 16) acc = _mm512_max_ps(_mm512_loadu_ps(x + i), acc);
  m = _mm512_reduce_max_ps(acc);
#endif
  for (; i < n; i++) m = std::max(m, x[i]);
  return m;
}

// Sum of exp((x[i] - m) * invT) over n <= CHUNK logits, 8 lanes in a fixed order (one 512-bit
// vector of doubles: GCC would otherwise use 256-bit vectors and half the throughput).
__attribute__((noinline, target("prefer-vector-width=512")))
double chunkWeight(const float* x, int64_t n, double m, double invT) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; l++) acc[l] += dexp((static_cast<double>(x[i + l]) - m) * invT);
  double s = 0;
  for (; i < n; i++) s += dexp((static_cast<double>(x[i]) - m) * invT);
  for (int l = 0; l < 8; l++) s += acc[l];
  return s;
}

inline double* F64(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Float64Array>().Data();
}

// Per-row maxima and per-chunk weights of n rows logits[offsets[r] .. offsets[r]+V): w1 at
// temperature 1 and, when invT != 1, wT at temperature 1/invT. fill() must be called inside an
// OpenMP parallel region (its loops share that region's threads).
struct ChunkSums {
  const float* x;
  const int32_t* offsets;
  int64_t n, V, C;
  double invT;
  std::vector<float> cmax, rmax;
  std::vector<double> w1, wT;
  ChunkSums(const float* x_, const int32_t* off, int64_t n_, int64_t V_, double invT_)
      : x(x_), offsets(off), n(n_), V(V_), C((V_ + CHUNK - 1) / CHUNK), invT(invT_),
        cmax(n_ * C), rmax(n_), w1(n_ * C), wT(invT_ != 1.0 ? n_ * C : 0) {}
  void fill() {
#pragma omp for schedule(static)
    for (int64_t t = 0; t < n * C; t++) {
      const int64_t r = t / C, b = (t % C) * CHUNK;
      cmax[t] = chunkMax(x + offsets[r] + b, std::min(CHUNK, V - b));
    }
#pragma omp for schedule(static)
    for (int64_t r = 0; r < n; r++) rmax[r] = maxf(cmax.data() + r * C, C);
#pragma omp for schedule(static)
    for (int64_t t = 0; t < n * C; t++) {
      const int64_t r = t / C, b = (t % C) * CHUNK, len = std::min(CHUNK, V - b);
      w1[t] = chunkWeight(x + offsets[r] + b, len, rmax[r], 1.0);
      if (!wT.empty()) wT[t] = chunkWeight(x + offsets[r] + b, len, rmax[r], invT);
    }
  }
  // log(sum(exp(row r))), from the chunk weights at temperature 1.
  double logSumExp(int64_t r) const {
    double total = 0;
    for (int64_t c = 0; c < C; c++) total += w1[r * C + c];
    return rmax[r] == -INFINITY ? -INFINITY : rmax[r] + std::log(total);
  }
};

// drawRows(logits, offsets, n, V, temperature, uniforms, tokens, logprobs): for each of the n
// rows logits[offsets[r] .. offsets[r]+V), draws tokens[r] (argmax, lowest index among ties, at
// temperature 0; otherwise the first token whose cumulative weight exceeds uniforms[r] times the
// total, in id order) and sets logprobs[r] = logit - logsumexp(row), in double.
Napi::Value DrawRows(const Napi::CallbackInfo& info) {
  const float* x = F32(info, 0);
  const int32_t* offsets = I32(info, 1);
  const int64_t n = INT(info, 2), V = INT(info, 3);
  const double T = NUM(info, 4);
  const double* u = F64(info, 5);
  int32_t* tokens = I32(info, 6);
  double* logprobs = F64(info, 7);
  const double invT = T == 0.0 ? 1.0 : 1.0 / T;
  ChunkSums s(x, offsets, n, V, invT);
  const int64_t C = s.C;
#pragma omp parallel num_threads(threadsFor(n * V))
  {
    s.fill();
#pragma omp for schedule(static)
    for (int64_t r = 0; r < n; r++) {
      const float* xr = x + offsets[r];
      const double m = s.rmax[r];
      int64_t tok = 0;
      if (T == 0.0) {
        for (int64_t i = 0; i < V; i++)
          if (xr[i] == s.rmax[r]) {
            tok = i;
            break;
          }
      } else {
        const double* w = s.wT.empty() ? s.w1.data() + r * C : s.wT.data() + r * C;
        double total = 0;
        for (int64_t c = 0; c < C; c++) total += w[c];
        double target = u[r] * total;
        int64_t c = 0;
        while (c < C && !(target - w[c] < 0)) target -= w[c++];
        if (c == C) {
          // Rounding left the target past the total: the last token with any weight.
          for (tok = V - 1; tok > 0 && !(dexp((static_cast<double>(xr[tok]) - m) * invT) > 0); tok--) {
          }
        } else {
          const int64_t b = c * CHUNK, e = std::min(V, b + CHUNK);
          tok = -1;
          int64_t lastPositive = b;
          for (int64_t i = b; i < e; i++) {
            const double wi = dexp((static_cast<double>(xr[i]) - m) * invT);
            if (wi > 0) lastPositive = i;
            target -= wi;
            if (target < 0) {
              tok = i;
              break;
            }
          }
          if (tok < 0) tok = lastPositive;
        }
      }
      tokens[r] = static_cast<int32_t>(tok);
      logprobs[r] = static_cast<double>(xr[tok]) - s.logSumExp(r);
    }
  }
  return info.Env().Undefined();
}

// logSumExpRows(logits, offsets, n, V, out): out[r] = log(sum(exp(logits[offsets[r] ..
// offsets[r]+V)))) in double (the normaliser of a raw log-probability), rows and chunks in
// parallel, the same sums as drawRows for every thread count.
Napi::Value LogSumExpRows(const Napi::CallbackInfo& info) {
  const int64_t n = INT(info, 2), V = INT(info, 3);
  double* out = F64(info, 4);
  ChunkSums s(F32(info, 0), I32(info, 1), n, V, 1.0);
#pragma omp parallel num_threads(threadsFor(n * V))
  {
    s.fill();
#pragma omp for schedule(static)
    for (int64_t r = 0; r < n; r++) out[r] = s.logSumExp(r);
  }
  return info.Env().Undefined();
}

// expDouble(x, y, n): y[i] = dexp(x[i]) for Float64Arrays (for testing dexp against Math.exp).
Napi::Value ExpDouble(const Napi::CallbackInfo& info) {
  const double* x = F64(info, 0);
  double* y = F64(info, 1);
  const int64_t n = INT(info, 2);
  for (int64_t i = 0; i < n; i++) y[i] = dexp(x[i]);
  return info.Env().Undefined();
}

}  // namespace

void registerSampling(Napi::Env env, Napi::Object exports) {
  exports.Set("drawRows", Napi::Function::New(env, DrawRows));
  exports.Set("logSumExpRows", Napi::Function::New(env, LogSumExpRows));
  exports.Set("expDouble", Napi::Function::New(env, ExpDouble));
}

}  // namespace aha
