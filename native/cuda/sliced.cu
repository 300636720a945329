// Sliced Wasserstein on the GPU: the samples projected on all directions at once (one double dot
// product per atom and direction, in the CPU's order), the k 1-D problems sorted and walked together,
// then the root of the mean / max chained into the samples' gradients as cpu/sliced.cc does.
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/sliced_reduce.h"
#include "cuda/kernel_util.h"
#include "cuda/quantile_walk.h"
#include "cuda/sliced.h"

namespace ot::cuda {
namespace {

constexpr unsigned kThreads = 256;

unsigned gridFor(size_t work) {
  const size_t cap = size_t(std::max(deviceProps().sms, 1)) * 32;
  return static_cast<unsigned>(std::max<size_t>(1, std::min(cap, (work + kThreads - 1) / kThreads)));
}

// out[l * n + i] = <x_i, P[:, l]> in double, summed over the d coordinates in order.
template <typename T>
__global__ void projectKernel(const T* __restrict__ x, size_t n, size_t d, const T* __restrict__ P, size_t k,
                              double* __restrict__ out) {
  const size_t total = n * k;
  for (size_t t = blockIdx.x * size_t(blockDim.x) + threadIdx.x; t < total; t += size_t(gridDim.x) * blockDim.x) {
    const size_t l = t / n, i = t - l * n;
    const T* row = x + i * d;
    double acc = 0;
    for (size_t e = 0; e < d; ++e) acc += static_cast<double>(row[e]) * static_cast<double>(P[e * k + l]);
    out[t] = acc;
  }
}

// grad[i, e] = sum over l of (coef[l] * G[l, i]) * P[e, l], zero terms skipped, as cpu/sliced.cc's
// chainToSamples.
template <typename T>
__global__ void chainKernel(const double* __restrict__ G, const double* __restrict__ coef, const T* __restrict__ P,
                            size_t n, size_t d, size_t k, T* __restrict__ grad) {
  const size_t total = n * d;
  for (size_t t = blockIdx.x * size_t(blockDim.x) + threadIdx.x; t < total; t += size_t(gridDim.x) * blockDim.x) {
    const size_t e = t / n, i = t - e * n;
    double acc = 0;
    for (size_t l = 0; l < k; ++l) {
      const double g = coef[l] * G[l * n + i];
      if (g == 0) continue;
      acc += g * static_cast<double>(P[e * k + l]);
    }
    grad[i * d + e] = static_cast<T>(acc);
  }
}

template <typename T>
Status project(const T* x, size_t n, size_t d, const T* P, size_t k, DeviceBuffer& out) {
  OT_CUDA_TRY(out.allocate(n * k, DType::Float64));
  projectKernel<<<gridFor(n * k), kThreads, 0, stream()>>>(x, n, d, P, k, out.as<double>());
  return launchStatus();
}

// One side's gradient: G (sorted order) back to the rows, into `scratch` ([k, rows]), then chained.
template <typename T>
Status chain(const double* gSorted, const oned::SortedColumns& S, const double* coef, const T* P, size_t d,
             DeviceBuffer& scratch, T* grad) {
  const size_t rows = S.n, k = S.k;
  OT_CUDA_TRY(oned::scatterColumns(gSorted, S, oned::Strides{1, rows}, scratch.as<double>()));
  chainKernel<<<gridFor(rows * d), kThreads, 0, stream()>>>(scratch.as<double>(), coef, P, rows, d, k, grad);
  return launchStatus();
}

}  // namespace

template <typename T>
Status slicedWassersteinCuda(const SlicedProblem<T>& p, SlicedResult<T>& out) {
  if (!p.xS || !p.xT || !p.projections || p.n == 0 || p.m == 0 || p.d == 0 || p.k == 0 || !(p.p >= 1))
    return Status::BadArgument;
  const size_t n = p.n, m = p.m, d = p.d, k = p.k;
  const bool wantS = p.grad != SlicedGrad::None && out.gradS != nullptr;
  const bool wantT = p.grad != SlicedGrad::None && out.gradT != nullptr;
  DeviceBuffer ps, pt;
  OT_CUDA_TRY(project(p.xS, n, d, p.projections, k, ps));
  OT_CUDA_TRY(project(p.xT, m, d, p.projections, k, pt));
  // Projection l of the samples is column l of ps ([k, n]: atom i of column l at l * n + i).
  oned::SortedColumns S, T2;
  OT_CUDA_TRY(oned::sortColumns(ps.as<double>(), n, k, oned::Strides{1, n}, p.a, oned::Strides{1, 0}, S));
  if (p.cancel.raised()) return Status::Aborted;
  OT_CUDA_TRY(oned::sortColumns(pt.as<double>(), m, k, oned::Strides{1, m}, p.b, oned::Strides{1, 0}, T2));
  if (p.cancel.raised()) return Status::Aborted;
  DeviceBuffer wDev, gs, gt;
  OT_CUDA_TRY(wDev.allocate(k, DType::Float64));
  if (wantS) OT_CUDA_TRY(gs.allocate(k * n, DType::Float64));
  if (wantT) OT_CUDA_TRY(gt.allocate(k * m, DType::Float64));
  OT_CUDA_TRY(oned::walkColumns(S, T2, p.p, wDev.as<double>(), wantS ? gs.as<double>() : nullptr,
                                wantT ? gt.as<double>() : nullptr));
  std::vector<double> w(k);
  OT_CUDA_TRY(copyDeviceToHost(w.data(), wDev.data(), k * sizeof(double)));
  // The CPU's reductions on the host, in its order.
  const sliced::Reduced r = sliced::reduce(w.data(), k, p.p);
  out.value = r.value;
  out.maxValue = r.maxValue;
  out.argMax = r.argMax;
  if (out.projected) std::copy(w.begin(), w.end(), out.projected);
  if (wantS || wantT) {
    const std::vector<double> coef = sliced::gradWeights(w.data(), k, p.p, p.grad == SlicedGrad::Max, r);
    DeviceBuffer coefDev;
    OT_CUDA_TRY(coefDev.allocate(k, DType::Float64));
    OT_CUDA_TRY(coefDev.upload(coef.data()));
    // The projections are no longer needed: ps / pt hold the gradients in row order.
    if (wantS) OT_CUDA_TRY(chain(gs.as<double>(), S, coefDev.as<double>(), p.projections, d, ps, out.gradS));
    if (wantT) OT_CUDA_TRY(chain(gt.as<double>(), T2, coefDev.as<double>(), p.projections, d, pt, out.gradT));
    return syncStatus();  // coefDev is freed on return
  }
  return syncStatus();
}

template Status slicedWassersteinCuda<float>(const SlicedProblem<float>&, SlicedResult<float>&);
template Status slicedWassersteinCuda<double>(const SlicedProblem<double>&, SlicedResult<double>&);

}  // namespace ot::cuda
