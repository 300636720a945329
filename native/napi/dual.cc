// N-API bindings of the fused dual-OT kernels (cpu/dual.h, cpu/dual_ascent.h), each taking one options
// object: dualLoss (loss + the gradients asked for by a bit mask), dualPlan (the n×m primal plan) and
// dualAscent (a whole optimisation of the potentials), each with an async (Promise) twin.
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "cpu/dual.h"
#include "cpu/dual_ascent.h"
#include "napi/util.h"

namespace ot::napi {
namespace {

// Bits of the `want` mask: which gradients the loss call must produce.
constexpr int kWantU = 1, kWantV = 2, kWantXs = 4, kWantXt = 8, kWantWs = 16, kWantWt = 32;

dual::Kind kindValue(Napi::Env env, const Options& o, const char* fn) {
  const std::string s = o.string("kind");
  dual::Kind k;
  if (!dual::parseKind(s.c_str(), &k)) throwError(env, "ERR_OT_ARG", std::string(fn) + ": kind must be 'entropic' or 'quadratic', got '" + s + "'");
  return k;
}

// A dual problem parsed once (dualPrepare): references to its arrays and its scalars, so a loop that
// calls the loss every step passes { prepared, out } instead of thirteen fields. Reading fields of an
// options object costs some 0.3 µs each through N-API, a third of a small step's native time; the
// arrays are still re-read (lengths, dtype, values checked) on every call.
struct DualPrepared {
  Napi::ObjectReference u, v, xs, xt, ws, wt;  // ws, wt empty when uniform
  size_t d = 0;
  dual::Kind kind = dual::Kind::Entropic;
  dual::Metric metric = dual::Metric::SqEuclidean;
  double p = 2, reg = 1;
  int want = 0;
};
// Marks the externals dualPrepare makes, so no other external is ever read as one.
constexpr napi_type_tag kPreparedTag = {0x6f7464756170726bULL, 0x4475616c50726570ULL};

// The fields shared by every entry point: { u, v, xs, xt, ws?, wt?, d, kind, metric, p, reg }, or
// { prepared } (a handle of dualPrepare) in their place.
struct DualArgs {
  ArrayView u, v, xs, xt, ws, wt;
  size_t n = 0, m = 0, d = 0;
  dual::Kind kind = dual::Kind::Entropic;
  dual::Metric metric = dual::Metric::SqEuclidean;
  double p = 2, reg = 1;
  const DualPrepared* prepared = nullptr;

  static DualArgs parse(Napi::Env env, const Options& o, const char* fn) {
    DualArgs a;
    const Napi::Value handle = o.value("prepared");
    if (!handle.IsUndefined()) {
      if (!handle.IsExternal() || !handle.As<Napi::External<DualPrepared>>().CheckTypeTag(&kPreparedTag))
        throwError(env, "ERR_OT_ARG", std::string(fn) + ": prepared must be a handle made by dualPrepare, got " + typeName(handle));
      const DualPrepared* P = handle.As<Napi::External<DualPrepared>>().Data();
      a.prepared = P;
      a.u = floatValue(P->u.Value(), fn, "u", env);
      a.v = floatValue(P->v.Value(), fn, "v", env);
      a.xs = floatValue(P->xs.Value(), fn, "xs", env);
      a.xt = floatValue(P->xt.Value(), fn, "xt", env);
      if (!P->ws.IsEmpty()) a.ws = floatValue(P->ws.Value(), fn, "ws", env);
      if (!P->wt.IsEmpty()) a.wt = floatValue(P->wt.Value(), fn, "wt", env);
      a.d = P->d;
      a.kind = P->kind;
      a.metric = P->metric;
      a.p = P->p;
      a.reg = P->reg;
    } else {
      a.u = o.floats("u");
      a.v = o.floats("v");
      a.xs = o.floats("xs");
      a.xt = o.floats("xt");
      a.ws = o.optionalFloats("ws");
      a.wt = o.optionalFloats("wt");
      a.d = o.dim("d");
      a.kind = kindValue(env, o, fn);
      a.metric = o.metric();
      a.p = o.number("p");
      a.reg = o.number("reg");
    }
    a.check(env, fn);
    return a;
  }

