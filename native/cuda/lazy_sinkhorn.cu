// Lazy log-domain Sinkhorn on the GPU (see lazy_sinkhorn.h). A pass walks one side's points, a thread per
// point; the block loads the other side's points and potentials a tile at a time into shared memory and
// each thread folds exp(pot_j - |p - q_j|^2 / reg) into its running log-sum-exp. The other side's points
// are split over blockIdx.y so that small clouds still fill the GPU; the splits' partial (max, sum) pairs
// are merged by a second small kernel. Potentials are kept in double (the kernels read float copies for
// float data, as the CPU kernel does); tiles sum in the data's type and fold into double.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "common/lazy_value.h"
#include "cuda/kernel_util.h"
#include "cuda/lazy_sinkhorn.h"
#include "cuda/runtime.h"

namespace ot::cuda {
namespace {

constexpr unsigned kThreads = 128;
constexpr size_t kSharedBudget = 40 * 1024;  // bytes of a column tile (under the 48 KiB default)
constexpr size_t kGradChunk = 16;             // coordinates of the gradient accumulated per stats pass

template <typename T>
__device__ __forceinline__ T sqDist(const T* p, const T* q, size_t d) {
  T c = 0;
  for (size_t k = 0; k < d; ++k) {
    const T t = p[k] - q[k];
    c += t * t;
  }
  return c;
}

// A thread's own point: in registers when d <= kRegD (fully unrolled, the k < d tests are the same in the
// whole warp), else read through L1 as needed.
constexpr size_t kRegD = 8;
template <typename T>
struct OwnPoint {
  T r[kRegD];
  const T* p;
  size_t d;
  __device__ OwnPoint(const T* pt, size_t dim) : p(pt), d(dim) {
#pragma unroll
    for (size_t k = 0; k < kRegD; ++k) r[k] = k < dim ? pt[k] : T(0);
  }
  __device__ __forceinline__ T dist(const T* q) const {
    if (d > kRegD) return sqDist(p, q, d);
    T c = 0;
#pragma unroll
    for (size_t k = 0; k < kRegD; ++k) {
      if (k < d) {
        const T t = r[k] - q[k];
        c += t * t;
      }
    }
    return c;
  }
};

// Independent running log-sum-exps per thread, so consecutive columns do not wait on each other.
constexpr int kChains = 4;

// Columns per shared tile for d coordinates (+ the potential) of type T.
template <typename T>
size_t tileColumns(size_t d) {
  return std::max<size_t>(1, std::min<size_t>(256, kSharedBudget / ((d + 1) * sizeof(T))));
}

// Loads columns [j0, j0 + w) of `cols` ([count, d]) and their potentials into shared memory.
template <typename T>
__device__ void loadTile(const T* cols, const T* pot, size_t d, size_t j0, size_t w, T* qS, T* pS) {
  __syncthreads();  // the previous tile may still be read
  const size_t total = w * d;
  for (size_t e = threadIdx.x; e < total; e += blockDim.x) qS[e] = cols[j0 * d + e];
  for (size_t e = threadIdx.x; e < w; e += blockDim.x) pS[e] = pot[j0 + e];
  __syncthreads();
}

// Partial log-sum-exp of row r over this split's columns: part[split * nR + r] = (max, sum).
template <typename T>
__global__ void __launch_bounds__(kThreads)
    lsePartKernel(const T* __restrict__ rows, size_t nR, const T* __restrict__ cols, size_t nC, size_t d,
                  const T* __restrict__ pot, T invReg, size_t tile, size_t colsPerSplit, double2* __restrict__ part) {
  extern __shared__ __align__(16) unsigned char smem[];
  T* qS = reinterpret_cast<T*>(smem);
  T* pS = qS + tile * d;
  const size_t r = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  const bool active = r < nR;
  const size_t c0 = blockIdx.y * colsPerSplit, c1 = smin(nC, c0 + colsPerSplit);
  const OwnPoint<T> p(rows + (active ? r : 0) * d, d);
  double runMax = -INFINITY, runSum = 0;
  for (size_t j0 = c0; j0 < c1; j0 += tile) {
    const size_t w = smin(tile, c1 - j0);
    loadTile(cols, pot, d, j0, w, qS, pS);
    if (!active) continue;
    math::Lse<T> chain[kChains];
    size_t j = 0;
    for (; j + kChains <= w; j += kChains) {
#pragma unroll
      for (int u = 0; u < kChains; ++u) chain[u].push(pS[j + u] - p.dist(qS + (j + u) * d) * invReg);
    }
    for (; j < w; ++j) chain[0].push(pS[j] - p.dist(qS + j * d) * invReg);
    math::Lse<T> acc = chain[0];
#pragma unroll
    for (int u = 1; u < kChains; ++u) acc.merge(chain[u]);
    if (acc.mx == math::negInf<T>()) continue;
    const double m = static_cast<double>(acc.mx);
    if (m > runMax) {
      runSum = runSum * exp(runMax - m) + static_cast<double>(acc.s);
      runMax = m;
    } else {
      runSum += static_cast<double>(acc.s) * exp(m - runMax);
    }
  }
  if (active) part[blockIdx.y * nR + r] = make_double2(runMax, runSum);
}

// lse[r] = the merged partials of row r.
__global__ void mergeKernel(const double2* __restrict__ part, size_t nR, size_t splits, double* __restrict__ lse) {
  const size_t r = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (r >= nR) return;
  double mx = -INFINITY, s = 0;
  for (size_t k = 0; k < splits; ++k) {
    const double2 q = part[k * nR + r];
    if (q.x == -INFINITY) continue;
    if (q.x > mx) {
      s = s * exp(mx - q.x) + q.y;
      mx = q.x;
    } else {
      s += q.y * exp(q.x - mx);
    }
  }
  lse[r] = mx + log(s);
}

// The potential update pot[r] = log w_r - lse[r] (-inf for a zero weight), with its copy in the data's type.
template <typename T>
__global__ void potKernel(const double* __restrict__ lse, const T* __restrict__ w, double uniform, size_t nR,
                          double* __restrict__ pot, T* __restrict__ potC) {
  const size_t r = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (r >= nR) return;
  const double wr = w ? static_cast<double>(w[r]) : uniform;
  const double v = wr > 0 ? log(wr) - lse[r] : -INFINITY;
  pot[r] = v;
  potC[r] = static_cast<T>(v);
}

// err = sum_r |exp(f_r + lse_r) - a_r| over the rows with a_r > 0 (and a_r itself where a_r = 0).
template <typename T>
__global__ void errKernel(const double* __restrict__ f, const double* __restrict__ lse, const T* __restrict__ w,
                          double uniform, size_t n, double* __restrict__ err) {
  __shared__ double scratch[32];
  double e = 0;
  for (size_t r = blockIdx.x * size_t(blockDim.x) + threadIdx.x; r < n; r += size_t(gridDim.x) * blockDim.x) {
    const double wr = w ? static_cast<double>(w[r]) : uniform;
    e += fabs((wr > 0 ? exp(f[r] + lse[r]) : 0.0) - wr);
  }
  e = blockSum(e, scratch);
  if (threadIdx.x == 0) atomicAdd(err, e);
}

// At the solution, this split's part of row r's mass sum_j P_rj, linear cost sum_j P_rj C_rj and, for the
// coordinates [k0, k0 + kw), sum_j P_rj q_jk: stats[(split * nR + r) * (2 + kw) + ...].
template <typename T>
__global__ void __launch_bounds__(kThreads)
    statsPartKernel(const T* __restrict__ rows, size_t nR, const T* __restrict__ cols, size_t nC, size_t d,
                    const double* __restrict__ own, const T* __restrict__ pot, T invReg, size_t tile, size_t colsPerSplit,
                    size_t k0, size_t kw, double* __restrict__ stats) {
  extern __shared__ __align__(16) unsigned char smem[];
  T* qS = reinterpret_cast<T*>(smem);
  T* pS = qS + tile * d;
  const size_t r = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  const bool active = r < nR && own[r] > -INFINITY;
  const size_t c0 = blockIdx.y * colsPerSplit, c1 = smin(nC, c0 + colsPerSplit);
  const OwnPoint<T> p(rows + (r < nR ? r : 0) * d, d);
  const T fr = active ? static_cast<T>(own[r]) : T(0);
  double rm = 0, rl = 0, acc[kGradChunk];
  for (size_t k = 0; k < kGradChunk; ++k) acc[k] = 0;
  for (size_t j0 = c0; j0 < c1; j0 += tile) {
    const size_t w = smin(tile, c1 - j0);
    loadTile(cols, pot, d, j0, w, qS, pS);
    if (!active) continue;
    T tm = 0, tl = 0, ta[kGradChunk];
    for (size_t k = 0; k < kGradChunk; ++k) ta[k] = 0;
    for (size_t j = 0; j < w; ++j) {
      const T* q = qS + j * d;
      const T c = p.dist(q);
      const T e = math::ex(fr + pS[j] - c * invReg);
      tm += e;
      tl += e * c;
      for (size_t k = 0; k < kw; ++k) ta[k] += e * q[k0 + k];
    }
    rm += static_cast<double>(tm);
    rl += static_cast<double>(tl);
    for (size_t k = 0; k < kw; ++k) acc[k] += static_cast<double>(ta[k]);
  }
  if (r >= nR) return;
  double* out = stats + (blockIdx.y * nR + r) * (2 + kw);
  out[0] = rm;
  out[1] = rl;
  for (size_t k = 0; k < kw; ++k) out[2 + k] = acc[k];
}

// Sums the splits' stats; writes mass, lin (first chunk) and grad[r, k0 + k] = 2 (mass p_rk - sum P q_k).
template <typename T>
__global__ void statsMergeKernel(const double* __restrict__ stats, size_t nR, size_t splits, size_t k0, size_t kw,
                                 const T* __restrict__ rows, size_t d, double* __restrict__ mass,
                                 double* __restrict__ lin, T* __restrict__ grad) {
  const size_t r = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (r >= nR) return;
  double rm = 0, rl = 0;
  for (size_t s = 0; s < splits; ++s) {
    const double* q = stats + (s * nR + r) * (2 + kw);
    rm += q[0];
    rl += q[1];
  }
  if (k0 == 0) {
    mass[r] = rm;
    lin[r] = rl;
  }
  if (grad == nullptr) return;
  for (size_t k = 0; k < kw; ++k) {
    double t = 0;
    for (size_t s = 0; s < splits; ++s) t += stats[(s * nR + r) * (2 + kw) + 2 + k];
    grad[r * d + k0 + k] = static_cast<T>(2 * (rm * static_cast<double>(rows[r * d + k0 + k]) - t));
  }
}

template <typename T>
__global__ void nonFiniteKernel(const T* __restrict__ v, size_t len, int* __restrict__ flag) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < len; i += size_t(gridDim.x) * blockDim.x)
    if (!isfinite(v[i])) *flag = 1;
}

