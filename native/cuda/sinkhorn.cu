// Log-domain Sinkhorn on the GPU (POT: ot.bregman.sinkhorn_log): one kernel per half-iteration (a warp
// per row for u, coalesced column tiles for v), the marginal error fused into the next v-update and
// read back once per 10 iterations; the plan and POT's value terms come from one final row pass.
#include <cmath>
#include <limits>

#include "cuda/reduce.h"
#include "cuda/sinkhorn.h"

namespace ot::cuda {
namespace {

// u_i = log a_i - LSE_j(-M_ij/reg + v_j)
template <typename T>
struct URowOp {
  using Acc = math::Lse<T>;
  struct Ctx {};
  const T* v;
  const T* a;
  T* u;
  T nr;  // -1/reg
  __device__ Ctx row(size_t) const { return {}; }
  __device__ void step(const Ctx&, Acc& acc, size_t, size_t j, T mij) const { acc.push(mij * nr + v[j]); }
  __device__ void finishRow(const Ctx&, size_t i, const Acc& acc) const { u[i] = math::ln(a[i]) - acc.value(); }
};

// v_j = log b_j - LSE_i(-M_ij/reg + u_i); with errTerms, also (colsum_j - b_j)^2 where
// colsum_j = Σ_i exp(-M_ij/reg + u_i + vOld_j) = exp(LSE + vOld_j): POT's check, at no extra pass.
template <typename T>
struct VColOp {
  using Acc = math::Lse<T>;
  struct Ctx {};
  const T* u;
  const T* b;
  const T* vOld;
  T* vNew;
  T* errTerms;
  T nr;
  __device__ Ctx col(size_t) const { return {}; }
  __device__ void step(const Ctx&, Acc& acc, size_t i, size_t, T mij) const { acc.push(mij * nr + u[i]); }
  __device__ void finishCol(const Ctx&, size_t j, const Acc& acc) const {
    const T lse = acc.value();
    vNew[j] = math::ln(b[j]) - lse;
    if (errTerms) {
      const T c = (vOld ? math::ex(lse + vOld[j]) : math::ex(lse)) - b[j];
      errTerms[j] = c * c;
    }
  }
};

// plan_ij = exp(-M_ij/reg + u_i + v_j) (POT's order of additions) and the three value sums per row.
template <typename T>
struct PlanRowOp {
  using Acc = Sums<T, 3>;
  struct Ctx {
    T u, a;
  };
  const T* u;
  const T* v;
  const T* a;
  const T* b;
  T* plan;
  T* rowSums;  // [3 × n]
  size_t n, m;
  T nr;
  __device__ Ctx row(size_t i) const { return {u[i], a[i]}; }
  __device__ void step(const Ctx& c, Acc& acc, size_t i, size_t j, T mij) const {
    const T P = math::ex((mij * nr + c.u) + v[j]);
    if (plan) plan[i * m + j] = P;
    acc.s[0] += mij * P;
    acc.s[1] += math::entropyTerm(P);
    acc.s[2] += math::klTerm(P, c.a * b[j]);
  }
  __device__ void finishRow(const Ctx&, size_t i, const Acc& acc) const {
    rowSums[i] = acc.s[0];
    rowSums[n + i] = acc.s[1];
    rowSums[2 * n + i] = acc.s[2];
  }
};

template <typename T>
Status copyVec(T* dst, const T* src, size_t len) {
  if (dst == src || len == 0) return Status::Ok;
  return statusFromCuda(cudaMemcpyAsync(dst, src, len * sizeof(T), cudaMemcpyDeviceToDevice, stream()));
}

// Makes `buf` hold at least `rows` rows of `width` entries, doubling its capacity (contents kept).
template <typename T>
Status ensureRows(DeviceBuffer& buf, size_t rows, size_t width) {
  if (width == 0 || buf.length() >= rows * width) return Status::Ok;
  const size_t have = buf.length() / width;
  DeviceBuffer grown;
  OT_CUDA_TRY(grown.allocate((rows > 2 * have ? rows : 2 * have) * width, dtypeOf<T>()));
  OT_CUDA_TRY(statusFromCuda(cudaMemcpyAsync(grown.data(), buf.data(), buf.bytes(), cudaMemcpyDeviceToDevice, stream())));
  OT_CUDA_TRY(syncStatus());  // the old block is freed on assignment
  buf = std::move(grown);
  return Status::Ok;
}

// Sums the error terms on the device and brings back ||.||_2 (the only per-check host round trip).
template <typename T>
Status marginalError(const DeviceBuffer& errTerms, size_t m, const DeviceBuffer& sums, double& err) {
  sumRowsKernel<T><<<1, 1024, 0, stream()>>>(errTerms.as<T>(), m, 1, sums.as<double>());
  OT_CUDA_TRY(launchStatus());
  double sq = 0;
  OT_CUDA_TRY(statusFromCuda(cudaMemcpyAsync(&sq, sums.data(), sizeof(double), cudaMemcpyDeviceToHost, stream())));
  OT_CUDA_TRY(syncStatus());
  err = std::sqrt(sq);
  return Status::Ok;
}

}  // namespace

template <typename T>
Status sinkhornLogCuda(const T* M, const T* a, const T* b, size_t n, size_t m, double reg, int64_t maxIter, double tol,
                       CancelFlag cancel, SinkhornLogOutputs<T>& out, const T* u0, const T* v0) {
  if (out.logU == nullptr || out.logV == nullptr || !(reg > 0) || maxIter < 0) return Status::BadArgument;
  if (v0 != nullptr && maxIter != 1) return Status::BadArgument;
  out.nIter = 0;
  out.err = std::numeric_limits<double>::quiet_NaN();
  const T nr = static_cast<T>(-1.0 / reg);
  const bool history = out.histU != nullptr && out.histV != nullptr;
  const DType dt = dtypeOf<T>();

  DeviceBuffer vBuf, errTerms, sums, rowSums;
  ColWorkspace ws;
  OT_CUDA_TRY(vBuf.allocate(3 * m, dt));  // two ping-pong v's and a scratch v for the final check
  OT_CUDA_TRY(errTerms.allocate(m, dt));
  OT_CUDA_TRY(sums.allocate(4, DType::Float64));
  OT_CUDA_TRY(rowSums.allocate(3 * n, dt));
  OT_CUDA_TRY((prepareColumns<T, math::Lse<T>>(n, m, ws)));

  if (history) {  // room for a few rows now; more as iterations run
    const size_t rows = static_cast<size_t>(maxIter < 63 ? maxIter : 63) + 1;
    OT_CUDA_TRY(ensureRows<T>(*out.histU, rows, n));
    OT_CUDA_TRY(ensureRows<T>(*out.histV, rows, m));
  }
  T* uCur = history ? out.histU->template as<T>() : out.logU;
  if (u0) OT_CUDA_TRY(copyVec(uCur, u0, n));
  else if (n) OT_CUDA_TRY(statusFromCuda(cudaMemsetAsync(uCur, 0, n * sizeof(T), stream())));
  const T* vPrev = nullptr;  // v of the last completed iteration (none yet: POT starts from v = 0)

  Status status = Status::MaxIter;
  bool stopped = false;
  for (int64_t ii = 0; ii < maxIter; ++ii) {
    if (cancel.raised()) return Status::Aborted;
    if (history) {  // growing may move the history: re-derive the pointers into it
      OT_CUDA_TRY(ensureRows<T>(*out.histU, size_t(ii) + 2, n));
      OT_CUDA_TRY(ensureRows<T>(*out.histV, size_t(ii) + 1, m));
      uCur = out.histU->template as<T>() + size_t(ii) * n;
      if (ii > 0) vPrev = out.histV->template as<T>() + size_t(ii - 1) * m;
    }
    T* vOut = history ? out.histV->template as<T>() + size_t(ii) * m : vBuf.as<T>() + size_t(ii % 2) * m;
    const bool check = ii >= 1 && (ii - 1) % 10 == 0;  // POT's check of iteration ii - 1
    VColOp<T> vop{uCur, b, vPrev, vOut, check ? errTerms.as<T>() : nullptr, nr};
    OT_CUDA_TRY(colPass(M, n, m, vop, ws));
    if (check) {
      double err = 0;
      OT_CUDA_TRY(marginalError<T>(errTerms, m, sums, err));
      out.err = err;
      if (!std::isfinite(err)) {
        status = Status::Diverged;
        stopped = true;
        break;
      }
      if (err < tol) {
        status = Status::Ok;
        stopped = true;
        break;
      }
    }
    T* uOut = history ? out.histU->template as<T>() + size_t(ii + 1) * n : uCur;
    OT_CUDA_TRY(rowPass(M, n, m, URowOp<T>{v0 ? v0 : vOut, a, uOut, nr}));
    uCur = uOut;
    vPrev = vOut;
    out.nIter = ii + 1;
  }
  // POT also checks the very last iteration when its index is a multiple of 10.
  if (!stopped && maxIter >= 1 && (maxIter - 1) % 10 == 0) {
    VColOp<T> vop{uCur, b, vPrev, vBuf.as<T>() + 2 * m, errTerms.as<T>(), nr};
    OT_CUDA_TRY(colPass(M, n, m, vop, ws));
    double err = 0;
    OT_CUDA_TRY(marginalError<T>(errTerms, m, sums, err));
    out.err = err;
    if (!std::isfinite(err)) status = Status::Diverged;
    else if (err < tol) status = Status::Ok;
  }

  OT_CUDA_TRY(copyVec(out.logU, uCur, n));
  if (vPrev) OT_CUDA_TRY(copyVec(out.logV, vPrev, m));
  else if (m) OT_CUDA_TRY(statusFromCuda(cudaMemsetAsync(out.logV, 0, m * sizeof(T), stream())));

  PlanRowOp<T> pop{out.logU, out.logV, a, b, out.plan, rowSums.as<T>(), n, m, nr};
  OT_CUDA_TRY(rowPass(M, n, m, pop));
  sumRowsKernel<T><<<1, 1024, 0, stream()>>>(rowSums.as<T>(), n, 3, sums.as<double>());
  OT_CUDA_TRY(launchStatus());
  double host[3] = {0, 0, 0};
  OT_CUDA_TRY(statusFromCuda(cudaMemcpyAsync(host, sums.data(), 3 * sizeof(double), cudaMemcpyDeviceToHost, stream())));
  OT_CUDA_TRY(syncStatus());
  out.valueLinear = host[0];
  out.entropy = host[1];
  out.kl = host[2];
  if (!std::isfinite(out.valueLinear)) status = Status::Diverged;
  return status;
}

template Status sinkhornLogCuda<float>(const float*, const float*, const float*, size_t, size_t, double, int64_t, double,
                                       CancelFlag, SinkhornLogOutputs<float>&, const float*, const float*);
template Status sinkhornLogCuda<double>(const double*, const double*, const double*, size_t, size_t, double, int64_t,
                                        double, CancelFlag, SinkhornLogOutputs<double>&, const double*, const double*);

}  // namespace ot::cuda
