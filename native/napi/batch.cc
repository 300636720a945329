// N-API bindings of the batched solver (POT: ot.batch.solve_batch): solveBatch and the adjoint behind
// grad='autodiff' / 'last_step', each taking one options object, with a sync and an AsyncWorker/Promise
// form (distBatch: batch_dist.cc).
#include <cmath>
#include <memory>
#include <string>

#include "cpu/batch_sinkhorn.h"
#include "napi/util.h"

namespace ot::napi {
namespace {

using cpu::BatchRecord;
using cpu::BatchSinkhornParams;

// Weights: optional typed array of B*len non-negative finite entries in M's precision; null → uniform.
struct Weights {
  ArrayView view;
  std::vector<float> f32;
  std::vector<double> f64;
  template <typename T>
  const T* data() const {
    if (view.data) return view.as<T>();
    if constexpr (sizeof(T) == 8) return f64.data();
    else return f32.data();
  }
};

template <typename T>
double sumOf(const T* p, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += p[i];
  return s;
}

Weights weightsArg(Napi::Env env, const Options& o, const char* fn, const char* name, size_t B, size_t len, bool f64) {
  Weights w;
  w.view = o.optionalFloats(name);
  if (!w.view.data) {
    if (f64) w.f64.assign(B * len, 1.0 / static_cast<double>(len));
    else w.f32.assign(B * len, 1.0f / static_cast<float>(len));
    return w;
  }
  requireDtype(env, w.view, f64, fn, name, "M's");
  requireLength(env, w.view, B * len, fn, name);
  requireFinite(env, w.view, fn, name);
  const size_t k = firstNegative(w.view.data, w.view.length, f64);
  if (k < w.view.length) throwError(env, "ERR_OT_VALUE", std::string(fn) + ": " + name + " must be >= 0 (entry " + std::to_string(k) + ")");
  return w;
}

// Masses of a[b] and b[b] must agree (balanced OT) and be positive.
void checkMasses(Napi::Env env, const char* fn, const Weights& a, const Weights& b, size_t B, size_t n, size_t m, bool f64) {
  const double rel = f64 ? 1e-6 : 1e-4;
  for (size_t k = 0; k < B; ++k) {
    double sa = f64 ? sumOf(a.data<double>() + k * n, n) : sumOf(a.data<float>() + k * n, n);
    double sb = f64 ? sumOf(b.data<double>() + k * m, m) : sumOf(b.data<float>() + k * m, m);
    if (!(sa > 0) || !(sb > 0))
      throwError(env, "ERR_OT_VALUE", std::string(fn) + ": a and b must have positive mass (problem " + std::to_string(k) + ")");
    if (std::fabs(sa - sb) > rel * std::max(sa, sb))
      throwError(env, "ERR_OT_VALUE", std::string(fn) + ": a and b must have the same mass, but problem " + std::to_string(k) +
                                          " has sum(a) = " + std::to_string(sa) + " and sum(b) = " + std::to_string(sb));
  }
}

// The batch's B, n, m, and M's length checked against them.
void batchDims(Napi::Env env, const Options& o, const char* fn, const ArrayView& M, BatchSinkhornParams& p) {
  p.B = o.dim("B");
  p.n = o.dim("n");
  p.m = o.dim("m");
  requireLength(env, M, checkedEntries(env, fn, "M", {p.B, p.n, p.m}), fn, "M");
}

cpu::BatchSolver solverArg(Napi::Env env, const Options& o, const char* fn) {
  const std::string solver = o.string("solver");
  if (solver == "log_sinkhorn") return cpu::BatchSolver::LogSinkhorn;
  if (solver != "sinkhorn")
    throwError(env, "ERR_OT_ARG", std::string(fn) + ": solver must be 'log_sinkhorn' or 'sinkhorn', got '" + solver + "'");
  return cpu::BatchSolver::Sinkhorn;
}

// The recorded iterations, owned by a JS External so the tape's closure keeps them alive until GC.
struct TraceHolder {
  BatchSinkhornParams params;
  bool f64 = true;
  std::unique_ptr<cpu::BatchTrace<float>> f32Trace;
  std::unique_ptr<cpu::BatchTrace<double>> f64Trace;
  int64_t bytes = 0;
};

struct SolveBatchJob {
  Keeper keeper;
  static const char* name() { return "solveBatch"; }
  BatchSinkhornParams params;
  ArrayView M;
  Weights a, b;
  CancelFlag cancel;
  bool lazyPlan = false;  // the plan is left out of sol and built when read (solveBatchPlan)
  OutArray sol;  // [plan | pot0 | pot1], or [pot0 | pot1] with lazyPlan
  OutArray val;  // [value | valueLinear]
  OutArray status, iters;  // Int32Array [B]
  int64_t nIter = 0;
  double flops = 0, transcendentals = 0;
  std::unique_ptr<TraceHolder> trace;