// One side of the problem as the passes see it.
template <typename T>
struct Side {
  const T* pts;       // [count, d]
  size_t count;
  const T* w;         // weights or null (uniform)
  double uniform;     // 1 / count
  double* pot;        // device, double
  T* potC;            // device, in T
  double* lse;        // device
};

template <typename T>
class Passes {
 public:
  Passes(size_t d, double reg) : d_(d), invReg_(static_cast<T>(1.0 / reg)), tile_(tileColumns<T>(d)) {}

  // How the other side's points split over blockIdx.y: enough blocks for ~4 per multiprocessor.
  size_t splitsFor(size_t nR, size_t nC) const {
    const size_t rowBlocks = blocksFor(nR, kThreads);
    const size_t sms = std::max(1, deviceProps().sms);
    const size_t want = (4 * sms + rowBlocks - 1) / rowBlocks;
    const size_t tiles = (nC + tile_ - 1) / tile_;
    return std::max<size_t>(1, std::min(want, tiles));
  }
  size_t colsPerSplit(size_t nC, size_t splits) const {
    const size_t tiles = (nC + tile_ - 1) / tile_;
    return ((tiles + splits - 1) / splits) * tile_;
  }
  size_t shared() const { return (tile_ * d_ + tile_) * sizeof(T); }

