// Implementation of the shared N-API plumbing declared in util.h.
#include "napi/util.h"

#include <cstring>

namespace ot::napi {

namespace {
Napi::FunctionReference& errorClass() {
  static Napi::FunctionReference ref;
  return ref;
}
}  // namespace

Napi::Value setErrorClass(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "setErrorClass: expected a class");
  errorClass() = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

std::vector<InitFn>& registry() {
  static std::vector<InitFn> fns;
  return fns;
}
Registrar::Registrar(InitFn fn) { registry().push_back(fn); }

Napi::Error makeError(Napi::Env env, const std::string& code, const std::string& message) {
  if (!errorClass().IsEmpty()) {
    Napi::Object obj = errorClass().New({Napi::String::New(env, message), Napi::String::New(env, code)});
    return Napi::Error(env, obj);
  }
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

void throwError(Napi::Env env, const std::string& code, const std::string& message) {
  throw makeError(env, code, message);
}

bool statusIsFailure(Status s) { return s != Status::Ok && s != Status::MaxIter && s != Status::Diverged; }

ArgError statusError(Status s, const std::string& where) {
  switch (s) {
    case Status::Aborted: return {"ERR_OT_ABORTED", where + ": aborted by the caller's signal"};
    case Status::OutOfMemory: return {"ERR_OT_OOM", where + ": out of memory"};
    case Status::DeviceError: return {"ERR_OT_DEVICE", where + ": device (CUDA) error"};
    case Status::BadArgument: return {"ERR_OT_ARG", where + ": invalid argument reached the kernel"};
    default: return {"ERR_OT_VALUE", where + ": " + statusName(s)};
  }
}

static ArrayView viewOf(const Napi::Value& v, const char* fn, const char* name, Napi::Env env) {
  if (!v.IsTypedArray()) throwError(env, "ERR_OT_ARG", std::string(fn) + ": " + name + " must be a Float32Array or Float64Array");
  auto ta = v.As<Napi::TypedArray>();
  ArrayView out;
  if (ta.TypedArrayType() == napi_float64_array) {
    out.isFloat64 = true;
  } else if (ta.TypedArrayType() == napi_float32_array) {
    out.isFloat64 = false;
  } else {
    throwError(env, "ERR_OT_DTYPE", std::string(fn) + ": " + name + " must be a Float32Array or Float64Array");
  }
  out.length = ta.ElementLength();
  out.data = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  return out;
}

ArrayView floatArray(const Napi::CallbackInfo& info, size_t index, const char* fn, const char* name) {
  return viewOf(info[index], fn, name, info.Env());
}

ArrayView optionalFloatArray(const Napi::CallbackInfo& info, size_t index, const char* fn, const char* name) {
  if (index >= info.Length() || info[index].IsUndefined() || info[index].IsNull()) return {};
  return viewOf(info[index], fn, name, info.Env());
}

double numberArg(const Napi::CallbackInfo& info, size_t index, const char* fn, const char* name) {
  if (index >= info.Length() || !info[index].IsNumber())
    throwError(info.Env(), "ERR_OT_ARG", std::string(fn) + ": " + name + " must be a number");
  double v = info[index].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v)) throwError(info.Env(), "ERR_OT_VALUE", std::string(fn) + ": " + name + " must be finite");
  return v;
}

int64_t intArg(const Napi::CallbackInfo& info, size_t index, const char* fn, const char* name, int64_t lo, int64_t hi) {
  double v = numberArg(info, index, fn, name);
  if (v != std::floor(v) || v < static_cast<double>(lo) || v > static_cast<double>(hi))
    throwError(info.Env(), "ERR_OT_ARG",
               std::string(fn) + ": " + name + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<int64_t>(v);
}

std::string stringArg(const Napi::CallbackInfo& info, size_t index, const char* fn, const char* name) {
  if (index >= info.Length() || !info[index].IsString())
    throwError(info.Env(), "ERR_OT_ARG", std::string(fn) + ": " + name + " must be a string");
  return info[index].As<Napi::String>().Utf8Value();
}

CancelFlag cancelArg(const Napi::CallbackInfo& info, size_t index) {
  CancelFlag c;
  if (index < info.Length() && info[index].IsTypedArray()) {
    // The C API, because Napi::ArrayBuffer rejects the SharedArrayBuffer behind the flag.
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    napi_status s = napi_get_typedarray_info(info.Env(), info[index], &type, &length, &data, nullptr, nullptr);
    if (s == napi_ok && type == napi_int32_array && length >= 1) c.flag = static_cast<const volatile int*>(data);
  }
  return c;
}

void requireFinite(Napi::Env env, const ArrayView& v, const char* fn, const char* name) {
  bool ok = v.isFloat64 ? allFinite(v.as<double>(), v.length) : allFinite(v.as<float>(), v.length);
  if (!ok) throwError(env, "ERR_OT_VALUE", std::string(fn) + ": " + name + " contains NaN or Inf");
}

void requireLength(Napi::Env env, const ArrayView& v, size_t expected, const char* fn, const char* name) {
  if (v.length != expected)
    throwError(env, "ERR_OT_SHAPE", std::string(fn) + ": " + name + " has " + std::to_string(v.length) +
                                        " entries, expected " + std::to_string(expected));
}

Napi::TypedArray newFloatArray(Napi::Env env, size_t n, bool float64) {
  if (float64) return Napi::Float64Array::New(env, n);
  return Napi::Float32Array::New(env, n);
}

}  // namespace ot::napi
