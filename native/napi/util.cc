// Implementation of the shared N-API plumbing declared in util.h.
#include "napi/util.h"

#include "napi/block_cache.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>

namespace ot::napi {

namespace {
// Per-environment references (main thread and each worker thread load their own instance): a
// process-wide static would hand one isolate's handles to another.
struct EnvData {
  Napi::FunctionReference errorClass;
  std::shared_ptr<EnvJobs> jobs;  // lifecycle.cc
  std::map<std::string, Napi::FunctionReference> classes;  // envClass()
};

EnvData& envData(Napi::Env env) {
  EnvData* d = env.GetInstanceData<EnvData>();
  if (d == nullptr) {
    d = new EnvData();
    env.SetInstanceData(d);
  }
  return *d;
}

Napi::FunctionReference& errorClass(Napi::Env env) { return envData(env).errorClass; }
}  // namespace

Napi::FunctionReference& envClass(Napi::Env env, const char* name) { return envData(env).classes[name]; }

std::shared_ptr<EnvJobs> makeEnvJobs(Napi::Env env);
std::shared_ptr<EnvJobs> envJobs(Napi::Env env) {
  EnvData& d = envData(env);
  if (!d.jobs) d.jobs = makeEnvJobs(env);
  return d.jobs;
}

namespace {

// The name of the entry point being parsed (main thread only), so allocation failures name it.
thread_local const char* currentEntry = "optimal-transport";

// Private copies of the float arrays an async job reads (see AsyncInputScope), by source range.
struct InputCopy {
  const void* src;
  size_t bytes;
  std::shared_ptr<void> copy;
};
thread_local bool copyInputs = false;
thread_local std::vector<InputCopy>* inputCopies = nullptr;
// The option values read while an async job is parsed (Keeper::keepArgs keeps them alive).
thread_local std::vector<Napi::Value>* optionValues = nullptr;
}  // namespace

AsyncInputScope::AsyncInputScope() : previous_(copyInputs) {
  copyInputs = true;
  if (inputCopies == nullptr) inputCopies = new std::vector<InputCopy>();
  if (optionValues == nullptr) optionValues = new std::vector<Napi::Value>();
}
AsyncInputScope::~AsyncInputScope() {
  copyInputs = previous_;
  if (!copyInputs) {
    inputCopies->clear();
    optionValues->clear();
  }
}

const std::vector<Napi::Value>& Keeper::snapshotValues() {
  static const std::vector<Napi::Value> none;
  return copyInputs && optionValues != nullptr ? *optionValues : none;
}

static void privateCopy(Napi::Env env, ArrayView& view, const char* fn, const char* name) {
  const size_t bytes = view.length * (view.isFloat64 ? sizeof(double) : sizeof(float));
  if (bytes == 0) return;
  for (const InputCopy& c : *inputCopies) {
    if (c.src == view.data && c.bytes == bytes) {
      view.owner = c.copy;
      view.data = c.copy.get();
      return;
    }
  }
  void* mem = std::malloc(bytes);
  if (mem == nullptr) throwError(env, "ERR_OT_OOM", std::string(fn) + ": out of memory copying " + name + " for the async call");
  std::memcpy(mem, view.data, bytes);
  std::shared_ptr<void> copy(mem, std::free);
  inputCopies->push_back({view.data, bytes, copy});
  view.owner = copy;
  view.data = mem;
}

void copyBack(Napi::Env env, const ArrayView& view, const Napi::Value& target) {
  if (!view.owner || !target.IsTypedArray()) return;
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, target, &type, &length, &data, nullptr, nullptr) != napi_ok) return;
  if (data != nullptr && length == view.length)
    std::memcpy(data, view.data, view.length * (view.isFloat64 ? sizeof(double) : sizeof(float)));
}

EntryScope::EntryScope(const char* fn) : previous_(currentEntry) { currentEntry = fn; }
EntryScope::~EntryScope() { currentEntry = previous_; }

