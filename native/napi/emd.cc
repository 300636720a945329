// N-API bindings of exact OT (POT: ot.emd / ot.emd2 with log=True): emdSolve for one problem and
// emdBatch for B problems of one size, each taking one options object, with an async (Promise) twin.
// Arguments are re-validated here; the callers are lib/backend/cpu/emd.ts and emd-batch.ts.
#include <cmath>
#include <string>

#include "cpu/emd.h"
#include "napi/util.h"

namespace ot::napi {
namespace {

// The largest maxIter accepted: any integer a JS number holds exactly.
constexpr int64_t kMaxIterLimit = int64_t(1) << 53;

// float64 weights of B problems of `len` entries each: finite and >= 0.
ArrayView weightsArg(Napi::Env env, const Options& o, const char* fn, const char* name, size_t B, size_t len) {
  ArrayView w = o.floats(name);
  if (!w.isFloat64) throwError(env, "ERR_OT_DTYPE", std::string(fn) + ": " + name + " must be a Float64Array, got a Float32Array");
  requireLength(env, w, B * len, fn, name);
  requireFinite(env, w, fn, name);
  const size_t k = firstNegative(w.data, w.length, true);
  if (k < w.length) throwError(env, "ERR_OT_VALUE", std::string(fn) + ": " + name + " must be >= 0, but entry " + std::to_string(k) + " is " + num(w.as<double>()[k]));
  return w;
}

// Per problem: positive masses that agree to 1e-6 relative (the facade has already applied POT's rule and
// scaled b to a's mass; this is the kernel's own precondition, asserted again).
void checkMasses(Napi::Env env, const char* fn, const ArrayView& a, const ArrayView& b, size_t B, size_t n, size_t m) {
  for (size_t k = 0; k < B; ++k) {
    double sa = 0, sb = 0;
    for (size_t i = 0; i < n; ++i) sa += a.as<double>()[k * n + i];
    for (size_t j = 0; j < m; ++j) sb += b.as<double>()[k * m + j];
    const std::string which = B > 1 ? " (problem " + std::to_string(k) + ")" : "";
    if (!(sa > 0) || !(sb > 0))
      throwError(env, "ERR_OT_VALUE", std::string(fn) + ": a and b must have a positive total mass" + which + ", got " + num(sa) + " and " + num(sb));
    if (std::fabs(sa - sb) > 1e-6 * std::max(sa, sb))
      throwError(env, "ERR_OT_VALUE", std::string(fn) + ": a and b must have the same total mass" + which + ", got sum(a) = " + num(sa) + " and sum(b) = " + num(sb));
  }
}

// The fields both entry points share: { M, a, b, B (batch only), n, m, maxIter, cancel? }.
struct EmdArgs {
  ArrayView M, a, b;
  size_t B = 1, n = 0, m = 0;
  long maxIter = 100000;
  CancelFlag cancel;

  static EmdArgs parse(Napi::Env env, const Options& o, const char* fn, bool batched) {
    EmdArgs r;
    r.M = o.floats("M");
    if (batched) r.B = o.dim("B");
    r.n = o.dim("n");
    r.m = o.dim("m");
    requireLength(env, r.M, checkedEntries(env, fn, "M", {r.B, r.n, r.m}), fn, "M");
    requireFinite(env, r.M, fn, "M");
    r.a = weightsArg(env, o, fn, "a", r.B, r.n);
    r.b = weightsArg(env, o, fn, "b", r.B, r.m);
    checkMasses(env, fn, r.a, r.b, r.B, r.n, r.m);
    r.maxIter = static_cast<long>(o.integer("maxIter", 1, kMaxIterLimit));
    r.cancel = o.cancel();
    return r;
  }
};

[[noreturn]] void infeasible(Napi::Env env, const char* fn, const std::string& which) {
  throwError(env, "ERR_OT_VALUE", std::string(fn) + ": the exact problem" + which +
                                      " is infeasible: no plan meets both marginals (flow was left on an artificial arc)");
}

// emdSolve({ M [n*m], a [n], b [m] (Float64Array), n, m, maxIter, valueOnly?, cancel? })
//   -> { plan (M's dtype; null with valueOnly: no n x m output), u, v (Float64Array, POT's centred duals), value,
//        nIter, status }
struct EmdJob {
  Keeper keeper;
  static const char* name() { return "emd"; }
  EmdArgs args;
  OutArray plan, u, v;
  double value = 0;
  long nIter = 0;
  Status kernel = Status::Ok;
  NaNGuard guard;

  static EmdJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EmdJob job;
    const Options o(info, 0, name());
    job.args = EmdArgs::parse(env, o, name(), false);
    if (!o.flag("valueOnly")) job.plan = OutArray::floats(env, job.args.n * job.args.m, job.args.M.isFloat64);
    job.u = OutArray::floats(env, job.args.n, true);
    job.v = OutArray::floats(env, job.args.m, true);
    return job;
  }

  Status execute() {
    const auto& r = args;
    kernel = withFloatType(r.M.isFloat64, [&](auto t) {
      using T = decltype(t);
      cpu::EmdProblem<T> p;
      p.M = r.M.as<T>();
      p.a = r.a.as<double>();
      p.b = r.b.as<double>();
      p.n = r.n;
      p.m = r.m;
      p.maxIter = r.maxIter;
      p.cancel = r.cancel;
      cpu::EmdResult<T> out;
      out.plan = plan.as<T>();
      out.u = u.as<double>();
      out.v = v.as<double>();
      const Status s = cpu::emdSolve(p, out);
      value = out.value;
      nIter = out.nIter;
      return s;
    });
    // Infeasible is reported by result() with its own message; every other failure by the runner.
    if (kernel == Status::Infeasible) return Status::Ok;
    if (kernel == Status::Ok || kernel == Status::MaxIter) {
      guard.scan(plan.data, args.n * args.m, args.M.isFloat64, "the plan");  // null data with valueOnly: skipped
      guard.scan(u.data, args.n, true, "the potentials");
      guard.scan(v.data, args.m, true, "the potentials");
    }
    return kernel;
  }

