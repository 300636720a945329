// N-API bindings of the cost-matrix kernels (POT: ot.dist): distForward / distBackward, each with an
// async (Promise) twin. Arguments are re-validated here; the facade is lib/costs/dist.ts.
#include <string>

#include "cpu/dist.h"
#include "napi/util.h"

namespace ot::napi {
namespace {

constexpr const char* kFn = "dist";

// Shape, metric and inputs shared by the forward and backward entry points:
// (x, y, n, m, d, metric, p, same, ...)
struct DistArgs {
  ArrayView x, y;
  size_t n = 0, m = 0, d = 0;
  cpu::Metric metric = cpu::Metric::SqEuclidean;
  double p = 2;
  bool same = false;
};

template <typename T>
int64_t firstZeroRow(const T* a, size_t rows, size_t d) {
  for (size_t i = 0; i < rows; ++i) {
    bool zero = true;
    for (size_t k = 0; k < d && zero; ++k) zero = a[k + i * d] == T(0);
    if (zero) return static_cast<int64_t>(i);
  }
  return -1;
}

void requireNonZeroRows(Napi::Env env, const ArrayView& v, size_t rows, size_t d, const char* name) {
  int64_t i = v.isFloat64 ? firstZeroRow(v.as<double>(), rows, d) : firstZeroRow(v.as<float>(), rows, d);
  if (i >= 0)
    throwError(env, "ERR_OT_VALUE",
               std::string(kFn) + ": the cosine distance needs non-zero rows, but row " + std::to_string(i) + " of " +
                   name + " is all zeros");
}

void requireSameDtype(Napi::Env env, const ArrayView& a, const ArrayView& b, const char* name) {
  if (a.isFloat64 != b.isFloat64)
    throwError(env, "ERR_OT_DTYPE", std::string(kFn) + ": " + name + " must have the same dtype as x (" + dtypeName(a.isFloat64) + "), got a " + dtypeName(b.isFloat64));
}

DistArgs parseDistArgs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DistArgs a;
  a.x = floatArray(info, 0, kFn, "x");
  a.y = floatArray(info, 1, kFn, "y");
  requireSameDtype(env, a.x, a.y, "y");
  constexpr int64_t kMaxDim = int64_t(1) << 40;
  a.n = static_cast<size_t>(intArg(info, 2, kFn, "n", 0, kMaxDim));
  a.m = static_cast<size_t>(intArg(info, 3, kFn, "m", 0, kMaxDim));
  a.d = static_cast<size_t>(intArg(info, 4, kFn, "d", 0, kMaxDim));
  // Products are checked before use so an overflow cannot pass the length checks below.
  constexpr double kMaxEntries = 4294967296.0;  // the longest typed array Node allocates
  const double nd = double(a.n) * double(a.d), md = double(a.m) * double(a.d), nm = double(a.n) * double(a.m);
  if (nd > kMaxEntries || md > kMaxEntries)
    throwError(env, "ERR_OT_SHAPE", std::string(kFn) + ": x or y has more entries than a typed array can hold");
  if (nm > kMaxEntries)
    throwError(env, "ERR_OT_OOM",
               std::string(kFn) + ": the cost matrix would have " + std::to_string(a.n) + " x " + std::to_string(a.m) +
                   " entries, more than a typed array can hold");
  requireLength(env, a.x, a.n * a.d, kFn, "x");
  requireLength(env, a.y, a.m * a.d, kFn, "y");
  std::string metric = stringArg(info, 5, kFn, "metric");
  if (!parseMetric(metric.c_str(), &a.metric))
    throwError(env, "ERR_OT_ARG",
               std::string(kFn) + ": metric must be one of 'sqeuclidean', 'euclidean', 'cityblock', 'minkowski', "
                                  "'chebyshev', 'cosine', got '" + metric + "'");
  a.p = numberArg(info, 6, kFn, "p");
  if (!(a.p >= 1)) throwError(env, "ERR_OT_VALUE", std::string(kFn) + ": p must be a finite number >= 1, got " + std::to_string(a.p));
  if (info.Length() <= 7 || !info[7].IsBoolean())
    throwError(env, "ERR_OT_ARG", std::string(kFn) + ": same must be a boolean, got " + typeName(info.Length() <= 7 ? env.Undefined() : info[7]));
  a.same = info[7].As<Napi::Boolean>().Value();
  if (a.same && (a.n != a.m || a.x.data != a.y.data))
    throwError(env, "ERR_OT_ARG", std::string(kFn) + ": same=true needs y to be x (and m = n), got another array");
  requireFinite(env, a.x, kFn, "x");
  requireFinite(env, a.y, kFn, "y");
  if (a.metric == cpu::Metric::Cosine) {
    requireNonZeroRows(env, a.x, a.n, a.d, "x");
    requireNonZeroRows(env, a.y, a.m, a.d, "y");
  }
  return a;
}

// distForward(x, y, n, m, d, metric, p, same, cancel?) -> M (typed array [n * m], x's dtype)
struct DistJob {
  Keeper keeper;
  DistArgs args;
  CancelFlag cancel;
  Napi::ObjectReference out;
  void* outData = nullptr;

  static const char* name() { return kFn; }

