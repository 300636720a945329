// GPU Jobs of the 1-D and sliced distances, the CUDA twins of napi/wasserstein1d.cc's wasserstein1d and
// napi/sliced.cc's slicedWasserstein, registered under their exports' names and run when the main sample
// (u, xS) is a CudaBuffer: the same options object and result fields, the values on the host (k
// doubles), the gradients kept on the GPU as CudaBuffers. The other arrays may be host typed arrays or
// CudaBuffers; host arrays are checked as the CPU bindings check them (device data is not read back).
// emd1d (the plan) has no GPU Job: lib/backend/cuda/oned.ts runs it on a host copy.
#include <string>

#include "napi/cuda_buffer.h"
#include "napi/sample_weights.h"
#include "napi/sliced_fields.h"
#include "napi/util.h"

#ifdef OT_WITH_CUDA
#include "cuda/oned.h"
#include "cuda/runtime.h"
#include "cuda/sliced.h"
#endif

namespace ot::napi {
namespace {

#ifdef OT_WITH_CUDA

// Optional sample weights: `len` entries (or `altLen`, when non-zero: one vector shared by every column)
// in the samples' dtype; host weights finite and >= 0, as napi/sample_weights.h checks them.
Operand weightsOperand(Napi::Env env, const Options& o, const char* key, size_t len, size_t altLen, bool f64,
                       const char* fn) {
  Operand w = operandValue(env, o.value(key), fn, key, true);
  if (!w.present) return w;
  requireOperand(env, w, altLen != 0 && w.length == altLen ? altLen : len, f64, fn);
  if (w.host) {
    const size_t neg = firstNegative(w.host, w.length, w.f64);
    if (neg < w.length) {
      const double v = w.f64 ? static_cast<const double*>(w.host)[neg] : static_cast<const float*>(w.host)[neg];
      throwError(env, "ERR_OT_VALUE",
                 std::string(fn) + ": " + key + " must be >= 0, but entry " + std::to_string(neg) + " is " + num(v));
    }
  }
  return w;
}

// Device pointer of an optional operand (null when absent), uploading a host one into `holder`.
Status stageOptional(const Operand& op, BufferPtr& holder, const void** ptr) {
  *ptr = nullptr;
  return op.present ? stage(op, holder, ptr) : Status::Ok;
}

// wasserstein1d({ u (CudaBuffer), v, uWeights?, vWeights?, n, m, k, p, needU, needV, cancel? })
//   -> { value: Float64Array [k], gradU: CudaBuffer [n * k] | null, gradV: CudaBuffer [m * k] | null }
struct Wasserstein1dJob {
  Keeper keeper;
  Operand u, v, uw, vw;
  size_t n = 0, m = 0, k = 1;
  double p = 1;
  bool f64 = false;
  CancelFlag cancel;
  OutArray value;
  Output gradU, gradV;
  NaNGuard guard;

  static const char* name() { return "wasserstein1d"; }

  static Wasserstein1dJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const char* fn = name();
    requireDevice(env, fn);
    const Options o(info, 0, fn);
    Wasserstein1dJob j;
    j.u = operandValue(env, o.value("u"), fn, "u", false);
    j.v = operandValue(env, o.value("v"), fn, "v", false);
    j.f64 = j.u.f64;
    j.n = o.dim("n");
    j.m = o.dim("m");
    j.k = o.dim("k");
    requireOperand(env, j.u, checkedEntries(env, fn, "u", {j.n, j.k}), j.f64, fn);
    requireOperand(env, j.v, checkedEntries(env, fn, "v", {j.m, j.k}), j.f64, fn);
    j.uw = weightsOperand(env, o, "uWeights", j.n * j.k, j.n, j.f64, fn);
    j.vw = weightsOperand(env, o, "vWeights", j.m * j.k, j.m, j.f64, fn);
    j.p = groundExponent(env, o, fn);
    j.cancel = o.cancel();
    j.value = OutArray::floats(env, j.k, true);
    if (o.boolean("needU")) j.gradU = Output(env, j.n * j.k, j.f64, true);
    if (o.boolean("needV")) j.gradV = Output(env, j.m * j.k, j.f64, true);
    return j;
  }