  Napi::Value result(Napi::Env env) {
    if (kernel == Status::Infeasible) infeasible(env, name(), "");
    guard.check(env, name());
    if (std::isnan(value)) throwError(env, "ERR_OT_VALUE", std::string(name()) + ": the value <M, plan> is NaN (M's entries overflow)");
    Napi::Object o = Napi::Object::New(env);
    o.Set("plan", plan.value(env));
    o.Set("u", u.value(env));
    o.Set("v", v.value(env));
    o.Set("value", Napi::Number::New(env, value));
    o.Set("nIter", Napi::Number::New(env, static_cast<double>(nIter)));
    o.Set("status", Napi::String::New(env, statusName(kernel)));
    return o;
  }
};

// emdBatch({ M [B*n*m], a [B*n], b [B*m] (Float64Array), B, n, m, maxIter, cancel? })
//   -> { supportIndex [B*(n+m-1)] (Int32Array: flat i*m + j in the problem's plan, -1 unused), supportMass
//        [B*(n+m-1)], u [B*n], v [B*m], value [B], nIter [B] (Float64Array), status [B] (Int32Array of native
//        Status codes: 0 converged, 1 max_iter) }; an infeasible problem is an ERR_OT_VALUE naming it. The
//        plans leave as their supports (the dense [B, n, m] would be mostly zeros and its first touch
//        costs more than the solves): the caller builds them when asked.
struct EmdBatchJob {
  Keeper keeper;
  static const char* name() { return "emdBatch"; }
  EmdArgs args;
  OutArray supportIndex, supportMass, u, v, value, nIter, status;
  NaNGuard guard;

  static EmdBatchJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    EmdBatchJob job;
    const Options o(info, 0, name());
    job.args = EmdArgs::parse(env, o, name(), true);
    const auto& r = job.args;
    if (static_cast<double>(r.n) * static_cast<double>(r.m) > 2147483647.0)
      throwError(env, "ERR_OT_SHAPE", std::string(name()) + ": each problem must have fewer than 2^31 entries, got " +
                                          std::to_string(r.n) + " x " + std::to_string(r.m));
    const size_t slots = checkedEntries(env, name(), "the plan supports", {r.B, r.n + r.m - 1});
    job.supportIndex = OutArray(Napi::Int32Array::New(env, slots));
    job.supportMass = OutArray::floats(env, slots, true);
    job.u = OutArray::floats(env, r.B * r.n, true);
    job.v = OutArray::floats(env, r.B * r.m, true);
    job.value = OutArray::floats(env, r.B, true);
    job.nIter = OutArray::floats(env, r.B, true);
    job.status = OutArray(Napi::Int32Array::New(env, r.B));
    return job;
  }

  Status execute() {
    const auto& r = args;
    std::vector<long> iters(r.B);
    std::vector<Status> st(r.B);
    const Status s = withFloatType(r.M.isFloat64, [&](auto t) {
      using T = decltype(t);
      cpu::EmdBatchProblem<T> p;
      p.M = r.M.as<T>();
      p.a = r.a.as<double>();
      p.b = r.b.as<double>();
      p.batch = r.B;
      p.n = r.n;
      p.m = r.m;
      p.maxIter = r.maxIter;
      p.cancel = r.cancel;
      cpu::EmdBatchResult<T> out;
      out.supportIndex = supportIndex.as<int32_t>();
      out.supportMass = supportMass.as<double>();
      out.u = u.as<double>();
      out.v = v.as<double>();
      out.value = value.as<double>();
      out.nIter = iters.data();
      out.status = st.data();
      return cpu::emdBatch(p, out);
    });
    if (s != Status::Ok) return s;
    for (size_t k = 0; k < r.B; ++k) {
      // A problem's own hard failure (not a result) fails the call.
      if (st[k] != Status::Ok && st[k] != Status::MaxIter && st[k] != Status::Infeasible) return st[k];
      status.as<int32_t>()[k] = static_cast<int32_t>(st[k]);
      nIter.as<double>()[k] = static_cast<double>(iters[k]);
    }
    guard.scan(supportMass.data, r.B * (r.n + r.m - 1), true, "the plans");
    guard.scan(u.data, r.B * r.n, true, "the potentials");
    guard.scan(v.data, r.B * r.m, true, "the potentials");
    guard.scan(value.data, r.B, true, "the values");
    return Status::Ok;
  }

  Napi::Value result(Napi::Env env) {
    for (size_t k = 0; k < args.B; ++k)
      if (status.as<int32_t>()[k] == static_cast<int32_t>(Status::Infeasible)) infeasible(env, name(), " " + std::to_string(k));
    guard.check(env, name());
    Napi::Object o = Napi::Object::New(env);
    o.Set("supportIndex", supportIndex.value(env));
    o.Set("supportMass", supportMass.value(env));
    o.Set("u", u.value(env));
    o.Set("v", v.value(env));
    o.Set("value", value.value(env));
    o.Set("nIter", nIter.value(env));
    o.Set("status", status.value(env));
    return o;
  }
};

void initEmd(Napi::Env env, Napi::Object exports) {
  exportJob<EmdJob>(env, exports, "emdSolve");
  exportJob<EmdBatchJob>(env, exports, "emdBatch");
}

Registrar reg(initEmd);

}  // namespace
}  // namespace ot::napi
