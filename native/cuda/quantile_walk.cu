// The 1-D quantile walk on the GPU (see quantile_walk.h): keys with the CPU's order (cpu/radix_sort.h's
// sortable bits) sorted with their rows by CUB, cumulative weights by a tiled scan kept monotone, and the
// walk as a merge path: every thread finds where its chunk of steps starts by a binary search on the two
// cumulative sequences, then walks it as the CPU walks the whole column.
#include <cub/block/block_scan.cuh>
#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_segmented_radix_sort.cuh>

#include <algorithm>
#include <climits>
#include <cmath>
#include <vector>

#include "cuda/kernel_util.h"
#include "cuda/quantile_walk.h"
#include "cuda/walk_chunk.h"

namespace ot::cuda::oned {
namespace {

constexpr unsigned kThreads = 256;
constexpr int kItems = 8;                          // scan: entries per thread
constexpr size_t kTile = size_t(kThreads) * kItems;  // scan: entries per block
constexpr size_t kSteps = 32;                      // walk: steps per thread

// Blocks of a grid-stride loop over `work` items (at least one).
unsigned gridFor(size_t work) {
  const size_t cap = size_t(std::max(deviceProps().sms, 1)) * 32;
  return static_cast<unsigned>(std::max<size_t>(1, std::min(cap, (work + kThreads - 1) / kThreads)));
}
// Blocks of a loop with one block per item (at least one).
unsigned blockGrid(size_t items) {
  const size_t cap = size_t(std::max(deviceProps().sms, 1)) * 64;
  return static_cast<unsigned>(std::max<size_t>(1, std::min(cap, items)));
}

// ---- keys: an unsigned integer per float whose order is the floats' order (negatives reversed) ----

template <typename X>
struct KeyOf;
template <>
struct KeyOf<float> {
  using type = uint32_t;
};
template <>
struct KeyOf<double> {
  using type = unsigned long long;
};

__device__ __forceinline__ uint32_t sortable(float x) {
  const uint32_t u = __float_as_uint(x);
  return (u >> 31) ? ~u : (u | 0x80000000u);
}
__device__ __forceinline__ unsigned long long sortable(double x) {
  const unsigned long long u = static_cast<unsigned long long>(__double_as_longlong(x));
  return (u >> 63) ? ~u : (u | (1ull << 63));
}
__device__ __forceinline__ double unsortable(uint32_t k) {
  return static_cast<double>(__uint_as_float((k >> 31) ? (k ^ 0x80000000u) : ~k));
}
__device__ __forceinline__ double unsortable(unsigned long long k) {
  return __longlong_as_double(static_cast<long long>((k >> 63) ? (k ^ (1ull << 63)) : ~k));
}

template <typename X, typename K>
__global__ void makeKeysKernel(const X* __restrict__ x, size_t n, size_t total, Strides xs, K* __restrict__ keys,
                               uint32_t* __restrict__ idx) {
  for (size_t t = blockIdx.x * size_t(blockDim.x) + threadIdx.x; t < total; t += size_t(gridDim.x) * blockDim.x) {
    const size_t c = t / n, i = t - c * n;
    keys[t] = sortable(x[i * xs.row + c * xs.col]);
    idx[t] = static_cast<uint32_t>(i);
  }
}

// Sorted keys back to positions, and each sorted atom's weight (uniform: the CPU's 1.0 / n in double).
template <typename K, typename W>
__global__ void decodeKernel(const K* __restrict__ keys, const uint32_t* __restrict__ order, size_t n, size_t total,
                             const W* __restrict__ w, Strides ws, double uniform, double* __restrict__ x,
                             double* __restrict__ weight) {
  for (size_t t = blockIdx.x * size_t(blockDim.x) + threadIdx.x; t < total; t += size_t(gridDim.x) * blockDim.x) {
    const size_t c = t / n;
    x[t] = unsortable(keys[t]);
    weight[t] = w ? static_cast<double>(w[size_t(order[t]) * ws.row + c * ws.col]) : uniform;
  }
}

// Sorts (key, row) pairs per column of n; stable, as the CPU's radix sort. k > 1 columns go through the
// segmented sort in groups of whole columns that an int can count.
template <typename K>
Status sortPairs(const K* keysIn, K* keysOut, const uint32_t* idxIn, uint32_t* idxOut, size_t n, size_t k) {
  const int bits = int(sizeof(K) * 8);
  DeviceBuffer temp;
  size_t have = 0;
  auto reserve = [&](size_t bytes) -> Status {
    if (bytes <= have && temp.data() != nullptr) return Status::Ok;
    if (temp.data() != nullptr) OT_CUDA_TRY(syncStatus());  // a sort may still be reading it
    temp.release();
    OT_CUDA_TRY(temp.allocate(std::max<size_t>(bytes, 1), DType::UInt8));
    have = std::max<size_t>(bytes, 1);
    return Status::Ok;
  };
  if (k == 1) {
    size_t bytes = 0;
    OT_CUDA_TRY(statusFromCuda(cub::DeviceRadixSort::SortPairs(nullptr, bytes, keysIn, keysOut, idxIn, idxOut, n, 0, bits, stream())));
    OT_CUDA_TRY(reserve(bytes));
    OT_CUDA_TRY(statusFromCuda(cub::DeviceRadixSort::SortPairs(temp.data(), bytes, keysIn, keysOut, idxIn, idxOut, n, 0, bits, stream())));
    return syncStatus();  // temp is freed on return
  }
  if (n > size_t(INT_MAX)) return Status::OutOfMemory;  // k columns of more than 2^31 atoms each
  const size_t group = std::min(k, size_t(INT_MAX) / n);
  std::vector<int> offsets(group + 1);
  for (size_t j = 0; j <= group; ++j) offsets[j] = static_cast<int>(j * n);
  DeviceBuffer offs;
  OT_CUDA_TRY(offs.allocate(group + 1, DType::Int32));
  OT_CUDA_TRY(offs.upload(offsets.data()));
  const int* begin = offs.as<int>();
  for (size_t c0 = 0; c0 < k; c0 += group) {
    const size_t g = std::min(group, k - c0), at = c0 * n;
    const int items = static_cast<int>(g * n), segs = static_cast<int>(g);
    size_t bytes = 0;
    OT_CUDA_TRY(statusFromCuda(cub::DeviceSegmentedRadixSort::SortPairs(nullptr, bytes, keysIn + at, keysOut + at, idxIn + at,
                                                                        idxOut + at, items, segs, begin, begin + 1, 0, bits,
                                                                        stream())));
    OT_CUDA_TRY(reserve(bytes));
    OT_CUDA_TRY(statusFromCuda(cub::DeviceSegmentedRadixSort::SortPairs(temp.data(), bytes, keysIn + at, keysOut + at,
                                                                        idxIn + at, idxOut + at, items, segs, begin,
                                                                        begin + 1, 0, bits, stream())));
  }
  return syncStatus();  // temp and offs are freed on return
}

// ---- inclusive scan of each column, monotone: tile sums, their offsets per column, then each tile ----

__global__ void tileSumKernel(const double* __restrict__ w, size_t n, size_t tiles, size_t blocks,
                              double* __restrict__ sums) {
  __shared__ double scratch[32];
  for (size_t b = blockIdx.x; b < blocks; b += gridDim.x) {
    const size_t c = b / tiles, t = b - c * tiles;
    const size_t first = t * kTile + size_t(threadIdx.x) * kItems;
    double s = 0;
    for (int j = 0; j < kItems; ++j) {
      const size_t i = first + j;
      if (i < n) s += w[c * n + i];
    }
    s = blockSum(s, scratch);
    if (threadIdx.x == 0) sums[b] = s;
  }
}

// off[c * (tiles + 1) + t]: column c's total before tile t, summed in order (the last one: the total).
__global__ void tileOffsetKernel(const double* __restrict__ sums, size_t tiles, size_t k, double* __restrict__ off) {
  for (size_t c = blockIdx.x * size_t(blockDim.x) + threadIdx.x; c < k; c += size_t(gridDim.x) * blockDim.x) {
    double s = 0;
    for (size_t t = 0; t < tiles; ++t) {
      off[c * (tiles + 1) + t] = s;
      s += sums[c * tiles + t];
    }
    off[c * (tiles + 1) + tiles] = s;
  }
}

struct MaxOp {
  __device__ double operator()(double a, double b) const { return a > b ? a : b; }
};

// Each entry = tile offset + block prefix + thread prefix. Different additions order can leave a sum an
// ulp below its predecessor, which the merge path cannot take (it needs sorted sequences): a running
// maximum within the tile and a clamp to the next tile's offset make every column non-decreasing.
__global__ void scanTileKernel(double* __restrict__ w, size_t n, size_t tiles, size_t blocks,
                               const double* __restrict__ off) {
  using Scan = cub::BlockScan<double, kThreads>;
  __shared__ typename Scan::TempStorage tmp;
  for (size_t b = blockIdx.x; b < blocks; b += gridDim.x) {
    const size_t c = b / tiles, t = b - c * tiles;
    const double lo = off[c * (tiles + 1) + t], hi = off[c * (tiles + 1) + t + 1];
    const size_t first = t * kTile + size_t(threadIdx.x) * kItems;
    double v[kItems];
    double s = 0;
#pragma unroll
    for (int j = 0; j < kItems; ++j) {
      const size_t i = first + j;
      if (i < n) s += w[c * n + i];
      v[j] = s;
    }
    double before = 0;
    Scan(tmp).ExclusiveSum(s, before);
    __syncthreads();
#pragma unroll
    for (int j = 0; j < kItems; ++j) v[j] = lo + (before + v[j]);
    double floorV = lo;
    Scan(tmp).ExclusiveScan(v[kItems - 1], floorV, lo, MaxOp());
    __syncthreads();
#pragma unroll
    for (int j = 0; j < kItems; ++j) {
      const size_t i = first + j;
      if (i < n) w[c * n + i] = fmin(fmax(v[j], floorV), hi);
    }
  }
}

Status scanColumns(double* w, size_t n, size_t k) {
  const size_t tiles = (n + kTile - 1) / kTile, blocks = k * tiles;
  DeviceBuffer sums, off;
  OT_CUDA_TRY(sums.allocate(blocks, DType::Float64));
  OT_CUDA_TRY(off.allocate(k * (tiles + 1), DType::Float64));
  tileSumKernel<<<blockGrid(blocks), kThreads, 0, stream()>>>(w, n, tiles, blocks, sums.as<double>());
  OT_CUDA_TRY(launchStatus());
  tileOffsetKernel<<<gridFor(k), kThreads, 0, stream()>>>(sums.as<double>(), tiles, k, off.as<double>());
  OT_CUDA_TRY(launchStatus());
  scanTileKernel<<<blockGrid(blocks), kThreads, 0, stream()>>>(w, n, tiles, blocks, off.as<double>());
  OT_CUDA_TRY(launchStatus());
  return syncStatus();  // sums and off are freed on return
}

// ---- the walk ----

// One thread walks one chunk of kSteps steps of one column (walk_chunk.h); an atom's gradient is
// added once per run of steps, so only atoms whose run crosses a chunk's end see two additions.
__global__ void walkKernel(const double* __restrict__ xu, const double* __restrict__ cu, size_t n,
                           const double* __restrict__ xv, const double* __restrict__ cv, size_t m, size_t chunks,
                           size_t total, double p, double* __restrict__ partial, double* gu, double* gv) {
  const size_t steps = n + m;
  for (size_t w = blockIdx.x * size_t(blockDim.x) + threadIdx.x; w < total; w += size_t(gridDim.x) * blockDim.x) {
    const size_t c = w / chunks, s0 = (w - c * chunks) * kSteps;
    const size_t s1 = s0 + kSteps < steps ? s0 + kSteps : steps;
    partial[w] = walkChunk(cu + c * n, xu + c * n, n, cv + c * m, xv + c * m, m, s0, s1, p,
                           gu != nullptr ? gu + c * n : nullptr, gv != nullptr ? gv + c * m : nullptr);
  }
}

// value[c] = the sum of column c's chunk costs, in a fixed order (the same bits every run).
__global__ void columnSumKernel(const double* __restrict__ partial, size_t chunks, size_t k, double* __restrict__ value) {
  __shared__ double scratch[32];
  for (size_t c = blockIdx.x; c < k; c += gridDim.x) {
    double s = 0;
    for (size_t t = threadIdx.x; t < chunks; t += blockDim.x) s += partial[c * chunks + t];
    s = blockSum(s, scratch);
    if (threadIdx.x == 0) value[c] = s;
  }
}

template <typename T>
__global__ void scatterKernel(const double* __restrict__ g, const uint32_t* __restrict__ order, size_t n, size_t total,
                              Strides to, T* __restrict__ out) {
  for (size_t t = blockIdx.x * size_t(blockDim.x) + threadIdx.x; t < total; t += size_t(gridDim.x) * blockDim.x) {
    const size_t c = t / n;
    out[size_t(order[t]) * to.row + c * to.col] = static_cast<T>(g[t]);
  }
}

}  // namespace

template <typename X, typename W>
Status sortColumns(const X* x, size_t n, size_t k, Strides xs, const W* w, Strides ws, SortedColumns& out) {
  using K = typename KeyOf<X>::type;
  if (x == nullptr || n == 0 || k == 0 || n >= (size_t(1) << 32)) return Status::BadArgument;
  const size_t total = n * k;
  out.n = n;
  out.k = k;
  DeviceBuffer keysIn, keysOut, idxIn;
  OT_CUDA_TRY(keysIn.allocate(total * sizeof(K), DType::UInt8));
  OT_CUDA_TRY(keysOut.allocate(total * sizeof(K), DType::UInt8));
  OT_CUDA_TRY(idxIn.allocate(total, DType::Int32));
  OT_CUDA_TRY(out.order.allocate(total, DType::Int32));
  makeKeysKernel<<<gridFor(total), kThreads, 0, stream()>>>(x, n, total, xs, keysIn.as<K>(), idxIn.as<uint32_t>());
  OT_CUDA_TRY(launchStatus());
  OT_CUDA_TRY(sortPairs(keysIn.as<K>(), keysOut.as<K>(), idxIn.as<uint32_t>(), out.order.as<uint32_t>(), n, k));
  keysIn.release();
  idxIn.release();
  OT_CUDA_TRY(out.x.allocate(total, DType::Float64));
  OT_CUDA_TRY(out.cum.allocate(total, DType::Float64));
  decodeKernel<<<gridFor(total), kThreads, 0, stream()>>>(keysOut.as<K>(), out.order.as<uint32_t>(), n, total, w, ws,
                                                          1.0 / static_cast<double>(n), out.x.as<double>(),
                                                          out.cum.as<double>());
  OT_CUDA_TRY(launchStatus());
  return scanColumns(out.cum.as<double>(), n, k);
}

Status walkColumns(const SortedColumns& U, const SortedColumns& V, double p, double* value, double* gU, double* gV) {
  if (U.k != V.k || U.k == 0 || U.n == 0 || V.n == 0 || value == nullptr || !(p >= 1)) return Status::BadArgument;
  const size_t k = U.k, n = U.n, m = V.n;
  const size_t chunks = (n + m + kSteps - 1) / kSteps, total = k * chunks;
  DeviceBuffer partial;
  OT_CUDA_TRY(partial.allocate(total, DType::Float64));
  if (gU != nullptr) OT_CUDA_TRY(statusFromCuda(cudaMemsetAsync(gU, 0, k * n * sizeof(double), stream())));
  if (gV != nullptr) OT_CUDA_TRY(statusFromCuda(cudaMemsetAsync(gV, 0, k * m * sizeof(double), stream())));
  walkKernel<<<gridFor(total), kThreads, 0, stream()>>>(U.xs(), U.cums(), n, V.xs(), V.cums(), m, chunks, total, p,
                                                        partial.as<double>(), gU, gV);
  OT_CUDA_TRY(launchStatus());
  columnSumKernel<<<blockGrid(k), kThreads, 0, stream()>>>(partial.as<double>(), chunks, k, value);
  OT_CUDA_TRY(launchStatus());
  return syncStatus();  // partial is freed on return
}

template <typename T>
Status scatterColumns(const double* g, const SortedColumns& S, Strides to, T* out) {
  if (g == nullptr || out == nullptr) return Status::BadArgument;
  const size_t total = S.n * S.k;
  if (total == 0) return Status::Ok;
  scatterKernel<<<gridFor(total), kThreads, 0, stream()>>>(g, S.rows(), S.n, total, to, out);
  return launchStatus();
}

template Status sortColumns<float, float>(const float*, size_t, size_t, Strides, const float*, Strides, SortedColumns&);
template Status sortColumns<double, double>(const double*, size_t, size_t, Strides, const double*, Strides, SortedColumns&);
template Status sortColumns<double, float>(const double*, size_t, size_t, Strides, const float*, Strides, SortedColumns&);
template Status scatterColumns<float>(const double*, const SortedColumns&, Strides, float*);
template Status scatterColumns<double>(const double*, const SortedColumns&, Strides, double*);

}  // namespace ot::cuda::oned
