// RMSNorm and LayerNorm over the last dimension, forward and backward. Backward kernels add into
// the gradient buffers they are given. Weight gradients are summed per thread over a fixed
// split of rows and then combined in thread order, so results are deterministic for a given
// thread count.
#include <vector>

#include "common.h"

namespace aha {

namespace {

// Adds per-thread partial sums (nt x dim) into out in thread order.
void combine(const std::vector<float>& partial, int nt, int64_t dim, float* out) {
  for (int t = 0; t < nt; t++)
    for (int64_t j = 0; j < dim; j++) out[j] += partial[t * dim + j];
}

// rmsNormForward(x, w, y, rstd, rows, dim, eps): y = x / sqrt(mean(x^2) + eps) * w.
Napi::Value RmsForward(const Napi::CallbackInfo& info) {
  const float* x = F32(info, 0);
  const float* w = F32(info, 1);
  float* y = F32(info, 2);
  float* rstd = F32(info, 3);
  const int64_t rows = INT(info, 4), dim = INT(info, 5);
  const float eps = static_cast<float>(NUM(info, 6));
#pragma omp parallel for schedule(static) num_threads(threadsFor(rows * dim))
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * dim;
    float* yr = y + r * dim;
    const float ms = dotf(xr, xr, dim) / static_cast<float>(dim);
    const float s = 1.0f / std::sqrt(ms + eps);
    rstd[r] = s;
    for (int64_t j = 0; j < dim; j++) yr[j] = xr[j] * s * w[j];
  }
  return info.Env().Undefined();
}

// rmsNormBackward(dy, x, w, rstd, dx, dw, rows, dim); dx or dw may be null (not needed).
Napi::Value RmsBackward(const Napi::CallbackInfo& info) {
  const float* dy = F32(info, 0);
  const float* x = F32(info, 1);
  const float* w = F32(info, 2);
  const float* rstd = F32(info, 3);
  float* dx = F32orNull(info, 4);
  float* dw = F32orNull(info, 5);
  const int64_t rows = INT(info, 6), dim = INT(info, 7);
  const int nt = threadsFor(rows * dim);
  std::vector<float> partial(dw ? nt * dim : 0, 0.0f);
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num();
    int64_t b, e;
    chunk(rows, t, nt, b, e);
    std::vector<float> g(dim);
    float* pw = dw ? partial.data() + t * dim : nullptr;
    for (int64_t r = b; r < e; r++) {
      const float* xr = x + r * dim;
      const float* dyr = dy + r * dim;
      const float s = rstd[r];
      if (pw)
        for (int64_t j = 0; j < dim; j++) pw[j] += dyr[j] * xr[j] * s;
      if (dx) {
        for (int64_t j = 0; j < dim; j++) g[j] = dyr[j] * w[j];
        // d/dx of x*s: s*(g - xhat * mean(g*xhat)), xhat = x*s
        const float c = dotf(g.data(), xr, dim) * s * s / static_cast<float>(dim);
        float* dxr = dx + r * dim;
        for (int64_t j = 0; j < dim; j++) dxr[j] += s * (g[j] - xr[j] * c);
      }
    }
  }
  if (dw) combine(partial, nt, dim, dw);
  return info.Env().Undefined();
}

// layerNormForward(x, w, b, y, mean, rstd, rows, dim, eps); w and b may be null.
Napi::Value LnForward(const Napi::CallbackInfo& info) {
  const float* x = F32(info, 0);
  const float* w = F32orNull(info, 1);
  const float* bias = F32orNull(info, 2);
  float* y = F32(info, 3);
  float* mean = F32(info, 4);
  float* rstd = F32(info, 5);
  const int64_t rows = INT(info, 6), dim = INT(info, 7);
  const float eps = static_cast<float>(NUM(info, 8));
#pragma omp parallel for schedule(static) num_threads(threadsFor(rows * dim))
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * dim;
    float* yr = y + r * dim;
    const float mu = static_cast<float>(sumf(xr, dim) / static_cast<double>(dim));
    float acc[16] = {0};
    int64_t j = 0;
    for (; j + 16 <= dim; j += 16)
      for (int l = 0; l < 16; l++) acc[l] += (xr[j + l] - mu) * (xr[j + l] - mu);
    float var = 0;
    for (; j < dim; j++) var += (xr[j] - mu) * (xr[j] - mu);
    for (int l = 0; l < 16; l++) var += acc[l];
    var /= static_cast<float>(dim);
    const float s = 1.0f / std::sqrt(var + eps);
    mean[r] = mu;
    rstd[r] = s;
    for (int64_t k = 0; k < dim; k++) {
      float v = (xr[k] - mu) * s;
      if (w) v *= w[k];
      if (bias) v += bias[k];
      yr[k] = v;
    }
  }
  return info.Env().Undefined();
}

// layerNormBackward(dy, x, w, mean, rstd, dx, dw, db, rows, dim); w, dx, dw, db may be null.
Napi::Value LnBackward(const Napi::CallbackInfo& info) {
  const float* dy = F32(info, 0);
  const float* x = F32(info, 1);
  const float* w = F32orNull(info, 2);
  const float* mean = F32(info, 3);
  const float* rstd = F32(info, 4);
  float* dx = F32orNull(info, 5);
  float* dw = F32orNull(info, 6);
  float* db = F32orNull(info, 7);
  const int64_t rows = INT(info, 8), dim = INT(info, 9);
  const int nt = threadsFor(rows * dim);
  std::vector<float> pw(dw ? nt * dim : 0, 0.0f), pb(db ? nt * dim : 0, 0.0f);
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num();
    int64_t b, e;
    chunk(rows, t, nt, b, e);
    std::vector<float> g(dim), xh(dim);
    for (int64_t r = b; r < e; r++) {
      const float* xr = x + r * dim;
      const float* dyr = dy + r * dim;
      const float mu = mean[r], s = rstd[r];
      for (int64_t j = 0; j < dim; j++) xh[j] = (xr[j] - mu) * s;
      if (dw)
        for (int64_t j = 0; j < dim; j++) pw[t * dim + j] += dyr[j] * xh[j];
      if (db)
        for (int64_t j = 0; j < dim; j++) pb[t * dim + j] += dyr[j];
      if (dx) {
        for (int64_t j = 0; j < dim; j++) g[j] = w ? dyr[j] * w[j] : dyr[j];
        const float mg = static_cast<float>(sumf(g.data(), dim) / static_cast<double>(dim));
        const float mgx = dotf(g.data(), xh.data(), dim) / static_cast<float>(dim);
        float* dxr = dx + r * dim;
        for (int64_t j = 0; j < dim; j++) dxr[j] += s * (g[j] - mg - xh[j] * mgx);
      }
    }
  }
  if (dw) combine(pw, nt, dim, dw);
  if (db) combine(pb, nt, dim, db);
  return info.Env().Undefined();
}

}  // namespace

void registerNorm(Napi::Env env, Napi::Object exports) {
  exports.Set("rmsNormForward", Napi::Function::New(env, RmsForward));
  exports.Set("rmsNormBackward", Napi::Function::New(env, RmsBackward));
  exports.Set("layerNormForward", Napi::Function::New(env, LnForward));
  exports.Set("layerNormBackward", Napi::Function::New(env, LnBackward));
}

}  // namespace aha
