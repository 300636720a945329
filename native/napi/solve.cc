// N-API bindings of the entropic solver (POT: ot.solve, entropic branch): sinkhornSolve and
// sinkhornBackward, each taking one options object and with an async (Promise) twin. Arguments are
// re-validated here; the caller is lib/backend/cpu/sinkhorn.ts.
#include <cmath>
#include <memory>
#include <string>

#include "cpu/sinkhorn.h"
#include "napi/util.h"

namespace ot::napi {
namespace {

constexpr const char* kFn = "solve";

[[noreturn]] void fail(Napi::Env env, const char* code, const std::string& msg) { throwError(env, code, std::string(kFn) + ": " + msg); }

// The problem shared by both entry points: (M, a, b, n, m, reg, regType, ...).
struct ProblemArgs {
  ArrayView M, a, b;
  size_t n = 0, m = 0;
  double reg = 1;
  cpu::EntropicReg regType = cpu::EntropicReg::KL;

  // The fields the forward problem and the adjoint share.
  template <typename T, class P>
  void fill(P& p) const {
    p.M = M.as<T>();
    p.a = a.as<double>();
    p.b = b.as<double>();
    p.n = n;
    p.m = m;
    p.reg = reg;
    p.regType = regType;
  }
};

void requireWeights(Napi::Env env, const ArrayView& w, size_t len, const char* name, double* total) {
  if (!w.isFloat64) fail(env, "ERR_OT_DTYPE", std::string(name) + " must be a Float64Array, got a Float32Array");
  requireLength(env, w, len, kFn, name);
  const double* p = w.as<double>();
  double s = 0;
  for (size_t i = 0; i < len; ++i) {
    if (!std::isfinite(p[i]) || p[i] < 0)
      fail(env, "ERR_OT_VALUE", std::string(name) + " must be finite and >= 0, but entry " + std::to_string(i) + " is " + std::to_string(p[i]));
    s += p[i];
  }
  if (!(s > 0)) fail(env, "ERR_OT_VALUE", std::string(name) + " must have a positive total, got " + num(s));
  *total = s;
}

// An optional number field: absent/undefined/null -> fallback.
double optionalNumber(const Options& o, const char* key, double fallback) {
  Napi::Value v = o.value(key);
  return v.IsUndefined() || v.IsNull() ? fallback : o.number(key);
}

// A forward's recorded iterations, handed to JS as an opaque handle (never as an array): the backward
// reads them in place and the caller frees them as soon as it is done (releaseHistory), so a loop of
// solve + backward reuses one block instead of leaving one per call for the garbage collector (the
// history was the largest thing a 300 x 300 autodiff step allocated: 0.6 of its 1.3 MB of fresh
// memory, each fresh page costing up to 16 us here). Never released: freed with the handle.
struct HistoryHolder {
  std::shared_ptr<const double[]> data;  // shared with a running backward, so release never pulls it away
  size_t length = 0;
  int64_t bytes = 0;
};
constexpr napi_type_tag kHistoryTag = {0x6f74686973746f72ULL, 0x7953696e6b686f72ULL};

HistoryHolder* historyHandle(const Napi::Value& v) {
  if (!v.IsExternal()) return nullptr;
  auto ext = v.As<Napi::External<HistoryHolder>>();
  return ext.CheckTypeTag(&kHistoryTag) ? ext.Data() : nullptr;
}

void dropHistory(Napi::Env env, HistoryHolder* h) {
  if (!h->data) return;
  h->data.reset();
  trackHeld(env, -h->bytes);
}

// A forward's final potentials for building its plan later (lazyPlan): an opaque handle, O(n + m).
struct PlanHolder {
  cpu::SinkhornPlanState state;
  size_t n = 0, m = 0;
  bool f64 = false;
  bool diverged = false;  // the plan is then what the diverged solve would have written, NaN included
};
constexpr napi_type_tag kPlanStateTag = {0x6f74706c616e5374ULL, 0x6174655369646b68ULL};

// The fields { M, a, b, n, m, reg, regType } of both entry points' options (a and b of equal mass
// unless `unbalanced`).
ProblemArgs parseProblem(Napi::Env env, const Options& o, bool unbalanced = false) {
  ProblemArgs p;
  p.M = o.floats("M");
  p.n = o.dim("n");
  p.m = o.dim("m");
  requireLength(env, p.M, checkedEntries(env, kFn, "M", {p.n, p.m}), kFn, "M");
  requireFinite(env, p.M, kFn, "M");
  p.a = o.floats("a");
  p.b = o.floats("b");
  double sa = 0, sb = 0;
  requireWeights(env, p.a, p.n, "a", &sa);
  requireWeights(env, p.b, p.m, "b", &sb);
  if (!unbalanced && std::fabs(sa - sb) > 1e-6 * std::max(sa, sb))
    fail(env, "ERR_OT_VALUE", "a and b must have the same total mass (balanced OT), got " + std::to_string(sa) + " and " + std::to_string(sb));
  p.reg = o.positive("reg");
  std::string rt = o.string("regType");
  if (rt == "KL") p.regType = cpu::EntropicReg::KL;
  else if (rt == "entropy") p.regType = cpu::EntropicReg::Entropy;
  else fail(env, "ERR_OT_ARG", "regType must be 'KL' or 'entropy', got '" + rt + "'");
  return p;
}

// sinkhornSolve({ M, a, b, n, m, reg, regType, maxIter, tol, record ('none' | 'history' | 'last_step'), cancel?,
//                 ua?, ub? (unbalanced strengths, > 0, +inf or absent: exact side), marginal? ('KL' | 'TV' | 'L2'),
//                 initU? (n, warm start), progress? (BigInt64Array slot, common/progress.h),
//                 lazyPlan? (no plan written: planState instead, for sinkhornPlan) })
//   -> { plan | planState, logU, logV, value, valueLinear, nIter, status, history? (an opaque handle: HistoryHolder), iterations,
//        logIterations, absorptions }
struct SolveJob {
  Keeper keeper;
  ProblemArgs args;
  long maxIter = 1000;
  double tol = 1e-9;
  bool recordHistory = false, lastStep = false;
  double ua = HUGE_VAL, ub = HUGE_VAL;
  cpu::Marginal marginal = cpu::Marginal::KL;
  ArrayView initU;
  CancelFlag cancel;
  ProgressSlot progress;
  OutArray plan, logU, logV;
  std::unique_ptr<PlanHolder> planState;  // lazyPlan: what the plan is built from later (no plan written)
  cpu::SinkhornResult<float> r32;
  cpu::SinkhornResult<double> r64;

