// N-API bindings of batched cost matrices (POT: ot.batch.dist_batch): distBatch (sync and Promise) and the
// backward its autograd node calls.
#include <string>

#include "cpu/batch_dist.h"
#include "napi/util.h"

namespace ot::napi {
namespace {

size_t sizeArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  return static_cast<size_t>(intArg(info, i, fn, name, 1, int64_t(1) << 40));
}

// Shared argument parsing of distBatch and its backward: X [B,n,d], Y [B,m,d] or null (= X), metric, p.
struct DistArgs {
  ArrayView X, Y;
  size_t B = 0, n = 0, m = 0, d = 0;
  cpu::BatchMetric metric = cpu::BatchMetric::SqEuclidean;
  double p = 2;

  static DistArgs parse(const Napi::CallbackInfo& info, const char* fn, size_t dims) {
    Napi::Env env = info.Env();
    DistArgs r;
    r.X = floatArray(info, 0, fn, "X");
    r.Y = optionalFloatArray(info, 1, fn, "Y");
    r.B = sizeArg(info, dims, fn, "B");
    r.n = sizeArg(info, dims + 1, fn, "n");
    r.m = sizeArg(info, dims + 2, fn, "m");
    r.d = sizeArg(info, dims + 3, fn, "d");
    checkedEntries(env, fn, "the cost matrices", {r.B, r.n, r.m});
    checkedEntries(env, fn, "Y", {r.B, r.m, r.d});
    requireLength(env, r.X, checkedEntries(env, fn, "X", {r.B, r.n, r.d}), fn, "X");
    requireFinite(env, r.X, fn, "X");
    if (r.Y.data) {
      if (r.Y.isFloat64 != r.X.isFloat64)
        throwError(env, "ERR_OT_DTYPE", std::string(fn) + ": Y must have X's dtype (" + dtypeName(r.X.isFloat64) + "), got a " + dtypeName(r.Y.isFloat64));
      requireLength(env, r.Y, r.B * r.m * r.d, fn, "Y");
      requireFinite(env, r.Y, fn, "Y");
    } else {
      if (r.m != r.n)
        throwError(env, "ERR_OT_SHAPE", std::string(fn) + ": without Y, m must equal n (" + std::to_string(r.n) + "), got " + std::to_string(r.m));
      r.Y = r.X;
    }
    std::string metric = stringArg(info, dims + 4, fn, "metric");
    if (!cpu::parseBatchMetric(metric.c_str(), &r.metric))
      throwError(env, "ERR_OT_ARG", std::string(fn) + ": metric must be 'sqeuclidean', 'euclidean', 'minkowski' or 'kl', got '" + metric + "'");
    r.p = numberArg(info, dims + 5, fn, "p");
    if (r.metric == cpu::BatchMetric::Minkowski && !(r.p >= 1))
      throwError(env, "ERR_OT_VALUE", std::string(fn) + ": p must be >= 1 for the minkowski metric, got " + num(r.p));
    if (r.metric == cpu::BatchMetric::KL) {  // log(x + 1e-10) needs x >= 0
      for (const ArrayView* v : {&r.X, &r.Y}) {
        bool ok = true;
        for (size_t k = 0; k < v->length && ok; ++k) ok = (v->isFloat64 ? v->as<double>()[k] : v->as<float>()[k]) >= 0;
        if (!ok) throwError(env, "ERR_OT_VALUE", std::string(fn) + ": " + (v == &r.X ? "X" : "Y") + " must be >= 0 for the kl metric");
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
  Napi::ObjectReference outRef;
  void* out = nullptr;

  static DistBatchJob parse(const Napi::CallbackInfo& info) {
    DistBatchJob job;
    job.args = DistArgs::parse(info, name(), 2);
    job.cancel = cancelArg(info, 8);
    const auto& r = job.args;
    auto arr = newFloatArray(info.Env(), r.B * r.n * r.m, r.X.isFloat64);
    job.out = static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
    job.outRef = Napi::Persistent(static_cast<Napi::Object>(arr));
    return job;
  }

  Status execute() {
    const auto& r = args;
    Status s = r.X.isFloat64 ? cpu::batchDist<double>(r.X.as<double>(), r.Y.as<double>(), r.B, r.n, r.m, r.d, r.metric,
                                                      r.p, static_cast<double*>(out), cancel)
                             : cpu::batchDist<float>(r.X.as<float>(), r.Y.as<float>(), r.B, r.n, r.m, r.d, r.metric,
                                                     r.p, static_cast<float*>(out), cancel);
    if (s == Status::Ok) guard.scan(out, r.B * r.n * r.m, r.X.isFloat64, "the cost matrices");
    return s;
  }
  NaNGuard guard;

  Napi::Value result(Napi::Env env) {
    guard.check(env, name());
    return outRef.Value();
  }
};

struct DistBatchBackwardJob {
  Keeper keeper;
  static const char* name() { return "distBatchBackward"; }
  DistArgs args;
  ArrayView M, G;
  bool wantX = false, wantY = false;
  Napi::ObjectReference gXRef, gYRef;
  void* gX = nullptr;
  void* gY = nullptr;

  // (X, Y|null, M, G, B, n, m, d, metric, p, wantX, wantY)
  static DistBatchBackwardJob parse(const Napi::CallbackInfo& info) {
    const char* fn = name();
    Napi::Env env = info.Env();
    DistBatchBackwardJob job;
    job.args = DistArgs::parse(info, fn, 4);
    const auto& r = job.args;
    job.M = floatArray(info, 2, fn, "M");
    job.G = floatArray(info, 3, fn, "G");
    for (const ArrayView* v : {&job.M, &job.G}) {
      if (v->isFloat64 != r.X.isFloat64)
        throwError(env, "ERR_OT_DTYPE", std::string(fn) + ": " + (v == &job.M ? "M" : "G") + " must have X's dtype (" + dtypeName(r.X.isFloat64) + "), got a " + dtypeName(v->isFloat64));
      requireLength(env, *v, r.B * r.n * r.m, fn, v == &job.M ? "M" : "G");
    }
    // M is the forward's output (+inf where a distance overflowed); G must be finite.
    if (firstNaN(job.M.data, job.M.length, job.M.isFloat64) < job.M.length)
      throwError(env, "ERR_OT_VALUE", std::string(fn) + ": M contains NaN");
    requireFinite(env, job.G, fn, "G");
    job.wantX = info.Length() > 10 && info[10].ToBoolean().Value();
    job.wantY = info.Length() > 11 && info[11].ToBoolean().Value();
    if (job.wantX) {
      auto arr = newFloatArray(env, r.B * r.n * r.d, r.X.isFloat64);
      job.gX = static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
      job.gXRef = Napi::Persistent(static_cast<Napi::Object>(arr));
    }
    if (job.wantY) {
      auto arr = newFloatArray(env, r.B * r.m * r.d, r.X.isFloat64);
      job.gY = static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
      job.gYRef = Napi::Persistent(static_cast<Napi::Object>(arr));
    }
    return job;
  }

  template <typename T>
  Status run() {
    const auto& r = args;
    return cpu::batchDistBackward<T>(r.X.as<T>(), r.Y.as<T>(), M.as<T>(), G.as<T>(), r.B, r.n, r.m, r.d, r.metric,
                                     r.p, static_cast<T*>(gX), static_cast<T*>(gY));
  }
  Status execute() {
    Status s = args.X.isFloat64 ? run<double>() : run<float>();
    if (s == Status::Ok) {
      guard.scan(gX, args.B * args.n * args.d, args.X.isFloat64, "the gradient of X");
      guard.scan(gY, args.B * args.m * args.d, args.X.isFloat64, "the gradient of Y");
    }
    return s;
  }
  NaNGuard guard;

  Napi::Value result(Napi::Env env) {
    guard.check(env, name());
    Napi::Object o = Napi::Object::New(env);
    if (wantX) o.Set("gX", gXRef.Value());
    if (wantY) o.Set("gY", gYRef.Value());
    return o;
  }
};

void initBatchDist(Napi::Env env, Napi::Object exports) {
  exports.Set("distBatch", Napi::Function::New(env, runSync<DistBatchJob>));
  exports.Set("distBatchAsync", Napi::Function::New(env, runAsync<DistBatchJob>));
  exports.Set("distBatchBackward", Napi::Function::New(env, runSync<DistBatchBackwardJob>));
}

ot::napi::Registrar registrar(initBatchDist);

}  // namespace
}  // namespace ot::napi
