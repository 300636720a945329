// Shared N-API plumbing: OTError construction, argument unwrapping and checks, output arrays, and the
// Job runner that gives every heavy entry point a sync form and an AsyncWorker/Promise form over the
// same execute() (both registered by exportJob).
#pragma once
#include <napi.h>

#include "common/parallel.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <new>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/dual_types.h"
#include "common/metric.h"
#include "common/progress.h"
#include "common/status.h"

namespace ot::napi {

// A JS-bound failure: `code` is one of DESIGN.md's ERR_OT_* codes.
struct ArgError {
  std::string code;
  std::string message;
};

// The longest typed array Node allocates (entries); outputs above it are ERR_OT_OOM, never an abort.
constexpr double kMaxTypedArrayLength = 4294967296.0;
// The largest dimension (n, m, d, B) an entry point accepts; products are checked separately.
constexpr int64_t kMaxDim = int64_t(1) << 40;

// Names the entry point whose arguments are being parsed, for messages of shared helpers.
class EntryScope {
 public:
  explicit EntryScope(const char* fn);
  ~EntryScope();

 private:
  const char* previous_;
};

// What a JS value is, for messages ("got Int32Array", "got the number NaN").
std::string typeName(const Napi::Value& v);
// A number for messages, shortest round-trip form ("got -1", "got 1e-300").
std::string num(double v);
// "Float32Array" or "Float64Array", for dtype messages.
inline const char* dtypeName(bool f64) { return f64 ? "Float64Array" : "Float32Array"; }

// A per-environment reference slot named `name` (a class an area defines once per environment: the
// main thread and each worker load their own instance, and one isolate's handles are no use to another).
Napi::FunctionReference& envClass(Napi::Env env, const char* name);
// Builds an OTError (the class registered by lib/native.ts), or a plain Error with .code before that.
Napi::Error makeError(Napi::Env env, const std::string& code, const std::string& message);
// Called once by lib/native.ts with the OTError class so native errors are real OTErrors.
Napi::Value setErrorClass(const Napi::CallbackInfo& info);
[[noreturn]] void throwError(Napi::Env env, const std::string& code, const std::string& message);
// Maps a kernel status that is a failure to an error code + message; Ok/MaxIter are not failures.
bool statusIsFailure(Status s);
ArgError statusError(Status s, const std::string& where);

// A borrowed view of a JS Float32Array/Float64Array (the JS object is kept alive by a reference).
struct ArrayView {
  void* data = nullptr;
  size_t length = 0;
  bool isFloat64 = true;
  // Set when `data` is a private copy (async calls): keeps it alive as long as any view of it.
  std::shared_ptr<void> owner;
  template <typename T>
  T* as() const { return static_cast<T*>(data); }
};

// While alive (on the main thread, around an async job's parse), float arrays are read into private
// copies: JS runs again while the job does, and could detach (transfer) or shrink the buffers the job
// would otherwise read — a use-after-free. The same JS range read twice shares one copy.
class AsyncInputScope {
 public:
  AsyncInputScope();
  ~AsyncInputScope();
  AsyncInputScope(const AsyncInputScope&) = delete;
  AsyncInputScope& operator=(const AsyncInputScope&) = delete;

