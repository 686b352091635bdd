// Shared helpers for aha's native kernels: argument access for N-API wrappers, the threading
// helpers (one OpenMP pool for every kernel), and a vectorisable exp.
#pragma once
#include <napi.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace aha {

// Argument access. The TypeScript backend checks types and sizes before calling, so these only
// unwrap (a wrong type here is a bug in src/core, not a user error).
inline float* F32(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Float32Array>().Data();
}
inline float* F32orNull(const Napi::CallbackInfo& info, size_t i) {
  return info[i].IsTypedArray() ? info[i].As<Napi::Float32Array>().Data() : nullptr;
}
inline int32_t* I32(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Int32Array>().Data();
}
inline int32_t* I32orNull(const Napi::CallbackInfo& info, size_t i) {
  return info[i].IsTypedArray() ? info[i].As<Napi::Int32Array>().Data() : nullptr;
}
inline int64_t INT(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Number>().Int64Value();
}
inline double NUM(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Number>().DoubleValue();
}

// Contiguous chunk [begin, end) of `n` items owned by thread `t` of `nt`. A fixed split (rather
// than dynamic scheduling) keeps every reduction in the same order for a given thread count.
inline void chunk(int64_t n, int t, int nt, int64_t& begin, int64_t& end) {
  int64_t base = n / nt, rem = n % nt;
  begin = t * base + std::min<int64_t>(t, rem);
  end = begin + base + (t < rem ? 1 : 0);
}

// Threads worth using for `work` scalar operations (small kernels stay on one thread because
// waking the pool costs more than it saves).
inline int threadsFor(int64_t work) {
  int nt = omp_get_max_threads();
  if (work < (1 << 15)) return 1;
  return nt;
}

// exp(x) for float, accurate to about 2 ulp, written with plain arithmetic so loops over it
// vectorise (the C library's expf does not without -ffast-math). Cephes-style: 2^n * p(r).
inline float fexp(float x) {
  x = std::min(std::max(x, -87.0f), 88.0f);
  float n = std::floor(x * 1.44269504088896341f + 0.5f);
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500E-4f;
  p = p * r + 1.3981999507E-3f;
  p = p * r + 8.3334519073E-3f;
  p = p * r + 4.1665795894E-2f;
  p = p * r + 1.6666665459E-1f;
  p = p * r + 5.0000001201E-1f;
  p = p * r * r + r + 1.0f;
  int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return p * scale;
}

// Sum of n floats in double with 8 independent lanes (vectorises; fixed order, so deterministic).
inline double sumf(const float* x, int64_t n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; l++) acc[l] += x[i + l];
  double s = 0;
  for (; i < n; i++) s += x[i];
  for (int l = 0; l < 8; l++) s += acc[l];
  return s;
}

// Dot product of n floats with 16 float lanes (vectorises without -ffast-math).
inline float dotf(const float* a, const float* b, int64_t n) {
  float acc[16] = {0};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int l = 0; l < 16; l++) acc[l] += a[i + l] * b[i + l];
  float s = 0;
  for (; i < n; i++) s += a[i] * b[i];
  for (int l = 0; l < 16; l++) s += acc[l];
  return s;
}

inline float maxf(const float* x, int64_t n) {
  float m = -INFINITY;
  for (int64_t i = 0; i < n; i++) m = std::max(m, x[i]);
  return m;
}

// log(sum(exp(x))) of one row; `tmp` is scratch of length n.
inline float logsumexp(const float* x, int64_t n, float* tmp) {
  float m = maxf(x, n);
  if (m == -INFINITY) return -INFINITY;
  for (int64_t i = 0; i < n; i++) tmp[i] = fexp(x[i] - m);
  return m + static_cast<float>(std::log(sumf(tmp, n)));
}

// Heap settings for the training step's allocation pattern (memory.cc), called once at load.
void heapInit();

// Registration of each kernel family (one per source file).
void registerGemm(Napi::Env env, Napi::Object exports);
void registerNorm(Napi::Env env, Napi::Object exports);
void registerAttention(Napi::Env env, Napi::Object exports);
void registerPointwise(Napi::Env env, Napi::Object exports);
void registerLoss(Napi::Env env, Napi::Object exports);
void registerOptim(Napi::Env env, Napi::Object exports);
void registerBf16(Napi::Env env, Napi::Object exports);
void registerSampling(Napi::Env env, Napi::Object exports);
void registerDecode(Napi::Env env, Napi::Object exports);

// One query over L cached positions (attention.cc): scores against transposed keys kt [D, maxLen],
// softmax, weighted sum of values v [maxLen, D] into out [D]; sc is scratch of L floats.
void attendOne(const float* __restrict q, const float* __restrict kt, const float* __restrict v,
               float* __restrict out, float* __restrict sc, int64_t L, int64_t D, int64_t maxLen,
               float scale);

}  // namespace aha