  static SolveBatchJob parse(const Napi::CallbackInfo& info) {
    const char* fn = name();
    Napi::Env env = info.Env();
    SolveBatchJob job;
    auto& p = job.params;
    const Options o(info, 0, fn);
    job.M = o.floats("M");
    batchDims(env, o, fn, job.M, p);
    requireFinite(env, job.M, fn, "M");
    const bool f64 = job.M.isFloat64;
    job.a = weightsArg(env, o, fn, "a", p.B, p.n, f64);
    job.b = weightsArg(env, o, fn, "b", p.B, p.m, f64);
    checkMasses(env, fn, job.a, job.b, p.B, p.n, p.m, f64);
    p.reg = o.positive("reg");
    p.maxIter = o.integer("maxIter", 1, 2147483647);
    p.tol = o.number("tol");
    if (p.tol < 0) throwError(env, "ERR_OT_VALUE", std::string(fn) + ": tol must be >= 0, got " + num(p.tol));
    p.solver = solverArg(env, o, fn);
    std::string reg = o.string("regType");
    if (reg == "entropy") p.regType = cpu::BatchRegType::Entropy;
    else if (reg == "kl") p.regType = cpu::BatchRegType::KL;
    else throwError(env, "ERR_OT_ARG", std::string(fn) + ": regType must be 'entropy' or 'kl', got '" + reg + "'");
    std::string stop = o.string("stopRule");
    if (stop == "batch") p.stop = cpu::BatchStop::Batch;
    else if (stop == "problem") p.stop = cpu::BatchStop::Problem;
    else throwError(env, "ERR_OT_ARG", std::string(fn) + ": stopRule must be 'batch' or 'problem', got '" + stop + "'");
    std::string rec = o.string("record");
    if (rec == "none") p.record = BatchRecord::None;
    else if (rec == "all") p.record = BatchRecord::AllSteps;
    else if (rec == "last") p.record = BatchRecord::LastStep;
    else throwError(env, "ERR_OT_ARG", std::string(fn) + ": record must be 'none', 'all' or 'last', got '" + rec + "'");
    job.cancel = o.cancel();
    job.lazyPlan = o.flag("lazyPlan");
    if (job.lazyPlan && p.record != BatchRecord::None)
      throwError(env, "ERR_OT_ARG", std::string(fn) + ": lazyPlan needs record 'none' (a recorded solve differentiates its plan)");

    job.sol = OutArray::floats(env, p.B * ((job.lazyPlan ? 0 : p.n * p.m) + p.n + p.m), f64);
    job.val = OutArray::floats(env, 2 * p.B, f64);
    job.status = OutArray(Napi::Int32Array::New(env, p.B));
    job.iters = OutArray(Napi::Int32Array::New(env, p.B));
    if (p.record != BatchRecord::None) {
      job.trace = std::make_unique<TraceHolder>();
      job.trace->params = p;
      job.trace->f64 = f64;
      if (f64) job.trace->f64Trace = std::make_unique<cpu::BatchTrace<double>>();
      else job.trace->f32Trace = std::make_unique<cpu::BatchTrace<float>>();
    }
    return job;
  }