Napi::Value setErrorClass(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsFunction())
    throwError(info.Env(), "ERR_OT_ARG", std::string("setErrorClass: expected the OTError class, got ") + typeName(info[0]));
  errorClass(info.Env()) = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

std::string num(double v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  std::string s = os.str();
  // Prefer the short form when it reads back the same value.
  for (int prec = 1; prec < 17; ++prec) {
    std::ostringstream t;
    t.precision(prec);
    t << v;
    if (std::stod(t.str()) == v || std::isnan(v)) return t.str();
  }
  return s;
}

std::string typeName(const Napi::Value& v) {
  if (v.IsEmpty() || v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsTypedArray()) {
    switch (v.As<Napi::TypedArray>().TypedArrayType()) {
      case napi_int8_array: return "Int8Array";
      case napi_uint8_array: return "Uint8Array";
      case napi_uint8_clamped_array: return "Uint8ClampedArray";
      case napi_int16_array: return "Int16Array";
      case napi_uint16_array: return "Uint16Array";
      case napi_int32_array: return "Int32Array";
      case napi_uint32_array: return "Uint32Array";
      case napi_float32_array: return "Float32Array";
      case napi_float64_array: return "Float64Array";
      case napi_bigint64_array: return "BigInt64Array";
      case napi_biguint64_array: return "BigUint64Array";
      default: return "a typed array";
    }
  }
  if (v.IsArray()) return "an Array";
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    std::ostringstream os;
    os.precision(17);
    os << "the number " << d;
    return os.str();
  }
  if (v.IsString()) return "a string";
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? "true" : "false";
  if (v.IsFunction()) return "a function";
  if (v.IsExternal()) return "an external";
  if (v.IsBigInt()) return "a bigint";
  if (v.IsSymbol()) return "a symbol";
  if (v.IsObject()) return "an object";
  return "an unknown value";
}

std::vector<InitFn>& registry() {
  static std::vector<InitFn> fns;
  return fns;
}
Registrar::Registrar(InitFn fn) { registry().push_back(fn); }

Napi::Error makeError(Napi::Env env, const std::string& code, const std::string& message) {
  Napi::FunctionReference& cls = errorClass(env);
  if (!cls.IsEmpty()) {
    try {
      Napi::Object obj = cls.New({Napi::String::New(env, message), Napi::String::New(env, code)});
      return Napi::Error(env, obj);
    } catch (const Napi::Error&) {
      // A class that throws when constructed: fall back to a plain Error that still carries the code.
    }
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
    case Status::OutOfMemory: return {"ERR_OT_OOM", where + ": out of memory (or the system refused the threads the kernel needs)"};
    case Status::DeviceError: return {"ERR_OT_DEVICE", where + ": device (CUDA) error"};
    case Status::BadArgument: return {"ERR_OT_ARG", where + ": invalid argument reached the kernel"};
    default: return {"ERR_OT_VALUE", where + ": " + statusName(s)};
  }
}

ArrayView floatValue(const Napi::Value& v, const char* fn, const char* name, Napi::Env env) {
  if (!v.IsTypedArray())
    throwError(env, "ERR_OT_ARG", std::string(fn) + ": " + name + " must be a Float32Array or Float64Array, got " + typeName(v));
  // The C API, because Napi::ArrayBuffer rejects a SharedArrayBuffer (a plain Error, not an OTError).
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok)
    throwError(env, "ERR_OT_ARG", std::string(fn) + ": " + name + " could not be read as a typed array");
  ArrayView out;
  if (type == napi_float64_array) {
    out.isFloat64 = true;
  } else if (type == napi_float32_array) {
    out.isFloat64 = false;
  } else {
    throwError(env, "ERR_OT_DTYPE", std::string(fn) + ": " + name + " must be a Float32Array or Float64Array, got " + typeName(v));
  }
  out.length = data == nullptr ? 0 : length;  // a detached buffer reads as empty
  out.data = data;
  if (copyInputs) privateCopy(env, out, fn, name);
  return out;
}

