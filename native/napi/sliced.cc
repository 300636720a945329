// N-API binding of the sliced Wasserstein distances (POT: ot.sliced_wasserstein_distance and
// ot.max_sliced_wasserstein_distance with given projections): slicedWasserstein, one options object,
// with an async (Promise) twin. Arguments are re-validated here; the callers are lib/backend/cpu/sliced.ts
// and, with xS a CudaBuffer (routed to napi/cuda_oned.cc's Job), lib/backend/cuda/sliced.ts.
#include <string>

#include "cpu/sliced.h"
#include "napi/sample_weights.h"
#include "napi/sliced_fields.h"
#include "napi/util.h"

namespace ot::napi {
namespace {

constexpr const char* kFn = "slicedWasserstein";

// slicedWasserstein({ xS, xT, a?, b?, projections, n, m, d, k, p, grad ('none' | 'mean' | 'max'), needS, needT,
//                     cancel? })
//   -> { value, maxValue, argMax, projected: Float64Array [k], gradS: [n * d] | null, gradT: [m * d] | null }
// xS [n, d], xT [m, d], projections [d, k] row-major, one dtype; the gradients are those of `value`
// (grad 'mean') or of `maxValue` (grad 'max').
struct SlicedJob {
  Keeper keeper;
  ArrayView xS, xT, a, b, P;
  size_t n = 0, m = 0, d = 0, k = 0;
  double p = 2;
  cpu::SlicedGrad grad = cpu::SlicedGrad::None;
  CancelFlag cancel;
  OutArray projected, gradS, gradT;
  double value = 0, maxValue = 0;
  size_t argMax = 0;
  NaNGuard guard;

  static const char* name() { return kFn; }

  static SlicedJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    SlicedJob job;
    const Options o(info, 0, kFn);
    job.xS = o.floats("xS");
    job.xT = o.floats("xT");
    job.P = o.floats("projections");
    const bool f64 = job.xS.isFloat64;
    requireDtype(env, job.xT, f64, kFn, "xT", "xS's");
    requireDtype(env, job.P, f64, kFn, "projections", "xS's");
    job.n = o.dim("n");
    job.m = o.dim("m");
    job.d = o.dim("d");
    job.k = o.dim("k");
    requireLength(env, job.xS, checkedEntries(env, kFn, "xS", {job.n, job.d}), kFn, "xS");
    requireLength(env, job.xT, checkedEntries(env, kFn, "xT", {job.m, job.d}), kFn, "xT");
    requireLength(env, job.P, checkedEntries(env, kFn, "projections", {job.d, job.k}), kFn, "projections");
    checkedEntries(env, kFn, "the projected samples", {job.k, job.n + job.m});
    requireFinite(env, job.xS, kFn, "xS");
    requireFinite(env, job.xT, kFn, "xT");
    requireFinite(env, job.P, kFn, "projections");
    job.a = sampleWeights(env, o, "a", f64, job.n, kFn);
    job.b = sampleWeights(env, o, "b", f64, job.m, kFn);
    job.p = groundExponent(env, o, kFn);
    const std::string g = o.string("grad");
    if (g == "none") job.grad = cpu::SlicedGrad::None;
    else if (g == "mean") job.grad = cpu::SlicedGrad::Mean;
    else if (g == "max") job.grad = cpu::SlicedGrad::Max;
    else throwError(env, "ERR_OT_ARG", std::string(kFn) + ": grad must be 'none', 'mean' or 'max', got '" + g + "'");
    const bool wantGrad = job.grad != cpu::SlicedGrad::None;
    if (wantGrad && o.boolean("needS")) job.gradS = OutArray::floats(env, job.n * job.d, f64);
    if (wantGrad && o.boolean("needT")) job.gradT = OutArray::floats(env, job.m * job.d, f64);
    job.projected = OutArray::floats(env, job.k, true);
    job.cancel = o.cancel();
    return job;
  }

  Status execute() {
    const bool f64 = xS.isFloat64;
    Status s = withFloatType(f64, [&](auto t) {
      using T = decltype(t);
      cpu::SlicedProblem<T> pb;
      pb.xS = xS.as<T>();
      pb.xT = xT.as<T>();
      pb.a = a.as<T>();
      pb.b = b.as<T>();
      pb.projections = P.as<T>();
      pb.n = n;
      pb.m = m;
      pb.d = d;
      pb.k = k;
      pb.p = p;
      pb.grad = grad;
      pb.cancel = cancel;
      cpu::SlicedResult<T> out;
      out.projected = projected.as<double>();
      out.gradS = gradS.as<T>();
      out.gradT = gradT.as<T>();
      const Status st = cpu::slicedWasserstein(pb, out);
      value = out.value;
      maxValue = out.maxValue;
      argMax = out.argMax;
      return st;
    });
    if (s == Status::Ok) {
      // Finite inputs can still overflow the projections' |.|^p; report it rather than return NaN.
      guard.scan(&value, 1, true, "the value");
      guard.scan(&maxValue, 1, true, "the max value");
      guard.scan(projected.data, k, true, "a projection's cost");
      guard.scan(gradS.data, n * d, f64, "the gradient of xS");
      guard.scan(gradT.data, m * d, f64, "the gradient of xT");
    }
    return s;
  }

  Napi::Value result(Napi::Env env) {
    guard.check(env, kFn);
    return slicedFields(env, value, maxValue, argMax, projected, gradS, gradT);
  }
};

// A CudaBuffer xS runs the CUDA Job of napi/cuda_oned.cc.
void initSliced(Napi::Env env, Napi::Object exports) {
  exportDeviceJob<SlicedJob>(env, exports, "slicedWasserstein", "xS");
}

Registrar reg(initSliced);

}  // namespace
}  // namespace ot::napi