 private:
  bool previous_;
};
// Copies an output view's private copy back into the JS typed array `target` (if it is still
// attached and as long), on the main thread: for caller-provided output arrays of async calls.
void copyBack(Napi::Env env, const ArrayView& view, const Napi::Value& target);

// A JS value as a float typed array named `name` (a private copy inside an AsyncInputScope).
ArrayView floatValue(const Napi::Value& v, const char* fn, const char* name, Napi::Env env);
// Unwrap argument `index` as a float typed array named `name` (throws OTError otherwise).
ArrayView floatArray(const Napi::CallbackInfo& info, size_t index, const char* fn, const char* name);
// Same, for an optional argument (undefined/null → empty view with data == nullptr).
ArrayView optionalFloatArray(const Napi::CallbackInfo& info, size_t index, const char* fn, const char* name);
// One value's checks, shared by the positional readers below and by Options (one wording for both).
double numberValue(Napi::Env env, const Napi::Value& v, const char* fn, const char* name);
int64_t intValue(Napi::Env env, const Napi::Value& v, const char* fn, const char* name, int64_t lo, int64_t hi);
std::string stringValue(Napi::Env env, const Napi::Value& v, const char* fn, const char* name);
bool boolValue(Napi::Env env, const Napi::Value& v, const char* fn, const char* name);
CancelFlag cancelValue(Napi::Env env, const Napi::Value& v);
ProgressSlot progressValue(Napi::Env env, const Napi::Value& v, const char* fn);
double numberArg(const Napi::CallbackInfo& info, size_t index, const char* fn, const char* name);
int64_t intArg(const Napi::CallbackInfo& info, size_t index, const char* fn, const char* name, int64_t lo, int64_t hi);
std::string stringArg(const Napi::CallbackInfo& info, size_t index, const char* fn, const char* name);
// A dimension in [lo, kMaxDim].
size_t dimArg(const Napi::CallbackInfo& info, size_t index, const char* fn, const char* name, int64_t lo = 1);
// A required boolean (true/false only).
bool boolArg(const Napi::CallbackInfo& info, size_t index, const char* fn, const char* name);
// An optional flag: absent or falsy → false, anything truthy → true.
inline bool flagArg(const Napi::CallbackInfo& info, size_t index) {
  return index < info.Length() && info[index].ToBoolean().Value();
}
// One of POT's metric names (common/metric.h).
Metric metricValue(Napi::Env env, const Napi::Value& v, const char* fn);
Metric metricArg(const Napi::CallbackInfo& info, size_t index, const char* fn);
// A dual-OT loss kind, "entropic" or "quadratic" (common/dual_types.h).
dual::Kind dualKindArg(const Napi::CallbackInfo& info, size_t index, const char* fn);
// The Minkowski exponent p, >= 1 (the facades' message: "<fn>: p must be a finite number >= 1, got 0.5").
double requireMinkowskiP(Napi::Env env, double p, const char* fn);
// The product of `dims` (entries of `what`), or ERR_OT_OOM when it exceeds a typed array (or size_t).
size_t checkedEntries(Napi::Env env, const char* fn, const char* what, std::initializer_list<size_t> dims);
// Optional Int32Array cancel flag (shared memory) at `index`.
CancelFlag cancelArg(const Napi::CallbackInfo& info, size_t index);
// The fields of one options object: an entry point takes one object (as sharp's pipeline(options))
// instead of a long positional list, and reads it with the same checks and messages as above.
class Options {
 public:
  // ERR_OT_ARG unless argument `index` is a plain object.
  Options(const Napi::CallbackInfo& info, size_t index, const char* fn);
  ArrayView floats(const char* key) const;
  // undefined/null → empty view with data == nullptr.
  ArrayView optionalFloats(const char* key) const;
  double number(const char* key) const;
  // A number > 0 (ERR_OT_VALUE "<fn>: <key> must be > 0, got ..." otherwise), e.g. reg.
  double positive(const char* key) const;
  int64_t integer(const char* key, int64_t lo, int64_t hi) const;
  // A dimension in [lo, kMaxDim].
  size_t dim(const char* key, int64_t lo = 1) const;
  bool boolean(const char* key) const;
  // Absent or falsy → false, anything truthy → true.
  bool flag(const char* key) const;
  std::string string(const char* key) const;
  // The optional Int32Array `cancel` field.
  CancelFlag cancel() const;
  // The optional `progress` field: a BigInt64Array of >= 3 entries over a SharedArrayBuffer (common/progress.h).
  ProgressSlot progress() const;
  // The `metric` field, one of POT's metric names.
  Metric metric() const;
  // A field as it is, for checks of its own.
  Napi::Value value(const char* key) const { return get(key); }