ArrayView floatArray(const Napi::CallbackInfo& info, size_t index, const char* fn, const char* name) {
  return floatValue(info[index], fn, name, info.Env());
}

ArrayView optionalFloatArray(const Napi::CallbackInfo& info, size_t index, const char* fn, const char* name) {
  if (index >= info.Length() || info[index].IsUndefined() || info[index].IsNull()) return {};
  return floatValue(info[index], fn, name, info.Env());
}

double numberValue(Napi::Env env, const Napi::Value& v, const char* fn, const char* name) {
  if (!v.IsNumber()) throwError(env, "ERR_OT_ARG", std::string(fn) + ": " + name + " must be a number, got " + typeName(v));
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) throwError(env, "ERR_OT_VALUE", std::string(fn) + ": " + name + " must be finite, got " + typeName(v));
  return d;
}
int64_t intValue(Napi::Env env, const Napi::Value& v, const char* fn, const char* name, int64_t lo, int64_t hi) {
  double d = numberValue(env, v, fn, name);
  if (d != std::floor(d) || d < static_cast<double>(lo) || d > static_cast<double>(hi))
    throwError(env, "ERR_OT_ARG",
               std::string(fn) + ": " + name + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                   "], got " + typeName(v));
  return static_cast<int64_t>(d);
}
std::string stringValue(Napi::Env env, const Napi::Value& v, const char* fn, const char* name) {
  if (!v.IsString()) throwError(env, "ERR_OT_ARG", std::string(fn) + ": " + name + " must be a string, got " + typeName(v));
  return v.As<Napi::String>().Utf8Value();
}
bool boolValue(Napi::Env env, const Napi::Value& v, const char* fn, const char* name) {
  if (!v.IsBoolean()) throwError(env, "ERR_OT_ARG", std::string(fn) + ": " + name + " must be a boolean, got " + typeName(v));
  return v.As<Napi::Boolean>().Value();
}
CancelFlag cancelValue(Napi::Env env, const Napi::Value& v) {
  CancelFlag c;
  c.stop = stopFlag(env);
  if (v.IsTypedArray()) {
    // The C API, because Napi::ArrayBuffer rejects the SharedArrayBuffer behind the flag.
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    napi_value buffer = nullptr;
    napi_status s = napi_get_typedarray_info(env, v, &type, &length, &data, &buffer, nullptr);
    if (s == napi_ok && type == napi_int32_array && length >= 1) {
      // The kernel reads the flag while JS runs: a plain ArrayBuffer can be detached (transferred)
      // meanwhile, freeing the memory under it; a SharedArrayBuffer cannot, and the job keeps it alive.
      bool plain = true;
      if (napi_is_arraybuffer(env, buffer, &plain) != napi_ok || plain)
        throwError(env, "ERR_OT_ARG", std::string(currentEntry) + ": cancel must be an Int32Array over a SharedArrayBuffer, got one over an ArrayBuffer");
      c.flag = static_cast<const volatile int*>(data);
    }
  }
  return c;
}

ProgressSlot progressValue(Napi::Env env, const Napi::Value& v, const char* fn) {
  ProgressSlot p;
  if (v.IsUndefined() || v.IsNull()) return p;
  napi_typedarray_type type = napi_int8_array;
  size_t length = 0;
  void* data = nullptr;
  napi_value buffer = nullptr;
  bool plain = true;
  // The C API, because Napi::ArrayBuffer rejects a SharedArrayBuffer. The kernel writes the slot while JS
  // runs: only shared memory cannot be detached under it (and the job keeps it alive).
  if (!v.IsTypedArray() || napi_get_typedarray_info(env, v, &type, &length, &data, &buffer, nullptr) != napi_ok ||
      type != napi_bigint64_array || length < 3 || napi_is_arraybuffer(env, buffer, &plain) != napi_ok || plain) {
    throwError(env, "ERR_OT_ARG", std::string(fn) + ": progress must be a BigInt64Array of 3 entries over a SharedArrayBuffer, got " + typeName(v));
  }
  p.slot = static_cast<volatile int64_t*>(data);
  return p;
}

