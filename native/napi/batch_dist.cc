// N-API bindings of batched cost matrices (POT: ot.batch.dist_batch): distBatch (sync and Promise) and the
// backward its autograd node calls, each taking one options object.
#include <string>

#include "cpu/batch_dist.h"
#include "napi/util.h"

namespace ot::napi {
namespace {

// Shared argument parsing of distBatch and its backward: the fields { X [B,n,d], Y [B,m,d] or null (= X), B, n,
// m, d, metric, p } of their options.
struct DistArgs {
  ArrayView X, Y;
  size_t B = 0, n = 0, m = 0, d = 0;
  cpu::BatchMetric metric = cpu::BatchMetric::SqEuclidean;
  double p = 2;

  static DistArgs parse(Napi::Env env, const Options& o, const char* fn) {
    DistArgs r;
    r.X = o.floats("X");
    r.Y = o.optionalFloats("Y");
    r.B = o.dim("B");
    r.n = o.dim("n");
    r.m = o.dim("m");
    r.d = o.dim("d");
    checkedEntries(env, fn, "the cost matrices", {r.B, r.n, r.m});
    checkedEntries(env, fn, "Y", {r.B, r.m, r.d});
    requireLength(env, r.X, checkedEntries(env, fn, "X", {r.B, r.n, r.d}), fn, "X");
    requireFinite(env, r.X, fn, "X");
    if (r.Y.data) {
      requireDtype(env, r.Y, r.X.isFloat64, fn, "Y", "X's");
      requireLength(env, r.Y, r.B * r.m * r.d, fn, "Y");
      requireFinite(env, r.Y, fn, "Y");
    } else {
      if (r.m != r.n)
        throwError(env, "ERR_OT_SHAPE", std::string(fn) + ": without Y, m must equal n (" + std::to_string(r.n) + "), got " + std::to_string(r.m));
      r.Y = r.X;
    }
    std::string metric = o.string("metric");
    if (!cpu::parseBatchMetric(metric.c_str(), &r.metric))
      throwError(env, "ERR_OT_ARG", std::string(fn) + ": metric must be 'sqeuclidean', 'euclidean', 'minkowski' or 'kl', got '" + metric + "'");
    r.p = o.number("p");
    if (r.metric == cpu::BatchMetric::Minkowski) requireMinkowskiP(env, r.p, fn);
    if (r.metric == cpu::BatchMetric::KL) {  // log(x + 1e-10) needs x >= 0
      for (const ArrayView* v : {&r.X, &r.Y}) {
        const size_t k = firstNegative(v->data, v->length, v->isFloat64);
        if (k < v->length)
          throwError(env, "ERR_OT_VALUE", std::string(fn) + ": " + (v == &r.X ? "X" : "Y") + " must be >= 0 for the kl metric, got a negative entry (" + std::to_string(k) + ")");
      }
    }
    return r;
  }
};

struct DistBatchJob {
  Keeper keeper;
  static const char* name() { return "distBatch"; }
  DistArgs args;
  CancelFlag cancel;
  OutArray out;

  static DistBatchJob parse(const Napi::CallbackInfo& info) {
    DistBatchJob job;
    const Options o(info, 0, name());
    job.args = DistArgs::parse(info.Env(), o, name());
    job.cancel = o.cancel();
    const auto& r = job.args;
    job.out = OutArray::floats(info.Env(), r.B * r.n * r.m, r.X.isFloat64);
    return job;
  }

  Status execute() {
    const auto& r = args;
    Status s = withFloatType(r.X.isFloat64, [&](auto t) {
      using T = decltype(t);
      return cpu::batchDist<T>(r.X.as<T>(), r.Y.as<T>(), r.B, r.n, r.m, r.d, r.metric, r.p, out.as<T>(), cancel);
    });
    if (s == Status::Ok) guard.scanFinite(out.data, r.B * r.n * r.m, r.X.isFloat64, "the cost matrices");  // overflow
    return s;
  }
  NaNGuard guard;

  Napi::Value result(Napi::Env env) {
    guard.check(env, name());
    return out.value(env);
  }
};

struct DistBatchBackwardJob {
  Keeper keeper;
  static const char* name() { return "distBatchBackward"; }
  DistArgs args;
  ArrayView M, G;
  OutArray gX, gY;

  // { X, Y | null, M, G, B, n, m, d, metric, p, wantX, wantY }
  static DistBatchBackwardJob parse(const Napi::CallbackInfo& info) {
    const char* fn = name();
    Napi::Env env = info.Env();
    DistBatchBackwardJob job;
    const Options o(info, 0, fn);
    job.args = DistArgs::parse(env, o, fn);
    const auto& r = job.args;
    job.M = o.floats("M");
    job.G = o.floats("G");
    for (const ArrayView* v : {&job.M, &job.G}) {
      requireDtype(env, *v, r.X.isFloat64, fn, v == &job.M ? "M" : "G", "X's");
      requireLength(env, *v, r.B * r.n * r.m, fn, v == &job.M ? "M" : "G");
    }
    // M is the forward's output (+inf where a distance overflowed); G must be finite.
    requireNoNaN(env, job.M, fn, "M");
    requireFinite(env, job.G, fn, "G");
    if (o.flag("wantX")) job.gX = OutArray::floats(env, r.B * r.n * r.d, r.X.isFloat64);
    if (o.flag("wantY")) job.gY = OutArray::floats(env, r.B * r.m * r.d, r.X.isFloat64);
    return job;
  }

  template <typename T>
  Status run() {
    const auto& r = args;
    return cpu::batchDistBackward<T>(r.X.as<T>(), r.Y.as<T>(), M.as<T>(), G.as<T>(), r.B, r.n, r.m, r.d, r.metric,
                                     r.p, gX.as<T>(), gY.as<T>());
  }
  Status execute() {
    Status s = args.X.isFloat64 ? run<double>() : run<float>();
    if (s == Status::Ok) {
      guard.scan(gX.data, args.B * args.n * args.d, args.X.isFloat64, "the gradient of X");
      guard.scan(gY.data, args.B * args.m * args.d, args.X.isFloat64, "the gradient of Y");
    }
    return s;
  }
  NaNGuard guard;

  Napi::Value result(Napi::Env env) {
    guard.check(env, name());
    Napi::Object o = Napi::Object::New(env);
    if (!gX.ref.IsEmpty()) o.Set("gX", gX.value(env));
    if (!gY.ref.IsEmpty()) o.Set("gY", gY.value(env));
    return o;
  }
};

void initBatchDist(Napi::Env env, Napi::Object exports) {
  exportDeviceJob<DistBatchJob>(env, exports, "distBatch", "X");
  exportDeviceJob<DistBatchBackwardJob>(env, exports, "distBatchBackward", "X");
}

ot::napi::Registrar registrar(initBatchDist);

}  // namespace
}  // namespace ot::napi
