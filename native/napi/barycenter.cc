// N-API binding of the entropic barycenter (POT: ot.bregman.barycenter): barycenterBregman and its async
// twin, one options object; the caller is lib/bregman/barycenter.ts.
#include <cmath>
#include <string>

#include "cpu/barycenter.h"
#include "napi/util.h"

namespace ot::napi {
namespace {

constexpr const char* kFn = "barycenter";

[[noreturn]] void fail(Napi::Env env, const char* code, const std::string& msg) { throwError(env, code, std::string(kFn) + ": " + msg); }

// barycenterBregman({ A, M, w, n, k, reg (> 0), maxIter, tol (>= 0), cancel? }) -> { bary, nIter, err, status }
// A [n, k] and M [n, n] of one dtype, w a Float64Array of k weights.
struct BarycenterJob {
  Keeper keeper;
  ArrayView A, M, w;
  size_t n = 0, k = 0;
  double reg = 1, tol = 1e-4;
  long maxIter = 1000;
  CancelFlag cancel;
  OutArray bary;
  long nIter = 0;
  double err = 0;
  Status status = Status::Ok;

  static const char* name() { return kFn; }

  static BarycenterJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    BarycenterJob job;
    const Options o(info, 0, kFn);
    job.A = o.floats("A");
    job.M = o.floats("M");
    job.w = o.floats("w");
    job.n = o.dim("n");
    job.k = o.dim("k");
    requireLength(env, job.A, checkedEntries(env, kFn, "A", {job.n, job.k}), kFn, "A");
    requireLength(env, job.M, checkedEntries(env, kFn, "M", {job.n, job.n}), kFn, "M");
    requireDtype(env, job.M, job.A.isFloat64, kFn, "M", "A");
    requireFinite(env, job.A, kFn, "A");
    requireFinite(env, job.M, kFn, "M");
    if (!job.w.isFloat64) fail(env, "ERR_OT_DTYPE", "w must be a Float64Array, got a Float32Array");
    requireLength(env, job.w, job.k, kFn, "w");
    const double* wp = job.w.as<double>();
    for (size_t h = 0; h < job.k; ++h)
      if (!std::isfinite(wp[h]) || wp[h] < 0)
        fail(env, "ERR_OT_VALUE", "w must be finite and >= 0, but entry " + std::to_string(h) + " is " + num(wp[h]));
    const size_t na = job.n * job.k;
    for (size_t i = 0; i < na; ++i) {
      const double v = job.A.isFloat64 ? job.A.as<double>()[i] : job.A.as<float>()[i];
      if (v < 0) fail(env, "ERR_OT_VALUE", "A must be >= 0, but entry " + std::to_string(i) + " is " + num(v));
    }
    job.reg = o.number("reg");
    if (!(job.reg > 0) || !std::isfinite(job.reg)) fail(env, "ERR_OT_VALUE", "reg must be a finite number > 0, got " + num(job.reg));
    job.maxIter = static_cast<long>(o.integer("maxIter", 1, 2147483647));
    job.tol = o.number("tol");
    if (!(job.tol >= 0)) fail(env, "ERR_OT_VALUE", "tol must be >= 0, got " + num(job.tol));
    job.cancel = o.cancel();
    job.bary = OutArray::floats(env, job.n, job.A.isFloat64);
    return job;
  }

  template <typename T>
  Status run() {
    cpu::BarycenterProblem<T> p;
    p.A = A.as<T>();
    p.M = M.as<T>();
    p.w = w.as<double>();
    p.n = n;
    p.k = k;
    p.reg = reg;
    p.maxIter = maxIter;
    p.tol = tol;
    p.cancel = cancel;
    cpu::BarycenterResult<T> r;
    r.bary = bary.as<T>();
    Status s = cpu::barycenterBregman(p, r);
    nIter = r.nIter;
    err = r.err;
    status = r.status;
    return s;
  }

  Status execute() { return A.isFloat64 ? run<double>() : run<float>(); }

  Napi::Value result(Napi::Env env) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("bary", bary.value(env));
    o.Set("nIter", Napi::Number::New(env, static_cast<double>(nIter)));
    o.Set("err", Napi::Number::New(env, err));
    o.Set("status", Napi::String::New(env, statusName(status)));
    return o;
  }
};

void initBarycenter(Napi::Env env, Napi::Object exports) { exportJob<BarycenterJob>(env, exports, "barycenterBregman"); }

Registrar reg(initBarycenter);

}  // namespace
}  // namespace ot::napi