namespace {
Napi::Value argAt(const Napi::CallbackInfo& info, size_t index) { return index < info.Length() ? info[index] : info.Env().Undefined(); }
}  // namespace

double numberArg(const Napi::CallbackInfo& info, size_t index, const char* fn, const char* name) {
  return numberValue(info.Env(), argAt(info, index), fn, name);
}
int64_t intArg(const Napi::CallbackInfo& info, size_t index, const char* fn, const char* name, int64_t lo, int64_t hi) {
  return intValue(info.Env(), argAt(info, index), fn, name, lo, hi);
}
std::string stringArg(const Napi::CallbackInfo& info, size_t index, const char* fn, const char* name) {
  return stringValue(info.Env(), argAt(info, index), fn, name);
}
size_t dimArg(const Napi::CallbackInfo& info, size_t index, const char* fn, const char* name, int64_t lo) {
  return static_cast<size_t>(intArg(info, index, fn, name, lo, kMaxDim));
}
bool boolArg(const Napi::CallbackInfo& info, size_t index, const char* fn, const char* name) {
  return boolValue(info.Env(), argAt(info, index), fn, name);
}

namespace {
// Enumerable string keys of the options object v, own and inherited (as `o.key` would find them), each
// read once now.
std::vector<std::pair<std::string, Napi::Value>> readFields(Napi::Env env, const Napi::Value& v) {
  std::vector<std::pair<std::string, Napi::Value>> fields;
  napi_value names = nullptr;
  if (napi_get_all_property_names(env, v, napi_key_include_prototypes, static_cast<napi_key_filter>(napi_key_enumerable | napi_key_skip_symbols),
                                  napi_key_numbers_to_strings, &names) != napi_ok)
    throw Napi::Error::New(env);
  Napi::Object obj = v.As<Napi::Object>();
  Napi::Array keys(env, names);
  const uint32_t count = keys.Length();
  fields.reserve(count);
  for (uint32_t k = 0; k < count; ++k) {
    Napi::Value key = keys.Get(k);
    if (!key.IsString()) continue;
    std::string name = key.As<Napi::String>().Utf8Value();
    bool seen = false;
    for (const auto& f : fields) seen = seen || f.first == name;
    if (seen) continue;
    Napi::Value value = obj.Get(key);
    fields.emplace_back(std::move(name), value);
  }
  return fields;
}

// The fields the router of the call being parsed read (main thread; see RoutedFields).
thread_local const RoutedFields* routedFields = nullptr;
}  // namespace

RoutedFields::RoutedFields(const Napi::CallbackInfo& info) : object_(info.Env(), nullptr), previous_(routedFields) {
  if (info.Length() < 1 || !Keeper::isOptionsObject(info[0])) return;
  fields_ = readFields(info.Env(), info[0]);
  object_ = info[0];
  routedFields = this;  // only now: a getter that called into the addon has returned
}
RoutedFields::~RoutedFields() {
  if (routedFields == this) routedFields = previous_;
}
Napi::Value RoutedFields::get(const char* key) const {
  for (const auto& f : fields_)
    if (f.first == key) return f.second;
  return object_.Env().Undefined();
}
bool RoutedFields::holds(const Napi::Value& v) const {
  return !object_.IsEmpty() && object_.StrictEquals(v);
}

