// Log-probabilities of chosen tokens (fused log-softmax + gather, forward and backward) and
// per-row entropy: the kernels behind GRPO's policy ratio, cross-entropy and entropy metrics.
// Logits are [rows, V]; rows are independent, so threads split rows.
#include <vector>

#include "common.h"

namespace aha {

namespace {

// gatherLogProbsForward(logits, targets, out, lse, rows, V): lse[r] = logsumexp(logits[r]),
// out[r] = logits[r, targets[r]] - lse[r]; rows with a negative target give 0.
Napi::Value GatherForward(const Napi::CallbackInfo& info) {
  const float* x = F32(info, 0);
  const int32_t* t = I32(info, 1);
  float* out = F32(info, 2);
  float* lse = F32(info, 3);
  const int64_t rows = INT(info, 4), V = INT(info, 5);
#pragma omp parallel num_threads(threadsFor(rows * V))
  {
    std::vector<float> tmp(V);
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; r++) {
      const float* xr = x + r * V;
      lse[r] = logsumexp(xr, V, tmp.data());
      out[r] = t[r] >= 0 ? xr[t[r]] - lse[r] : 0.0f;
    }
  }
  return info.Env().Undefined();
}

// gatherLogProbsBackward(logits, targets, lse, g, dlogits, rows, V):
// dlogits[r] += g[r] * (onehot(targets[r]) - softmax(logits[r])).
Napi::Value GatherBackward(const Napi::CallbackInfo& info) {
  const float* x = F32(info, 0);
  const int32_t* t = I32(info, 1);
  const float* lse = F32(info, 2);
  const float* g = F32(info, 3);
  float* dx = F32(info, 4);
  const int64_t rows = INT(info, 5), V = INT(info, 6);
#pragma omp parallel for schedule(static) num_threads(threadsFor(rows * V))
  for (int64_t r = 0; r < rows; r++) {
    if (t[r] < 0 || g[r] == 0.0f) continue;
    const float* xr = x + r * V;
    float* d = dx + r * V;
    const float gr = g[r], l = lse[r];
    for (int64_t j = 0; j < V; j++) d[j] -= gr * fexp(xr[j] - l);
    d[t[r]] += gr;
  }
  return info.Env().Undefined();
}

// entropy(logits, out, rows, V): out[r] = -sum p log p of softmax(logits[r]).
Napi::Value Entropy(const Napi::CallbackInfo& info) {
  const float* x = F32(info, 0);
  float* out = F32(info, 1);
  const int64_t rows = INT(info, 2), V = INT(info, 3);
#pragma omp parallel num_threads(threadsFor(rows * V))
  {
    std::vector<float> tmp(V);
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; r++) {
      const float* xr = x + r * V;
      const float l = logsumexp(xr, V, tmp.data());
      // H = lse - sum p x, with p = exp(x - lse)
      double px = 0;
      const float m = maxf(xr, V);
      const float shift = std::exp(m - l);  // tmp holds exp(x - m)
      for (int64_t j = 0; j < V; j++)
        if (tmp[j] > 0.0f) px += static_cast<double>(tmp[j]) * shift * xr[j];
      out[r] = static_cast<float>(l - px);
    }
  }
  return info.Env().Undefined();
}

}  // namespace

void registerLoss(Napi::Env env, Napi::Object exports) {
  exports.Set("gatherLogProbsForward", Napi::Function::New(env, GatherForward));
  exports.Set("gatherLogProbsBackward", Napi::Function::New(env, GatherBackward));
  exports.Set("entropy", Napi::Function::New(env, Entropy));
}

}  // namespace aha
