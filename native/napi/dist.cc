// N-API bindings of the cost-matrix kernels (POT: ot.dist): distForward / distBackward, each taking one
// options object and with an async (Promise) twin. Arguments are re-validated here; the caller is
// lib/backend/cpu/dist.ts.
#include <string>

#include "cpu/dist.h"
#include "napi/util.h"

namespace ot::napi {
namespace {

constexpr const char* kFn = "dist";

// Shape, metric and inputs shared by the forward and backward entry points:
// the fields { x, y, n, m, d, metric, p, same } of their options.
struct DistArgs {
  ArrayView x, y;
  size_t n = 0, m = 0, d = 0;
  cpu::Metric metric = cpu::Metric::SqEuclidean;
  double p = 2;
  bool same = false;
};

DistArgs parseDistArgs(Napi::Env env, const Options& o) {
  DistArgs a;
  a.x = o.floats("x");
  a.y = o.floats("y");
  requireDtype(env, a.y, a.x.isFloat64, kFn, "y", "the same");
  a.n = o.dim("n", 0);
  a.m = o.dim("m", 0);
  a.d = o.dim("d", 0);
  // Products are checked before use so an overflow cannot pass the length checks below.
  if (double(a.n) * double(a.d) > kMaxTypedArrayLength || double(a.m) * double(a.d) > kMaxTypedArrayLength)
    throwError(env, "ERR_OT_SHAPE", std::string(kFn) + ": x or y has more entries than a typed array can hold");
  checkedEntries(env, kFn, "the cost matrix", {a.n, a.m});
  requireLength(env, a.x, a.n * a.d, kFn, "x");
  requireLength(env, a.y, a.m * a.d, kFn, "y");
  a.metric = o.metric();
  a.p = o.number("p");
  requireMinkowskiP(env, a.p, kFn);
  a.same = o.boolean("same");
  if (a.same && (a.n != a.m || a.x.data != a.y.data))
    throwError(env, "ERR_OT_ARG", std::string(kFn) + ": same=true needs y to be x (and m = n), got another array");
  requireFinite(env, a.x, kFn, "x");
  requireFinite(env, a.y, kFn, "y");
  if (a.metric == cpu::Metric::Cosine) {
    requireNonZeroRows(env, a.x.data, a.x.isFloat64, a.n, a.d, kFn, "x");
    requireNonZeroRows(env, a.y.data, a.y.isFloat64, a.m, a.d, kFn, "y");
  }
  return a;
}

// distForward({ x, y, n, m, d, metric, p, same, cancel? }) -> M (typed array [n * m], x's dtype)
struct DistJob {
  Keeper keeper;
  DistArgs args;
  CancelFlag cancel;
  OutArray out;

  static const char* name() { return kFn; }

  static DistJob parse(const Napi::CallbackInfo& info) {
    DistJob job;
    const Options o(info, 0, kFn);
    job.args = parseDistArgs(info.Env(), o);
    job.cancel = o.cancel();
    job.out = OutArray::floats(info.Env(), job.args.n * job.args.m, job.args.x.isFloat64);
    return job;
  }

  Status execute() {
    const DistArgs& a = args;
    Status s = withFloatType(a.x.isFloat64, [&](auto t) {
      using T = decltype(t);
      return cpu::dist(a.x.as<T>(), a.y.as<T>(), a.n, a.m, a.d, a.metric, a.p, a.same, out.as<T>(), cancel);
    });
    // Every metric is finite on finite inputs: an infinity is an overflow (float32 values near 1e20).
    if (s == Status::Ok) guard.scanFinite(out.data, a.n * a.m, a.x.isFloat64, "the cost matrix");
    return s;
  }

  Napi::Value result(Napi::Env env) {
    guard.check(env, kFn);
    return out.value(env);
  }
  NaNGuard guard;
};

// distBackward({ x, y, n, m, d, metric, p, same, M, G, needX, needY, cancel? }) -> [gx | null, gy | null]
struct DistBackwardJob {
  Keeper keeper;
  DistArgs args;
  ArrayView M, G;
  CancelFlag cancel;
  OutArray gx, gy;

  static const char* name() { return "dist (backward)"; }

  static DistBackwardJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    DistBackwardJob job;
    const Options o(info, 0, kFn);
    job.args = parseDistArgs(env, o);
    const DistArgs& a = job.args;
    job.M = o.floats("M");
    job.G = floatValue(o.value("G"), kFn, "the output gradient", env);
    requireDtype(env, job.M, a.x.isFloat64, kFn, "M", "the same");
    requireDtype(env, job.G, a.x.isFloat64, kFn, "the output gradient", "the same");
    requireLength(env, job.M, a.n * a.m, kFn, "M");
    requireLength(env, job.G, a.n * a.m, kFn, "the output gradient");
    // M is the forward's output: +inf where a distance overflowed is legitimate, NaN is not.
    requireNoNaN(env, job.M, kFn, "M");
    requireFinite(env, job.G, kFn, "the output gradient");
    const bool needX = o.boolean("needX"), needY = o.boolean("needY");
    if (needX) job.gx = OutArray::floats(env, a.n * a.d, a.x.isFloat64);
    if (needY) job.gy = OutArray::floats(env, a.m * a.d, a.x.isFloat64);
    job.cancel = o.cancel();
    return job;
  }

  Status execute() {
    const DistArgs& a = args;
    Status s = withFloatType(a.x.isFloat64, [&](auto t) {
      using T = decltype(t);
      return cpu::distBackward(a.x.as<T>(), a.y.as<T>(), M.as<T>(), G.as<T>(), a.n, a.m, a.d, a.metric, a.p, a.same,
                               gx.as<T>(), gy.as<T>(), cancel);
    });
    if (s == Status::Ok) {
      guard.scan(gx.data, a.n * a.d, a.x.isFloat64, "the gradient of x");
      guard.scan(gy.data, a.m * a.d, a.x.isFloat64, "the gradient of y");
    }
    return s;
  }
  NaNGuard guard;

  Napi::Value result(Napi::Env env) {
    guard.check(env, name());
    Napi::Array out = Napi::Array::New(env, 2);
    out.Set(0u, gx.value(env));
    out.Set(1u, gy.value(env));
    return out;
  }
};

void initDist(Napi::Env env, Napi::Object exports) {
  exportDeviceJob<DistJob>(env, exports, "distForward", "x");
  exportDeviceJob<DistBackwardJob>(env, exports, "distBackward", "x");
}

Registrar reg(initDist);

}  // namespace
}  // namespace ot::napi