Options::Options(const Napi::CallbackInfo& info, size_t index, const char* fn) : env_(info.Env()), fn_(fn) {
  Napi::Value v = argAt(info, index);
  if (!Keeper::isOptionsObject(v)) throwError(env_, "ERR_OT_ARG", std::string(fn) + ": expected an options object, got " + typeName(v));
  // A routed call's object was read by its router: its snapshot is served again, never read twice.
  if (routedFields != nullptr && routedFields->holds(v)) fields_ = routedFields->fields();
  else fields_ = readFields(env_, v);
  if (copyInputs && optionValues != nullptr)
    for (const auto& f : fields_)
      if (f.second.IsObject()) optionValues->push_back(f.second);
}
Napi::Value Options::get(const char* key) const {
  for (const auto& f : fields_)
    if (f.first == key) return f.second;
  return env_.Undefined();
}
ArrayView Options::floats(const char* key) const { return floatValue(get(key), fn_, key, env_); }
ArrayView Options::optionalFloats(const char* key) const {
  Napi::Value v = get(key);
  if (v.IsUndefined() || v.IsNull()) return {};
  return floatValue(v, fn_, key, env_);
}
double Options::number(const char* key) const { return numberValue(env_, get(key), fn_, key); }
double Options::positive(const char* key) const {
  const double v = number(key);
  if (!(v > 0)) throwError(env_, "ERR_OT_VALUE", std::string(fn_) + ": " + key + " must be > 0, got " + num(v));
  return v;
}
int64_t Options::integer(const char* key, int64_t lo, int64_t hi) const { return intValue(env_, get(key), fn_, key, lo, hi); }
size_t Options::dim(const char* key, int64_t lo) const { return static_cast<size_t>(integer(key, lo, kMaxDim)); }
bool Options::boolean(const char* key) const { return boolValue(env_, get(key), fn_, key); }
bool Options::flag(const char* key) const { return get(key).ToBoolean().Value(); }
std::string Options::string(const char* key) const { return stringValue(env_, get(key), fn_, key); }
CancelFlag Options::cancel() const { return cancelValue(env_, get("cancel")); }
ProgressSlot Options::progress() const { return progressValue(env_, get("progress"), fn_); }

Metric metricValue(Napi::Env env, const Napi::Value& v, const char* fn) {
  const std::string s = stringValue(env, v, fn, "metric");
  Metric m;
  if (!parseMetric(s.c_str(), &m)) {
    std::string names;
    for (const char* k : kMetricNames) names += std::string(names.empty() ? "" : ", ") + "'" + k + "'";
    throwError(env, "ERR_OT_ARG", std::string(fn) + ": metric must be one of " + names + ", got '" + s + "'");
  }
  return m;
}
Metric metricArg(const Napi::CallbackInfo& info, size_t index, const char* fn) { return metricValue(info.Env(), argAt(info, index), fn); }
Metric Options::metric() const { return metricValue(env_, get("metric"), fn_); }
double requireMinkowskiP(Napi::Env env, double p, const char* fn) {
  if (!(p >= 1) || !std::isfinite(p)) throwError(env, "ERR_OT_VALUE", std::string(fn) + ": p must be a finite number >= 1, got " + num(p));
  return p;
}

dual::Kind dualKindArg(const Napi::CallbackInfo& info, size_t index, const char* fn) {
  const std::string s = stringArg(info, index, fn, "kind");
  dual::Kind k;
  if (!dual::parseKind(s.c_str(), &k))
    throwError(info.Env(), "ERR_OT_ARG", std::string(fn) + ": kind must be 'entropic' or 'quadratic', got '" + s + "'");
  return k;
}

size_t checkedEntries(Napi::Env env, const char* fn, const char* what, std::initializer_list<size_t> dims) {
  // In doubles, so a product that overflows size_t cannot wrap round to a small, valid-looking length.
  double total = 1;
  size_t exact = 1;
  for (size_t d : dims) {
    total *= static_cast<double>(d);
    exact *= d;
  }
  if (total > kMaxTypedArrayLength) {
    std::ostringstream os;
    os << fn << ": " << what << " would have " << total << " entries, more than a typed array can hold (" << kMaxTypedArrayLength << ")";
    throwError(env, "ERR_OT_OOM", os.str());
  }
  return exact;
}

CancelFlag cancelArg(const Napi::CallbackInfo& info, size_t index) { return cancelValue(info.Env(), argAt(info, index)); }

