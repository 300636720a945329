// Fused dual-OT loss and gradients on the GPU (POT: ot.stochastic.loss_dual_*, plan_dual_*): each block
// owns 64 rows and sweeps a range of 32-column tiles; per tile it computes the costs inline, the loss
// term and W = ws wt F', then reduces W (and W·x) along rows into its own slice of a row accumulator and
// along columns into a shared column accumulator (atomics). No n×m array is ever stored.
#include <algorithm>

#include "cuda/dual.h"
#include "cuda/kernel_util.h"

namespace ot::cuda {
namespace {

constexpr int kRowsT = 64, kColsT = 32, kChunk = 16, kThreads = 256;
constexpr int kPairs = kRowsT * kColsT / kThreads;
constexpr int kLd = kColsT + 1;

template <typename T>
struct DualArgs {
  const T* u;
  const T* v;
  const T* xs;
  const T* xt;
  const T* ws;  // null: uniform wsU
  const T* wt;
  size_t n, m, d;
  T reg, wsU, wtU;
  bool entropic;
  bool wantF;   // weight gradients need Σ wt F and Σ ws F
  bool wantX;   // coordinate gradients need Σ W x
  size_t tilesPerSplit;
  double* rowAcc;  // [splits × n × (d+2)]: Σ_j W, Σ_j wt F, Σ_j W xt
  double* colAcc;  // [m × (d+2)]:           Σ_i W, Σ_i ws F, Σ_i W xs
  double* lossParts;  // [blocks]
};

template <typename T>
size_t tileSharedBytes(size_t) {
  return sizeof(T) * (size_t(kRowsT) * (kChunk + 1) + size_t(kColsT) * (kChunk + 1) + 2 * size_t(kRowsT) * kLd +
                      2 * kRowsT + 2 * kColsT);
}

template <typename T>
__global__ void __launch_bounds__(kThreads) dualTileKernel(DualArgs<T> p) {
  extern __shared__ __align__(16) unsigned char smem[];
  __shared__ double scratch[32];
  T* xsS = reinterpret_cast<T*>(smem);
  T* xtS = xsS + kRowsT * (kChunk + 1);
  T* W = xtS + kColsT * (kChunk + 1);
  T* F = W + kRowsT * kLd;
  T* uS = F + kRowsT * kLd;
  T* wsS = uS + kRowsT;
  T* vS = wsS + kRowsT;
  T* wtS = vS + kColsT;

  const size_t n = p.n, m = p.m, d = p.d, stride = d + 2;
  const size_t i0 = blockIdx.x * size_t(kRowsT);
  const int rows = static_cast<int>(smin(kRowsT, n - i0));
  const size_t colTiles = (m + kColsT - 1) / kColsT;
  const size_t jt0 = blockIdx.y * p.tilesPerSplit, jt1 = smin(colTiles, jt0 + p.tilesPerSplit);
  double* rowAcc = p.rowAcc + (blockIdx.y * n + i0) * stride;
  const size_t nChunks = (d + kChunk - 1) / kChunk;
  const int tid = threadIdx.x;

  if (tid < kRowsT) {
    const bool in = tid < rows;
    uS[tid] = in ? p.u[i0 + tid] : T(0);
    wsS[tid] = in ? (p.ws ? p.ws[i0 + tid] : p.wsU) : T(0);
  }
  double lossLocal = 0;

  auto loadChunk = [&](size_t j0, size_t k0, int kw) {
    for (int e = tid; e < (kRowsT + kColsT) * kChunk; e += kThreads) {
      const int r = e / kChunk, c = e % kChunk;
      if (r < kRowsT) {
        xsS[r * (kChunk + 1) + c] = (r < rows && c < kw) ? p.xs[(i0 + r) * d + k0 + c] : T(0);
      } else {
        const int q = r - kRowsT;
        xtS[q * (kChunk + 1) + c] = (j0 + q < m && c < kw) ? p.xt[(j0 + q) * d + k0 + c] : T(0);
      }
    }
  };

  for (size_t jt = jt0; jt < jt1; ++jt) {
    const size_t j0 = jt * kColsT;
    __syncthreads();  // the previous tile's reductions are done with the shared tiles
    if (tid < kColsT) {
      const bool in = j0 + tid < m;
      vS[tid] = in ? p.v[j0 + tid] : T(0);
      wtS[tid] = in ? (p.wt ? p.wt[j0 + tid] : p.wtU) : T(0);
    }
    __syncthreads();
    // Costs M_ij = |xs_i - xt_j|², coordinates streamed kChunk at a time.
    T macc[kPairs];
#pragma unroll
    for (int r = 0; r < kPairs; ++r) macc[r] = T(0);
    for (size_t ch = 0; ch < nChunks; ++ch) {
      const size_t k0 = ch * kChunk;
      const int kw = static_cast<int>(smin(kChunk, d - k0));
      if (ch > 0) __syncthreads();
      loadChunk(j0, k0, kw);
      __syncthreads();
#pragma unroll
      for (int r = 0; r < kPairs; ++r) {
        const int pi = tid + kThreads * r, ia = pi / kColsT, jb = pi % kColsT;
        for (int c = 0; c < kw; ++c) {
          const T t = xsS[ia * (kChunk + 1) + c] - xtS[jb * (kChunk + 1) + c];
          macc[r] += t * t;
        }
      }
    }
    // Loss term and W = ws wt F'(z), z = u + v - M.
#pragma unroll
    for (int r = 0; r < kPairs; ++r) {
      const int pi = tid + kThreads * r, ia = pi / kColsT, jb = pi % kColsT;
      const bool live = ia < rows && j0 + jb < m;
      T Fv = 0, dF = 0;
      if (live) math::dualPenalty(p.entropic, uS[ia] + vS[jb] - macc[r], p.reg, Fv, dF);
      const T w = wsS[ia] * wtS[jb];
      W[ia * kLd + jb] = live ? w * dF : T(0);
      F[ia * kLd + jb] = live ? Fv : T(0);
      if (live) lossLocal += static_cast<double>(w * Fv);
    }
    __syncthreads();
    // Σ_j W, Σ_j wt F per row (owned slice: plain adds) and Σ_i W, Σ_i ws F per column (atomics).
    if (tid < kRowsT) {
      if (tid < rows) {
        T s1 = 0, s3 = 0;
        for (int jb = 0; jb < kColsT; ++jb) {
          s1 += W[tid * kLd + jb];
          if (p.wantF) s3 += wtS[jb] * F[tid * kLd + jb];
        }
        rowAcc[tid * stride] += s1;
        if (p.wantF) rowAcc[tid * stride + 1] += s3;
      }
    } else if (tid < kRowsT + kColsT) {
      const int jb = tid - kRowsT;
      if (j0 + jb < m) {
        T s1 = 0, s3 = 0;
        for (int ia = 0; ia < kRowsT; ++ia) {
          s1 += W[ia * kLd + jb];
          if (p.wantF) s3 += wsS[ia] * F[ia * kLd + jb];
        }
        atomicAdd(p.colAcc + (j0 + jb) * stride, static_cast<double>(s1));
        if (p.wantF) atomicAdd(p.colAcc + (j0 + jb) * stride + 1, static_cast<double>(s3));
      }
    }
    if (!p.wantX) continue;
    // Σ_j W_ij xt_jk per row and Σ_i W_ij xs_ik per column.
    for (size_t ch = 0; ch < nChunks; ++ch) {
      const size_t k0 = ch * kChunk;
      const int kw = static_cast<int>(smin(kChunk, d - k0));
      if (nChunks > 1) {
        __syncthreads();
        loadChunk(j0, k0, kw);
        __syncthreads();
      }
      for (int e = tid; e < (kRowsT + kColsT) * kChunk; e += kThreads) {
        if (e < kRowsT * kChunk) {
          const int ia = e / kChunk, c = e % kChunk;
          if (ia >= rows || c >= kw) continue;
          T s = 0;
          for (int jb = 0; jb < kColsT; ++jb) s += W[ia * kLd + jb] * xtS[jb * (kChunk + 1) + c];
          rowAcc[ia * stride + 2 + k0 + c] += s;
        } else {
          const int q = e - kRowsT * kChunk, jb = q / kChunk, c = q % kChunk;
          if (j0 + jb >= m || c >= kw) continue;
          T s = 0;
          for (int ia = 0; ia < kRowsT; ++ia) s += W[ia * kLd + jb] * xsS[ia * (kChunk + 1) + c];
          atomicAdd(p.colAcc + (j0 + jb) * stride + 2 + k0 + c, static_cast<double>(s));
        }
      }
    }
  }
  const double total = blockSum(lossLocal, scratch);
  if (tid == 0) p.lossParts[blockIdx.y * gridDim.x + blockIdx.x] = total;
}

template <typename T>
__global__ void dualRowFinalKernel(DualArgs<T> p, unsigned splits, DualGrads<T> g) {
  const size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (i >= p.n) return;
  const size_t n = p.n, d = p.d, stride = d + 2;
  double r1 = 0, r3 = 0;
  for (unsigned s = 0; s < splits; ++s) {
    r1 += p.rowAcc[(s * n + i) * stride];
    r3 += p.rowAcc[(s * n + i) * stride + 1];
  }
  const T wsi = p.ws ? p.ws[i] : p.wsU;
  if (g.du) g.du[i] = static_cast<T>(static_cast<double>(wsi) + r1);
  if (g.dws) g.dws[i] = static_cast<T>(static_cast<double>(p.u[i]) + r3);
  if (g.dxs) {
    for (size_t k = 0; k < d; ++k) {
      double r2 = 0;
      for (unsigned s = 0; s < splits; ++s) r2 += p.rowAcc[(s * n + i) * stride + 2 + k];
      g.dxs[i * d + k] = static_cast<T>(-2.0 * (static_cast<double>(p.xs[i * d + k]) * r1 - r2));
    }
  }
}

template <typename T>
__global__ void dualColFinalKernel(DualArgs<T> p, DualGrads<T> g) {
  const size_t j = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (j >= p.m) return;
  const size_t d = p.d, stride = d + 2;
  const double* c = p.colAcc + j * stride;
  const T wtj = p.wt ? p.wt[j] : p.wtU;
  if (g.dv) g.dv[j] = static_cast<T>(static_cast<double>(wtj) + c[0]);
  if (g.dwt) g.dwt[j] = static_cast<T>(static_cast<double>(p.v[j]) + c[1]);
  if (g.dxt)
    for (size_t k = 0; k < d; ++k)
      g.dxt[j * d + k] = static_cast<T>(2.0 * (c[2 + k] - static_cast<double>(p.xt[j * d + k]) * c[0]));
}

// loss = Σ ws u + Σ wt v + Σ block partials (one block, fixed order).
template <typename T>
__global__ void dualLossKernel(DualArgs<T> p, size_t parts, double* out) {
  __shared__ double scratch[32];
  double s = 0;
  for (size_t i = threadIdx.x; i < p.n; i += blockDim.x)
    s += static_cast<double>(p.ws ? p.ws[i] : p.wsU) * static_cast<double>(p.u[i]);
  for (size_t j = threadIdx.x; j < p.m; j += blockDim.x)
    s += static_cast<double>(p.wt ? p.wt[j] : p.wtU) * static_cast<double>(p.v[j]);
  for (size_t q = threadIdx.x; q < parts; q += blockDim.x) s += p.lossParts[q];
  s = blockSum(s, scratch);
  if (threadIdx.x == 0) *out = s;
}

template <typename T>
__global__ void dualPlanKernel(const T* __restrict__ u, const T* __restrict__ v, const T* __restrict__ xs,
                               const T* __restrict__ xt, const T* __restrict__ ws, const T* __restrict__ wt, size_t n,
                               size_t m, size_t d, T reg, T wsU, T wtU, bool entropic, T* __restrict__ G) {
  const size_t e = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (e >= n * m) return;
  const size_t i = e / m, j = e % m;
  T M = 0;
  for (size_t k = 0; k < d; ++k) {
    const T t = xs[i * d + k] - xt[j * d + k];
    M += t * t;
  }
  const T w = (ws ? ws[i] : wsU) * (wt ? wt[j] : wtU);
  G[e] = w * math::dualDensity(entropic, u[i] + v[j] - M, reg);
}

}  // namespace

template <typename T>
Status dualLossGradCuda(const T* u, const T* v, const T* xs, const T* xt, const T* ws, const T* wt, size_t n, size_t m,
                        size_t d, double reg, DualKind kind, double* loss, const DualGrads<T>& g, CancelFlag cancel) {
  if (!(reg > 0)) return Status::BadArgument;
  if (cancel.raised()) return Status::Aborted;
  DualArgs<T> p{u, v, xs, xt, ws, wt, n, m, d, static_cast<T>(reg),
                static_cast<T>(n ? 1.0 / double(n) : 0.0), static_cast<T>(m ? 1.0 / double(m) : 0.0),
                kind == DualKind::Entropic, g.dws != nullptr || g.dwt != nullptr,
                (g.dxs != nullptr || g.dxt != nullptr) && d > 0, 1, nullptr, nullptr, nullptr};
  const size_t rowTiles = std::max<size_t>(1, (n + kRowsT - 1) / kRowsT);
  const size_t colTiles = (m + kColsT - 1) / kColsT;
  size_t splits = (size_t(deviceProps().sms) * 8 + rowTiles - 1) / rowTiles;
  splits = std::max<size_t>(1, std::min({splits, std::max<size_t>(colTiles, 1), size_t(65535)}));
  p.tilesPerSplit = std::max<size_t>(1, (colTiles + splits - 1) / splits);
  splits = std::max<size_t>(1, (colTiles + p.tilesPerSplit - 1) / p.tilesPerSplit);
  const size_t blocks = rowTiles * splits;

  DeviceBuffer rowAcc, colAcc, lossParts, lossOut;
  OT_CUDA_TRY(rowAcc.allocate(splits * n * (d + 2), DType::Float64));
  OT_CUDA_TRY(colAcc.allocate(m * (d + 2), DType::Float64));
  OT_CUDA_TRY(lossParts.allocate(blocks, DType::Float64));
  OT_CUDA_TRY(lossOut.allocate(1, DType::Float64));
  OT_CUDA_TRY(rowAcc.zero());
  OT_CUDA_TRY(colAcc.zero());
  OT_CUDA_TRY(lossParts.zero());
  p.rowAcc = rowAcc.as<double>();
  p.colAcc = colAcc.as<double>();
  p.lossParts = lossParts.as<double>();

  if (n > 0 && m > 0) {
    const size_t smemBytes = tileSharedBytes<T>(d);
    if (smemBytes > 48 * 1024)
      OT_CUDA_TRY(statusFromCuda(cudaFuncSetAttribute(dualTileKernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                      static_cast<int>(smemBytes))));
    const dim3 grid(static_cast<unsigned>(rowTiles), static_cast<unsigned>(splits));
    dualTileKernel<T><<<grid, kThreads, smemBytes, stream()>>>(p);
    OT_CUDA_TRY(launchStatus());
  }
  if (n) dualRowFinalKernel<T><<<blocksFor(n, 256), 256, 0, stream()>>>(p, static_cast<unsigned>(splits), g);
  if (m) dualColFinalKernel<T><<<blocksFor(m, 256), 256, 0, stream()>>>(p, g);
  dualLossKernel<T><<<1, 1024, 0, stream()>>>(p, blocks, lossOut.as<double>());
  OT_CUDA_TRY(launchStatus());
  double host = 0;
  OT_CUDA_TRY(statusFromCuda(cudaMemcpyAsync(&host, lossOut.data(), sizeof(double), cudaMemcpyDeviceToHost, stream())));
  OT_CUDA_TRY(syncStatus());
  if (loss) *loss = host;
  return Status::Ok;
}

template <typename T>
Status dualPlanCuda(const T* u, const T* v, const T* xs, const T* xt, const T* ws, const T* wt, size_t n, size_t m,
                    size_t d, double reg, DualKind kind, T* G) {
  if (!(reg > 0)) return Status::BadArgument;
  if (n == 0 || m == 0) return Status::Ok;
  const T wsU = static_cast<T>(1.0 / double(n)), wtU = static_cast<T>(1.0 / double(m));
  dualPlanKernel<T><<<blocksFor(n * m, 256), 256, 0, stream()>>>(u, v, xs, xt, ws, wt, n, m, d, static_cast<T>(reg), wsU,
                                                                  wtU, kind == DualKind::Entropic, G);
  OT_CUDA_TRY(launchStatus());
  return syncStatus();
}

template Status dualLossGradCuda<float>(const float*, const float*, const float*, const float*, const float*,
                                        const float*, size_t, size_t, size_t, double, DualKind, double*,
                                        const DualGrads<float>&, CancelFlag);
template Status dualLossGradCuda<double>(const double*, const double*, const double*, const double*, const double*,
                                         const double*, size_t, size_t, size_t, double, DualKind, double*,
                                         const DualGrads<double>&, CancelFlag);
template Status dualPlanCuda<float>(const float*, const float*, const float*, const float*, const float*, const float*,
                                    size_t, size_t, size_t, double, DualKind, float*);
template Status dualPlanCuda<double>(const double*, const double*, const double*, const double*, const double*,
                                     const double*, size_t, size_t, size_t, double, DualKind, double*);

}  // namespace ot::cuda
