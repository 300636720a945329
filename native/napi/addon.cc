// Addon entry point: registers the OTError class and every area's exports (napi/<area>.cc).
#include <mutex>

#include "napi/block_cache.h"
#include "napi/util.h"
#include "common/parallel.h"
#include "cpu/isa/kernel_table.h"
#ifdef OT_WITH_CUDA
#include "cuda/device.h"
#endif

namespace ot::napi {
namespace {

Napi::Value backendInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("threads", Napi::Number::New(env, threadCap()));
  o.Set("isa", Napi::String::New(env, cpu::activeIsa()));
  // Memory of collected results kept for reuse (block_cache.h): part of RSS that is not a leak.
  o.Set("retainedBytes", Napi::Number::New(env, static_cast<double>(retainedBytes())));
  // Native memory held by handles in JS (recorded histories, batch traces).
  o.Set("heldBytes", Napi::Number::New(env, static_cast<double>(heldBytes())));
#ifdef OT_WITH_CUDA
  o.Set("cudaCompiled", Napi::Boolean::New(env, true));
  Napi::Array devs = Napi::Array::New(env);
  uint32_t k = 0;
  for (const auto& d : cuda::listDevices()) {
    Napi::Object dev = Napi::Object::New(env);
    dev.Set("index", d.index);
    dev.Set("name", d.name);
    dev.Set("totalMemory", static_cast<double>(d.totalMemory));
    dev.Set("computeCapability", std::to_string(d.major) + "." + std::to_string(d.minor));
    dev.Set("multiprocessors", d.multiprocessors);
    devs.Set(k++, dev);
  }
  o.Set("cudaDevices", devs);
#else
  o.Set("cudaCompiled", Napi::Boolean::New(env, false));
  o.Set("cudaDevices", Napi::Array::New(env));
#endif
  return o;
}

}  // namespace

Napi::Object init(Napi::Env env, Napi::Object exports) {
  static std::once_flag tuned;  // once per process, whatever the number of environments (workers)
  std::call_once(tuned, tuneMalloc);
  exports.Set("setErrorClass", Napi::Function::New(env, setErrorClass));
  exports.Set("backendInfo", Napi::Function::New(env, backendInfo));
  exports.Set("stopJobs", Napi::Function::New(env, stopJobs));
  envJobs(env);  // the shutdown hooks, before any job can run
  for (InitFn fn : registry()) fn(env, exports);
  checkDeviceJobs(env);
  return exports;
}

}  // namespace ot::napi

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return ot::napi::init(env, exports); }
NODE_API_MODULE(optimal_transport, InitAddon)