  static const char* name() { return kFn; }

  static SolveJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    SolveJob job;
    const Options o(info, 0, kFn);
    job.ua = optionalNumber(o, "ua", HUGE_VAL);
    job.ub = optionalNumber(o, "ub", HUGE_VAL);
    if (!(job.ua > 0) || !(job.ub > 0))
      fail(env, "ERR_OT_VALUE", "unbalanced must be > 0 (or +Infinity for an exact side), got ua = " + num(job.ua) + ", ub = " + num(job.ub));
    const bool unbalanced = std::isfinite(job.ua) || std::isfinite(job.ub);
    if (!o.value("marginal").IsUndefined()) {
      std::string mg = o.string("marginal");
      if (mg == "TV") job.marginal = cpu::Marginal::TV;
      else if (mg == "L2") job.marginal = cpu::Marginal::L2;
      else if (mg != "KL") fail(env, "ERR_OT_ARG", "marginal must be 'KL', 'TV' or 'L2', got '" + mg + "'");
    }
    job.args = parseProblem(env, o, unbalanced);
    job.initU = o.optionalFloats("initU");
    if (job.initU.data) {
      if (!job.initU.isFloat64) fail(env, "ERR_OT_DTYPE", "initU must be a Float64Array, got a Float32Array");
      requireLength(env, job.initU, job.args.n, kFn, "initU");
      const double* u = job.initU.as<double>();
      for (size_t i = 0; i < job.args.n; ++i)
        if (std::isnan(u[i]) || u[i] == HUGE_VAL) fail(env, "ERR_OT_VALUE", "initU contains NaN or +Inf: entry " + std::to_string(i) + " is " + num(u[i]));
    }
    job.maxIter = static_cast<long>(o.integer("maxIter", 1, 1000000000));
    job.tol = o.number("tol");
    if (!(job.tol >= 0)) fail(env, "ERR_OT_VALUE", "tol must be >= 0, got " + num(job.tol));
    std::string rec = o.string("record");
    if (rec == "history") job.recordHistory = true;
    else if (rec == "last_step") job.lastStep = true;
    else if (rec != "none") fail(env, "ERR_OT_ARG", "record must be 'none', 'history' or 'last_step', got '" + rec + "'");
    if (unbalanced && rec != "none") fail(env, "ERR_OT_ARG", "record must be 'none' for unbalanced OT, got '" + rec + "'");
    job.cancel = o.cancel();
    job.progress = o.progress();
    const bool f64 = job.args.M.isFloat64;
    if (o.flag("lazyPlan")) {
      job.planState = std::make_unique<PlanHolder>();
      job.planState->n = job.args.n;
      job.planState->m = job.args.m;
      job.planState->f64 = f64;
    } else {
      job.plan = OutArray::floats(env, job.args.n * job.args.m, f64);
    }
    job.logU = OutArray::floats(env, job.args.n, f64);
    job.logV = OutArray::floats(env, job.args.m, f64);
    return job;
  }