  // own.lse: the log-sum-exp of own's rows against `other` (its potC).
  Status lse(const Side<T>& own, const Side<T>& other, double2* part) const {
    const size_t splits = splitsFor(own.count, other.count);
    const dim3 grid(blocksFor(own.count, kThreads), static_cast<unsigned>(splits));
    lsePartKernel<T><<<grid, kThreads, shared(), stream()>>>(own.pts, own.count, other.pts, other.count, d_, other.potC,
                                                              invReg_, tile_, colsPerSplit(other.count, splits), part);
    OT_CUDA_TRY(launchStatus());
    mergeKernel<<<blocksFor(own.count, 256), 256, 0, stream()>>>(part, own.count, splits, own.lse);
    return launchStatus();
  }

  // own.pot = log w - own.lse.
  static Status update(const Side<T>& own) {
    potKernel<T><<<blocksFor(own.count, 256), 256, 0, stream()>>>(own.lse, own.w, own.uniform, own.count, own.pot, own.potC);
    return launchStatus();
  }

  // mass, lin and (grad non-null) the envelope gradient of own's points.
  Status stats(const Side<T>& own, const Side<T>& other, double* stats, double* mass, double* lin, T* grad) const {
    const size_t splits = splitsFor(own.count, other.count);
    const dim3 grid(blocksFor(own.count, kThreads), static_cast<unsigned>(splits));
    const size_t chunks = grad ? (d_ + kGradChunk - 1) / kGradChunk : 1;
    for (size_t c = 0; c < chunks; ++c) {
      const size_t k0 = c * kGradChunk, kw = grad ? std::min(kGradChunk, d_ - k0) : 0;
      statsPartKernel<T><<<grid, kThreads, shared(), stream()>>>(own.pts, own.count, other.pts, other.count, d_, own.pot,
                                                                  other.potC, invReg_, tile_,
                                                                  colsPerSplit(other.count, splits), k0, kw, stats);
      OT_CUDA_TRY(launchStatus());
      statsMergeKernel<T><<<blocksFor(own.count, 256), 256, 0, stream()>>>(stats, own.count, splits, k0, kw, own.pts, d_,
                                                                           mass, lin, grad);
      OT_CUDA_TRY(launchStatus());
    }
    return Status::Ok;
  }