void requireFinite(Napi::Env env, const ArrayView& v, const char* fn, const char* name) {
  bool ok = v.isFloat64 ? allFinite(v.as<double>(), v.length) : allFinite(v.as<float>(), v.length);
  if (ok) return;
  // Only on failure: find the entry, so the message reads like the facade's.
  size_t i = 0;
  double x = 0;
  for (; i < v.length; ++i) {
    x = v.isFloat64 ? v.as<double>()[i] : v.as<float>()[i];
    if (!std::isfinite(x)) break;
  }
  std::ostringstream os;
  os << fn << ": " << name << " contains NaN or Inf (must be finite): entry " << i << " is "
     << (std::isnan(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity");
  throwError(env, "ERR_OT_VALUE", os.str());
}

void NaNGuard::check(Napi::Env env, const char* fn) const {
  if (what == nullptr) return;
  throwError(env, "ERR_OT_VALUE",
             std::string(fn) + ": " + what + " has " + (infinite ? "Infinity" : "NaN") + " at entry " + std::to_string(at) +
                 " although the inputs are finite: intermediate values overflowed; rescale the inputs");
}

void requireLength(Napi::Env env, const ArrayView& v, size_t expected, const char* fn, const char* name) {
  if (v.length != expected)
    throwError(env, "ERR_OT_SHAPE", std::string(fn) + ": " + name + " has " + std::to_string(v.length) +
                                        " entries, expected " + std::to_string(expected));
}

void requireDtype(Napi::Env env, const ArrayView& v, bool f64, const char* fn, const char* name, const char* whose) {
  if (v.isFloat64 != f64)
    throwError(env, "ERR_OT_DTYPE", std::string(fn) + ": " + name + " must have " + whose + " dtype (" + dtypeName(f64) +
                                        "), got a " + dtypeName(v.isFloat64));
}

void requireNoNaN(Napi::Env env, const ArrayView& v, const char* fn, const char* name) {
  const size_t k = firstNaN(v.data, v.length, v.isFloat64);
  if (k < v.length) throwError(env, "ERR_OT_VALUE", std::string(fn) + ": " + name + " contains NaN (entry " + std::to_string(k) + ")");
}

namespace {
template <typename T>
size_t firstNegativeOf(const T* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i] < T(0)) return i;
  return n;
}

template <typename T>
size_t firstZeroRow(const T* a, size_t rows, size_t d) {
  for (size_t i = 0; i < rows; ++i) {
    bool zero = true;
    for (size_t k = 0; k < d && zero; ++k) zero = a[i * d + k] == T(0);
    if (zero) return i;
  }
  return rows;
}
}  // namespace

size_t firstNegative(const void* p, size_t n, bool f64) {
  return f64 ? firstNegativeOf(static_cast<const double*>(p), n) : firstNegativeOf(static_cast<const float*>(p), n);
}

void requireNonZeroRows(Napi::Env env, const void* p, bool f64, size_t rows, size_t d, const char* fn, const char* name) {
  const size_t i = f64 ? firstZeroRow(static_cast<const double*>(p), rows, d) : firstZeroRow(static_cast<const float*>(p), rows, d);
  if (i < rows)
    throwError(env, "ERR_OT_VALUE", std::string(fn) + ": the cosine distance needs non-zero rows, but row " + std::to_string(i) +
                                        " of " + name + " is all zeros");
}

namespace {
std::atomic<int64_t> held{0};
}

void trackHeld(Napi::Env env, int64_t deltaBytes) {
  held.fetch_add(deltaBytes, std::memory_order_relaxed);
  Napi::MemoryManagement::AdjustExternalMemory(env, deltaBytes);
}

size_t heldBytes() { return static_cast<size_t>(std::max<int64_t>(0, held.load(std::memory_order_relaxed))); }

namespace {
// The allocation a finalizer freed last on this thread (each environment's JS thread): tells newFloatArray whether a failed
// napi_create_external_arraybuffer already released its memory.
thread_local void* finalizedNow = nullptr;
void freeExternal(napi_env env, void* data, void* bytes) {
  finalizedNow = data;
  int64_t ignored = 0;
  napi_adjust_external_memory(env, -static_cast<int64_t>(reinterpret_cast<size_t>(bytes)), &ignored);
  giveBlock(data, reinterpret_cast<size_t>(bytes));
}
}  // namespace

