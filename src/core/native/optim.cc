// AdamW (decoupled weight decay, as torch.optim.AdamW) applied to one parameter tensor in place.
#include "common.h"

namespace aha {

namespace {

// adamw(p, g, m, v, n, lr, beta1, beta2, eps, weightDecay, step)
Napi::Value AdamW(const Napi::CallbackInfo& info) {
  float* p = F32(info, 0);
  const float* g = F32(info, 1);
  float* m = F32(info, 2);
  float* v = F32(info, 3);
  const int64_t n = INT(info, 4);
  const double lr = NUM(info, 5), b1 = NUM(info, 6), b2 = NUM(info, 7), eps = NUM(info, 8),
               wd = NUM(info, 9);
  const double step = NUM(info, 10);
  const float decay = static_cast<float>(1.0 - lr * wd);
  const float stepSize = static_cast<float>(lr / (1.0 - std::pow(b1, step)));
  const float invSqrtBc2 = static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(b2, step)));
  const float fb1 = static_cast<float>(b1), fb2 = static_cast<float>(b2), feps = static_cast<float>(eps);
#pragma omp parallel for schedule(static) num_threads(threadsFor(n))
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i];
    m[i] = fb1 * m[i] + (1.0f - fb1) * gi;
    v[i] = fb2 * v[i] + (1.0f - fb2) * gi * gi;
    p[i] = p[i] * decay - stepSize * m[i] / (std::sqrt(v[i]) * invSqrtBc2 + feps);
  }
  return info.Env().Undefined();
}

}  // namespace

void registerOptim(Napi::Env env, Napi::Object exports) {
  exports.Set("adamw", Napi::Function::New(env, AdamW));
}

}  // namespace aha