 private:
  // Every field is read once, when the object is taken (getters and proxy traps run then, before any
  // input pointer is taken), and served from this snapshot: user code that runs later could detach or
  // shrink an array whose pointer a job already holds.
  Napi::Value get(const char* key) const;
  Napi::Env env_;
  std::vector<std::pair<std::string, Napi::Value>> fields_;
  const char* fn_;
};

// Checks every entry is finite; reports the argument name on failure.
template <typename T>
bool allFinite(const T* p, size_t n) {
  // An integer test of the exponent bits, so the loop vectorises (std::isfinite with an early exit
  // does not, and costs more than some kernels on n×m inputs); bails out per chunk.
  using U = std::conditional_t<sizeof(T) == 8, uint64_t, uint32_t>;
  constexpr U kExp = sizeof(T) == 8 ? U(0x7ff0000000000000ull) : U(0x7f800000u);
  for (size_t i = 0; i < n;) {
    const size_t end = std::min(n, i + 4096);
    U bad = 0;
    for (; i < end; ++i) {
      U b;
      std::memcpy(&b, p + i, sizeof b);
      bad |= U((b & kExp) == kExp);
    }
    if (bad) return false;
  }
  return true;
}
void requireFinite(Napi::Env env, const ArrayView& v, const char* fn, const char* name);

// Index of the first NaN in p[0..n), or n. Vectorisable (a NaN is the one value unequal to itself);
// kernels run it on their outputs so a NaN born of overflow is reported, never returned.
template <typename T>
size_t firstNaN(const T* p, size_t n) {
  for (size_t i = 0; i < n;) {
    const size_t end = std::min(n, i + 4096);
    bool bad = false;
    for (size_t k = i; k < end; ++k) bad |= p[k] != p[k];
    if (bad) {
      for (; i < end; ++i)
        if (p[i] != p[i]) return i;
    }
    i = end;
  }
  return n;
}
inline size_t firstNaN(const void* p, size_t n, bool f64) {
  if (p == nullptr) return n;
  return f64 ? firstNaN(static_cast<const double*>(p), n) : firstNaN(static_cast<const float*>(p), n);
}
// A NaN found in an output of finite inputs (overflow inside a kernel) becomes ERR_OT_VALUE.
struct NaNGuard {
  const char* what = nullptr;
  size_t at = 0;
  // Records the first output (of `n` entries) holding a NaN; call on the worker thread.
  void scan(const void* p, size_t n, bool f64, const char* name) {
    if (what != nullptr) return;
    size_t k = firstNaN(p, n, f64);
    if (k < n) {
      what = name;
      at = k;
    }
  }
  // Records the first output holding NaN or +-Infinity: for outputs that are finite whenever the
  // inputs are (a cost matrix), where an infinity can only be an overflow.
  void scanFinite(const void* p, size_t n, bool f64, const char* name) {
    if (what != nullptr || p == nullptr) return;
    const bool ok = f64 ? allFinite(static_cast<const double*>(p), n) : allFinite(static_cast<const float*>(p), n);
    if (ok) return;
    for (size_t k = 0; k < n; ++k) {
      const double x = f64 ? static_cast<const double*>(p)[k] : static_cast<const float*>(p)[k];
      if (!std::isfinite(x)) {
        what = name;
        at = k;
        infinite = !std::isnan(x);
        return;
      }
    }
  }
  bool infinite = false;
  // Throws on the main thread when scan() found a NaN.
  void check(Napi::Env env, const char* fn) const;
};
void requireLength(Napi::Env env, const ArrayView& v, size_t expected, const char* fn, const char* name);
// ERR_OT_DTYPE unless v is float64 exactly when f64: "<fn>: <name> must have <whose> dtype (...), got a ...",
// with whose a possessive ("x's", "the inputs'").
void requireDtype(Napi::Env env, const ArrayView& v, bool f64, const char* fn, const char* name, const char* whose);
// ERR_OT_VALUE when v holds a NaN (+-inf pass: a forward's overflow is a legitimate input to its backward).
void requireNoNaN(Napi::Env env, const ArrayView& v, const char* fn, const char* name);
// Index of the first negative entry of p[0..n) (float64 when f64), or n.
size_t firstNegative(const void* p, size_t n, bool f64);
// ERR_OT_VALUE when a row of the rows × d matrix at p is all zeros (the cosine distance divides by its norm).
void requireNonZeroRows(Napi::Env env, const void* p, bool f64, size_t rows, size_t d, const char* fn, const char* name);

// Calls fn(T{}) with T = double when f64, else float, so a kernel call is written once for both dtypes:
//   withFloatType(f64, [&](auto t) { using T = decltype(t); return cpu::dist(x.as<T>(), ...); })
template <class F>
decltype(auto) withFloatType(bool f64, F&& fn) {
  return f64 ? fn(double{}) : fn(float{});
}

// Native memory that handles given to JS hold (a solve's recorded history, a batch trace): reported
// to V8 (so that it weighs in the collector's decisions) and counted for backendInfo().heldBytes.
void trackHeld(Napi::Env env, int64_t deltaBytes);
size_t heldBytes();

// Results below this many bytes are V8's own ArrayBuffers (freed at the collection that finds them
// dead); larger ones are external (see newFloatArray).
constexpr size_t kV8OwnedBytes = size_t(32) << 20;
// New zeroed typed array of `n` entries in the given precision, made with the C API over memory the
// addon allocates (never through the global constructors, which user code can replace); ERR_OT_OOM
// when it cannot be allocated.
Napi::TypedArray newFloatArray(Napi::Env env, size_t n, bool float64);
// Copies a kernel-owned buffer out into a fresh JS typed array.
template <typename T>
Napi::TypedArray toJS(Napi::Env env, const std::vector<T>& v) {
  auto arr = newFloatArray(env, v.size(), sizeof(T) == 8);
  if (!v.empty()) std::memcpy(static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset(), v.data(), v.size() * sizeof(T));
  return arr;
}

// Address of a typed array's first entry.
inline void* dataOf(const Napi::TypedArray& t) { return static_cast<uint8_t*>(t.ArrayBuffer().Data()) + t.ByteOffset(); }

// An output typed array, made on the main thread in parse() and filled in place by execute() on the
// worker. A default-constructed one is "not wanted": data is null and value() is null.
struct OutArray {
  Napi::ObjectReference ref;
  void* data = nullptr;