  template <typename T>
  Status run(const void* pu, const void* pv, const void* pwu, const void* pwv) {
    cuda::Wasserstein1dProblem<T> pb;
    pb.u = static_cast<const T*>(pu);
    pb.v = static_cast<const T*>(pv);
    pb.uWeights = static_cast<const T*>(pwu);
    pb.vWeights = static_cast<const T*>(pwv);
    // [n] weights with k > 1 columns are shared; with k = 1 both layouts are the same.
    pb.uWeightsShared = uw.present && uw.length != n * k;
    pb.vWeightsShared = vw.present && vw.length != m * k;
    pb.n = n;
    pb.m = m;
    pb.k = k;
    pb.p = p;
    pb.cancel = cancel;
    cuda::Wasserstein1dResult<T> out;
    out.value = value.as<double>();
    out.gradU = static_cast<T*>(gradU.devicePtr());
    out.gradV = static_cast<T*>(gradV.devicePtr());
    return cuda::wasserstein1dCuda(pb, out);
  }

  Status execute() {
    BufferPtr hu, hv, hwu, hwv;
    const void *pu, *pv, *pwu, *pwv;
    OT_NAPI_TRY(stage(u, hu, &pu));
    OT_NAPI_TRY(stage(v, hv, &pv));
    OT_NAPI_TRY(stageOptional(uw, hwu, &pwu));
    OT_NAPI_TRY(stageOptional(vw, hwv, &pwv));
    OT_NAPI_TRY(gradU.prepare());
    OT_NAPI_TRY(gradV.prepare());
    const Status s = f64 ? run<double>(pu, pv, pwu, pwv) : run<float>(pu, pv, pwu, pwv);
    // Finite inputs can still overflow |u - v|^p; report it rather than return inf * 0 = NaN.
    if (s == Status::Ok) guard.scan(value.data, k, true, "the value");
    return s;
  }

  Napi::Value result(Napi::Env env) {
    guard.check(env, name());
    Napi::Object out = Napi::Object::New(env);
    out.Set("value", value.value(env));
    out.Set("gradU", gradU.value(env));
    out.Set("gradV", gradV.value(env));
    return out;
  }
};

// slicedWasserstein({ xS (CudaBuffer), xT, a?, b?, projections, n, m, d, k, p, grad, needS, needT, cancel? })
//   -> { value, maxValue, argMax, projected: Float64Array [k], gradS: CudaBuffer [n * d] | null, gradT | null }
struct SlicedJob {
  Keeper keeper;
  Operand xS, xT, a, b, P;
  size_t n = 0, m = 0, d = 0, k = 0;
  double p = 2;
  bool f64 = false;
  cuda::SlicedGrad grad = cuda::SlicedGrad::None;
  CancelFlag cancel;
  OutArray projected;
  Output gradS, gradT;
  double value = 0, maxValue = 0;
  size_t argMax = 0;
  NaNGuard guard;

  static const char* name() { return "slicedWasserstein"; }

