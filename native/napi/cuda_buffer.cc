// CudaBuffer JS class, host/device operands and outputs for the CUDA entry points (see cuda_buffer.h),
// and the table of CUDA Jobs that util.h's exportDeviceJob routes device operands to.
#include "napi/cuda_buffer.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace ot::napi {

namespace {

Napi::Value unavailableSync(const Napi::CallbackInfo& info) {
  const char* name = static_cast<const char*>(info.Data());
  throwError(info.Env(), "ERR_OT_DEVICE", std::string(name) + ": " + kNoDevice);
}

Napi::Value unavailableAsync(const Napi::CallbackInfo& info) {
  const char* name = static_cast<const char*>(info.Data());
  auto deferred = Napi::Promise::Deferred::New(info.Env());
  deferred.Reject(makeError(info.Env(), "ERR_OT_DEVICE", std::string(name) + ": " + kNoDevice).Value());
  return deferred.Promise();
}

}  // namespace

void exportUnavailable(Napi::Env env, Napi::Object exports, const char* name) {
  void* data = const_cast<char*>(name);
  exports.Set(name, Napi::Function::New(env, unavailableSync, name, data));
  const std::string async = std::string(name) + "Async";
  exports.Set(async, Napi::Function::New(env, unavailableAsync, async, data));
}

namespace {
// Marks the objects CudaBuffer made, so isDeviceBuffer() needs no instanceof (which would run a
// user-defined Symbol.hasInstance in the middle of a call) and no constructor reference shared across
// environments; a build without CUDA can still recognise one (and refuse it).
constexpr napi_type_tag kCudaBufferTag = {0x6f7463756461ULL, 0x4275666665723031ULL};

std::vector<std::pair<std::string, DeviceEntries>>& deviceJobs() {
  static std::vector<std::pair<std::string, DeviceEntries>> jobs;
  return jobs;
}
}  // namespace

bool isDeviceBuffer(const Napi::Value& v) {
  if (!v.IsObject()) return false;
  bool tagged = false;
  return napi_check_object_type_tag(v.Env(), v, &kCudaBufferTag, &tagged) == napi_ok && tagged;
}

void registerDeviceJob(const char* name, DeviceEntries entries) { deviceJobs().emplace_back(name, entries); }

namespace {
// The names exported with exportDeviceJob (each environment's init adds them; workers init concurrently).
std::mutex routedMutex;
std::vector<std::string>& routedNames() {
  static std::vector<std::string> names;
  return names;
}
}  // namespace

void routedExport(Napi::Env env, const char* name) {
  {
    std::lock_guard<std::mutex> lock(routedMutex);
    auto& names = routedNames();
    if (std::find(names.begin(), names.end(), name) == names.end()) names.emplace_back(name);
  }
#ifdef OT_WITH_CUDA
  if (deviceJob(name) == nullptr)
    throw Napi::Error::New(env, std::string("optimal-transport: ") + name + " is exported with a GPU twin, but no CUDA Job is registered under its name");
#else
  (void)env;
#endif
}

void checkDeviceJobs(Napi::Env env) {
  std::lock_guard<std::mutex> lock(routedMutex);
  const auto& names = routedNames();
  for (const auto& [name, entries] : deviceJobs())
    if (std::find(names.begin(), names.end(), name) == names.end())
      throw Napi::Error::New(env, "optimal-transport: the CUDA Job '" + name + "' is registered under a name no export routes to it");
}

const DeviceEntries* deviceJob(const std::string& name) {
  for (const auto& [n, e] : deviceJobs())
    if (n == name) return &e;
  return nullptr;
}

Napi::Value runDeviceJob(const Napi::CallbackInfo& info, const char* name, const char* fn, const char* field, bool async) {
  if (const DeviceEntries* e = deviceJob(name)) return async ? e->async(info) : e->sync(info);
  const std::string message = std::string(fn) + ": " + field + " is a CudaBuffer, but this build of the addon has no CUDA " +
                              "kernel for it (build with CUDA, or pass host arrays)";
  if (!async) throwError(info.Env(), "ERR_OT_DEVICE", message);
  auto deferred = Napi::Promise::Deferred::New(info.Env());
  deferred.Reject(makeError(info.Env(), "ERR_OT_DEVICE", message).Value());
  return deferred.Promise();
}

