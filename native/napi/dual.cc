// N-API bindings of the fused dual-OT kernels (cpu/dual.h): dualLoss / dualLossAsync (loss + the
// gradients asked for by a bit mask) and dualPlan / dualPlanAsync (the n×m primal plan).
#include <string>
#include <vector>

#include "cpu/dual.h"
#include "napi/util.h"

namespace ot::napi {
namespace {

// Bits of the `want` mask: which gradients the loss call must produce.
constexpr int kWantU = 1, kWantV = 2, kWantXs = 4, kWantXt = 8, kWantWs = 16, kWantWt = 32;

// Arguments shared by both entry points:
// (u, v, xs, xt, ws|null, wt|null, d, kind, metric, p, reg, ...)
struct DualArgs {
  ArrayView u, v, xs, xt, ws, wt;
  size_t n = 0, m = 0, d = 0;
  dual::Kind kind = dual::Kind::Entropic;
  dual::Metric metric = dual::Metric::SqEuclidean;
  double p = 2, reg = 1;

  static DualArgs parse(const Napi::CallbackInfo& info, const char* fn) {
    Napi::Env env = info.Env();
    DualArgs a;
    a.u = floatArray(info, 0, fn, "u");
    a.v = floatArray(info, 1, fn, "v");
    a.xs = floatArray(info, 2, fn, "xs");
    a.xt = floatArray(info, 3, fn, "xt");
    a.ws = optionalFloatArray(info, 4, fn, "ws");
    a.wt = optionalFloatArray(info, 5, fn, "wt");
    a.d = static_cast<size_t>(intArg(info, 6, fn, "d", 1, int64_t{1} << 31));
    a.kind = dualKindArg(info, 7, fn);
    a.metric = metricArg(info, 8, fn);
    a.p = numberArg(info, 9, fn, "p");
    a.reg = numberArg(info, 10, fn, "reg");
    a.n = a.u.length;
    a.m = a.v.length;
    const bool f64 = a.u.isFloat64;
    for (auto [x, name] : {std::pair{&a.v, "v"}, std::pair{&a.xs, "xs"}, std::pair{&a.xt, "xt"}, std::pair{&a.ws, "ws"}, std::pair{&a.wt, "wt"}})
      if (x->data) requireDtype(env, *x, f64, fn, name, "u's");
    if (a.n == 0 || a.m == 0)
      throwError(env, "ERR_OT_SHAPE", std::string(fn) + ": u and v must not be empty, got " + std::to_string(a.n) + " and " + std::to_string(a.m) + " entries");
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
    return a;
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

// dualLoss(u, v, xs, xt, ws, wt, d, kind, metric, p, reg, want, out, cancel?) → loss (a number); the
// gradients named by `want` are written into `out` (the inputs' dtype, laid out as gradViews says).
struct DualLossJob {
  Keeper keeper;
  DualArgs args;
  int want = 0;
  ArrayView out;
  CancelFlag cancel;
  double loss = 0;

  static const char* name() { return "lossDual"; }
  static DualLossJob parse(const Napi::CallbackInfo& info) {
    DualLossJob job;
    job.args = DualArgs::parse(info, name());
    job.want = static_cast<int>(intArg(info, 11, name(), "want", 0, 63));
    job.out = optionalFloatArray(info, 12, name(), "out");
    // An async call writes into a private copy of `out` (util.h AsyncInputScope), copied back at the end.
    if (job.out.owner) job.outRef = Napi::Persistent(info[12].As<Napi::Object>());
    size_t need = 0;
    gradViews<double>(job.args, job.want, nullptr, &need);
    if (need > 0 && !job.out.data)
      throwError(info.Env(), "ERR_OT_ARG", "lossDual: out (" + std::to_string(need) + " entries) is required when gradients are wanted, got none");
    if (job.out.data) {
      requireLength(info.Env(), job.out, need, name(), "out");
      requireDtype(info.Env(), job.out, job.args.u.isFloat64, name(), "out", "the inputs'");
    }
    job.cancel = cancelArg(info, 13);
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
  NaNGuard guard;
  Napi::ObjectReference outRef;
  Napi::Value result(Napi::Env env) {
    guard.check(env, name());
    if (!outRef.IsEmpty()) copyBack(env, out, outRef.Value());
    return Napi::Number::New(env, loss);
  }
};

// dualPlan(u, v, xs, xt, ws, wt, d, kind, metric, p, reg, cancel?) → Float32Array|Float64Array [n·m]
// The output array is created on the main thread in parse() and filled in place by the kernel.
struct DualPlanJob {
  Keeper keeper;
  DualArgs args;
  CancelFlag cancel;
  OutArray out;

  static const char* name() { return "planDual"; }
  static DualPlanJob parse(const Napi::CallbackInfo& info) {
    DualPlanJob job;
    job.args = DualArgs::parse(info, name());
    job.cancel = cancelArg(info, 11);
    job.out = OutArray::floats(info.Env(), job.args.n * job.args.m, job.args.u.isFloat64);
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
  NaNGuard guard;
  Napi::Value result(Napi::Env env) {
    guard.check(env, name());
    return out.value(env);
  }
};

void initDual(Napi::Env env, Napi::Object exports) {
  exportJob<DualLossJob>(env, exports, "dualLoss");
  exportJob<DualPlanJob>(env, exports, "dualPlan");
}

ot::napi::Registrar reg(initDual);

}  // namespace
}  // namespace ot::napi
