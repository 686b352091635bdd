// Elementwise and row-wise kernels: activations (SiLU, SwiGLU, GELU), add/mul with a broadcast
// suffix operand, axpy/scale/sum, embedding lookup, softmax and log-softmax. Backward kernels add
// into the gradient buffers they are given.
#include <vector>

#include "common.h"

namespace aha {

namespace {

// Runs f(begin, end) over [0, n) split across the pool (or inline when n is small).
template <typename F>
void forChunks(int64_t n, F f) {
  const int nt = threadsFor(n);
  if (nt == 1) {
    f(0, n);
    return;
  }
#pragma omp parallel num_threads(nt)
  {
    int64_t b, e;
    chunk(n, omp_get_thread_num(), nt, b, e);
    f(b, e);
  }
}

// The loops live in functions with restrict-qualified pointers so they vectorise without
// runtime aliasing checks. Sigmoids are computed a block at a time into a small buffer first:
// GCC vectorises the fused one-pass form of x / (1 + exp(-x)) about 10x worse (measured).
constexpr int64_t kBlock = 256;
inline void sigmoidBlock(const float* __restrict x, float* __restrict s, int64_t m) {
  for (int64_t i = 0; i < m; i++) s[i] = fexp(-x[i]);
  for (int64_t i = 0; i < m; i++) s[i] = 1.0f / (1.0f + s[i]);
}
void siluF(const float* __restrict x, float* __restrict y, int64_t b, int64_t e) {
  float s[kBlock];
  for (int64_t i0 = b; i0 < e; i0 += kBlock) {
    const int64_t m = std::min(kBlock, e - i0);
    sigmoidBlock(x + i0, s, m);
    for (int64_t i = 0; i < m; i++) y[i0 + i] = x[i0 + i] * s[i];
  }
}
inline float tanhApprox(float u) { return 1.0f - 2.0f / (fexp(2.0f * u) + 1.0f); }
constexpr float kGeluC = 0.7978845608028654f;  // sqrt(2/pi)
void geluF(const float* __restrict x, float* __restrict y, int64_t b, int64_t e) {
  for (int64_t i = b; i < e; i++) {
    const float t = tanhApprox(kGeluC * (x[i] + 0.044715f * x[i] * x[i] * x[i]));
    y[i] = 0.5f * x[i] * (1.0f + t);
  }
}
void siluB(const float* __restrict x, const float* __restrict dy, float* __restrict dx, int64_t b, int64_t e) {
  float s[kBlock];
  for (int64_t i0 = b; i0 < e; i0 += kBlock) {
    const int64_t m = std::min(kBlock, e - i0);
    sigmoidBlock(x + i0, s, m);
    for (int64_t i = 0; i < m; i++) dx[i0 + i] += dy[i0 + i] * s[i] * (1.0f + x[i0 + i] * (1.0f - s[i]));
  }
}
void geluB(const float* __restrict x, const float* __restrict dy, float* __restrict dx, int64_t b, int64_t e) {
  for (int64_t i = b; i < e; i++) {
    const float xi = x[i];
    const float t = tanhApprox(kGeluC * (xi + 0.044715f * xi * xi * xi));
    const float du = kGeluC * (1.0f + 3.0f * 0.044715f * xi * xi);
    dx[i] += dy[i] * (0.5f * (1.0f + t) + 0.5f * xi * (1.0f - t * t) * du);
  }
}
void swigluF(const float* __restrict g, const float* __restrict u, float* __restrict y, int64_t b, int64_t e) {
  float s[kBlock];
  for (int64_t i0 = b; i0 < e; i0 += kBlock) {
    const int64_t m = std::min(kBlock, e - i0);
    sigmoidBlock(g + i0, s, m);
    for (int64_t i = 0; i < m; i++) y[i0 + i] = g[i0 + i] * s[i] * u[i0 + i];
  }
}
// dg and du may each be null.
void swigluB(const float* __restrict g, const float* __restrict u, const float* __restrict dy, float* __restrict dg,
             float* __restrict du, int64_t b, int64_t e) {
  float s[kBlock];
  for (int64_t i0 = b; i0 < e; i0 += kBlock) {
    const int64_t m = std::min(kBlock, e - i0);
    sigmoidBlock(g + i0, s, m);
    if (dg)
      for (int64_t i = 0; i < m; i++)
        dg[i0 + i] += dy[i0 + i] * u[i0 + i] * s[i] * (1.0f + g[i0 + i] * (1.0f - s[i]));
    if (du)
      for (int64_t i = 0; i < m; i++) du[i0 + i] += dy[i0 + i] * g[i0 + i] * s[i];
  }
}
void axpyF(float alpha, const float* __restrict x, float* __restrict y, int64_t b, int64_t e) {
  for (int64_t i = b; i < e; i++) y[i] += alpha * x[i];
}

// unary(op, x, y, n): op 0 = silu, 1 = gelu (tanh approximation).
Napi::Value UnaryForward(const Napi::CallbackInfo& info) {
  const int op = static_cast<int>(INT(info, 0));
  const float* x = F32(info, 1);
  float* y = F32(info, 2);
  const int64_t n = INT(info, 3);
  forChunks(n, [&](int64_t b, int64_t e) { op == 0 ? siluF(x, y, b, e) : geluF(x, y, b, e); });
  return info.Env().Undefined();
}

// unaryBackward(op, x, dy, dx, n): dx += dy * op'(x).
Napi::Value UnaryBackward(const Napi::CallbackInfo& info) {
  const int op = static_cast<int>(INT(info, 0));
  const float* x = F32(info, 1);
  const float* dy = F32(info, 2);
  float* dx = F32(info, 3);
  const int64_t n = INT(info, 4);
  forChunks(n, [&](int64_t b, int64_t e) { op == 0 ? siluB(x, dy, dx, b, e) : geluB(x, dy, dx, b, e); });
  return info.Env().Undefined();
}

// swigluForward(g, u, y, n): y = silu(g) * u.
Napi::Value SwigluForward(const Napi::CallbackInfo& info) {
  const float* g = F32(info, 0);
  const float* u = F32(info, 1);
  float* y = F32(info, 2);
  const int64_t n = INT(info, 3);
  forChunks(n, [&](int64_t b, int64_t e) { swigluF(g, u, y, b, e); });
  return info.Env().Undefined();
}

// swigluBackward(g, u, dy, dg, du, n); dg or du may be null.
Napi::Value SwigluBackward(const Napi::CallbackInfo& info) {
  const float* g = F32(info, 0);
  const float* u = F32(info, 1);
  const float* dy = F32(info, 2);
  float* dg = F32orNull(info, 3);
  float* du = F32orNull(info, 4);
  const int64_t n = INT(info, 5);
  forChunks(n, [&](int64_t b, int64_t e) { swigluB(g, u, dy, dg, du, b, e); });
  return info.Env().Undefined();
}

// swigluPackedForward(gu, y, rows, I): gu [rows, 2I] holds each row's gate then up (the fused
// gate/up product); y [rows, I] = silu(gate) * up.
Napi::Value SwigluPackedForward(const Napi::CallbackInfo& info) {
  const float* gu = F32(info, 0);
  float* y = F32(info, 1);
  const int64_t rows = INT(info, 2), I = INT(info, 3);
#pragma omp parallel for schedule(static) num_threads(threadsFor(rows * I))
  for (int64_t r = 0; r < rows; r++) swigluF(gu + r * 2 * I, gu + r * 2 * I + I, y + r * I, 0, I);
  return info.Env().Undefined();
}

// swigluPackedBackward(gu, dy, dgu, rows, I): adds the gate and up gradients into dgu [rows, 2I].
Napi::Value SwigluPackedBackward(const Napi::CallbackInfo& info) {
  const float* gu = F32(info, 0);
  const float* dy = F32(info, 1);
  float* dgu = F32(info, 2);
  const int64_t rows = INT(info, 3), I = INT(info, 4);
#pragma omp parallel for schedule(static) num_threads(threadsFor(rows * I))
  for (int64_t r = 0; r < rows; r++) {
    const int64_t o = r * 2 * I;
    swigluB(gu + o, gu + o + I, dy + r * I, dgu + o, dgu + o + I, 0, I);
  }
  return info.Env().Undefined();
}

// binary(op, a, b, y, n, nb): y = a (op) b with b repeated every nb elements; op 0 add, 1 mul.
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const int op = static_cast<int>(INT(info, 0));
  const float* a = F32(info, 1);
  const float* b = F32(info, 2);
  float* y = F32(info, 3);
  const int64_t n = INT(info, 4), nb = INT(info, 5);
  const int64_t rows = n / nb;
#pragma omp parallel for schedule(static) num_threads(threadsFor(n))
  for (int64_t r = 0; r < rows; r++) {
    const float* ar = a + r * nb;
    float* yr = y + r * nb;
    if (op == 0)
      for (int64_t j = 0; j < nb; j++) yr[j] = ar[j] + b[j];
    else
      for (int64_t j = 0; j < nb; j++) yr[j] = ar[j] * b[j];
  }
  return info.Env().Undefined();
}

// mulBackward(a, b, dy, da, db, n, nb): da += dy * b (broadcast), db += sum over rows dy * a.
// db is summed per column slice by one thread each (fixed order).
Napi::Value MulBackward(const Napi::CallbackInfo& info) {
  const float* a = F32(info, 0);
  const float* b = F32(info, 1);
  const float* dy = F32(info, 2);
  float* da = F32orNull(info, 3);
  float* db = F32orNull(info, 4);
  const int64_t n = INT(info, 5), nb = INT(info, 6);
  const int64_t rows = n / nb;
  if (da) {
#pragma omp parallel for schedule(static) num_threads(threadsFor(n))
    for (int64_t r = 0; r < rows; r++)
      for (int64_t j = 0; j < nb; j++) da[r * nb + j] += dy[r * nb + j] * b[j];
  }
  if (db) {
    const int nt = nb >= 64 ? threadsFor(n) : 1;
#pragma omp parallel num_threads(nt)
    {
      int64_t c0, c1;
      chunk(nb, omp_get_thread_num(), nt, c0, c1);
      for (int64_t r = 0; r < rows; r++)
        for (int64_t j = c0; j < c1; j++) db[j] += dy[r * nb + j] * a[r * nb + j];
    }
  }
  return info.Env().Undefined();
}

// sumRows(x, out, rows, cols): out[j] += sum over rows of x[r, j].
Napi::Value SumRows(const Napi::CallbackInfo& info) {
  const float* x = F32(info, 0);
  float* out = F32(info, 1);
  const int64_t rows = INT(info, 2), cols = INT(info, 3);
  const int nt = cols >= 64 ? threadsFor(rows * cols) : 1;
#pragma omp parallel num_threads(nt)
  {
    int64_t c0, c1;
    chunk(cols, omp_get_thread_num(), nt, c0, c1);
    for (int64_t r = 0; r < rows; r++)
      for (int64_t j = c0; j < c1; j++) out[j] += x[r * cols + j];
  }
  return info.Env().Undefined();
}

// axpy(alpha, x, y, n): y += alpha * x.
Napi::Value Axpy(const Napi::CallbackInfo& info) {
  const float alpha = static_cast<float>(NUM(info, 0));
  const float* x = F32(info, 1);
  float* y = F32(info, 2);
  const int64_t n = INT(info, 3);
  forChunks(n, [&](int64_t b, int64_t e) { axpyF(alpha, x, y, b, e); });
  return info.Env().Undefined();
}

// scale(alpha, x, y, n): y = alpha * x (y may be x).
Napi::Value Scale(const Napi::CallbackInfo& info) {
  const float alpha = static_cast<float>(NUM(info, 0));
  const float* x = F32(info, 1);
  float* y = F32(info, 2);
  const int64_t n = INT(info, 3);
  _Pragma("omp parallel for schedule(static) num_threads(threadsFor(n))")
  for (int64_t i = 0; i < n; i++) y[i] = alpha * x[i];
  return info.Env().Undefined();
}

// sum(x, n, squares): sum of x (or of x^2) in double, single-threaded for a fixed order.
Napi::Value Sum(const Napi::CallbackInfo& info) {
  const float* x = F32(info, 0);
  const int64_t n = INT(info, 1);
  const bool squares = info[2].As<Napi::Boolean>().Value();
  double s = 0;
  if (squares) {
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
      for (int l = 0; l < 8; l++) acc[l] += static_cast<double>(x[i + l]) * x[i + l];
    for (; i < n; i++) s += static_cast<double>(x[i]) * x[i];
    for (int l = 0; l < 8; l++) s += acc[l];
  } else {
    s = sumf(x, n);
  }
  return Napi::Number::New(info.Env(), s);
}

// embeddingForward(w, ids, out, N, dim): out[n] = w[ids[n]].
Napi::Value EmbForward(const Napi::CallbackInfo& info) {
  const float* w = F32(info, 0);
  const int32_t* ids = I32(info, 1);
  float* out = F32(info, 2);
  const int64_t N = INT(info, 3), dim = INT(info, 4);
#pragma omp parallel for schedule(static) num_threads(threadsFor(N * dim))
  for (int64_t n = 0; n < N; n++)
    std::memcpy(out + n * dim, w + static_cast<int64_t>(ids[n]) * dim, sizeof(float) * dim);
  return info.Env().Undefined();
}

// embeddingBackward(dout, ids, dw, N, dim): dw[ids[n]] += dout[n]; threads own column slices.
Napi::Value EmbBackward(const Napi::CallbackInfo& info) {
  const float* dout = F32(info, 0);
  const int32_t* ids = I32(info, 1);
  float* dw = F32(info, 2);
  const int64_t N = INT(info, 3), dim = INT(info, 4);
  const int nt = dim >= 64 ? threadsFor(N * dim) : 1;
#pragma omp parallel num_threads(nt)
  {
    int64_t c0, c1;
    chunk(dim, omp_get_thread_num(), nt, c0, c1);
    for (int64_t n = 0; n < N; n++) {
      float* d = dw + static_cast<int64_t>(ids[n]) * dim;
      const float* g = dout + n * dim;
      for (int64_t j = c0; j < c1; j++) d[j] += g[j];
    }
  }
  return info.Env().Undefined();
}

// softmaxForward(x, y, rows, cols, log): softmax or log-softmax of each row.
Napi::Value SoftmaxForward(const Napi::CallbackInfo& info) {
  const float* x = F32(info, 0);
  float* y = F32(info, 1);
  const int64_t rows = INT(info, 2), cols = INT(info, 3);
  const bool log = info[4].As<Napi::Boolean>().Value();
#pragma omp parallel for schedule(static) num_threads(threadsFor(rows * cols))
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    const float m = maxf(xr, cols);
    for (int64_t j = 0; j < cols; j++) yr[j] = fexp(xr[j] - m);
    const double s = sumf(yr, cols);
    if (log) {
      const float l = m + static_cast<float>(std::log(s));
      for (int64_t j = 0; j < cols; j++) yr[j] = xr[j] - l;
    } else {
      const float inv = static_cast<float>(1.0 / s);
      for (int64_t j = 0; j < cols; j++) yr[j] *= inv;
    }
  }
  return info.Env().Undefined();
}

