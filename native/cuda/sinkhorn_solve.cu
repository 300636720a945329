// ot.solve's entropic solve on the GPU, returning what the CPU solve returns (native/cpu/sinkhorn.cc):
// the record's schedule (last_step: maxIter - 1 detached iterations, then one step from their
// potentials), POT's value, status and n_iter, and the iterates packed into one buffer for the adjoint,
// which splits value's cotangent into the terms sinkhornLogAdjointCuda takes.
#include "cuda/kernel_util.h"
#include "cuda/sinkhorn.h"

namespace ot::cuda {
namespace {

// A run's outcome (converged, max_iter, diverged) rather than a failure to report.
bool isOutcome(Status s) { return s == Status::Ok || s == Status::MaxIter || s == Status::Diverged; }

// dst = [hu's first (K+1)×n | hv's first K×m | vDet (m) when given]; hu and hv may hold spare rows.
template <typename T>
Status packHistory(DeviceBuffer& dst, const DeviceBuffer& hu, const DeviceBuffer& hv, const T* vDet, size_t K, size_t n,
                   size_t m) {
  const size_t uLen = (K + 1) * n, vLen = K * m, tail = vDet ? m : 0;
  if (hu.length() < uLen || hv.length() < vLen) return Status::BadArgument;
  OT_CUDA_TRY(dst.allocate(uLen + vLen + tail, dtypeOf<T>()));
  T* p = dst.as<T>();
  OT_CUDA_TRY(copyDeviceToDevice(p, hu.data(), uLen * sizeof(T)));
  OT_CUDA_TRY(copyDeviceToDevice(p + uLen, hv.data(), vLen * sizeof(T)));
  if (vDet) OT_CUDA_TRY(copyDeviceToDevice(p + uLen + vLen, vDet, m * sizeof(T)));
  return syncStatus();  // hu / hv are freed when the caller returns
}

}  // namespace

template <typename T>
Status sinkhornSolveCuda(const SinkhornSolveProblem<T>& p, SinkhornSolveOutputs<T>& out) {
  if (p.maxIter < 1 || out.logU == nullptr || out.logV == nullptr || out.plan == nullptr) return Status::BadArgument;
  const bool lastStep = p.record == SinkhornRecord::LastStep;
  const bool record = p.record != SinkhornRecord::None;
  if (record && out.history == nullptr) return Status::BadArgument;
  DeviceBuffer hu, hv, uDet, vDet;
  SinkhornLogOutputs<T> o;
  o.logU = out.logU;
  o.logV = out.logV;
  o.plan = out.plan;
  if (record) {
    o.histU = &hu;
    o.histV = &hv;
  }
  Status status;
  if (lastStep) {
    // POT: maxIter - 1 iterations without gradient, then v and u recomputed from (uDet, vDet).
    OT_CUDA_TRY(uDet.allocate(p.n, dtypeOf<T>()));
    OT_CUDA_TRY(vDet.allocate(p.m, dtypeOf<T>()));
    SinkhornLogOutputs<T> d;
    d.logU = uDet.as<T>();
    d.logV = vDet.as<T>();
    const Status first = sinkhornLogCuda(p.M, p.a, p.b, p.n, p.m, p.reg, p.maxIter - 1, p.tol, p.cancel, d);
    if (!isOutcome(first)) return first;
    const Status step = sinkhornLogCuda(p.M, p.a, p.b, p.n, p.m, p.reg, 1, p.tol, p.cancel, o, uDet.as<T>(), vDet.as<T>());
    if (!isOutcome(step)) return step;
    // The stopping test belongs to the detached run; the final step can only add a blow-up.
    status = step == Status::Diverged ? step : first;
    out.nIter = p.maxIter;
  } else {
    status = sinkhornLogCuda(p.M, p.a, p.b, p.n, p.m, p.reg, p.maxIter, p.tol, p.cancel, o);
    if (!isOutcome(status)) return status;
    out.nIter = o.nIter - 1;  // POT's n_iter is the index of the last iteration
  }
  out.valueLinear = o.valueLinear;
  out.value = o.valueLinear + p.reg * (p.klReg ? o.kl : o.entropy);
  out.iterations = 0;
  if (record) {
    out.iterations = static_cast<size_t>(o.nIter);
    if (out.iterations < 1) return Status::BadArgument;  // maxIter >= 1 runs at least one iteration
    OT_CUDA_TRY(packHistory<T>(*out.history, hu, hv, lastStep ? vDet.as<T>() : nullptr, out.iterations, p.n, p.m));
  }
  return status;
}

template <typename T>
Status sinkhornBackwardCuda(const SinkhornSolveProblem<T>& p, const SinkhornBackwardInput<T>& in, T* dM, T* da, T* db) {
  const size_t K = in.iterations;
  if (in.history == nullptr || K < 1 || (in.lastStep && K != 1)) return Status::BadArgument;
  const T* hu = in.history;
  const T* hv = hu + (K + 1) * p.n;
  SinkhornLogCotangents<T> g;
  g.gPlan = in.gPlan;
  g.gLogU = in.gLogU;
  g.gLogV = in.gLogV;
  // value = <M, plan> + reg·R(plan): its cotangent reaches both terms.
  g.gValueLinear = in.gValueLinear + in.gValue;
  (p.klReg ? g.gKl : g.gEntropy) = p.reg * in.gValue;
  g.directTerms = in.directTerms;
  return sinkhornLogAdjointCuda(p.M, p.a, p.b, p.n, p.m, p.reg, hu, hv, static_cast<int64_t>(K), g, p.cancel, dM, da, db,
                                in.lastStep ? hv + K * p.m : nullptr);
}

template Status sinkhornSolveCuda<float>(const SinkhornSolveProblem<float>&, SinkhornSolveOutputs<float>&);
template Status sinkhornSolveCuda<double>(const SinkhornSolveProblem<double>&, SinkhornSolveOutputs<double>&);
template Status sinkhornBackwardCuda<float>(const SinkhornSolveProblem<float>&, const SinkhornBackwardInput<float>&, float*,
                                            float*, float*);
template Status sinkhornBackwardCuda<double>(const SinkhornSolveProblem<double>&, const SinkhornBackwardInput<double>&,
                                             double*, double*, double*);

}  // namespace ot::cuda
