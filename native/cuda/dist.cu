// Pairwise cost matrices and their backward passes on the GPU (POT: ot.dist), mirroring cpu/dist.cc:
// shared-memory tiles of x and y rows, d streamed in chunks, so any d works and n×m×d is never stored.
#include <cmath>

#include "cuda/dist.h"
#include "cuda/kernel_util.h"

namespace ot::cuda {
namespace {

using math::ab;
using math::sgn;

// ---- metric folds: acc = step(acc, x_k, y_k) over k, then M = finish(acc) ----

template <typename T>
struct FwdSq {
  __device__ T step(T a, T x, T y) const { const T t = x - y; return a + t * t; }
  __device__ T finish(T a, size_t, size_t) const { return a; }
};
template <typename T>
struct FwdEuclid {
  __device__ T step(T a, T x, T y) const { const T t = x - y; return a + t * t; }
  __device__ T finish(T a, size_t, size_t) const { return sqrt(a); }
};
template <typename T>
struct FwdCity {
  __device__ T step(T a, T x, T y) const { return a + ab(x - y); }
  __device__ T finish(T a, size_t, size_t) const { return a; }
};
// P > 0: integer exponent by multiplication; P == 0: any real p through pow.
template <typename T, int P>
struct FwdMink {
  T p, invP;
  __device__ T step(T a, T x, T y) const {
    const T u = ab(x - y);
    if constexpr (P > 0) {
      T r = u;
      for (int q = 1; q < P; ++q) r *= u;
      return a + r;
    } else {
      return a + pow(u, p);
    }
  }
  __device__ T finish(T a, size_t, size_t) const { return pow(a, invP); }
};
template <typename T>
struct FwdCheb {
  __device__ T step(T a, T x, T y) const { const T u = ab(x - y); return u > a ? u : a; }
  __device__ T finish(T a, size_t, size_t) const { return a; }
};
template <typename T>
struct FwdCos {
  const T* nx;
  const T* ny;
  __device__ T step(T a, T x, T y) const { return a + x * y; }
  // One product in the denominator keeps dist(x, x) exactly symmetric (as on the CPU).
  __device__ T finish(T a, size_t i, size_t j) const { return T(1) - a / (nx[i] * ny[j]); }
};

constexpr int kTile = 64;    // forward output tile: kTile × kTile entries per block
constexpr int kSub = 16;     // 16 × 16 threads, 4 × 4 entries each
constexpr int kChunk = 16;   // d is streamed through shared memory kChunk coordinates at a time
constexpr int kThreads = 256;

template <typename T, class Op>
__global__ void __launch_bounds__(kThreads) distKernel(const T* __restrict__ x, const T* __restrict__ y, size_t n,
                                                       size_t m, size_t d, Op op, bool same, T* __restrict__ M,
                                                       size_t tilesM) {
  __shared__ T xs[kTile][kChunk + 1];
  __shared__ T ys[kTile][kChunk + 1];
  const size_t i0 = (blockIdx.x / tilesM) * kTile, j0 = (blockIdx.x % tilesM) * kTile;
  const int tx = threadIdx.x % kSub, ty = threadIdx.x / kSub;
  T acc[4][4];
#pragma unroll
  for (int r = 0; r < 4; ++r)
#pragma unroll
    for (int q = 0; q < 4; ++q) acc[r][q] = T(0);

  for (size_t k0 = 0; k0 < d; k0 += kChunk) {
    const int kw = static_cast<int>(d - k0 < size_t(kChunk) ? d - k0 : kChunk);
    for (int e = threadIdx.x; e < kTile * kChunk; e += kThreads) {
      const int r = e / kChunk, c = e % kChunk;
      const size_t gi = i0 + r, gj = j0 + r;
      xs[r][c] = (gi < n && c < kw) ? x[gi * d + k0 + c] : T(0);
      ys[r][c] = (gj < m && c < kw) ? y[gj * d + k0 + c] : T(0);
    }
    __syncthreads();
    for (int c = 0; c < kw; ++c) {
      T xv[4], yv[4];
#pragma unroll
      for (int r = 0; r < 4; ++r) {
        xv[r] = xs[ty + kSub * r][c];
        yv[r] = ys[tx + kSub * r][c];
      }
#pragma unroll
      for (int r = 0; r < 4; ++r)
#pragma unroll
        for (int q = 0; q < 4; ++q) acc[r][q] = op.step(acc[r][q], xv[r], yv[q]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int r = 0; r < 4; ++r) {
    const size_t i = i0 + ty + kSub * r;
    if (i >= n) continue;
#pragma unroll
    for (int q = 0; q < 4; ++q) {
      const size_t j = j0 + tx + kSub * q;
      if (j < m) M[i * m + j] = (same && i == j) ? T(0) : op.finish(acc[r][q], i, j);
    }
  }
}

template <typename T>
__global__ void rowNormsKernel(const T* __restrict__ x, size_t n, size_t d, T* __restrict__ out) {
  const size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  T s = 0;
  for (size_t k = 0; k < d; ++k) s += x[i * d + k] * x[i * d + k];
  out[i] = sqrt(s);
}

template <typename T, class Op>
Status launchForward(const T* x, const T* y, size_t n, size_t m, size_t d, const Op& op, bool same, T* M) {
  const size_t tilesN = (n + kTile - 1) / kTile, tilesM = (m + kTile - 1) / kTile;
  distKernel<T, Op><<<static_cast<unsigned>(tilesN * tilesM), kThreads, 0, stream()>>>(x, y, n, m, d, op, same, M, tilesM);
  return launchStatus();
}

template <typename T>
Status rowNorms(const T* x, size_t n, size_t d, DeviceBuffer& out) {
  OT_CUDA_TRY(out.allocate(n, dtypeOf<T>()));
  if (n == 0) return Status::Ok;
  rowNormsKernel<<<blocksFor(n, kThreads), kThreads, 0, stream()>>>(x, n, d, out.as<T>());
  return launchStatus();
}

// ---- backward: gA_a = Σ_b c_ab φ(A_a, B_b; s_ab) (+ a self term r_a A_a for cosine), used for gx with
// (A, B) = (x, y) and for gy with (A, B) = (y, x) and G read transposed (every φ is odd in A - B) ----

template <typename T>
struct BwdDiff {  // sqeuclidean (c = 2G), euclidean (c = G / D)
  using Fwd = FwdSq<T>;
  static constexpr bool kSelf = false, kArgmax = false;
  bool euclid;
  __device__ T distance(T acc) const { return euclid ? sqrt(acc) : acc; }
  __device__ T coef(T g, T D) const { return euclid ? (D > T(0) ? g / D : T(0)) : T(2) * g; }
  __device__ T sval(T, T) const { return T(0); }
  __device__ T phi(T a, T b, T) const { return a - b; }
};
template <typename T>
struct BwdCity {
  using Fwd = FwdCity<T>;
  static constexpr bool kSelf = false, kArgmax = false;
  __device__ T distance(T acc) const { return acc; }
  __device__ T coef(T g, T) const { return g; }
  __device__ T sval(T, T) const { return T(0); }
  __device__ T phi(T a, T b, T) const { return sgn(a - b); }
};
// dM/dt_k = sign(t_k) (|t_k| / M)^(p-1): the ratio is <= 1, so no overflow for tiny M.
template <typename T, int P>
struct BwdMink {
  using Fwd = FwdMink<T, P>;
  static constexpr bool kSelf = false, kArgmax = false;
  T p, invP, pm1;
  __device__ T distance(T acc) const { return pow(acc, invP); }
  __device__ T coef(T g, T) const { return g; }
  __device__ T sval(T, T D) const { return D > T(0) ? T(1) / D : T(0); }
  __device__ T phi(T a, T b, T s) const {
    const T t = a - b, u = ab(t) * s;
    if constexpr (P > 0) {
      T r = T(1);
      for (int q = 1; q < P; ++q) r *= u;
      return sgn(t) * r;
    } else {
      return sgn(t) * pow(u, pm1);
    }
  }
};
template <typename T>
struct BwdCheb {
  using Fwd = FwdCheb<T>;
  static constexpr bool kSelf = false, kArgmax = true;
  __device__ T distance(T acc) const { return acc; }
  __device__ T coef(T g, T) const { return g; }
  __device__ T sval(T, T) const { return T(0); }
  __device__ T phi(T a, T b, T) const { return sgn(a - b); }
};
// M = 1 - <a,b>/(|a||b|): dM/da = -b/(|a||b|) + (1 - M) a/|a|², the second part being the self term.
template <typename T>
struct BwdCos {
  using Fwd = FwdCos<T>;
  static constexpr bool kSelf = true, kArgmax = false;
  const T* na;
  const T* nb;
  size_t a0 = 0, b0 = 0;  // set per tile inside the kernel
  __device__ T distance(T acc) const { return acc; }  // the dot product; finished by coef/sval
  __device__ T cosineDist(T dot, size_t a, size_t b) const { return T(1) - dot / (na[a] * nb[b]); }
  __device__ T phi(T, T b, T) const { return b; }
};

constexpr int kBt = 32;                 // backward pair tile: kBt rows of A × kBt rows of B
constexpr size_t kAccShared = 16384;    // bytes of per-row accumulators kept in shared memory

template <typename T, class Op>
__global__ void __launch_bounds__(kThreads)
    distBackwardKernel(const T* __restrict__ A, const T* __restrict__ B, const T* __restrict__ G, size_t na, size_t nb,
                       size_t d, size_t gsA, size_t gsB, Op op, typename Op::Fwd fwd, bool same, T* __restrict__ gA,
                       bool accInShared) {
  __shared__ T as[kBt][kChunk + 1];
  __shared__ T bs[kBt][kChunk + 1];
  __shared__ T C[kBt][kBt + 1];
  __shared__ T S[kBt][kBt + 1];
  __shared__ int kst[Op::kArgmax ? kBt : 1][kBt + 1];
  __shared__ T selfSum[kBt];
  extern __shared__ unsigned char dynShared[];

  const size_t a0 = blockIdx.x * size_t(kBt);
  const int aRows = static_cast<int>(na - a0 < size_t(kBt) ? na - a0 : kBt);
  T* acc = accInShared ? reinterpret_cast<T*>(dynShared) : gA + a0 * d;
  if (accInShared)
    for (size_t e = threadIdx.x; e < size_t(aRows) * d; e += kThreads) acc[e] = T(0);
  if (threadIdx.x < kBt) selfSum[threadIdx.x] = T(0);
  const size_t nChunks = (d + kChunk - 1) / kChunk;
  const bool aFast = gsA == 1 && gsB != 1;  // G contiguous along A: let consecutive threads walk A

  for (size_t b0 = 0; b0 < nb; b0 += kBt) {
    // Phase 1: distances (and Chebyshev argmax) of the 32 × 32 pairs, 4 per thread.
    T dacc[4], best[4];
    int bestK[4];
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      dacc[r] = T(0);
      best[r] = T(-1);
      bestK[r] = 0;
    }
    for (size_t c0 = 0; c0 < nChunks; ++c0) {
      const size_t k0 = c0 * kChunk;
      const int kw = static_cast<int>(d - k0 < size_t(kChunk) ? d - k0 : kChunk);
      __syncthreads();
      for (int e = threadIdx.x; e < kBt * kChunk; e += kThreads) {
        const int r = e / kChunk, c = e % kChunk;
        as[r][c] = (a0 + r < na && c < kw) ? A[(a0 + r) * d + k0 + c] : T(0);
        bs[r][c] = (b0 + r < nb && c < kw) ? B[(b0 + r) * d + k0 + c] : T(0);
      }
      __syncthreads();
#pragma unroll
      for (int r = 0; r < 4; ++r) {
        const int pidx = threadIdx.x + kThreads * r;
        const int ia = aFast ? pidx % kBt : pidx / kBt, ib = aFast ? pidx / kBt : pidx % kBt;
        for (int c = 0; c < kw; ++c) {
          const T av = as[ia][c], bv = bs[ib][c];
          dacc[r] = fwd.step(dacc[r], av, bv);
          if constexpr (Op::kArgmax) {
            const T u = ab(av - bv);
            if (u > best[r]) {
              best[r] = u;
              bestK[r] = static_cast<int>(k0) + c;
            }
          }
        }
      }
    }
    // Coefficients c_ab and per-pair scalars s_ab; the diagonal of dist(x, x) carries no gradient.
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      const int pidx = threadIdx.x + kThreads * r;
      const int ia = aFast ? pidx % kBt : pidx / kBt, ib = aFast ? pidx / kBt : pidx % kBt;
      const size_t ga = a0 + ia, gb = b0 + ib;
      const bool live = ga < na && gb < nb && !(same && ga == gb);
      const T g = live ? G[ga * gsA + gb * gsB] : T(0);
      if constexpr (Op::kSelf) {
        const T D = live ? op.cosineDist(dacc[r], ga, gb) : T(0);
        C[ia][ib] = live ? -g / (op.na[ga] * op.nb[gb]) : T(0);
        S[ia][ib] = live ? g * (T(1) - D) : T(0);
      } else {
        const T D = op.distance(dacc[r]);
        C[ia][ib] = live ? op.coef(g, D) : T(0);
        S[ia][ib] = op.sval(g, D);
      }
      if constexpr (Op::kArgmax) kst[ia][ib] = bestK[r];
    }
    __syncthreads();
    if constexpr (Op::kSelf) {
      if (threadIdx.x < kBt) {
        T s = 0;
        for (int ib = 0; ib < kBt; ++ib) s += S[threadIdx.x][ib];
        selfSum[threadIdx.x] += s;
      }
    }
    // Phase 2: acc[a, k] += Σ_b c_ab φ(A_ak, B_bk; s_ab), coordinates streamed again unless d fits one chunk.
    for (size_t c0 = 0; c0 < nChunks; ++c0) {
      const size_t k0 = c0 * kChunk;
      const int kw = static_cast<int>(d - k0 < size_t(kChunk) ? d - k0 : kChunk);
      if (nChunks > 1) {
        __syncthreads();
        for (int e = threadIdx.x; e < kBt * kChunk; e += kThreads) {
          const int r = e / kChunk, c = e % kChunk;
          as[r][c] = (a0 + r < na && c < kw) ? A[(a0 + r) * d + k0 + c] : T(0);
          bs[r][c] = (b0 + r < nb && c < kw) ? B[(b0 + r) * d + k0 + c] : T(0);
        }
        __syncthreads();
      }
      for (int e = threadIdx.x; e < kBt * kChunk; e += kThreads) {
        const int ia = e / kChunk, c = e % kChunk;
        if (ia >= aRows || c >= kw) continue;
        const T av = as[ia][c];
        T s = 0;
        for (int ib = 0; ib < kBt; ++ib) {
          if constexpr (Op::kArgmax) {
            if (kst[ia][ib] == static_cast<int>(k0) + c) s += C[ia][ib] * op.phi(av, bs[ib][c], S[ia][ib]);
          } else {
            s += C[ia][ib] * op.phi(av, bs[ib][c], S[ia][ib]);
          }
        }
        acc[size_t(ia) * d + k0 + c] += s;
      }
    }
    __syncthreads();
  }
  // Write out (adding the cosine self term r_a A_a / |A_a|²).
  for (size_t e = threadIdx.x; e < size_t(aRows) * d; e += kThreads) {
    const size_t ia = e / d;
    T v = acc[e];
    if constexpr (Op::kSelf) v += selfSum[ia] / (op.na[a0 + ia] * op.na[a0 + ia]) * A[a0 * d + e];
    gA[a0 * d + e] = v;
  }
}

template <typename T, class Op>
Status launchBackwardSide(const T* A, const T* B, const T* G, size_t na, size_t nb, size_t d, size_t gsA, size_t gsB,
                          const Op& op, const typename Op::Fwd& fwd, bool same, T* gA) {
  if (na == 0 || d == 0) return Status::Ok;
  const size_t accBytes = size_t(kBt) * d * sizeof(T);
  const bool inShared = accBytes <= kAccShared;
  if (!inShared) OT_CUDA_TRY(statusFromCuda(cudaMemsetAsync(gA, 0, na * d * sizeof(T), stream())));
  const unsigned blocks = blocksFor(na, kBt);
  distBackwardKernel<T, Op><<<blocks, kThreads, inShared ? accBytes : 0, stream()>>>(A, B, G, na, nb, d, gsA, gsB, op, fwd,
                                                                                      same, gA, inShared);
  return launchStatus();
}

template <typename T, class Op>
Status launchBackward(const T* x, const T* y, const T* G, size_t n, size_t m, size_t d, const Op& opX, const Op& opY,
                      const typename Op::Fwd& fwd, bool same, T* gx, T* gy) {
  if (gx) OT_CUDA_TRY(launchBackwardSide(x, y, G, n, m, d, m, size_t(1), opX, fwd, same, gx));
  if (gy) OT_CUDA_TRY(launchBackwardSide(y, x, G, m, n, d, size_t(1), m, opY, fwd, same, gy));
  return Status::Ok;
}

}  // namespace

template <typename T>
Status dist(const T* x, const T* y, size_t n, size_t m, size_t d, Metric metric, double p, bool same, T* M) {
  if (n == 0 || m == 0) return Status::Ok;
  switch (metric) {
    case Metric::SqEuclidean: return launchForward(x, y, n, m, d, FwdSq<T>{}, same, M);
    case Metric::Euclidean: return launchForward(x, y, n, m, d, FwdEuclid<T>{}, same, M);
    case Metric::Cityblock: return launchForward(x, y, n, m, d, FwdCity<T>{}, same, M);
    case Metric::Chebyshev: return launchForward(x, y, n, m, d, FwdCheb<T>{}, same, M);
    case Metric::Minkowski: {
      const T tp = static_cast<T>(p), inv = static_cast<T>(1.0 / p);
      if (p == 1.0) return launchForward(x, y, n, m, d, FwdCity<T>{}, same, M);
      if (p == 2.0) return launchForward(x, y, n, m, d, FwdEuclid<T>{}, same, M);
      if (p == 3.0) return launchForward(x, y, n, m, d, FwdMink<T, 3>{tp, inv}, same, M);
      if (p == 4.0) return launchForward(x, y, n, m, d, FwdMink<T, 4>{tp, inv}, same, M);
      return launchForward(x, y, n, m, d, FwdMink<T, 0>{tp, inv}, same, M);
    }
    case Metric::Cosine: {
      DeviceBuffer nx, ny;
      OT_CUDA_TRY(rowNorms(x, n, d, nx));
      OT_CUDA_TRY(rowNorms(y, m, d, ny));
      OT_CUDA_TRY(launchForward(x, y, n, m, d, FwdCos<T>{nx.as<T>(), ny.as<T>()}, same, M));
      return syncStatus();  // the norms are freed on return
    }
  }
  return Status::BadArgument;
}

template <typename T>
Status distBackward(const T* x, const T* y, const T* G, size_t n, size_t m, size_t d, Metric metric, double p,
                    bool same, T* gx, T* gy) {
  if (d == 0 || (gx == nullptr && gy == nullptr)) return Status::Ok;
  if (n == 0 || m == 0) {  // empty sums: zero gradients
    if (gx && n) OT_CUDA_TRY(statusFromCuda(cudaMemsetAsync(gx, 0, n * d * sizeof(T), stream())));
    if (gy && m) OT_CUDA_TRY(statusFromCuda(cudaMemsetAsync(gy, 0, m * d * sizeof(T), stream())));
    return Status::Ok;
  }
  Status s = Status::Ok;
  switch (metric) {
    case Metric::SqEuclidean: {
      BwdDiff<T> op{false};
      s = launchBackward(x, y, G, n, m, d, op, op, FwdSq<T>{}, same, gx, gy);
      break;
    }
    case Metric::Euclidean: {
      BwdDiff<T> op{true};
      s = launchBackward(x, y, G, n, m, d, op, op, FwdSq<T>{}, same, gx, gy);
      break;
    }
    case Metric::Cityblock: s = launchBackward(x, y, G, n, m, d, BwdCity<T>{}, BwdCity<T>{}, FwdCity<T>{}, same, gx, gy); break;
    case Metric::Chebyshev: s = launchBackward(x, y, G, n, m, d, BwdCheb<T>{}, BwdCheb<T>{}, FwdCheb<T>{}, same, gx, gy); break;
    case Metric::Minkowski: {
      const T tp = static_cast<T>(p), inv = static_cast<T>(1.0 / p), pm1 = static_cast<T>(p - 1.0);
      if (p == 1.0) {
        s = launchBackward(x, y, G, n, m, d, BwdCity<T>{}, BwdCity<T>{}, FwdCity<T>{}, same, gx, gy);
      } else if (p == 2.0) {
        BwdDiff<T> op{true};
        s = launchBackward(x, y, G, n, m, d, op, op, FwdSq<T>{}, same, gx, gy);
      } else if (p == 3.0) {
        BwdMink<T, 3> op{tp, inv, pm1};
        s = launchBackward(x, y, G, n, m, d, op, op, FwdMink<T, 3>{tp, inv}, same, gx, gy);
      } else if (p == 4.0) {
        BwdMink<T, 4> op{tp, inv, pm1};
        s = launchBackward(x, y, G, n, m, d, op, op, FwdMink<T, 4>{tp, inv}, same, gx, gy);
      } else {
        BwdMink<T, 0> op{tp, inv, pm1};
        s = launchBackward(x, y, G, n, m, d, op, op, FwdMink<T, 0>{tp, inv}, same, gx, gy);
      }
      break;
    }
    case Metric::Cosine: {
      DeviceBuffer nx, ny;
      OT_CUDA_TRY(rowNorms(x, n, d, nx));
      OT_CUDA_TRY(rowNorms(y, m, d, ny));
      BwdCos<T> opX{nx.as<T>(), ny.as<T>()}, opY{ny.as<T>(), nx.as<T>()};
      FwdCos<T> fwd{nullptr, nullptr};
      s = launchBackward(x, y, G, n, m, d, opX, opY, fwd, same, gx, gy);
      if (s == Status::Ok) s = syncStatus();  // the norms are freed on return
      break;
    }
  }
  return s;
}

template Status dist<float>(const float*, const float*, size_t, size_t, size_t, Metric, double, bool, float*);
template Status dist<double>(const double*, const double*, size_t, size_t, size_t, Metric, double, bool, double*);
template Status distBackward<float>(const float*, const float*, const float*, size_t, size_t, size_t, Metric, double,
                                    bool, float*, float*);
template Status distBackward<double>(const double*, const double*, const double*, size_t, size_t, size_t, Metric,
                                     double, bool, double*, double*);

}  // namespace ot::cuda
