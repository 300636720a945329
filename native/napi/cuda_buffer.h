// N-API plumbing of the CUDA path: the CudaBuffer JS class (an owned DeviceBuffer, freed by its finalizer
// or by free()), operands that are either host typed arrays or CudaBuffers, and outputs that land on
// the host (typed arrays) or stay on the device. Builds without CUDA get only the "unavailable" stubs
// (util.h's exportDeviceJob refuses a CudaBuffer operand there).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "napi/util.h"

#ifdef OT_WITH_CUDA
#include "cuda/runtime.h"
#endif

namespace ot::napi {

constexpr const char* kNoDevice = "no CUDA device available";

// Registers `name` and `name + "Async"` as entry points that throw / reject with ERR_OT_DEVICE
// (the buffer helpers of a build without CUDA).
void exportUnavailable(Napi::Env env, Napi::Object exports, const char* name);

#ifdef OT_WITH_CUDA

using BufferPtr = std::shared_ptr<cuda::DeviceBuffer>;

#define OT_NAPI_TRY(...)                     \
  do {                                       \
    ::ot::Status st_ = (__VA_ARGS__);        \
    if (st_ != ::ot::Status::Ok) return st_; \
  } while (0)

// Dimension argument: a non-negative integer below 2^40.
size_t sizeArg(const Napi::CallbackInfo& info, size_t index, const char* fn, const char* name);

// Throws OTError ERR_OT_DEVICE "<fn>: no CUDA device available" unless a GPU is usable now.
void requireDevice(Napi::Env env, const char* fn);

class CudaBuffer : public Napi::ObjectWrap<CudaBuffer> {
 public:
  static void define(Napi::Env env, Napi::Object exports);
  static Napi::Object wrap(Napi::Env env, BufferPtr buf);
  static bool is(const Napi::Value& v);
  // The buffer behind a CudaBuffer object; null once free() was called.
  static BufferPtr unwrap(const Napi::Value& v);
  explicit CudaBuffer(const Napi::CallbackInfo& info);

 private:
  Napi::Value byteLength(const Napi::CallbackInfo& info);
  Napi::Value length(const Napi::CallbackInfo& info);
  Napi::Value dtype(const Napi::CallbackInfo& info);
  Napi::Value freed(const Napi::CallbackInfo& info);
  Napi::Value free(const Napi::CallbackInfo& info);

  BufferPtr buf_;
  size_t bytes_ = 0;
  cuda::DType dtype_ = cuda::DType::Float32;
};

// A float input: a borrowed host Float32Array/Float64Array or a CudaBuffer of float32/float64.
struct Operand {
  bool present = false;
  const void* host = nullptr;
  BufferPtr dev;
  size_t length = 0;
  bool f64 = false;
  const char* name = "";
  // Keeps an async call's private copy of a host operand alive (see AsyncInputScope in util.h).
  std::shared_ptr<void> owner;
};

// Unwraps a field's value; optional operands may be undefined/null (present = false).
Operand operandValue(Napi::Env env, const Napi::Value& v, const char* fn, const char* name, bool optional);
// Shape/dtype checks; host operands are also checked for NaN/Inf (device data is not read back to check).
void requireOperand(Napi::Env env, const Operand& op, size_t expected, bool f64, const char* fn);
// Device pointer of an operand, uploading a host operand into `holder` first.
Status stage(const Operand& op, BufferPtr& holder, const void** ptr);
// Device pointer of an optional weight vector, or of a fresh vector of `len` entries equal to `fill`
// when absent (POT's uniform default: fill = 1/n).
Status stageWeights(const Operand& op, size_t len, double fill, bool f64, BufferPtr& holder, const void** ptr);

// A float output of `length` entries: on the host, a typed array created at parse time and filled by
// finish(); on the device, a CudaBuffer made from the buffer prepare() allocates.
class Output {
 public:
  Output() = default;
  Output(Napi::Env env, size_t length, bool f64, bool device);
  bool wanted() const { return wanted_; }
  Status prepare();        // worker thread: allocate the device buffer
  Status finish();         // worker thread: copy to the host array (host outputs)
  void* devicePtr() const { return dev_ ? dev_->data() : nullptr; }
  Napi::Value value(Napi::Env env);  // main thread; null when not wanted

 private:
  bool wanted_ = false;
  bool device_ = false;
  size_t length_ = 0;
  bool f64_ = false;
  Napi::ObjectReference hostRef_;
  void* host_ = nullptr;
  BufferPtr dev_;
};

#endif  // OT_WITH_CUDA

}  // namespace ot::napi
