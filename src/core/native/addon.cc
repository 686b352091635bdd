// aha's native kernels: the N-API entry point. Kernels are registered here.
#include <napi.h>

static Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("blas", Napi::Boolean::New(env, AHA_HAVE_BLAS != 0));
  return out;
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("buildInfo", Napi::Function::New(env, BuildInfo));
  return exports;
}

NODE_API_MODULE(aha_native, Init)
