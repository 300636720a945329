// Row and column reduction passes over a row-major n×m matrix (include from .cu only). Every Sinkhorn
// half-iteration, output and adjoint pass is one of these two shapes with a different elementwise op:
//   rows:    one warp per row, 16-byte vector loads, warp-shuffle combine (log-sum-exp or sums);
//   columns: a block per tile of 32·VW adjacent columns (coalesced), rows split over S blocks when the
//            tiles alone cannot fill the GPU; partials are combined by a small finalize kernel.
#pragma once
#include "cuda/kernel_util.h"

namespace ot::cuda {

// N running sums (warp-combinable).
template <typename T, int N>
struct Sums {
  T s[N];
  __device__ Sums() {
#pragma unroll
    for (int k = 0; k < N; ++k) s[k] = T(0);
  }
  __device__ void merge(const Sums& o) {
#pragma unroll
    for (int k = 0; k < N; ++k) s[k] += o.s[k];
  }
};

template <typename T, int N>
__device__ __forceinline__ Sums<T, N> shflXor(const Sums<T, N>& a, int o) {
  Sums<T, N> b;
#pragma unroll
  for (int k = 0; k < N; ++k) b.s[k] = __shfl_xor_sync(kFullMask, a.s[k], o);
  return b;
}
template <typename T>
__device__ __forceinline__ math::Lse<T> shflXor(const math::Lse<T>& a, int o) {
  math::Lse<T> b;
  b.mx = __shfl_xor_sync(kFullMask, a.mx, o);
  b.s = __shfl_xor_sync(kFullMask, a.s, o);
  return b;
}
template <class Acc>
__device__ __forceinline__ Acc warpMerge(Acc a) {
  for (int o = 16; o > 0; o >>= 1) a.merge(shflXor(a, o));
  return a;
}

template <typename T, int VW>
struct alignas(sizeof(T) * VW) Vec {
  T v[VW];
};

// Widest vector width (16-byte loads) usable for rows of m entries of T.
template <typename T>
inline int vectorWidth(size_t m) {
  constexpr int w = static_cast<int>(16 / sizeof(T));
  return m % w == 0 ? w : 1;
}

constexpr unsigned kRowWarps = 8;  // warps (rows) per block in the row pass
constexpr unsigned kColRows = 8;   // thread rows per block in the column pass

// Op contract (rows):  Acc; Ctx row(i); void step(const Ctx&, Acc&, i, j, Mij); void finishRow(const Ctx&, i, const Acc&)
template <typename T, int VW, class Op>
__global__ void __launch_bounds__(kRowWarps * 32) rowPassKernel(const T* __restrict__ M, size_t n, size_t m, Op op) {
  const size_t i = blockIdx.x * size_t(kRowWarps) + threadIdx.x / kWarp;
  if (i >= n) return;  // whole warps leave together, so the shuffles below stay full-warp
  const unsigned lane = threadIdx.x % kWarp;
  const auto ctx = op.row(i);
  typename Op::Acc acc;
  const T* row = M + i * m;
#pragma unroll 4
  for (size_t j = size_t(lane) * VW; j < m; j += size_t(kWarp) * VW) {
    const Vec<T, VW> mv = *reinterpret_cast<const Vec<T, VW>*>(row + j);
#pragma unroll
    for (int t = 0; t < VW; ++t) op.step(ctx, acc, i, j + t, mv.v[t]);
  }
  acc = warpMerge(acc);
  if (lane == 0) op.finishRow(ctx, i, acc);
}

template <typename T, class Op>
Status rowPass(const T* M, size_t n, size_t m, const Op& op) {
  if (n == 0) return Status::Ok;
  const unsigned blocks = blocksFor(n, kRowWarps);
  if (vectorWidth<T>(m) > 1)
    rowPassKernel<T, static_cast<int>(16 / sizeof(T)), Op><<<blocks, kRowWarps * 32, 0, stream()>>>(M, n, m, op);
  else
    rowPassKernel<T, 1, Op><<<blocks, kRowWarps * 32, 0, stream()>>>(M, n, m, op);
  return launchStatus();
}

// Op contract (columns): Acc; Ctx col(j); void step(const Ctx&, Acc&, i, j, Mij); void finishCol(const Ctx&, j, const Acc&)
// With splits > 1, partial accumulators go to `parts` [splits × m] and colFinalizeKernel finishes them.
template <typename T, int VW, class Op>
__global__ void __launch_bounds__(kColRows * 32) colPassKernel(const T* __restrict__ M, size_t n, size_t m, Op op,
                                                                size_t rowsPerSplit, typename Op::Acc* parts) {
  using Acc = typename Op::Acc;
  // Raw storage: __shared__ variables cannot have constructors.
  __shared__ alignas(16) unsigned char redRaw[sizeof(Acc) * kColRows * 32 * VW];
  Acc(*red)[32 * VW] = reinterpret_cast<Acc(*)[32 * VW]>(redRaw);
  const unsigned tx = threadIdx.x % kWarp, ty = threadIdx.x / kWarp;
  const size_t j0 = blockIdx.x * size_t(32 * VW) + size_t(tx) * VW;
  const size_t r0 = blockIdx.y * rowsPerSplit;
  const size_t r1 = r0 + rowsPerSplit < n ? r0 + rowsPerSplit : n;
  const bool full = j0 + VW <= m;
  Acc acc[VW];
  typename Op::Ctx ctx[VW];
#pragma unroll
  for (int t = 0; t < VW; ++t)
    if (j0 + t < m) ctx[t] = op.col(j0 + t);
  if (full) {
#pragma unroll 4
    for (size_t i = r0 + ty; i < r1; i += kColRows) {
      const Vec<T, VW> mv = *reinterpret_cast<const Vec<T, VW>*>(M + i * m + j0);
#pragma unroll
      for (int t = 0; t < VW; ++t) op.step(ctx[t], acc[t], i, j0 + t, mv.v[t]);
    }
  } else {
    for (size_t i = r0 + ty; i < r1; i += kColRows)
      for (int t = 0; t < VW; ++t)
        if (j0 + t < m) op.step(ctx[t], acc[t], i, j0 + t, M[i * m + j0 + t]);
  }
#pragma unroll
  for (int t = 0; t < VW; ++t) red[ty][tx * VW + t] = acc[t];
  __syncthreads();
  if (ty == 0) {
#pragma unroll
    for (int t = 0; t < VW; ++t) {
      Acc a = red[0][tx * VW + t];
      for (unsigned r = 1; r < kColRows; ++r) a.merge(red[r][tx * VW + t]);
      const size_t j = j0 + t;
      if (j >= m) continue;
      if (gridDim.y == 1) op.finishCol(ctx[t], j, a);
      else parts[blockIdx.y * m + j] = a;
    }
  }
}

template <class Op>
__global__ void colFinalizeKernel(size_t m, unsigned splits, Op op, const typename Op::Acc* __restrict__ parts) {
  const size_t j = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (j >= m) return;
  typename Op::Acc a = parts[j];
  for (unsigned s = 1; s < splits; ++s) a.merge(parts[size_t(s) * m + j]);
  op.finishCol(op.col(j), j, a);
}

// Reusable workspace for the column partials, sized once per solve.
struct ColWorkspace {
  DeviceBuffer parts;
  unsigned splits = 1;
  size_t rowsPerSplit = 0;
};

// Picks the row split so that roughly 8 blocks per SM are in flight; each split keeps >= 64 rows.
template <typename T, class Acc>
Status prepareColumns(size_t n, size_t m, ColWorkspace& ws) {
  const size_t tile = size_t(32) * vectorWidth<T>(m);
  const size_t tiles = m > 0 ? (m + tile - 1) / tile : 1;
  const size_t target = size_t(deviceProps().sms) * 8;
  size_t splits = (target + tiles - 1) / tiles;
  const size_t maxSplits = n / 64 > 0 ? n / 64 : 1;
  if (splits > maxSplits) splits = maxSplits;
  if (splits > 65535) splits = 65535;
  if (splits < 1) splits = 1;
  ws.splits = static_cast<unsigned>(splits);
  ws.rowsPerSplit = (n + splits - 1) / splits;
  if (ws.splits > 1) {
    const size_t bytes = splits * m * sizeof(Acc);
    OT_CUDA_TRY(ws.parts.allocate(bytes, DType::UInt8));
  }
  return Status::Ok;
}

template <typename T, class Op>
Status colPass(const T* M, size_t n, size_t m, const Op& op, const ColWorkspace& ws) {
  if (m == 0) return Status::Ok;
  using Acc = typename Op::Acc;
  Acc* parts = ws.splits > 1 ? static_cast<Acc*>(ws.parts.data()) : nullptr;
  const int vw = vectorWidth<T>(m);
  const dim3 grid(static_cast<unsigned>((m + size_t(32) * vw - 1) / (size_t(32) * vw)), ws.splits);
  if (vw > 1)
    colPassKernel<T, static_cast<int>(16 / sizeof(T)), Op>
        <<<grid, kColRows * 32, 0, stream()>>>(M, n, m, op, ws.rowsPerSplit, parts);
  else
    colPassKernel<T, 1, Op><<<grid, kColRows * 32, 0, stream()>>>(M, n, m, op, ws.rowsPerSplit, parts);
  OT_CUDA_TRY(launchStatus());
  if (ws.splits > 1) {
    colFinalizeKernel<Op><<<blocksFor(m, 256), 256, 0, stream()>>>(m, ws.splits, op, parts);
    OT_CUDA_TRY(launchStatus());
  }
  return Status::Ok;
}

// out[k] = Σ_i in[k * len + i] for k < count, accumulated in double by one block (deterministic order).
template <typename T>
__global__ void sumRowsKernel(const T* __restrict__ in, size_t len, int count, double* __restrict__ out) {
  __shared__ double scratch[32];
  for (int k = 0; k < count; ++k) {
    double s = 0;
    for (size_t i = threadIdx.x; i < len; i += blockDim.x) s += static_cast<double>(in[size_t(k) * len + i]);
    s = blockSum(s, scratch);
    if (threadIdx.x == 0) out[k] = s;
  }
}

}  // namespace ot::cuda