Napi::TypedArray newFloatArray(Napi::Env env, size_t n, bool float64) {
  // Never through the global Float64Array/Float32Array: user code can replace them and would then run
  // in the middle of a call, after input pointers were taken. Results under 32 MiB are V8's own
  // ArrayBuffers: V8 frees them right after the collection that finds them dead, and malloc (tuned:
  // block_cache.h tuneMalloc) hands the memory to the next call (an external buffer's finalizer waits
  // for the event loop to turn: a synchronous loop faulted in fresh pages on every call, half the time
  // of a 300×300 solve + backward and 5/6 of a 2000×2000 dist here). Their allocation failing would
  // end the process in V8's out-of-memory handler; below 32 MiB, with Linux's overcommit, malloc does
  // not fail short of the whole process being out of memory. Larger results are allocated here
  // (failing softly: ERR_OT_OOM) and handed to an external ArrayBuffer that gives them back
  // (block_cache.h) when collected.
  const std::string what = std::string(currentEntry) + ": out of memory: cannot allocate a " +
                           (float64 ? "Float64Array" : "Float32Array") + " of " + std::to_string(n) + " entries";
  if (static_cast<double>(n) > kMaxTypedArrayLength) throwError(env, "ERR_OT_OOM", what + " (more than a typed array can hold)");
  const size_t bytes = n * (float64 ? sizeof(double) : sizeof(float));
  napi_value buffer = nullptr;
  if (bytes < kV8OwnedBytes) {
    void* data = nullptr;
    if (napi_create_arraybuffer(env, bytes, &data, &buffer) != napi_ok) {
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (pending) {
        napi_value ignored;
        napi_get_and_clear_last_exception(env, &ignored);
      }
      throwError(env, "ERR_OT_OOM", what);
    }
  } else {
    void* mem = takeBlock(bytes);
    if (mem == nullptr) throwError(env, "ERR_OT_OOM", what);
    // V8 does not count an external buffer's memory on its own: told, it collects dead results (and
    // their blocks come back for reuse) at a pace set by their size, not only by the JS heap's. The
    // finalizer takes the count back.
    int64_t ignored = 0;
    napi_adjust_external_memory(env, static_cast<int64_t>(bytes), &ignored);
    finalizedNow = nullptr;
    const napi_status s = napi_create_external_arraybuffer(env, mem, bytes, freeExternal, reinterpret_cast<void*>(bytes), &buffer);
    if (s != napi_ok) {
      // Refused (Node caps external buffers at buffer.constants.MAX_LENGTH, 4 GiB on Node 20; a V8
      // sandbox forbids them). Node may already have run the finalizer on `mem` before failing: free
      // it only if not, never twice.
      if (finalizedNow != mem) {
        giveBlock(mem, bytes);
        napi_adjust_external_memory(env, -static_cast<int64_t>(bytes), &ignored);
      }
      bool pending = false;
      napi_is_exception_pending(env, &pending);
      if (pending) {
        napi_value ignored;
        napi_get_and_clear_last_exception(env, &ignored);
      }
      // V8's own (zero-filled, lazily committed) allocation instead.
      void* data = nullptr;
      if (napi_create_arraybuffer(env, bytes, &data, &buffer) != napi_ok) {
        napi_is_exception_pending(env, &pending);
        if (pending) {
          napi_value ignored;
          napi_get_and_clear_last_exception(env, &ignored);
        }
        throwError(env, "ERR_OT_OOM", what);
      }
    }
  }
  napi_value arr = nullptr;
  if (napi_create_typedarray(env, float64 ? napi_float64_array : napi_float32_array, n, buffer, 0, &arr) != napi_ok)
    throwError(env, "ERR_OT_OOM", what);
  return Napi::TypedArray(env, arr);
}

}  // namespace ot::napi
