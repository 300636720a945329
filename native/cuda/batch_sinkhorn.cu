// Batched Sinkhorn on the GPU (POT: ot.batch.solve_batch, 'log_sinkhorn' and 'sinkhorn'): one block per
// problem, its kernel matrix K = -M/reg (or exp of it) held in shared memory across iterations, a warp
// per row for u and a warp per column for v (odd row stride: conflict-free column walks).
#include <algorithm>
#include <cmath>

#include "cuda/batch_sinkhorn.h"
#include "cuda/kernel_util.h"

namespace ot::cuda {
namespace {

constexpr unsigned kBlock = 256;
constexpr unsigned kWarps = kBlock / 32;
// Per-problem status codes, those of ot::Status (and of the CPU solver's status array).
constexpr int32_t kConverged = static_cast<int32_t>(Status::Ok);
constexpr int32_t kMaxIter = static_cast<int32_t>(Status::MaxIter);
constexpr int32_t kDiverged = static_cast<int32_t>(Status::Diverged);

template <typename T>
struct BatchParams {
  const T* M;
  const T* a;
  const T* b;
  size_t n, m, ld;  // ld: row stride of K in shared memory
  T nr;             // -1/reg
  T tol;
  bool each;
  T* u;  // [B×n] state carried between launches
  T* v;  // [B×m]
  T* err;
  int32_t* nIter;
  uint8_t* conv;
  int* notDone;  // problems still running after this launch
};

// One problem's operands: K, u, v and the log (or plain) weights, in shared memory or read from global.
template <typename T, bool LOG, bool SHARED>
struct Problem {
  const T* Mb;
  const T* aG;
  const T* bG;
  T* K;
  T* u;
  T* v;
  T* la;
  T* lb;
  size_t m, ld;
  T nr;
  __device__ T k(size_t i, size_t j) const {
    if constexpr (SHARED) {
      return K[i * ld + j];
    } else {
      const T x = Mb[i * m + j] * nr;
      return LOG ? x : math::ex(x);
    }
  }
  __device__ T wa(size_t i) const {
    if constexpr (SHARED) return la[i];
    else return LOG ? math::ln(aG[i]) : aG[i];
  }
  __device__ T wb(size_t j) const {
    if constexpr (SHARED) return lb[j];
    else return LOG ? math::ln(bG[j]) : bG[j];
  }
};

// Log-sum-exp over a warp's strided elements in two passes (max, then sum): the values sit in shared
// memory, so re-reading is cheaper than an exp per shuffle step of the one-pass merge.
template <typename T, class F>
__device__ T warpLseTwoPass(size_t len, unsigned lane, const F& f) {
  T mx = math::negInf<T>();
  for (size_t t = lane; t < len; t += 32) mx = fmax(mx, f(t));
  mx = warpMax(mx);
  if (mx == math::negInf<T>()) return mx;
  T s = 0;
  for (size_t t = lane; t < len; t += 32) s += math::ex(f(t) - mx);
  s = warpSum(s);
  return mx + math::ln(s);
}

template <typename T, bool LOG, bool SHARED>
__global__ void __launch_bounds__(kBlock) batchIterKernel(BatchParams<T> p, int64_t it0, int64_t it1) {
  const size_t bi = blockIdx.x;
  if (p.each && p.conv[bi]) return;
  extern __shared__ __align__(16) unsigned char smem[];
  __shared__ T scratch[32];
  const size_t n = p.n, m = p.m;
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  Problem<T, LOG, SHARED> pb{p.M + bi * n * m, p.a + bi * n, p.b + bi * m, nullptr, p.u + bi * n, p.v + bi * m,
                             nullptr, nullptr, m, p.ld, p.nr};
  if constexpr (SHARED) {
    T* s = reinterpret_cast<T*>(smem);
    pb.K = s;
    pb.u = s + n * p.ld;
    pb.v = pb.u + n;
    pb.la = pb.v + m;
    pb.lb = pb.la + n;
    for (size_t e = threadIdx.x; e < n * m; e += kBlock) {
      const T x = pb.Mb[e] * p.nr;
      pb.K[(e / m) * p.ld + e % m] = LOG ? x : math::ex(x);
    }
    for (size_t i = threadIdx.x; i < n; i += kBlock) {
      pb.u[i] = p.u[bi * n + i];
      pb.la[i] = LOG ? math::ln(pb.aG[i]) : pb.aG[i];
    }
    for (size_t j = threadIdx.x; j < m; j += kBlock) {
      pb.v[j] = p.v[bi * m + j];
      pb.lb[j] = LOG ? math::ln(pb.bG[j]) : pb.bG[j];
    }
    __syncthreads();
  }

  int64_t done = it1;
  bool lastOk = p.conv[bi] != 0;
  for (int64_t ii = it0; ii < it1; ++ii) {
    // u_i = log a_i - LSE_j(K_ij + v_j)   |   f_i = a_i / Σ_j K_ij g_j
    for (size_t i = warp; i < n; i += kWarps) {
      T ui;
      if constexpr (LOG) {
        ui = pb.wa(i) - warpLseTwoPass<T>(m, lane, [&](size_t j) { return pb.k(i, j) + pb.v[j]; });
      } else {
        T s = 0;
        for (size_t j = lane; j < m; j += 32) s += pb.k(i, j) * pb.v[j];
        ui = pb.wa(i) / warpSum(s);
      }
      if (lane == 0) pb.u[i] = ui;
    }
    __syncthreads();
    // v_j = log b_j - LSE_i(K_ij + u_i)   |   g_j = b_j / Σ_i K_ij f_i
    for (size_t j = warp; j < m; j += kWarps) {
      T vj;
      if constexpr (LOG) {
        vj = pb.wb(j) - warpLseTwoPass<T>(n, lane, [&](size_t i) { return pb.k(i, j) + pb.u[i]; });
      } else {
        T s = 0;
        for (size_t i = lane; i < n; i += 32) s += pb.k(i, j) * pb.u[i];
        vj = pb.wb(j) / warpSum(s);
      }
      if (lane == 0) pb.v[j] = vj;
    }
    __syncthreads();
    if (ii % 10 == 0) {  // POT: err = ||plan 1 - a||_2 every 10th iteration
      T local = 0;
      for (size_t i = warp; i < n; i += kWarps) {
        T s = 0;
        for (size_t j = lane; j < m; j += 32)
          s += LOG ? math::ex((pb.k(i, j) + pb.u[i]) + pb.v[j]) : (pb.k(i, j) * pb.u[i]) * pb.v[j];
        s = warpSum(s);
        const T dlt = s - pb.aG[i];
        local += dlt * dlt;
      }
      const T err = sqrt(blockSum(lane == 0 ? local : T(0), scratch));
      if (threadIdx.x == 0) p.err[bi] = err;
      lastOk = err < p.tol;
      if (p.each && lastOk) {
        done = ii + 1;
        break;
      }
    }
  }
  if constexpr (SHARED) {
    for (size_t i = threadIdx.x; i < n; i += kBlock) p.u[bi * n + i] = pb.u[i];
    for (size_t j = threadIdx.x; j < m; j += kBlock) p.v[bi * m + j] = pb.v[j];
  }
  if (threadIdx.x == 0) {
    p.nIter[bi] = static_cast<int32_t>(done);
    p.conv[bi] = lastOk ? 1 : 0;
    if (!lastOk) atomicAdd(p.notDone, 1);
  }
}

// Per problem (one block each): plan, <M, plan>, POT's value (with the Σ plan log(plan / (a bᵀ) + eps)
// or Σ plan log(plan + eps) regulariser) and the status: converged, else max_iter while the last error
// and the value are finite, else diverged (the codes of ot::Status).
template <typename T, bool LOG>
__global__ void __launch_bounds__(kBlock)
    batchOutputKernel(const T* __restrict__ M, const T* __restrict__ a, const T* __restrict__ b, const T* __restrict__ u,
                      const T* __restrict__ v, size_t n, size_t m, T nr, T reg, bool klReg,
                      const T* __restrict__ err, const uint8_t* __restrict__ conv, T* plan, T* value, T* vl,
                      int32_t* status) {
  __shared__ T scratch[32];
  const size_t bi = blockIdx.x, nm = n * m;
  T s0 = 0, s1 = 0, s2 = 0;
  for (size_t e = threadIdx.x; e < nm; e += kBlock) {
    const size_t i = e / m, j = e % m;
    const T mij = M[bi * nm + e];
    const T ui = u[bi * n + i], vj = v[bi * m + j];
    // POT: exp(K + u + v) with K = -M/reg, or (exp(-M/reg) * f) * g.
    const T P = LOG ? math::ex((mij * nr + ui) + vj) : (math::ex(mij * nr) * ui) * vj;
    if (plan) plan[bi * nm + e] = P;
    s0 += mij * P;
    if (klReg) s2 += math::klTerm(P, a[bi * n + i] * b[bi * m + j]);
    else s1 += math::entropyTerm(P);
  }
  s0 = blockSum(s0, scratch);
  const T r = blockSum(klReg ? s2 : s1, scratch);
  if (threadIdx.x == 0) {
    vl[bi] = s0;
    value[bi] = s0 + reg * r;
    const bool finite = isfinite(err[bi]) && isfinite(s0);
    status[bi] = conv[bi] ? kConverged : finite ? kMaxIter : kDiverged;
  }
}

template <typename T>
__global__ void fillKernel(T* x, size_t len, T value) {
  const size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (i < len) x[i] = value;
}

template <typename T, bool LOG, bool SHARED>
Status launchIter(const BatchParams<T>& p, size_t B, size_t smemBytes, int64_t it0, int64_t it1) {
  auto kernel = batchIterKernel<T, LOG, SHARED>;
  if (SHARED && smemBytes > 48 * 1024)
    OT_CUDA_TRY(statusFromCuda(
        cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smemBytes))));
  kernel<<<static_cast<unsigned>(B), kBlock, SHARED ? smemBytes : 0, stream()>>>(p, it0, it1);
  return launchStatus();
}