  template <typename T>
  Status run(cpu::SinkhornResult<T>& r) {
    cpu::SinkhornProblem<T> p;
    args.fill<T>(p);
    p.maxIter = maxIter;
    p.tol = tol;
    p.lastStep = lastStep;
    p.recordHistory = recordHistory;
    p.ua = ua;
    p.ub = ub;
    p.marginal = marginal;
    p.initU = initU.as<double>();
    p.cancel = cancel;
    p.progress = progress;
    r.plan = plan.as<T>();  // null with lazyPlan
    r.planState = planState ? &planState->state : nullptr;
    r.logU = logU.as<T>();
    r.logV = logV.as<T>();
    return cpu::sinkhornSolve(p, r);
  }

  Status execute() { return args.M.isFloat64 ? run(r64) : run(r32); }

  template <typename T>
  Napi::Value build(Napi::Env env, cpu::SinkhornResult<T>& r) {
    Napi::Object o = Napi::Object::New(env);
    if (planState) {
      planState->diverged = r.status == Status::Diverged;
      auto ext = Napi::External<PlanHolder>::New(env, planState.release(), [](Napi::Env, PlanHolder* h) { delete h; });
      ext.TypeTag(&kPlanStateTag);
      o.Set("planState", ext);
    } else {
      o.Set("plan", plan.value(env));
    }
    o.Set("logU", logU.value(env));
    o.Set("logV", logV.value(env));
    o.Set("value", Napi::Number::New(env, r.value));
    o.Set("valueLinear", Napi::Number::New(env, r.valueLinear));
    o.Set("nIter", Napi::Number::New(env, static_cast<double>(r.nIter)));
    o.Set("status", Napi::String::New(env, statusName(r.status)));
    o.Set("iterations", Napi::Number::New(env, static_cast<double>(r.history.iterations)));
    o.Set("logIterations", Napi::Number::New(env, static_cast<double>(r.logIterations)));
    o.Set("absorptions", Napi::Number::New(env, static_cast<double>(r.absorptions)));
    if (r.history.data) {
      auto* h = new HistoryHolder;
      h->length = r.history.length(args.n, args.m);
      h->bytes = static_cast<int64_t>(r.history.capacity * sizeof(double));
      h->data = std::shared_ptr<const double[]>(r.history.data.release());
      trackHeld(env, h->bytes);
      auto ext = Napi::External<HistoryHolder>::New(env, h, [](Napi::Env e, HistoryHolder* d) {
        dropHistory(e, d);
        delete d;
      });
      ext.TypeTag(&kHistoryTag);
      o.Set("history", ext);
    }
    return o;
  }

