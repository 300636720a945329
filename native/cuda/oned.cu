// wasserstein1d on the GPU: both samples' columns sorted at once, one walk over all columns, the
// gradients scattered from sorted order back to the samples' rows (see oned.h).
#include "cuda/kernel_util.h"
#include "cuda/oned.h"
#include "cuda/quantile_walk.h"

namespace ot::cuda {

template <typename T>
Status wasserstein1dCuda(const Wasserstein1dProblem<T>& p, Wasserstein1dResult<T>& out) {
  if (!p.u || !p.v || !out.value || p.n == 0 || p.m == 0 || p.k == 0 || !(p.p >= 1)) return Status::BadArgument;
  const size_t n = p.n, m = p.m, k = p.k;
  // Sample [rows, k]: atom i of column c at i * k + c; weights likewise, or one row vector for all.
  const oned::Strides samples{k, 1}, shared{1, 0};
  oned::SortedColumns U, V;
  OT_CUDA_TRY(oned::sortColumns(p.u, n, k, samples, p.uWeights, p.uWeightsShared ? shared : samples, U));
  if (p.cancel.raised()) return Status::Aborted;
  OT_CUDA_TRY(oned::sortColumns(p.v, m, k, samples, p.vWeights, p.vWeightsShared ? shared : samples, V));
  if (p.cancel.raised()) return Status::Aborted;
  DeviceBuffer value, gu, gv;
  OT_CUDA_TRY(value.allocate(k, DType::Float64));
  if (out.gradU) OT_CUDA_TRY(gu.allocate(k * n, DType::Float64));
  if (out.gradV) OT_CUDA_TRY(gv.allocate(k * m, DType::Float64));
  OT_CUDA_TRY(oned::walkColumns(U, V, p.p, value.as<double>(), out.gradU ? gu.as<double>() : nullptr,
                                out.gradV ? gv.as<double>() : nullptr));
  if (out.gradU) OT_CUDA_TRY(oned::scatterColumns(gu.as<double>(), U, samples, out.gradU));
  if (out.gradV) OT_CUDA_TRY(oned::scatterColumns(gv.as<double>(), V, samples, out.gradV));
  OT_CUDA_TRY(copyDeviceToHost(out.value, value.data(), k * sizeof(double)));
  return syncStatus();
}

template Status wasserstein1dCuda<float>(const Wasserstein1dProblem<float>&, Wasserstein1dResult<float>&);
template Status wasserstein1dCuda<double>(const Wasserstein1dProblem<double>&, Wasserstein1dResult<double>&);

}  // namespace ot::cuda