  OutArray() = default;
  explicit OutArray(const Napi::TypedArray& t) : ref(Napi::Persistent(Napi::Object(t))), data(dataOf(t)) {}
  // n float entries in the given precision (ERR_OT_OOM when they cannot be allocated).
  static OutArray floats(Napi::Env env, size_t n, bool f64) { return OutArray(newFloatArray(env, n, f64)); }
  template <typename T>
  T* as() const { return static_cast<T*>(data); }
  Napi::Value value(Napi::Env env) const { return ref.IsEmpty() ? env.Null() : ref.Value(); }
};

// Keeps the JS arrays a job borrows alive while it runs off the main thread.
class Keeper {
 public:
  void keep(const Napi::Value& v) {
    if (v.IsObject()) refs_.push_back(Napi::Persistent(v.As<Napi::Object>()));
  }
  // Keeps the arguments and the fields the call's Options read (their snapshots: the cancel flag among
  // them must outlive edits to the object itself); reads no property again, so runs no user code.
  void keepArgs(const Napi::CallbackInfo& info) {
    for (size_t i = 0; i < info.Length(); ++i) keep(info[i]);
    for (const Napi::Value& v : snapshotValues()) keep(v);
  }
  static bool isOptionsObject(const Napi::Value& v) {
    return v.IsObject() && !v.IsTypedArray() && !v.IsArrayBuffer() && !v.IsArray() && !v.IsFunction();
  }
  // The field values read by the Options of the call being parsed (main thread).
  static const std::vector<Napi::Value>& snapshotValues();

