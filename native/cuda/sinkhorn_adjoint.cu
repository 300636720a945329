// Reverse-mode adjoint of the GPU log-domain Sinkhorn (POT grad='autodiff' / 'last_step' semantics):
// walks the stored potentials backwards, recomputing each softmax weight from M on the fly, so memory
// is O(K(n+m)) plus the single dM being accumulated. Per reverse iteration: one column pass (v̄) and one
// row pass (dM update and ū of the previous iteration).
#include <cmath>

#include "cuda/reduce.h"
#include "cuda/sinkhorn.h"

namespace ot::cuda {
namespace {

// Upstream gradient on plan entry P (plus the value terms' own dependence on P, a and b).
template <typename T>
struct PlanCotangent {
  const T* gPlan;
  T cLin, cEnt, cKl;
  bool direct;  // the value terms' explicit M, a, b carry gradient too
  // Returns dL/dP; dq receives dL/dq for q = a_i b_j (the KL reference).
  __device__ T operator()(size_t idx, T mij, T P, T q, T& dq) const {
    T g = (gPlan ? gPlan[idx] : T(0)) + cLin * mij;
    if (cEnt != T(0)) g += cEnt * math::entropyTermGrad(P);
    dq = T(0);
    if (cKl != T(0)) {
      T dP, dqq;
      math::klTermGrad(P, q, dP, dqq);
      g += cKl * dP;
      if (direct) dq = cKl * dqq;
    }
    return g;
  }
};

// Output stage, rows: dM = cLin P - (gP P)/reg; ū_i = gU_i + Σ_j gP P; da_i (direct, KL) = Σ_j dq b_j.
template <typename T>
struct OutRowOp {
  using Acc = Sums<T, 2>;
  struct Ctx {
    T u, a;
  };
  const T* u;
  const T* v;
  const T* a;
  const T* b;
  const T* gU;
  PlanCotangent<T> cot;
  T nr, invReg;
  size_t m;
  T* dM;
  T* uBar;
  T* daDirect;
  __device__ Ctx row(size_t i) const { return {u[i], a[i]}; }
  __device__ void step(const Ctx& c, Acc& acc, size_t i, size_t j, T mij) const {
    const T P = math::ex((mij * nr + c.u) + v[j]);
    const T bj = b[j];
    T dq;
    const T w = cot(i * m + j, mij, P, c.a * bj, dq) * P;
    if (dM) dM[i * m + j] = (cot.direct ? cot.cLin * P : T(0)) - w * invReg;
    acc.s[0] += w;
    acc.s[1] += dq * bj;
  }
  __device__ void finishRow(const Ctx&, size_t i, const Acc& acc) const {
    uBar[i] = (gU ? gU[i] : T(0)) + acc.s[0];
    daDirect[i] = acc.s[1];
  }
};

// Output stage, columns: v̄ext_j = gV_j + Σ_i gP P; db_j (direct, KL) = Σ_i dq a_i.
template <typename T>
struct OutColOp {
  using Acc = Sums<T, 2>;
  struct Ctx {
    T v, b;
  };
  const T* u;
  const T* v;
  const T* a;
  const T* b;
  const T* gV;
  PlanCotangent<T> cot;
  T nr;
  size_t m;
  T* vBarExt;
  T* dbDirect;
  __device__ Ctx col(size_t j) const { return {v[j], b[j]}; }
  __device__ void step(const Ctx& c, Acc& acc, size_t i, size_t j, T mij) const {
    const T P = math::ex((mij * nr + u[i]) + c.v);
    const T ai = a[i];
    T dq;
    const T w = cot(i * m + j, mij, P, ai * c.b, dq) * P;
    acc.s[0] += w;
    acc.s[1] += dq * ai;
  }
  __device__ void finishCol(const Ctx&, size_t j, const Acc& acc) const {
    vBarExt[j] = (gV ? gV[j] : T(0)) + acc.s[0];
    dbDirect[j] = acc.s[1];
  }
};

// u-step adjoint, columns: v̄_j = v̄ext_j - Σ_i ū_i S_ij with S_ij = exp(-M_ij/reg + v_j + u_i - log a_i)
// (the softmax of the u-update); also accumulates the log b adjoint of the v-update that produced v.
template <typename T>
struct UStepColOp {
  using Acc = Sums<T, 1>;
  struct Ctx {
    T v;
  };
  const T* uk;
  const T* loga;
  const T* uBar;
  const T* vk;
  const T* vBarExt;
  T nr;
  T* vBar;
  double* adjLogb;  // summed over every iteration: double, or float32 loses ~1e-4 over 1000 of them
  __device__ Ctx col(size_t j) const { return {vk[j]}; }
  __device__ void step(const Ctx& c, Acc& acc, size_t i, size_t, T mij) const {
    const T la = loga[i];
    if (la == math::negInf<T>()) return;  // a zero weight: its row of the plan is identically zero
    acc.s[0] += uBar[i] * math::ex((mij * nr + c.v) + (uk[i] - la));
  }
  __device__ void finishCol(const Ctx&, size_t j, const Acc& acc) const {
    const T vb = (vBarExt ? vBarExt[j] : T(0)) - acc.s[0];
    vBar[j] = vb;
    adjLogb[j] += vb;
  }
};

// v-step adjoint, rows: dM_ij += (ū_i S_ij + v̄_j T_ij)/reg with T_ij = exp(-M_ij/reg + u'_i + v_j - log b_j)
// (u' the previous u; S as above, from the v the u-update read); ū'_i = -Σ_j v̄_j T_ij replaces ū in
// place (each row is owned by one warp).
template <typename T>
struct VStepRowOp {
  using Acc = Sums<T, 1>;
  struct Ctx {
    T ub, uk, ukm1, la;
  };
  T* uBar;
  const T* uk;
  const T* ukm1;
  const T* loga;
  const T* vk;
  const T* vForU;  // the v the u-update read: vk, or the constant v of a Jacobi step
  const T* vBar;
  const T* logb;
  T nr, invReg;
  size_t m;
  T* dM;
  double* adjLoga;  // as adjLogb
  __device__ Ctx row(size_t i) const { return {uBar[i], uk[i], ukm1[i], loga[i]}; }
  __device__ void step(const Ctx& c, Acc& acc, size_t i, size_t j, T mij) const {
    const T x = mij * nr, vj = vk[j], lb = logb[j];
    const T S = c.la == math::negInf<T>() ? T(0) : math::ex((x + vForU[j]) + (c.uk - c.la));
    const T Tt = lb == math::negInf<T>() ? T(0) : math::ex((x + c.ukm1) + (vj - lb));
    const T vb = vBar[j];
    if (dM) dM[i * m + j] += (c.ub * S + vb * Tt) * invReg;
    acc.s[0] += vb * Tt;
  }
  __device__ void finishRow(const Ctx& c, size_t i, const Acc& acc) const {
    adjLoga[i] += c.ub;
    uBar[i] = -acc.s[0];
  }
};

// Jacobi step: the u-update did not read the new v, so v̄ is just its upstream part.
template <typename T>
__global__ void jacobiVBarKernel(const T* __restrict__ vBarExt, size_t len, T* __restrict__ vBar, double* __restrict__ adjLogb) {
  const size_t j = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (j < len) {
    vBar[j] = vBarExt[j];
    adjLogb[j] += vBarExt[j];
  }
}

template <typename T>
__global__ void logKernel(const T* __restrict__ x, size_t len, T* __restrict__ out) {
  const size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (i < len) out[i] = math::ln(x[i]);
}

// d = adj(log w) / w + direct
template <typename T>
__global__ void weightGradKernel(const double* __restrict__ adjLog, const T* __restrict__ w, const T* __restrict__ direct,
                                 size_t len, T* __restrict__ out) {
  const size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (i < len) out[i] = static_cast<T>(adjLog[i] / static_cast<double>(w[i]) + static_cast<double>(direct[i]));
}

}  // namespace

template <typename T>
Status sinkhornLogAdjointCuda(const T* M, const T* a, const T* b, size_t n, size_t m, double reg, const T* histU,
                              const T* histV, int64_t K, const SinkhornLogCotangents<T>& g, CancelFlag cancel, T* dM,
                              T* da, T* db, const T* jacobiV) {
  if (K < 1 || !(reg > 0) || histU == nullptr || histV == nullptr) return Status::BadArgument;
  if (jacobiV != nullptr && K != 1) return Status::BadArgument;
  const T nr = static_cast<T>(-1.0 / reg), invReg = static_cast<T>(1.0 / reg);
  const DType dt = dtypeOf<T>();
  // Vectors: log a, log b, ū, v̄, v̄ext, direct da, direct db; in double: adj log a, adj log b.
  DeviceBuffer vecN, vecM, adjLog;
  OT_CUDA_TRY(vecN.allocate(3 * n, dt));
  OT_CUDA_TRY(vecM.allocate(4 * m, dt));
  OT_CUDA_TRY(adjLog.allocate(n + m, DType::Float64));
  T* loga = vecN.as<T>();
  T* uBar = loga + n;
  T* daDirect = uBar + n;
  T* logb = vecM.as<T>();
  T* vBar = logb + m;
  T* vBarExt = vBar + m;
  T* dbDirect = vBarExt + m;
  double* adjLoga = adjLog.as<double>();
  double* adjLogb = adjLoga + n;
  OT_CUDA_TRY(vecN.zero());
  OT_CUDA_TRY(vecM.zero());
  OT_CUDA_TRY(adjLog.zero());
  if (n) logKernel<<<blocksFor(n, 256), 256, 0, stream()>>>(a, n, loga);
  if (m) logKernel<<<blocksFor(m, 256), 256, 0, stream()>>>(b, m, logb);
  OT_CUDA_TRY(launchStatus());

  ColWorkspace ws;
  OT_CUDA_TRY((prepareColumns<T, Sums<T, 2>>(n, m, ws)));  // large enough for the Sums<T, 1> passes too

  const T* uFinal = histU + size_t(K) * n;
  const T* vFinal = histV + size_t(K - 1) * m;
  const PlanCotangent<T> cot{g.gPlan, static_cast<T>(g.gValueLinear), static_cast<T>(g.gEntropy), static_cast<T>(g.gKl),
                             g.directTerms};
  OT_CUDA_TRY(rowPass(M, n, m, OutRowOp<T>{uFinal, vFinal, a, b, g.gLogU, cot, nr, invReg, m, dM, uBar, daDirect}));
  OT_CUDA_TRY(colPass(M, n, m, OutColOp<T>{uFinal, vFinal, a, b, g.gLogV, cot, nr, m, vBarExt, dbDirect}, ws));

  for (int64_t k = K - 1; k >= 0; --k) {
    if (cancel.raised()) return Status::Aborted;
    const T* uk = histU + size_t(k + 1) * n;
    const T* ukm1 = histU + size_t(k) * n;
    const T* vk = histV + size_t(k) * m;
    if (jacobiV) {
      if (m) jacobiVBarKernel<<<blocksFor(m, 256), 256, 0, stream()>>>(vBarExt, m, vBar, adjLogb);
      OT_CUDA_TRY(launchStatus());
    } else {
      UStepColOp<T> cop{uk, loga, uBar, vk, k == K - 1 ? vBarExt : nullptr, nr, vBar, adjLogb};
      OT_CUDA_TRY(colPass(M, n, m, cop, ws));
    }
    VStepRowOp<T> rop{uBar, uk, ukm1, loga, vk, jacobiV ? jacobiV : vk, vBar, logb, nr, invReg, m, dM, adjLoga};
    OT_CUDA_TRY(rowPass(M, n, m, rop));
  }

  if (da && n) weightGradKernel<<<blocksFor(n, 256), 256, 0, stream()>>>(adjLoga, a, daDirect, n, da);
  if (db && m) weightGradKernel<<<blocksFor(m, 256), 256, 0, stream()>>>(adjLogb, b, dbDirect, m, db);
  OT_CUDA_TRY(launchStatus());
  return syncStatus();  // the workspaces are freed on return
}

template Status sinkhornLogAdjointCuda<float>(const float*, const float*, const float*, size_t, size_t, double,
                                              const float*, const float*, int64_t, const SinkhornLogCotangents<float>&,
                                              CancelFlag, float*, float*, float*, const float*);
template Status sinkhornLogAdjointCuda<double>(const double*, const double*, const double*, size_t, size_t, double,
                                               const double*, const double*, int64_t,
                                               const SinkhornLogCotangents<double>&, CancelFlag, double*, double*,
                                               double*, const double*);

}  // namespace ot::cuda