  // Every call's checks (a prepared problem's arrays may have changed since: they are re-read).
  void check(Napi::Env env, const char* fn) {
    DualArgs& a = *this;
    a.n = a.u.length;
    a.m = a.v.length;
    const bool f64 = a.u.isFloat64;
    for (auto [x, name] : {std::pair{&a.v, "v"}, std::pair{&a.xs, "xs"}, std::pair{&a.xt, "xt"}, std::pair{&a.ws, "ws"}, std::pair{&a.wt, "wt"}})
      if (x->data) requireDtype(env, *x, f64, fn, name, "u's");
    if (a.n == 0 || a.m == 0)
      throwError(env, "ERR_OT_SHAPE", std::string(fn) + ": u and v must not be empty, got " + std::to_string(a.n) + " and " + std::to_string(a.m) + " entries");
    // Products are checked before use so an overflow cannot pass the length checks below.
    checkedEntries(env, fn, "xs", {a.n, a.d});
    checkedEntries(env, fn, "xt", {a.m, a.d});
    requireLength(env, a.xs, a.n * a.d, fn, "xs");
    requireLength(env, a.xt, a.m * a.d, fn, "xt");
    if (a.ws.data) requireLength(env, a.ws, a.n, fn, "ws");
    if (a.wt.data) requireLength(env, a.wt, a.m, fn, "wt");
    if (!(a.reg > 0)) throwError(env, "ERR_OT_VALUE", std::string(fn) + ": reg must be > 0, got " + num(a.reg));
    // As the facade (and ot.dist): below 1 the Minkowski "distance" is no metric and its gradient blows up at 0.
    if (a.metric == dual::Metric::Minkowski) requireMinkowskiP(env, a.p, fn);
    requireFinite(env, a.u, fn, "u");
    requireFinite(env, a.v, fn, "v");
    requireFinite(env, a.xs, fn, "xs");
    requireFinite(env, a.xt, fn, "xt");
    for (auto [w, name] : {std::pair{&a.ws, "ws"}, std::pair{&a.wt, "wt"}}) {
      if (!w->data) continue;
      requireFinite(env, *w, fn, name);
      const size_t k = firstNegative(w->data, w->length, f64);
      if (k < w->length) throwError(env, "ERR_OT_VALUE", std::string(fn) + ": " + name + " must be >= 0, got a negative entry (" + std::to_string(k) + ")");
    }
    if (a.metric == dual::Metric::Cosine) {
      requireNonZeroRows(env, a.xs.data, f64, a.n, a.d, fn, "xs");
      requireNonZeroRows(env, a.xt.data, f64, a.m, a.d, fn, "xt");
    }
  }

  template <typename T>
  dual::Problem<T> problem() const {
    dual::Problem<T> pb;
    pb.u = u.as<T>();
    pb.v = v.as<T>();
    pb.xs = xs.as<T>();
    pb.xt = xt.as<T>();
    pb.ws = ws.data ? ws.as<T>() : nullptr;
    pb.wt = wt.data ? wt.as<T>() : nullptr;
    pb.n = n;
    pb.m = m;
    pb.d = d;
    pb.kind = kind;
    pb.metric = metric;
    pb.reg = reg;
    pb.p = p;
    return pb;
  }
};

// Offsets of the wanted gradients inside the caller's `out` array: du, dv, dxs, dxt, dws, dwt in this
// order, each present only when its bit is set in `want`.
template <typename T>
dual::Grads<T> gradViews(const DualArgs& a, int want, T* out, size_t* total) {
  dual::Grads<T> g;
  size_t off = 0;
  auto take = [&](int bit, size_t len) -> T* {
    if (!(want & bit)) return nullptr;
    T* p = out ? out + off : nullptr;
    off += len;
    return p;
  };
  g.du = take(kWantU, a.n);
  g.dv = take(kWantV, a.m);
  g.dxs = take(kWantXs, a.n * a.d);
  g.dxt = take(kWantXt, a.m * a.d);
  g.dws = take(kWantWs, a.n);
  g.dwt = take(kWantWt, a.m);
  *total = off;
  return g;
}

// dualLoss({ ...DualArgs, want, out?, cancel? }) → loss (a number); the gradients named by `want` are
// written into `out` (the inputs' dtype, laid out as gradViews says).
struct DualLossJob {
  Keeper keeper;
  DualArgs args;
  int want = 0;
  ArrayView out;
  CancelFlag cancel;
  double loss = 0;
  NaNGuard guard;
  Napi::ObjectReference outRef;

