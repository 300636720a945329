// N-API binding of unbalanced majorization-minimization (POT: ot.unbalanced.mm_unbalanced):
// mmUnbalanced and its async twin, one options object; the caller is lib/backend/cpu/mm-unbalanced.ts.
#include <cmath>
#include <string>

#include "cpu/mm_unbalanced.h"
#include "napi/util.h"

namespace ot::napi {
namespace {

constexpr const char* kFn = "solve";

[[noreturn]] void fail(Napi::Env env, const char* code, const std::string& msg) { throwError(env, code, std::string(kFn) + ": " + msg); }

void requireWeights(Napi::Env env, const ArrayView& w, size_t len, const char* name) {
  if (!w.isFloat64) fail(env, "ERR_OT_DTYPE", std::string(name) + " must be a Float64Array, got a Float32Array");
  requireLength(env, w, len, kFn, name);
  const double* p = w.as<double>();
  for (size_t i = 0; i < len; ++i)
    if (!std::isfinite(p[i]) || p[i] < 0)
      fail(env, "ERR_OT_VALUE", std::string(name) + " must be finite and >= 0, but entry " + std::to_string(i) + " is " + num(p[i]));
}

// mmUnbalanced({ M, a, b, n, m, reg (>= 0), ua, ub (> 0), div ('KL' | 'L2'), maxIter, tol, cancel? })
//   -> { plan, nIter, status }
struct MmJob {
  Keeper keeper;
  ArrayView M, a, b;
  size_t n = 0, m = 0;
  double reg = 0, ua = 1, ub = 1, tol = 1e-12;
  long maxIter = 1000;
  cpu::MmDivergence div = cpu::MmDivergence::KL;
  CancelFlag cancel;
  OutArray plan;
  long nIter = 0;
  Status status = Status::Ok;

  static const char* name() { return kFn; }

  static MmJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    MmJob job;
    const Options o(info, 0, kFn);
    job.M = o.floats("M");
    job.n = o.dim("n");
    job.m = o.dim("m");
    requireLength(env, job.M, checkedEntries(env, kFn, "M", {job.n, job.m}), kFn, "M");
    requireFinite(env, job.M, kFn, "M");
    job.a = o.floats("a");
    job.b = o.floats("b");
    requireWeights(env, job.a, job.n, "a");
    requireWeights(env, job.b, job.m, "b");
    job.reg = o.number("reg");
    if (!(job.reg >= 0)) fail(env, "ERR_OT_VALUE", "reg must be >= 0, got " + num(job.reg));
    job.ua = o.positive("ua");
    job.ub = o.positive("ub");
    std::string d = o.string("div");
    if (d == "L2") job.div = cpu::MmDivergence::L2;
    else if (d != "KL") fail(env, "ERR_OT_ARG", "div must be 'KL' or 'L2', got '" + d + "'");
    job.maxIter = static_cast<long>(o.integer("maxIter", 1, 1000000000));
    job.tol = o.number("tol");
    if (!(job.tol >= 0)) fail(env, "ERR_OT_VALUE", "tol must be >= 0, got " + num(job.tol));
    job.cancel = o.cancel();
    job.plan = OutArray::floats(env, job.n * job.m, job.M.isFloat64);
    return job;
  }

  template <typename T>
  Status run() {
    cpu::MmProblem<T> p;
    p.M = M.as<T>();
    p.a = a.as<double>();
    p.b = b.as<double>();
    p.n = n;
    p.m = m;
    p.reg = reg;
    p.ua = ua;
    p.ub = ub;
    p.div = div;
    p.maxIter = maxIter;
    p.tol = tol;
    p.cancel = cancel;
    cpu::MmResult<T> r;
    r.plan = plan.as<T>();
    Status s = cpu::mmUnbalanced(p, r);
    nIter = r.nIter;
    status = r.status;
    return s;
  }

  Status execute() { return M.isFloat64 ? run<double>() : run<float>(); }

  Napi::Value result(Napi::Env env) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("plan", plan.value(env));
    o.Set("nIter", Napi::Number::New(env, static_cast<double>(nIter)));
    o.Set("status", Napi::String::New(env, statusName(status)));
    return o;
  }
};

void initMm(Napi::Env env, Napi::Object exports) { exportJob<MmJob>(env, exports, "mmUnbalanced"); }

Registrar reg(initMm);

}  // namespace
}  // namespace ot::napi