#ifdef OT_WITH_CUDA

namespace {

// The class of the calling environment (the main thread and each worker define their own).
Napi::FunctionReference& ctorRef(Napi::Env env) { return envClass(env, "CudaBuffer"); }
}  // namespace

size_t sizeArg(const Napi::CallbackInfo& info, size_t index, const char* fn, const char* name) {
  return dimArg(info, index, fn, name, 0);
}

void requireDevice(Napi::Env env, const char* fn) {
  if (!cuda::deviceAvailable()) throwError(env, "ERR_OT_DEVICE", std::string(fn) + ": " + kNoDevice);
}

void CudaBuffer::define(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = DefineClass(env, "CudaBuffer",
                                   {InstanceAccessor<&CudaBuffer::byteLength>("byteLength"),
                                    InstanceAccessor<&CudaBuffer::length>("length"),
                                    InstanceAccessor<&CudaBuffer::dtype>("dtype"),
                                    InstanceAccessor<&CudaBuffer::freed>("freed"),
                                    InstanceMethod<&CudaBuffer::free>("free")});
  ctorRef(env) = Napi::Persistent(cls);
  exports.Set("CudaBuffer", cls);
}

Napi::Object CudaBuffer::wrap(Napi::Env env, BufferPtr buf) {
  auto* holder = new BufferPtr(std::move(buf));
  auto ext = Napi::External<BufferPtr>::New(env, holder, [](Napi::Env, BufferPtr* p) { delete p; });
  Napi::FunctionReference& ctor = ctorRef(env);
  if (ctor.IsEmpty()) throwError(env, "ERR_OT_DEVICE", "CudaBuffer: the class is not defined in this environment");
  return ctor.New({ext});
}

bool CudaBuffer::is(const Napi::Value& v) { return isDeviceBuffer(v); }

BufferPtr CudaBuffer::unwrap(const Napi::Value& v) { return Unwrap(v.As<Napi::Object>())->buf_; }

CudaBuffer::CudaBuffer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CudaBuffer>(info) {
  if (info.Length() < 1 || !info[0].IsExternal())
    throwError(info.Env(), "ERR_OT_ARG", "CudaBuffer: create buffers with cudaAlloc or cudaUpload");
  buf_ = *info[0].As<Napi::External<BufferPtr>>().Data();
  napi_type_tag_object(info.Env(), info.This(), &kCudaBufferTag);
  if (buf_) {
    bytes_ = buf_->bytes();
    dtype_ = buf_->dtype();
  }
}

Napi::Value CudaBuffer::byteLength(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(bytes_));
}
Napi::Value CudaBuffer::length(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(bytes_ / cuda::dtypeSize(dtype_)));
}
Napi::Value CudaBuffer::dtype(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), cuda::dtypeName(dtype_));
}
Napi::Value CudaBuffer::freed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !buf_); }
// Drops this object's reference; the memory goes back when no running job still uses it.
Napi::Value CudaBuffer::free(const Napi::CallbackInfo& info) {
  buf_.reset();
  return info.Env().Undefined();
}