  size_t statsDoubles(size_t nR, size_t nC) const { return splitsFor(nR, nC) * nR * (2 + kGradChunk); }
  size_t partPairs(size_t nR, size_t nC) const { return splitsFor(nR, nC) * nR; }

 private:
  size_t d_;
  T invReg_;
  size_t tile_;
};

template <typename T>
Status solve(const LazySinkhornCudaProblem<T>& p, LazySinkhornCudaResult<T>& out) {
  const size_t n = p.n, m = p.m, d = p.d;
  const Passes<T> passes(d, p.reg);
  if (passes.shared() > 48 * 1024) return Status::BadArgument;
  // Device vectors: f, g, lseR, lseC (double), fC, gC (T), the partials, the stats, the error, a flag.
  DeviceBuffer dbl, typed, part, stats, scalars;
  const size_t parts = std::max(passes.partPairs(n, m), passes.partPairs(m, n));
  const size_t statsLen = std::max(passes.statsDoubles(n, m), passes.statsDoubles(m, n));
  OT_CUDA_TRY(dbl.allocate(4 * (n + m), DType::Float64));
  OT_CUDA_TRY(typed.allocate(n + m, dtypeOf<T>()));
  OT_CUDA_TRY(part.allocate(2 * parts, DType::Float64));
  OT_CUDA_TRY(stats.allocate(statsLen, DType::Float64));
  OT_CUDA_TRY(scalars.allocate(2, DType::Float64));
  OT_CUDA_TRY(typed.zero());
  double* f = dbl.as<double>();
  double* g = f + n;
  double* lseR = g + m;
  double* lseC = lseR + n;
  double* massR = lseC + m;
  double* linR = massR + n;
  double* massC = linR + n;
  double* linC = massC + m;
  double* err = scalars.as<double>();
  int* flag = reinterpret_cast<int*>(err + 1);
  auto* pairs = reinterpret_cast<double2*>(part.data());
  const Side<T> X{p.x, n, p.a, 1.0 / static_cast<double>(n), f, typed.as<T>(), lseR};
  const Side<T> Y{p.y, m, p.b, 1.0 / static_cast<double>(m), g, typed.as<T>() + n, lseC};

  // The CPU kernel's schedule: f from the last row pass, g against it, then the next row pass (which
  // also gives the current plan's row marginals for the error check every 10 iterations).
  OT_CUDA_TRY(passes.lse(X, Y, pairs));  // g = 0: the first f's log-sum-exp
  out.status = 1;
  size_t it = 0;
  for (; it < p.maxIter; ++it) {
    if (p.cancel.raised()) return Status::Aborted;
    OT_CUDA_TRY(Passes<T>::update(X));
    OT_CUDA_TRY(passes.lse(Y, X, pairs));
    OT_CUDA_TRY(Passes<T>::update(Y));
    const bool check = (it + 1) % 10 == 0;
    if (!check && it + 1 == p.maxIter) break;
    OT_CUDA_TRY(passes.lse(X, Y, pairs));
    if (!check) continue;
    OT_CUDA_TRY(statusFromCuda(cudaMemsetAsync(err, 0, sizeof(double), stream())));
    errKernel<T><<<std::min<unsigned>(blocksFor(n, 256), 1024), 256, 0, stream()>>>(f, lseR, p.a, X.uniform, n, err);
    OT_CUDA_TRY(launchStatus());
    double e = 0;
    OT_CUDA_TRY(copyDeviceToHost(&e, err, sizeof(double)));
    out.err = e;
    if (!std::isfinite(e)) {
      out.status = 2;
      break;
    }
    if (e <= p.tol) {
      out.status = 0;
      break;
    }
  }
  out.nIter = std::min(it, p.maxIter > 0 ? p.maxIter - 1 : 0);
  OT_CUDA_TRY(copyDeviceToHost(out.f, f, n * sizeof(double)));
  OT_CUDA_TRY(copyDeviceToHost(out.g, g, m * sizeof(double)));
  // Weights, to tell a zero weight's -inf potential from a diverged one (host copies are O(n + m)).
  std::vector<T> wa(p.a ? n : 0), wb(p.b ? m : 0);
  if (p.a) OT_CUDA_TRY(copyDeviceToHost(wa.data(), p.a, n * sizeof(T)));
  if (p.b) OT_CUDA_TRY(copyDeviceToHost(wb.data(), p.b, m * sizeof(T)));
  auto A = [&](size_t i) { return p.a ? static_cast<double>(wa[i]) : X.uniform; };
  auto B = [&](size_t j) { return p.b ? static_cast<double>(wb[j]) : Y.uniform; };
  if (!lazy::potentialsFinite(out.f, out.g, n, m, A, B)) out.status = 2;
  if (out.status == 2) {
    out.value = out.valueLinear = std::numeric_limits<double>::quiet_NaN();
    return Status::Ok;
  }
  if (p.cancel.raised()) return Status::Aborted;

  // The value and the envelope gradients: one tiled pass per side at the solution.
  T* gx = p.wantGrad ? out.gradX : nullptr;
  T* gy = p.wantGrad ? out.gradY : nullptr;
  OT_CUDA_TRY(passes.stats(X, Y, stats.as<double>(), massR, linR, gx));
  OT_CUDA_TRY(passes.stats(Y, X, stats.as<double>(), massC, linC, gy));
  std::vector<double> hMassR(n), hLinR(n), hMassC(m);
  OT_CUDA_TRY(copyDeviceToHost(hMassR.data(), massR, n * sizeof(double)));
  OT_CUDA_TRY(copyDeviceToHost(hLinR.data(), linR, n * sizeof(double)));
  OT_CUDA_TRY(copyDeviceToHost(hMassC.data(), massC, m * sizeof(double)));
  const lazy::Value v = lazy::value(out.f, out.g, hMassR.data(), hLinR.data(), hMassC.data(), n, m, p.reg, A, B);
  out.valueLinear = v.valueLinear;
  out.value = v.value;
  bool finite = std::isfinite(out.value) && std::isfinite(out.valueLinear);
  if (gx != nullptr && finite) {
    OT_CUDA_TRY(statusFromCuda(cudaMemsetAsync(flag, 0, sizeof(int), stream())));
    nonFiniteKernel<T><<<std::min<unsigned>(blocksFor(n * d, 256), 1024), 256, 0, stream()>>>(gx, n * d, flag);
    nonFiniteKernel<T><<<std::min<unsigned>(blocksFor(m * d, 256), 1024), 256, 0, stream()>>>(gy, m * d, flag);
    OT_CUDA_TRY(launchStatus());
    int bad = 0;
    OT_CUDA_TRY(copyDeviceToHost(&bad, flag, sizeof(int)));
    finite = bad == 0;
  }
  if (!finite) {
    out.status = 2;
    out.value = out.valueLinear = std::numeric_limits<double>::quiet_NaN();
  }
  return syncStatus();
}

}  // namespace

template <typename T>
Status lazySinkhornCuda(const LazySinkhornCudaProblem<T>& p, LazySinkhornCudaResult<T>& out) {
  if (p.x == nullptr || p.y == nullptr || out.f == nullptr || out.g == nullptr || p.n == 0 || p.m == 0 || p.d == 0 ||
      !(p.reg > 0) || (p.wantGrad && (out.gradX == nullptr || out.gradY == nullptr))) {
    return Status::BadArgument;
  }
  return solve(p, out);
}

template Status lazySinkhornCuda<float>(const LazySinkhornCudaProblem<float>&, LazySinkhornCudaResult<float>&);
template Status lazySinkhornCuda<double>(const LazySinkhornCudaProblem<double>&, LazySinkhornCudaResult<double>&);

}  // namespace ot::cuda
