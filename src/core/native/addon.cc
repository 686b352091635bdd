// aha's native kernels: the N-API entry point. Each kernel family registers itself from its own
// source file; this file adds build information and the thread-count control.
#include "common.h"
#include "gemm.h"

#if AHA_HAVE_BLAS
extern "C" char* openblas_get_corename(void);
#endif

namespace {

Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("blas", Napi::Boolean::New(env, AHA_HAVE_BLAS != 0));
  out.Set("openmp", Napi::Number::New(env, _OPENMP));
  out.Set("maxThreads", Napi::Number::New(env, omp_get_num_procs()));
#if AHA_HAVE_BLAS
  // The kernel family OpenBLAS chose at load (see OPENBLAS_CORETYPE in backend.ts).
  out.Set("blasCore", Napi::String::New(env, openblas_get_corename()));
#endif
  return out;
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  omp_set_num_threads(static_cast<int>(aha::INT(info, 0)));
  return info.Env().Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), omp_get_max_threads());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  aha::blasInit();
  aha::heapInit();
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads));
  aha::registerGemm(env, exports);
  aha::registerNorm(env, exports);
  aha::registerAttention(env, exports);
  aha::registerPointwise(env, exports);
  aha::registerLoss(env, exports);
  aha::registerOptim(env, exports);
  aha::registerBf16(env, exports);
  aha::registerSampling(env, exports);
  aha::registerDecode(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(aha_native, Init)