template <typename T, bool LOG>
Status solve(const BatchParams<T>& p, size_t B, int64_t maxIter, CancelFlag cancel, int* notDoneHost) {
  const size_t smemBytes = (p.n * p.ld + 2 * p.n + 2 * p.m) * sizeof(T);
  const bool shared = smemBytes + 32 * sizeof(T) <= deviceProps().sharedPerBlockOptin;  // + static scratch
  int64_t it0 = 0;
  *notDoneHost = static_cast<int>(B);
  while (it0 < maxIter) {
    if (cancel.raised()) return Status::Aborted;
    // Batch rule: every launch ends on a check iteration (ii % 10 == 0) so the host can stop the whole
    // batch there; Each rule: blocks stop themselves, launches are only cancellation points.
    int64_t it1 = p.each ? it0 + 100 : (it0 + 9) / 10 * 10 + 1;
    it1 = std::min(it1, maxIter);
    OT_CUDA_TRY(statusFromCuda(cudaMemsetAsync(p.notDone, 0, sizeof(int), stream())));
    OT_CUDA_TRY(shared ? launchIter<T, LOG, true>(p, B, smemBytes, it0, it1)
                       : launchIter<T, LOG, false>(p, B, smemBytes, it0, it1));
    OT_CUDA_TRY(statusFromCuda(cudaMemcpyAsync(notDoneHost, p.notDone, sizeof(int), cudaMemcpyDeviceToHost, stream())));
    OT_CUDA_TRY(syncStatus());
    it0 = it1;
    if (*notDoneHost == 0) break;
  }
  return Status::Ok;
}

}  // namespace