  static SlicedJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const char* fn = name();
    requireDevice(env, fn);
    const Options o(info, 0, fn);
    SlicedJob j;
    j.xS = operandValue(env, o.value("xS"), fn, "xS", false);
    j.xT = operandValue(env, o.value("xT"), fn, "xT", false);
    j.P = operandValue(env, o.value("projections"), fn, "projections", false);
    j.f64 = j.xS.f64;
    j.n = o.dim("n");
    j.m = o.dim("m");
    j.d = o.dim("d");
    j.k = o.dim("k");
    requireOperand(env, j.xS, checkedEntries(env, fn, "xS", {j.n, j.d}), j.f64, fn);
    requireOperand(env, j.xT, checkedEntries(env, fn, "xT", {j.m, j.d}), j.f64, fn);
    requireOperand(env, j.P, checkedEntries(env, fn, "projections", {j.d, j.k}), j.f64, fn);
    checkedEntries(env, fn, "the projected samples", {j.k, j.n + j.m});
    j.a = weightsOperand(env, o, "a", j.n, 0, j.f64, fn);
    j.b = weightsOperand(env, o, "b", j.m, 0, j.f64, fn);
    j.p = groundExponent(env, o, fn);
    const std::string g = o.string("grad");
    if (g == "none") j.grad = cuda::SlicedGrad::None;
    else if (g == "mean") j.grad = cuda::SlicedGrad::Mean;
    else if (g == "max") j.grad = cuda::SlicedGrad::Max;
    else throwError(env, "ERR_OT_ARG", std::string(fn) + ": grad must be 'none', 'mean' or 'max', got '" + g + "'");
    const bool wantGrad = j.grad != cuda::SlicedGrad::None;
    if (wantGrad && o.boolean("needS")) j.gradS = Output(env, j.n * j.d, j.f64, true);
    if (wantGrad && o.boolean("needT")) j.gradT = Output(env, j.m * j.d, j.f64, true);
    j.projected = OutArray::floats(env, j.k, true);
    j.cancel = o.cancel();
    return j;
  }

  template <typename T>
  Status run(const void* ps, const void* pt, const void* pa, const void* pb, const void* pp) {
    cuda::SlicedProblem<T> pr;
    pr.xS = static_cast<const T*>(ps);
    pr.xT = static_cast<const T*>(pt);
    pr.a = static_cast<const T*>(pa);
    pr.b = static_cast<const T*>(pb);
    pr.projections = static_cast<const T*>(pp);
    pr.n = n;
    pr.m = m;
    pr.d = d;
    pr.k = k;
    pr.p = p;
    pr.grad = grad;
    pr.cancel = cancel;
    cuda::SlicedResult<T> out;
    out.projected = projected.as<double>();
    out.gradS = static_cast<T*>(gradS.devicePtr());
    out.gradT = static_cast<T*>(gradT.devicePtr());
    const Status st = cuda::slicedWassersteinCuda(pr, out);
    value = out.value;
    maxValue = out.maxValue;
    argMax = out.argMax;
    return st;
  }

  Status execute() {
    BufferPtr hs, ht, ha, hb, hp;
    const void *ps, *pt, *pa, *pb, *pp;
    OT_NAPI_TRY(stage(xS, hs, &ps));
    OT_NAPI_TRY(stage(xT, ht, &pt));
    OT_NAPI_TRY(stage(P, hp, &pp));
    OT_NAPI_TRY(stageOptional(a, ha, &pa));
    OT_NAPI_TRY(stageOptional(b, hb, &pb));
    OT_NAPI_TRY(gradS.prepare());
    OT_NAPI_TRY(gradT.prepare());
    const Status s = f64 ? run<double>(ps, pt, pa, pb, pp) : run<float>(ps, pt, pa, pb, pp);
    if (s == Status::Ok) {
      // Finite inputs can still overflow the projections' |.|^p; report it rather than return NaN.
      guard.scan(&value, 1, true, "the value");
      guard.scan(&maxValue, 1, true, "the max value");
      guard.scan(projected.data, k, true, "a projection's cost");
    }
    return s;
  }

  Napi::Value result(Napi::Env env) {
    guard.check(env, name());
    return slicedFields(env, value, maxValue, argMax, projected, gradS, gradT);
  }
};

DeviceRegistrar<Wasserstein1dJob> wasserstein1dJob("wasserstein1d");
DeviceRegistrar<SlicedJob> slicedJob("slicedWasserstein");

#endif  // OT_WITH_CUDA

}  // namespace
}  // namespace ot::napi