// softmaxBackward(y, dy, dx, rows, cols, log): dx += softmax or log-softmax backward from y.
Napi::Value SoftmaxBackward(const Napi::CallbackInfo& info) {
  const float* y = F32(info, 0);
  const float* dy = F32(info, 1);
  float* dx = F32(info, 2);
  const int64_t rows = INT(info, 3), cols = INT(info, 4);
  const bool log = info[5].As<Napi::Boolean>().Value();
#pragma omp parallel for schedule(static) num_threads(threadsFor(rows * cols))
  for (int64_t r = 0; r < rows; r++) {
    const float* yr = y + r * cols;
    const float* g = dy + r * cols;
    float* d = dx + r * cols;
    if (log) {
      const float s = static_cast<float>(sumf(g, cols));
      for (int64_t j = 0; j < cols; j++) d[j] += g[j] - fexp(yr[j]) * s;
    } else {
      const float s = dotf(g, yr, cols);
      for (int64_t j = 0; j < cols; j++) d[j] += yr[j] * (g[j] - s);
    }
  }
  return info.Env().Undefined();
}

}  // namespace

void registerPointwise(Napi::Env env, Napi::Object exports) {
  exports.Set("unaryForward", Napi::Function::New(env, UnaryForward));
  exports.Set("unaryBackward", Napi::Function::New(env, UnaryBackward));
  exports.Set("swigluForward", Napi::Function::New(env, SwigluForward));
  exports.Set("swigluBackward", Napi::Function::New(env, SwigluBackward));
  exports.Set("swigluPackedForward", Napi::Function::New(env, SwigluPackedForward));
  exports.Set("swigluPackedBackward", Napi::Function::New(env, SwigluPackedBackward));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("mulBackward", Napi::Function::New(env, MulBackward));
  exports.Set("sumRows", Napi::Function::New(env, SumRows));
  exports.Set("axpy", Napi::Function::New(env, Axpy));
  exports.Set("scale", Napi::Function::New(env, Scale));
  exports.Set("sum", Napi::Function::New(env, Sum));
  exports.Set("embeddingForward", Napi::Function::New(env, EmbForward));
  exports.Set("embeddingBackward", Napi::Function::New(env, EmbBackward));
  exports.Set("softmaxForward", Napi::Function::New(env, SoftmaxForward));
  exports.Set("softmaxBackward", Napi::Function::New(env, SoftmaxBackward));
}

}  // namespace aha