  static DistJob parse(const Napi::CallbackInfo& info) {
    DistJob job;
    job.args = parseDistArgs(info);
    job.cancel = cancelArg(info, 8);
    Napi::TypedArray M = newFloatArray(info.Env(), job.args.n * job.args.m, job.args.x.isFloat64);
    job.outData = static_cast<uint8_t*>(M.ArrayBuffer().Data()) + M.ByteOffset();
    job.out = Napi::Persistent(Napi::Object(M));
    return job;
  }

  Status execute() {
    const DistArgs& a = args;
    Status s = a.x.isFloat64 ? cpu::dist(a.x.as<double>(), a.y.as<double>(), a.n, a.m, a.d, a.metric, a.p, a.same,
                                         static_cast<double*>(outData), cancel)
                             : cpu::dist(a.x.as<float>(), a.y.as<float>(), a.n, a.m, a.d, a.metric, a.p, a.same,
                                         static_cast<float*>(outData), cancel);
    if (s == Status::Ok) guard.scan(outData, a.n * a.m, a.x.isFloat64, "the cost matrix");
    return s;
  }

  Napi::Value result(Napi::Env env) {
    guard.check(env, kFn);
    return out.Value();
  }
  NaNGuard guard;
};

// distBackward(x, y, n, m, d, metric, p, same, M, G, needX, needY, cancel?) -> [gx | null, gy | null]
struct DistBackwardJob {
  Keeper keeper;
  DistArgs args;
  ArrayView M, G;
  CancelFlag cancel;
  Napi::ObjectReference gxRef, gyRef;
  void* gx = nullptr;
  void* gy = nullptr;

  static const char* name() { return "dist (backward)"; }

  static Napi::ObjectReference gradArray(Napi::Env env, size_t len, bool f64, void** data) {
    Napi::TypedArray t = newFloatArray(env, len, f64);
    *data = static_cast<uint8_t*>(t.ArrayBuffer().Data()) + t.ByteOffset();
    return Napi::Persistent(Napi::Object(t));
  }

  static DistBackwardJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    DistBackwardJob job;
    job.args = parseDistArgs(info);
    const DistArgs& a = job.args;
    job.M = floatArray(info, 8, kFn, "M");
    job.G = floatArray(info, 9, kFn, "the output gradient");
    requireSameDtype(env, a.x, job.M, "M");
    requireSameDtype(env, a.x, job.G, "the output gradient");
    requireLength(env, job.M, a.n * a.m, kFn, "M");
    requireLength(env, job.G, a.n * a.m, kFn, "the output gradient");
    // M is the forward's output: +inf where a distance overflowed is legitimate, NaN is not.
    if (firstNaN(job.M.data, job.M.length, job.M.isFloat64) < job.M.length)
      throwError(env, "ERR_OT_VALUE", std::string(kFn) + ": M contains NaN");
    requireFinite(env, job.G, kFn, "the output gradient");
    if (info.Length() <= 11 || !info[10].IsBoolean() || !info[11].IsBoolean())
      throwError(env, "ERR_OT_ARG", std::string(kFn) + ": needX and needY must be booleans, got " + typeName(info.Length() > 10 ? info[10] : env.Undefined()) + " and " + typeName(info.Length() > 11 ? info[11] : env.Undefined()));
    if (info[10].As<Napi::Boolean>().Value()) job.gxRef = gradArray(env, a.n * a.d, a.x.isFloat64, &job.gx);
    if (info[11].As<Napi::Boolean>().Value()) job.gyRef = gradArray(env, a.m * a.d, a.x.isFloat64, &job.gy);
    job.cancel = cancelArg(info, 12);
    return job;
  }

  Status execute() {
    const DistArgs& a = args;
    Status s = a.x.isFloat64
                   ? cpu::distBackward(a.x.as<double>(), a.y.as<double>(), M.as<double>(), G.as<double>(), a.n, a.m, a.d,
                                       a.metric, a.p, a.same, static_cast<double*>(gx), static_cast<double*>(gy), cancel)
                   : cpu::distBackward(a.x.as<float>(), a.y.as<float>(), M.as<float>(), G.as<float>(), a.n, a.m, a.d,
                                       a.metric, a.p, a.same, static_cast<float*>(gx), static_cast<float*>(gy), cancel);
    if (s == Status::Ok) {
      guard.scan(gx, a.n * a.d, a.x.isFloat64, "the gradient of x");
      guard.scan(gy, a.m * a.d, a.x.isFloat64, "the gradient of y");
    }
    return s;
  }
  NaNGuard guard;

  Napi::Value result(Napi::Env env) {
    guard.check(env, name());
    Napi::Array out = Napi::Array::New(env, 2);
    out.Set(0u, gxRef.IsEmpty() ? env.Null() : gxRef.Value());
    out.Set(1u, gyRef.IsEmpty() ? env.Null() : gyRef.Value());
    return out;
  }
};

void initDist(Napi::Env env, Napi::Object exports) {
  exports.Set("distForward", Napi::Function::New(env, runSync<DistJob>));
  exports.Set("distForwardAsync", Napi::Function::New(env, runAsync<DistJob>));
  exports.Set("distBackward", Napi::Function::New(env, runSync<DistBackwardJob>));
  exports.Set("distBackwardAsync", Napi::Function::New(env, runAsync<DistBackwardJob>));
}

Registrar reg(initDist);

}  // namespace
}  // namespace ot::napi