  template <typename T>
  Status run(cpu::BatchTrace<T>* tr) {
    const size_t B = params.B, n = params.n, m = params.m;
    T* s = sol.as<T>();
    cpu::BatchSinkhornOut<T> out;
    out.plan = lazyPlan ? nullptr : s;
    out.pot0 = s + (lazyPlan ? 0 : B * n * m);
    out.pot1 = out.pot0 + B * n;
    out.value = val.as<T>();
    out.valueLinear = out.value + B;
    out.status = status.as<int32_t>();
    out.iters = iters.as<int32_t>();
    out.trace = tr;
    Status st = cpu::batchSinkhorn<T>(M.as<T>(), a.data<T>(), b.data<T>(), params, out, cancel);
    nIter = out.nIter;
    flops = out.flops;
    transcendentals = out.transcendentals;
    return st;
  }

  Status execute() {
    if (M.isFloat64) return run<double>(trace ? trace->f64Trace.get() : nullptr);
    return run<float>(trace ? trace->f32Trace.get() : nullptr);
  }

  Napi::Value result(Napi::Env env) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("sol", sol.value(env));
    o.Set("values", val.value(env));
    o.Set("status", status.value(env));
    o.Set("iters", iters.value(env));
    o.Set("nIter", Napi::Number::New(env, static_cast<double>(nIter)));
    Napi::Object work = Napi::Object::New(env);
    work.Set("flops", Napi::Number::New(env, flops));
    work.Set("transcendentals", Napi::Number::New(env, transcendentals));
    o.Set("work", work);
    if (trace) {
      trace->bytes = static_cast<int64_t>(trace->f64 ? trace->f64Trace->bytes() : trace->f32Trace->bytes());
      trackHeld(env, trace->bytes);
      auto ext = Napi::External<TraceHolder>::New(env, trace.release(), [](Napi::Env e, TraceHolder* h) {
        trackHeld(e, -h->bytes);
        delete h;
      });
      o.Set("trace", ext);
    }
    return o;
  }
};

// Gradients of (plan, pot0, pot1) back to (M, a, b) through a recorded solve.
struct SolveBatchBackwardJob {
  Keeper keeper;
  static const char* name() { return "solveBatchBackward"; }
  Napi::Reference<Napi::External<TraceHolder>> traceRef;
  TraceHolder* trace = nullptr;
  ArrayView M, gPlan, gPot0, gPot1;
  Weights a, b;
  CancelFlag cancel;
  OutArray gM, ga, gb;

  static SolveBatchBackwardJob parse(const Napi::CallbackInfo& info) {
    const char* fn = name();
    Napi::Env env = info.Env();
    SolveBatchBackwardJob job;
    const Options o(info, 0, fn);
    const Napi::Value t = o.value("trace");
    if (!t.IsExternal()) throwError(env, "ERR_OT_ARG", std::string(fn) + ": trace must be the trace of a recorded solveBatch, got " + typeName(t));
    auto ext = t.As<Napi::External<TraceHolder>>();
    job.trace = ext.Data();
    job.traceRef = Napi::Persistent(ext);
    const auto& p = job.trace->params;
    const bool f64 = job.trace->f64;
    job.M = o.floats("M");
    requireDtype(env, job.M, f64, fn, "M", "the solve's");
    requireLength(env, job.M, p.B * p.n * p.m, fn, "M");
    requireFinite(env, job.M, fn, "M");
    job.a = weightsArg(env, o, fn, "a", p.B, p.n, f64);
    job.b = weightsArg(env, o, fn, "b", p.B, p.m, f64);
    const char* names[3] = {"gPlan", "gPot0", "gPot1"};
    const size_t lens[3] = {p.B * p.n * p.m, p.B * p.n, p.B * p.m};
    ArrayView* views[3] = {&job.gPlan, &job.gPot0, &job.gPot1};
    for (int k = 0; k < 3; ++k) {
      *views[k] = o.optionalFloats(names[k]);
      if (!views[k]->data) continue;
      requireDtype(env, *views[k], f64, fn, names[k], "the solve's");
      requireLength(env, *views[k], lens[k], fn, names[k]);
      requireFinite(env, *views[k], fn, names[k]);
    }
    job.cancel = o.cancel();
    job.gM = OutArray::floats(env, lens[0], f64);
    if (o.flag("wantA")) job.ga = OutArray::floats(env, lens[1], f64);
    if (o.flag("wantB")) job.gb = OutArray::floats(env, lens[2], f64);
    return job;
  }