  static const char* name() { return "lossDual"; }
  static DualLossJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const Options o(info, 0, name());
    DualLossJob job;
    job.args = DualArgs::parse(env, o, name());
    job.want = job.args.prepared ? job.args.prepared->want : static_cast<int>(o.integer("want", 0, 63));
    const Napi::Value outValue = o.value("out");
    job.out = o.optionalFloats("out");
    // An async call writes into a private copy of `out` (util.h AsyncInputScope), copied back at the end.
    if (job.out.owner) job.outRef = Napi::Persistent(outValue.As<Napi::Object>());
    size_t need = 0;
    gradViews<double>(job.args, job.want, nullptr, &need);
    if (need > 0 && !job.out.data)
      throwError(env, "ERR_OT_ARG", "lossDual: out (" + std::to_string(need) + " entries) is required when gradients are wanted, got none");
    if (job.out.data) {
      requireLength(env, job.out, need, name(), "out");
      requireDtype(env, job.out, job.args.u.isFloat64, name(), "out", "the inputs'");
    }
    job.cancel = o.cancel();
    return job;
  }
  Status execute() {
    size_t need = 0;
    Status s = withFloatType(args.u.isFloat64, [&](auto t) {
      using T = decltype(t);
      return dual::lossAndGrad<T>(args.problem<T>(), &loss, gradViews(args, want, out.as<T>(), &need), cancel);
    });
    if (s == Status::Ok) {
      guard.scan(&loss, 1, true, "the loss");
      guard.scan(out.data, need, args.u.isFloat64, "a gradient");
    }
    return s;
  }
  Napi::Value result(Napi::Env env) {
    guard.check(env, name());
    if (!outRef.IsEmpty()) copyBack(env, out, outRef.Value());
    return Napi::Number::New(env, loss);
  }
};

// dualPlan({ ...DualArgs, cancel? }) → Float32Array|Float64Array [n·m]
// The output array is created on the main thread in parse() and filled in place by the kernel.
struct DualPlanJob {
  Keeper keeper;
  DualArgs args;
  CancelFlag cancel;
  OutArray out;
  NaNGuard guard;

  static const char* name() { return "planDual"; }
  static DualPlanJob parse(const Napi::CallbackInfo& info) {
    const Options o(info, 0, name());
    DualPlanJob job;
    job.args = DualArgs::parse(info.Env(), o, name());
    job.cancel = o.cancel();
    job.out = OutArray::floats(info.Env(), checkedEntries(info.Env(), name(), "the plan", {job.args.n, job.args.m}), job.args.u.isFloat64);
    return job;
  }
  Status execute() {
    Status s = withFloatType(args.u.isFloat64, [&](auto t) {
      using T = decltype(t);
      return dual::plan<T>(args.problem<T>(), out.as<T>(), cancel);
    });
    if (s == Status::Ok) guard.scan(out.data, args.n * args.m, args.u.isFloat64, "the plan");
    return s;
  }
  Napi::Value result(Napi::Env env) {
    guard.check(env, name());
    return out.value(env);
  }
};

// The optimiser of a dual ascent: { optimizer: 'adam' | 'sgd', lr, and the rule's hyper-parameters }
// (Adam: beta1, beta2, eps, weightDecay, amsgrad; SGD: momentum, dampening, weightDecay, nesterov).
optim::Config optimizerValue(Napi::Env env, const Options& o, const char* fn) {
  optim::Config c;
  const std::string rule = o.string("optimizer");
  auto positive = [&](const char* key, double lo, double hi, bool closedHi) {
    const double x = o.number(key);
    if (!(x >= lo) || (closedHi ? x > hi : x >= hi))
      throwError(env, "ERR_OT_VALUE", std::string(fn) + ": " + key + " must be a finite number in [" + num(lo) + ", " + num(hi) + (closedHi ? "]" : ")") + ", got " + num(x));
    return x;
  };
  constexpr double kInf = std::numeric_limits<double>::infinity();
  if (rule == "adam") {
    c.rule = optim::Rule::Adam;
    c.adam.lr = positive("lr", 0, kInf, false);
    c.adam.beta1 = positive("beta1", 0, 1, false);
    c.adam.beta2 = positive("beta2", 0, 1, false);
    c.adam.eps = positive("eps", 0, kInf, false);
    c.adam.weightDecay = positive("weightDecay", 0, kInf, false);
    c.adam.amsgrad = o.boolean("amsgrad");
  } else if (rule == "sgd") {
    c.rule = optim::Rule::Sgd;
    c.sgd.lr = positive("lr", 0, kInf, false);
    c.sgd.momentum = positive("momentum", 0, kInf, false);
    c.sgd.dampening = o.number("dampening");
    c.sgd.weightDecay = positive("weightDecay", 0, kInf, false);
    c.sgd.nesterov = o.boolean("nesterov");
    if (c.sgd.nesterov && (c.sgd.momentum <= 0 || c.sgd.dampening != 0))
      throwError(env, "ERR_OT_VALUE", std::string(fn) + ": nesterov momentum requires momentum > 0 and dampening = 0");
  } else {
    throwError(env, "ERR_OT_ARG", std::string(fn) + ": optimizer must be 'adam' or 'sgd', got '" + rule + "'");
  }
  return c;
}

// dualAscent({ ...DualArgs (u, v: the initial potentials), steps, optimizer, lr, ..., cancel? })
//   → { u, v, history: Float64Array [steps], value }
struct DualAscentJob {
  Keeper keeper;
  DualArgs args;
  size_t steps = 0;
  optim::Config opt;
  CancelFlag cancel;
  OutArray u, v, history;
  double value = 0;
  size_t done = 0;
  Status status = Status::Ok;