template <typename T>
Status batchSinkhornCuda(const T* M, const T* a, const T* b, size_t B, size_t n, size_t m, double reg, bool klReg,
                         int64_t maxIter, double tol, BatchSolver solver, BatchStop stop, CancelFlag cancel,
                         BatchOutputs<T>& out) {
  if (!(reg > 0) || maxIter < 0 || out.pot0 == nullptr || out.pot1 == nullptr || out.value == nullptr ||
      out.valueLinear == nullptr || out.status == nullptr || out.nIter == nullptr)
    return Status::BadArgument;
  if (B == 0) return Status::Ok;
  if (maxIter > INT32_MAX) maxIter = INT32_MAX;
  const bool log = solver == BatchSolver::LogSinkhorn;
  // Solver state the outputs are derived from: the last error and whether it fell below tol.
  DeviceBuffer counter, err, conv;
  OT_CUDA_TRY(counter.allocate(1, DType::Int32));
  OT_CUDA_TRY(err.allocate(B, dtypeOf<T>()));
  OT_CUDA_TRY(conv.allocate(B, DType::UInt8));
  // POT's starting point: u = v = 0 (log) or f = g = 1 (scaling); no error measured yet.
  const T u0 = log ? T(0) : T(1);
  if (B * n) fillKernel<<<blocksFor(B * n, 256), 256, 0, stream()>>>(out.pot0, B * n, u0);
  if (B * m) fillKernel<<<blocksFor(B * m, 256), 256, 0, stream()>>>(out.pot1, B * m, u0);
  fillKernel<<<blocksFor(B, 256), 256, 0, stream()>>>(err.as<T>(), B, static_cast<T>(NAN));
  OT_CUDA_TRY(launchStatus());
  OT_CUDA_TRY(statusFromCuda(cudaMemsetAsync(out.nIter, 0, B * sizeof(int32_t), stream())));
  OT_CUDA_TRY(statusFromCuda(cudaMemsetAsync(conv.data(), 0, B, stream())));

  BatchParams<T> p{M, a, b, n, m, m | size_t(1), static_cast<T>(-1.0 / reg), static_cast<T>(tol), stop == BatchStop::Each,
                   out.pot0, out.pot1, err.as<T>(), out.nIter, conv.as<uint8_t>(), counter.as<int>()};
  int notDone = static_cast<int>(B);
  OT_CUDA_TRY(log ? solve<T, true>(p, B, maxIter, cancel, &notDone) : solve<T, false>(p, B, maxIter, cancel, &notDone));

  const T r = static_cast<T>(reg);
  if (log)
    batchOutputKernel<T, true><<<static_cast<unsigned>(B), kBlock, 0, stream()>>>(
        M, a, b, out.pot0, out.pot1, n, m, p.nr, r, klReg, err.as<T>(), conv.as<uint8_t>(), out.plan, out.value,
        out.valueLinear, out.status);
  else
    batchOutputKernel<T, false><<<static_cast<unsigned>(B), kBlock, 0, stream()>>>(
        M, a, b, out.pot0, out.pot1, n, m, p.nr, r, klReg, err.as<T>(), conv.as<uint8_t>(), out.plan, out.value,
        out.valueLinear, out.status);
  OT_CUDA_TRY(launchStatus());
  OT_CUDA_TRY(syncStatus());  // err, conv and counter are freed on return
  return notDone == 0 ? Status::Ok : Status::MaxIter;
}

template Status batchSinkhornCuda<float>(const float*, const float*, const float*, size_t, size_t, size_t, double, bool,
                                         int64_t, double, BatchSolver, BatchStop, CancelFlag, BatchOutputs<float>&);
template Status batchSinkhornCuda<double>(const double*, const double*, const double*, size_t, size_t, size_t, double, bool,
                                          int64_t, double, BatchSolver, BatchStop, CancelFlag, BatchOutputs<double>&);

}  // namespace ot::cuda