  Napi::Value result(Napi::Env env) { return args.M.isFloat64 ? build(env, r64) : build(env, r32); }
};

// sinkhornBackward({ M, a, b, n, m, reg, regType, history (the forward's handle, or a Float64Array), iterations, directTerms, gValue, gValueLinear,
//                    gPlan?, gLogU?, gLogV?, needM, lastStep }) -> [dM | null, da, db]
struct BackwardJob {
  Keeper keeper;
  ProblemArgs args;
  ArrayView history, gPlan, gLogU, gLogV;
  std::shared_ptr<const double[]> held;  // a forward's history handle's values (instead of `history`)
  size_t iterations = 0;
  bool directTerms = true, lastStep = false;
  double gValue = 0, gValueLinear = 0;
  OutArray dM, da, db;

  static const char* name() { return "solve (backward)"; }

  static void requireSeed(Napi::Env env, const ArrayView& v, size_t len, bool f64, const char* name) {
    if (!v.data) return;
    requireDtype(env, v, f64, kFn, name, "M's");
    requireLength(env, v, len, kFn, name);
    requireFinite(env, v, kFn, name);
  }

  static BackwardJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    BackwardJob job;
    const Options o(info, 0, kFn);
    job.args = parseProblem(env, o);
    const size_t n = job.args.n, m = job.args.m;
    const bool f64 = job.args.M.isFloat64;
    job.iterations = static_cast<size_t>(o.integer("iterations", 1, 1000000000));
    job.lastStep = o.boolean("lastStep");
    if (job.lastStep && job.iterations != 1)
      fail(env, "ERR_OT_ARG", "a last_step record holds one iteration, got iterations = " + std::to_string(job.iterations));
    const size_t perIteration = checkedEntries(env, kFn, "history", {job.iterations, n + m});
    const size_t want = n + perIteration + (job.lastStep ? m : 0);
    if (const HistoryHolder* held = historyHandle(o.value("history"))) {
      // The forward's own record: its values are the solver's, only its size needs checking.
      if (!held->data) fail(env, "ERR_OT_VALUE", "history was released (releaseHistory) before this backward");
      if (held->length != want)
        fail(env, "ERR_OT_SHAPE", "history holds " + std::to_string(held->length) + " values, expected " + std::to_string(want));
      job.held = held->data;
    } else {
      job.history = o.floats("history");
      if (!job.history.isFloat64) fail(env, "ERR_OT_DTYPE", "history must be a Float64Array or a forward's history, got a Float32Array");
      requireLength(env, job.history, want, kFn, "history");
      const double* h = job.history.as<double>();
      for (size_t i = 0; i < job.history.length; ++i)
        if (std::isnan(h[i]) || h[i] == HUGE_VAL) fail(env, "ERR_OT_VALUE", "history contains NaN or +Inf: entry " + std::to_string(i) + " is " + num(h[i]));
    }
    job.directTerms = o.boolean("directTerms");
    job.gValue = o.number("gValue");
    job.gValueLinear = o.number("gValueLinear");
    job.gPlan = o.optionalFloats("gPlan");
    job.gLogU = o.optionalFloats("gLogU");
    job.gLogV = o.optionalFloats("gLogV");
    requireSeed(env, job.gPlan, n * m, f64, "gPlan");
    requireSeed(env, job.gLogU, n, f64, "gLogU");
    requireSeed(env, job.gLogV, m, f64, "gLogV");
    if (o.boolean("needM")) job.dM = OutArray::floats(env, n * m, f64);
    job.da = OutArray::floats(env, n, true);
    job.db = OutArray::floats(env, m, true);
    return job;
  }

  template <typename T>
  Status run() {
    cpu::SinkhornAdjoint<T> p;
    args.fill<T>(p);
    p.history = held ? held.get() : history.as<double>();
    p.iterations = iterations;
    p.directTerms = directTerms;
    p.lastStep = lastStep;
    p.gValue = gValue;
    p.gValueLinear = gValueLinear;
    p.gPlan = static_cast<const T*>(gPlan.data);
    p.gLogU = static_cast<const T*>(gLogU.data);
    p.gLogV = static_cast<const T*>(gLogV.data);
    p.dM = dM.as<T>();
    p.da = da.as<double>();
    p.db = db.as<double>();
    return cpu::sinkhornBackward(p);
  }