Operand operandValue(Napi::Env env, const Napi::Value& v, const char* fn, const char* name, bool optional) {
  Operand op;
  op.name = name;
  if (v.IsUndefined() || v.IsNull()) {
    if (optional) return op;
    throwError(env, "ERR_OT_ARG", std::string(fn) + ": " + name + " must be a Float32Array, Float64Array or CudaBuffer");
  }
  if (CudaBuffer::is(v)) {
    BufferPtr b = CudaBuffer::unwrap(v);
    if (!b) throwError(env, "ERR_OT_ARG", std::string(fn) + ": " + name + " is a CudaBuffer that was freed");
    if (b->dtype() != cuda::DType::Float32 && b->dtype() != cuda::DType::Float64)
      throwError(env, "ERR_OT_DTYPE", std::string(fn) + ": " + name + " must hold float32 or float64 data, not " +
                                          cuda::dtypeName(b->dtype()));
    op.present = true;
    op.dev = std::move(b);
    op.length = op.dev->length();
    op.f64 = op.dev->dtype() == cuda::DType::Float64;
    return op;
  }
  if (v.IsTypedArray()) {
    // Through util's reader, so async calls work on a private copy (JS may transfer the buffer).
    ArrayView view = floatValue(v, fn, name, env);
    op.present = true;
    op.f64 = view.isFloat64;
    op.length = view.length;
    op.host = view.data;
    op.owner = view.owner;
    return op;
  }
  throwError(env, "ERR_OT_ARG", std::string(fn) + ": " + name + " must be a Float32Array, Float64Array or CudaBuffer");
}

void requireOperand(Napi::Env env, const Operand& op, size_t expected, bool f64, const char* fn) {
  if (!op.present) return;
  if (op.f64 != f64)
    throwError(env, "ERR_OT_DTYPE", std::string(fn) + ": " + op.name + " is " + (op.f64 ? "float64" : "float32") +
                                        " but the other inputs are " + (f64 ? "float64" : "float32"));
  if (op.length != expected)
    throwError(env, "ERR_OT_SHAPE", std::string(fn) + ": " + op.name + " has " + std::to_string(op.length) +
                                        " entries, expected " + std::to_string(expected));
  if (op.host) {
    ArrayView view;
    view.data = const_cast<void*>(op.host);
    view.length = op.length;
    view.isFloat64 = op.f64;
    requireFinite(env, view, fn, op.name);
  }
}

Status stage(const Operand& op, BufferPtr& holder, const void** ptr) {
  if (op.dev) {
    holder = op.dev;
  } else {
    holder = std::make_shared<cuda::DeviceBuffer>();
    Status s = holder->allocate(op.length, op.f64 ? cuda::DType::Float64 : cuda::DType::Float32);
    if (s != Status::Ok) return s;
    s = holder->upload(op.host);
    if (s != Status::Ok) return s;
  }
  *ptr = holder->data();
  return Status::Ok;
}

Status stageWeights(const Operand& op, size_t len, double fill, bool f64, BufferPtr& holder, const void** ptr) {
  if (op.present) return stage(op, holder, ptr);
  holder = std::make_shared<cuda::DeviceBuffer>();
  Status s = holder->allocate(len, f64 ? cuda::DType::Float64 : cuda::DType::Float32);
  if (s != Status::Ok) return s;
  if (f64) {
    std::vector<double> w(len, fill);
    s = holder->upload(w.data());
  } else {
    std::vector<float> w(len, static_cast<float>(fill));
    s = holder->upload(w.data());
  }
  if (s != Status::Ok) return s;
  *ptr = holder->data();
  return Status::Ok;
}

Output::Output(Napi::Env env, size_t length, bool f64, bool device)
    : wanted_(true), device_(device), length_(length), f64_(f64) {
  if (!device) {
    Napi::TypedArray arr = newFloatArray(env, length, f64);
    host_ = static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
    hostRef_ = Napi::Persistent(Napi::Object(arr));
  }
}

Status Output::prepare() {
  if (!wanted_) return Status::Ok;
  dev_ = std::make_shared<cuda::DeviceBuffer>();
  return dev_->allocate(length_, f64_ ? cuda::DType::Float64 : cuda::DType::Float32);
}

Status Output::finish() {
  if (!wanted_ || device_ || !dev_) return Status::Ok;
  Status s = dev_->download(host_);
  dev_.reset();
  return s;
}

Napi::Value Output::value(Napi::Env env) {
  if (!wanted_) return env.Null();
  if (device_) return dev_ ? Napi::Value(CudaBuffer::wrap(env, dev_)) : env.Null();
  return hostRef_.Value();
}

#endif  // OT_WITH_CUDA

}  // namespace ot::napi