  static const char* name() { return "solveDual"; }
  static DualAscentJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const Options o(info, 0, name());
    DualAscentJob job;
    job.args = DualArgs::parse(env, o, name());
    job.steps = static_cast<size_t>(o.integer("steps", 0, int64_t{1} << 40));
    job.opt = optimizerValue(env, o, name());
    job.cancel = o.cancel();
    const bool f64 = job.args.u.isFloat64;
    job.u = OutArray::floats(env, job.args.n, f64);
    job.v = OutArray::floats(env, job.args.m, f64);
    job.history = OutArray::floats(env, checkedEntries(env, name(), "the history", {job.steps}), true);
    return job;
  }
  Status execute() {
    const size_t width = args.u.isFloat64 ? sizeof(double) : sizeof(float);
    std::memcpy(u.data, args.u.data, args.n * width);
    std::memcpy(v.data, args.v.data, args.m * width);
    status = withFloatType(args.u.isFloat64, [&](auto t) {
      using T = decltype(t);
      dual::Ascent<T> a;
      a.pb = args.problem<T>();
      a.u = u.as<T>();
      a.v = v.as<T>();
      a.steps = steps;
      a.opt = opt;
      a.history = history.as<double>();
      a.value = &value;
      a.done = &done;
      return dual::ascend<T>(a, cancel);
    });
    return status;
  }
  Napi::Value result(Napi::Env env) {
    if (status == Status::Diverged)
      throwError(env, "ERR_OT_VALUE", std::string(name()) + ": the objective or its gradient became NaN (or a potential infinite) at step " + std::to_string(done) +
                                          " (the potentials diverged); lower lr, or raise reg");
    // Finite potentials can still overflow the objective (a quadratic term of 1e300): an infinite value is no answer.
    if (!std::isfinite(value))
      throwError(env, "ERR_OT_VALUE", std::string(name()) + ": the objective overflows (" + num(value) +
                                          ") at the final potentials; check the scale of the points and of u0, v0 against reg");
    Napi::Object r = Napi::Object::New(env);
    r.Set("u", u.value(env));
    r.Set("v", v.value(env));
    r.Set("history", history.value(env));
    r.Set("value", Napi::Number::New(env, value));
    return r;
  }
};

// dualPrepare({ ...DualArgs, want }) → a handle for { prepared } (checked now, and again at every use).
Napi::Value dualPrepare(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* fn = "lossDual";
  EntryScope scope(fn);
  const Options o(info, 0, fn);
  if (!o.value("prepared").IsUndefined()) throwError(env, "ERR_OT_ARG", std::string(fn) + ": dualPrepare takes the problem's fields, not a prepared handle");
  const DualArgs a = DualArgs::parse(env, o, fn);
  const int want = static_cast<int>(o.integer("want", 0, 63));
  try {
    auto P = std::make_unique<DualPrepared>();
    auto ref = [&](const char* key) { return Napi::Persistent(o.value(key).As<Napi::Object>()); };
    P->u = ref("u");
    P->v = ref("v");
    P->xs = ref("xs");
    P->xt = ref("xt");
    if (a.ws.data) P->ws = ref("ws");
    if (a.wt.data) P->wt = ref("wt");
    P->d = a.d;
    P->kind = a.kind;
    P->metric = a.metric;
    P->p = a.p;
    P->reg = a.reg;
    P->want = want;
    auto handle = Napi::External<DualPrepared>::New(env, P.get(), [](Napi::Env, DualPrepared* q) { delete q; });
    P.release();
    handle.TypeTag(&kPreparedTag);
    return handle;
  } catch (const std::bad_alloc&) {
    throwError(env, "ERR_OT_OOM", std::string(fn) + ": out of memory while preparing the call");
  }
}

void initDual(Napi::Env env, Napi::Object exports) {
  exports.Set("dualPrepare", Napi::Function::New(env, dualPrepare, "dualPrepare"));
  exportDeviceJob<DualLossJob>(env, exports, "dualLoss", "u");
  exportDeviceJob<DualPlanJob>(env, exports, "dualPlan", "u");
  exportJob<DualAscentJob>(env, exports, "dualAscent");
}

ot::napi::Registrar reg(initDual);

}  // namespace
}  // namespace ot::napi