 private:
  std::vector<Napi::ObjectReference> refs_;
};

// Job contract: struct J { Keeper keeper; static J parse(const Napi::CallbackInfo&); // may throw OTError
//                          Status execute();                // pure C++, no N-API, no JS exceptions
//                          Napi::Value result(Napi::Env); }; // called on the main thread
// C++ exceptions other than Napi::Error must not leave a job: past N-API they end the process.
template <class Job>
Status executeGuarded(Job& job) noexcept {
  try {
    return job.execute();
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory;
  } catch (const std::system_error&) {
    // A thread or another system resource could not be had: a resource failure, not a bad argument.
    return Status::OutOfMemory;
  } catch (...) {
    return Status::BadArgument;
  }
}

template <class Job>
Job parseGuarded(const Napi::CallbackInfo& info) {
  EntryScope scope(Job::name());
  try {
    return Job::parse(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throwError(info.Env(), "ERR_OT_OOM", std::string(Job::name()) + ": out of memory while preparing the call");
  } catch (const std::exception& e) {
    throwError(info.Env(), "ERR_OT_ARG", std::string(Job::name()) + ": " + e.what());
  }
}

template <class Job>
Napi::Value runSync(const Napi::CallbackInfo& info) {
  Job job = parseGuarded<Job>(info);
  Status s = executeGuarded(job);
  if (statusIsFailure(s)) {
    ArgError e = statusError(s, Job::name());
    throwError(info.Env(), e.code, e.message);
  }
  EntryScope scope(Job::name());
  return job.result(info.Env());
}

// Async jobs of one JS environment (main thread or a worker): its shutdown raises `stop` (every job's
// CancelFlag::stop) and waits for the jobs still executing, so process.exit() and worker.terminate()
// never wait on a long kernel. Defined in lifecycle.cc.
class EnvJobs;
// The environment's job set; made (with its shutdown hooks) on first use.
std::shared_ptr<EnvJobs> envJobs(Napi::Env env);
// The flag raised when the environment shuts down (lives as long as any job of it).
const volatile int* stopFlag(Napi::Env env);
// Marks a job executing on a pool thread (RAII); a job that starts after shutdown began is skipped.
class ExecutingJob {
 public:
  explicit ExecutingJob(EnvJobs& jobs);
  ~ExecutingJob();
  bool stopped() const;

 private:
  EnvJobs& jobs_;
};
// Counts a job from its creation to its completion on the main thread (queued ones included).
void jobCreated(EnvJobs& jobs);
void jobDestroyed(EnvJobs& jobs);
// True once the environment's shutdown began: its promises can no longer be settled (or seen).
bool stopping(const EnvJobs& jobs);
// Raises the environment's stop flag (lib/native.ts calls it on 'exit', before the thread pool joins).
Napi::Value stopJobs(const Napi::CallbackInfo& info);

template <class Job>
class JobWorker : public Napi::AsyncWorker {
 public:
  JobWorker(Napi::Env env, Job&& job)
      : Napi::AsyncWorker(env), job_(std::move(job)), deferred_(Napi::Promise::Deferred::New(env)), jobs_(envJobs(env)) {
    jobCreated(*jobs_);
  }
  ~JobWorker() override { jobDestroyed(*jobs_); }
  Napi::Promise promise() { return deferred_.Promise(); }
  // Worker thread: no N-API, no throws. The slot keeps queued jobs within the thread cap; a job whose
  // environment began shutting down (before or while it waited for a slot) does not run.
  void Execute() override {
    ExecutingJob running(*jobs_);
    if (running.stopped()) {
      status_ = Status::Aborted;
      return;
    }
    JobSlot slot;
    status_ = running.stopped() ? Status::Aborted : executeGuarded(job_);
  }
  void OnOK() override {
    if (stopping(*jobs_)) return;  // no JS will run again in this environment
    try {
      settle(Env());
    } catch (const Napi::Error&) {
      // Settling failed: the environment is going away under us (N-API refuses to run JS). An error
      // escaping here would end the process.
    }
  }

 private:
  void settle(Napi::Env env) {
    Napi::HandleScope scope(env);
    if (statusIsFailure(status_)) {
      ArgError e = statusError(status_, Job::name());
      deferred_.Reject(makeError(env, e.code, e.message).Value());
      return;
    }
    try {
      EntryScope scope(Job::name());
      deferred_.Resolve(job_.result(env));
    } catch (const Napi::Error& err) {
      deferred_.Reject(err.Value());
    } catch (const std::bad_alloc&) {
      deferred_.Reject(makeError(env, "ERR_OT_OOM", std::string(Job::name()) + ": out of memory").Value());
    }
  }

  Job job_;
  Status status_ = Status::Ok;
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<EnvJobs> jobs_;
};

template <class Job>
Napi::Value runAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    AsyncInputScope copies;
    Job job = parseGuarded<Job>(info);
    job.keeper.keepArgs(info);
    auto* worker = new JobWorker<Job>(env, std::move(job));
    Napi::Promise p = worker->promise();
    worker->Queue();
    return p;
  } catch (const Napi::Error& err) {
    // The Deferred is made here only: one made up front and left pending on success is a Promise
    // that never settles and is never collected.
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(err.Value());
    return deferred.Promise();
  }
}

// Registers `name` (runSync) and `name + "Async"` (runAsync, a Promise) for one Job.
template <class Job>
void exportJob(Napi::Env env, Napi::Object exports, const char* name) {
  const std::string async = std::string(name) + "Async";
  exports.Set(name, Napi::Function::New(env, runSync<Job>, name));
  exports.Set(async, Napi::Function::New(env, runAsync<Job>, async));
}