  template <typename T>
  Status run(const cpu::BatchTrace<T>& tr) {
    return cpu::batchSinkhornBackward<T>(M.as<T>(), a.data<T>(), b.data<T>(), trace->params, tr, gPlan.as<T>(),
                                         gPot0.as<T>(), gPot1.as<T>(), gM.as<T>(), ga.as<T>(), gb.as<T>(), cancel);
  }

  Status execute() {
    Status s = trace->f64 ? run<double>(*trace->f64Trace) : run<float>(*trace->f32Trace);
    if (s == Status::Ok) {
      const auto& p = trace->params;
      guard.scan(gM.data, p.B * p.n * p.m, trace->f64, "the gradient of M");
      guard.scan(ga.data, p.B * p.n, trace->f64, "the gradient of a");
      guard.scan(gb.data, p.B * p.m, trace->f64, "the gradient of b");
    }
    return s;
  }
  NaNGuard guard;

  Napi::Value result(Napi::Env env) {
    guard.check(env, name());
    Napi::Object o = Napi::Object::New(env);
    o.Set("gM", gM.value(env));
    if (!ga.ref.IsEmpty()) o.Set("ga", ga.value(env));
    if (!gb.ref.IsEmpty()) o.Set("gb", gb.value(env));
    return o;
  }
};

// The plans of a solve made with lazyPlan, from its potentials: the arithmetic solveBatch would have done.
struct SolveBatchPlanJob {
  Keeper keeper;
  static const char* name() { return "solveBatchPlan"; }
  BatchSinkhornParams params;
  ArrayView M, pot0, pot1;
  CancelFlag cancel;
  OutArray plan;

  static SolveBatchPlanJob parse(const Napi::CallbackInfo& info) {
    const char* fn = name();
    Napi::Env env = info.Env();
    SolveBatchPlanJob job;
    auto& p = job.params;
    const Options o(info, 0, fn);
    job.M = o.floats("M");
    job.pot0 = o.floats("pot0");
    job.pot1 = o.floats("pot1");
    batchDims(env, o, fn, job.M, p);
    const bool f64 = job.M.isFloat64;
    requireDtype(env, job.pot0, f64, fn, "pot0", "M's");
    requireDtype(env, job.pot1, f64, fn, "pot1", "M's");
    requireLength(env, job.pot0, p.B * p.n, fn, "pot0");
    requireLength(env, job.pot1, p.B * p.m, fn, "pot1");
    p.reg = o.positive("reg");
    p.solver = solverArg(env, o, fn);
    job.cancel = o.cancel();
    job.plan = OutArray::floats(env, p.B * p.n * p.m, f64);
    return job;
  }

  template <typename T>
  Status run() {
    return cpu::batchSinkhornPlans<T>(M.as<T>(), pot0.as<T>(), pot1.as<T>(), params, plan.as<T>(), cancel);
  }
  Status execute() { return M.isFloat64 ? run<double>() : run<float>(); }
  Napi::Value result(Napi::Env env) { return plan.value(env); }
};

void initBatch(Napi::Env env, Napi::Object exports) {
  exportDeviceJob<SolveBatchJob>(env, exports, "solveBatch", "M");
  exportJob<SolveBatchBackwardJob>(env, exports, "solveBatchBackward");
  exportJob<SolveBatchPlanJob>(env, exports, "solveBatchPlan");
}

ot::napi::Registrar registrar(initBatch);

}  // namespace
}  // namespace ot::napi