  Status execute() {
    Status s = args.M.isFloat64 ? run<double>() : run<float>();
    if (s == Status::Ok) {
      guard.scan(dM.data, args.n * args.m, args.M.isFloat64, "the gradient of M");  // null when not wanted
      guard.scan(da.data, args.n, true, "the gradient of a");
      guard.scan(db.data, args.m, true, "the gradient of b");
    }
    return s;
  }
  NaNGuard guard;

  Napi::Value result(Napi::Env env) {
    guard.check(env, name());
    Napi::Array out = Napi::Array::New(env, 3);
    out.Set(0u, dM.value(env));
    out.Set(1u, da.value(env));
    out.Set(2u, db.value(env));
    return out;
  }
};

// sinkhornPlan({ M, n, m, planState, cancel? }) -> plan: the plan of a lazyPlan forward, the numbers it
// would have written (M as the forward read it).
struct PlanJob {
  Keeper keeper;
  Napi::Reference<Napi::External<PlanHolder>> stateRef;
  const PlanHolder* held = nullptr;
  ArrayView M;
  CancelFlag cancel;
  OutArray plan;
  NaNGuard guard;

  static const char* name() { return "solve (plan)"; }

  static PlanJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    PlanJob job;
    const Options o(info, 0, kFn);
    const Napi::Value h = o.value("planState");
    if (!h.IsExternal() || !h.As<Napi::External<PlanHolder>>().CheckTypeTag(&kPlanStateTag))
      fail(env, "ERR_OT_ARG", "planState must be the planState of a lazyPlan solve, got " + typeName(h));
    auto ext = h.As<Napi::External<PlanHolder>>();
    job.held = ext.Data();
    job.stateRef = Napi::Persistent(ext);
    job.M = o.floats("M");
    const size_t n = o.dim("n"), m = o.dim("m");
    if (n != job.held->n || m != job.held->m)
      fail(env, "ERR_OT_SHAPE", "n x m must be the solve's " + std::to_string(job.held->n) + " x " + std::to_string(job.held->m) + ", got " +
                                    std::to_string(n) + " x " + std::to_string(m));
    requireDtype(env, job.M, job.held->f64, kFn, "M", "the solve's");
    requireLength(env, job.M, n * m, kFn, "M");
    job.cancel = o.cancel();
    job.plan = OutArray::floats(env, n * m, job.held->f64);
    return job;
  }

  template <typename T>
  Status run() {
    return cpu::sinkhornPlan<T>(M.as<T>(), held->n, held->m, held->state, plan.as<T>(), cancel);
  }
  Status execute() {
    const Status s = held->f64 ? run<double>() : run<float>();
    // Another M than the solve's (finite, but its kernel beyond range) can make 0 * inf. A diverged
    // solve's plan is what the solve would have written (its status says so).
    if (s == Status::Ok && !held->diverged) guard.scan(plan.data, held->n * held->m, held->f64, "the plan");
    return s;
  }
  Napi::Value result(Napi::Env env) {
    guard.check(env, name());
    return plan.value(env);
  }
};

// releaseHistory(history): frees a forward's history handle now (a backward still running keeps its
// values until it ends); later backwards given it fail. Anything else, or a second call, is a no-op.
Napi::Value releaseHistory(const Napi::CallbackInfo& info) {
  if (info.Length() > 0)
    if (HistoryHolder* h = historyHandle(info[0])) dropHistory(info.Env(), h);
  return info.Env().Undefined();
}

void initSolve(Napi::Env env, Napi::Object exports) {
  exportDeviceJob<SolveJob>(env, exports, "sinkhornSolve", "M");
  exportDeviceJob<BackwardJob>(env, exports, "sinkhornBackward", "M");
  exportJob<PlanJob>(env, exports, "sinkhornPlan");
  exports.Set("releaseHistory", Napi::Function::New(env, releaseHistory, "releaseHistory"));
}

Registrar reg(initSolve);

}  // namespace
}  // namespace ot::napi