// ---- One export per op, its device picked by the operand ----
inline Napi::Value rejected(Napi::Env env, const Napi::Error& err) {
  auto deferred = Napi::Promise::Deferred::New(env);
  deferred.Reject(err.Value());
  return deferred.Promise();
}
// An op's CPU Job and its CUDA Job share one export name: the call runs the CUDA Job when the op's main
// array field (M, x, X, u) of its options object is a CudaBuffer, the CPU Job otherwise. Each CUDA
// binding (napi/cuda*.cc) registers its Job under the CPU export's name with a DeviceRegistrar; the CPU
// binding exports with exportDeviceJob instead of exportJob. A build without CUDA registers none, and
// a device operand there is ERR_OT_DEVICE.
using EntryFn = Napi::Value (*)(const Napi::CallbackInfo&);
struct DeviceEntries {
  EntryFn sync = nullptr;
  EntryFn async = nullptr;
};
// True when v is a CudaBuffer (an object tagged by napi/cuda_buffer.cc; any build can tell).
bool isDeviceBuffer(const Napi::Value& v);
// The CUDA Jobs registered under `name`, or null (builds without CUDA, CPU-only ops).
const DeviceEntries* deviceJob(const std::string& name);
void registerDeviceJob(const char* name, DeviceEntries entries);
template <class CudaJob>
struct DeviceRegistrar {
  explicit DeviceRegistrar(const char* name) { registerDeviceJob(name, {runSync<CudaJob>, runAsync<CudaJob>}); }
};
// Runs the CUDA Job of export `name` (`fn` names the op in messages), or throws / rejects with
// ERR_OT_DEVICE when this build has none.
Napi::Value runDeviceJob(const Napi::CallbackInfo& info, const char* name, const char* fn, const char* field, bool async);
// The fields of a routed call's options object (argument 0), read once by the router (as Options reads
// them: getters and proxy traps run now, before any input pointer is taken). While it lives, the
// Options of the Job it picks serves this snapshot instead of reading the object a second time.
class RoutedFields {
 public:
  explicit RoutedFields(const Napi::CallbackInfo& info);
  ~RoutedFields();
  RoutedFields(const RoutedFields&) = delete;
  RoutedFields& operator=(const RoutedFields&) = delete;
  // undefined when absent (or when argument 0 is no options object: the Job reports that).
  Napi::Value get(const char* key) const;
  bool holds(const Napi::Value& v) const;
  const std::vector<std::pair<std::string, Napi::Value>>& fields() const { return fields_; }

 private:
  Napi::Value object_;
  std::vector<std::pair<std::string, Napi::Value>> fields_;
  const RoutedFields* previous_;
};

template <class Job, bool Async>
Napi::Value runRouted(const Napi::CallbackInfo& info) {
  const auto* route = static_cast<const std::pair<const char*, const char*>*>(info.Data());
  try {
    const RoutedFields fields(info);
    if (isDeviceBuffer(fields.get(route->second))) return runDeviceJob(info, route->first, Job::name(), route->second, Async);
    return Async ? runAsync<Job>(info) : runSync<Job>(info);
  } catch (const std::bad_alloc&) {
    const Napi::Error err = makeError(info.Env(), "ERR_OT_OOM", std::string(Job::name()) + ": out of memory while reading the options");
    if (!Async) throw err;
    return rejected(info.Env(), err);
  } catch (const Napi::Error& err) {
    // A getter's error (the Jobs' own errors are already rejections in the async form).
    if (!Async) throw;
    return rejected(info.Env(), err);
  }
}

// Records `name` as routed; in a build with CUDA, an error unless a CUDA Job is registered under it.
void routedExport(Napi::Env env, const char* name);
// Called once the exports are set: in a build with CUDA, an error for a CUDA Job registered under a
// name that no exportDeviceJob routes (a misspelt name would leave the GPU path unreachable).
void checkDeviceJobs(Napi::Env env);

// exportJob for an op with a GPU twin: `field` is the options field whose device picks the Job.
template <class CpuJob>
void exportDeviceJob(Napi::Env env, Napi::Object exports, const char* name, const char* field) {
  routedExport(env, name);
  // One route per op (each CPU Job is exported under one name); it outlives every environment.
  static const std::pair<const char*, const char*> route{name, field};
  void* data = const_cast<std::pair<const char*, const char*>*>(&route);
  const std::string async = std::string(name) + "Async";
  exports.Set(name, Napi::Function::New(env, runRouted<CpuJob, false>, name, data));
  exports.Set(async, Napi::Function::New(env, runRouted<CpuJob, true>, async, data));
}

// Registration: each napi/<area>.cc defines a static Registrar that adds its exports.
using InitFn = void (*)(Napi::Env, Napi::Object);
struct Registrar {
  explicit Registrar(InitFn fn);
};
std::vector<InitFn>& registry();

}  // namespace ot::napi
