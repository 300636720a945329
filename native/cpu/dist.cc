// Pairwise cost matrices and their backward passes (POT: ot.dist). y is transposed once so the inner
// loops run over contiguous columns j and vectorise without reassociating any sum.
#include "cpu/dist.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <new>
#include <vector>

#include "common/parallel.h"

namespace ot::cpu {

bool parseMetric(const char* name, Metric* out) {
  static const struct {
    const char* name;
    Metric metric;
  } table[] = {{"sqeuclidean", Metric::SqEuclidean}, {"euclidean", Metric::Euclidean}, {"cityblock", Metric::Cityblock},
               {"minkowski", Metric::Minkowski},     {"chebyshev", Metric::Chebyshev}, {"cosine", Metric::Cosine}};
  for (const auto& e : table) {
    if (std::strcmp(name, e.name) == 0) {
      *out = e.metric;
      return true;
    }
  }
  return false;
}

namespace {

// Columns per block: the accumulators and a d × kCols slab of yᵀ stay cache-resident across rows.
constexpr size_t kCols = 256;
// Independent partial sums for reductions over j, so they vectorise without -ffast-math.
constexpr size_t kLanes = 16;

template <typename T>
inline T sgn(T t) {
  return static_cast<T>(t > T(0)) - static_cast<T>(t < T(0));
}

template <int P, typename T>
inline T powInt(T a) {
  T r = a;
  for (int q = 1; q < P; ++q) r *= a;
  return r;
}

// ---- forward: acc = fold(step, init) over k, then M = finish(acc) ----

template <typename T>
struct SqEuclideanFwd {
  T init() const { return T(0); }
  T step(T a, T xk, T yk) const { const T t = xk - yk; return a + t * t; }
  T finish(T a, size_t, size_t) const { return a; }
};
template <typename T>
struct EuclideanFwd {
  T init() const { return T(0); }
  T step(T a, T xk, T yk) const { const T t = xk - yk; return a + t * t; }
  T finish(T a, size_t, size_t) const { return std::sqrt(a); }
};
template <typename T>
struct CityblockFwd {
  T init() const { return T(0); }
  T step(T a, T xk, T yk) const { return a + std::abs(xk - yk); }
  T finish(T a, size_t, size_t) const { return a; }
};
// P > 0: integer exponent (multiplications, vectorisable); P == 0: any real p via pow.
template <typename T, int P>
struct MinkowskiFwd {
  T p, invP;
  T init() const { return T(0); }
  T step(T a, T xk, T yk) const {
    const T u = std::abs(xk - yk);
    if constexpr (P > 0) return a + powInt<P>(u);
    else return a + std::pow(u, p);
  }
  T finish(T a, size_t, size_t) const { return std::pow(a, invP); }
};
template <typename T>
struct ChebyshevFwd {
  T init() const { return T(0); }
  T step(T a, T xk, T yk) const { const T u = std::abs(xk - yk); return u > a ? u : a; }
  T finish(T a, size_t, size_t) const { return a; }
};
template <typename T>
struct CosineFwd {
  const T* nx;  // row norms of x
  const T* ny;  // row norms of y
  T init() const { return T(0); }
  T step(T a, T xk, T yk) const { return a + xk * yk; }
  // One product in the denominator keeps dist(x, x) exactly symmetric.
  T finish(T a, size_t i, size_t j) const { return T(1) - a / (nx[i] * ny[j]); }
};

template <typename T, class Op>
void forwardTile(const Op& op, const T* __restrict x, const T* __restrict yT, size_t m, size_t d, size_t i0, size_t i1,
                 size_t j0, size_t j1, T* __restrict M, CancelFlag cancel, std::atomic<bool>& aborted) {
  T acc[kCols];
  for (size_t jb = j0; jb < j1; jb += kCols) {
    const size_t jw = std::min(kCols, j1 - jb);
    for (size_t i = i0; i < i1; ++i) {
      if (cancel.raised()) {
        aborted.store(true, std::memory_order_relaxed);
        return;
      }
      for (size_t j = 0; j < jw; ++j) acc[j] = op.init();
      for (size_t k = 0; k < d; ++k) {
        const T xk = x[i * d + k];
        const T* __restrict yk = yT + k * m + jb;
        for (size_t j = 0; j < jw; ++j) acc[j] = op.step(acc[j], xk, yk[j]);
      }
      T* __restrict row = M + i * m + jb;
      for (size_t j = 0; j < jw; ++j) row[j] = op.finish(acc[j], i, jb + j);
    }
  }
}

// yT[k * m + j] = y[j * d + k]
template <typename T>
void transpose(const T* y, size_t m, size_t d, T* yT) {
  for (size_t j = 0; j < m; ++j)
    for (size_t k = 0; k < d; ++k) yT[k * m + j] = y[j * d + k];
}

template <typename T>
void rowNorms(const T* x, size_t n, size_t d, T* out) {
  for (size_t i = 0; i < n; ++i) {
    T s = 0;
    for (size_t k = 0; k < d; ++k) s += x[i * d + k] * x[i * d + k];
    out[i] = std::sqrt(s);
  }
}

// Splits the n × m output over the team: by rows, or by columns when there are too few rows.
template <typename T, class Op>
Status runForward(const Op& op, const T* x, const T* yT, size_t n, size_t m, size_t d, T* M, CancelFlag cancel,
                  double costPerEntry) {
  std::atomic<bool> aborted{false};
  const int team = teamSizeFor(static_cast<double>(n) * static_cast<double>(m) * costPerEntry);
  const bool byRows = n >= static_cast<size_t>(2 * team) || n >= m;
  runTeam(team, [&](int tid, int nt) {
    if (byRows) {
      Range r = splitRange(n, tid, nt);
      if (r.begin < r.end) forwardTile(op, x, yT, m, d, r.begin, r.end, 0, m, M, cancel, aborted);
    } else {
      Range c = splitRange(m, tid, nt, 16);
      if (c.begin < c.end) forwardTile(op, x, yT, m, d, 0, n, c.begin, c.end, M, cancel, aborted);
    }
  });
  return aborted.load() ? Status::Aborted : Status::Ok;
}

template <typename T>
Status distImpl(const T* x, const T* y, size_t n, size_t m, size_t d, Metric metric, double p, bool same, T* M,
                CancelFlag cancel) {
  if (n == 0 || m == 0) return Status::Ok;
  std::vector<T> yT, nx, ny;
  try {
    yT.resize(m * d);
    if (metric == Metric::Cosine) {
      nx.resize(n);
      ny.resize(m);
    }
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory;
  }
  transpose(y, m, d, yT.data());
  const double cost = static_cast<double>(d) * 2.0 + 2.0;
  Status s = Status::Ok;
  switch (metric) {
    case Metric::SqEuclidean: s = runForward(SqEuclideanFwd<T>{}, x, yT.data(), n, m, d, M, cancel, cost); break;
    case Metric::Euclidean: s = runForward(EuclideanFwd<T>{}, x, yT.data(), n, m, d, M, cancel, cost); break;
    case Metric::Cityblock: s = runForward(CityblockFwd<T>{}, x, yT.data(), n, m, d, M, cancel, cost); break;
    case Metric::Chebyshev: s = runForward(ChebyshevFwd<T>{}, x, yT.data(), n, m, d, M, cancel, cost); break;
    case Metric::Minkowski: {
      const T tp = static_cast<T>(p), inv = static_cast<T>(1.0 / p);
      if (p == 1.0) s = runForward(CityblockFwd<T>{}, x, yT.data(), n, m, d, M, cancel, cost);
      else if (p == 2.0) s = runForward(EuclideanFwd<T>{}, x, yT.data(), n, m, d, M, cancel, cost);
      else if (p == 3.0) s = runForward(MinkowskiFwd<T, 3>{tp, inv}, x, yT.data(), n, m, d, M, cancel, cost);
      else if (p == 4.0) s = runForward(MinkowskiFwd<T, 4>{tp, inv}, x, yT.data(), n, m, d, M, cancel, cost);
      else s = runForward(MinkowskiFwd<T, 0>{tp, inv}, x, yT.data(), n, m, d, M, cancel, cost * 10);
      break;
    }
    case Metric::Cosine:
      rowNorms(x, n, d, nx.data());
      rowNorms(y, m, d, ny.data());
      s = runForward(CosineFwd<T>{nx.data(), ny.data()}, x, yT.data(), n, m, d, M, cancel, cost);
      break;
  }
  if (s == Status::Ok && same) {
    for (size_t i = 0; i < std::min(n, m); ++i) M[i * m + i] = T(0);
  }
  return s;
}

// ---- backward: dx_ik = Σ_j c_ij φx(x_ik, y_jk; s_ij), dy_jk = Σ_i c_ij φy(x_ik, y_jk; s_ij),
// plus, for cosine, a self term r_i x_i (and r_j y_j) where r depends on the whole row ----

template <typename T>
struct DiffBwd {  // sqeuclidean (scale 2), euclidean (scale 1/M)
  bool divideByM;
  static constexpr bool kSelf = false;
  void coef(T g, T mij, size_t, size_t, T& c, T&) const {
    c = divideByM ? (mij > T(0) ? g / mij : T(0)) : T(2) * g;
  }
  T phiX(T xk, T yk, T) const { return xk - yk; }
  T phiY(T xk, T yk, T) const { return yk - xk; }
};
template <typename T>
struct CityblockBwd {
  static constexpr bool kSelf = false;
  void coef(T g, T, size_t, size_t, T& c, T&) const { c = g; }
  T phiX(T xk, T yk, T) const { return sgn(xk - yk); }
  T phiY(T xk, T yk, T) const { return sgn(yk - xk); }
};
// dM/dt_k = sign(t_k) (|t_k| / M)^(p-1): the ratio is <= 1, so no overflow for tiny M.
template <typename T, int P>
struct MinkowskiBwd {
  T pm1;
  static constexpr bool kSelf = false;
  void coef(T g, T mij, size_t, size_t, T& c, T& s) const {
    c = g;
    s = mij > T(0) ? T(1) / mij : T(0);
  }
  T phi(T t, T s) const {
    const T u = std::abs(t) * s;
    if constexpr (P > 0) return sgn(t) * powInt<P - 1>(u);
    else return sgn(t) * std::pow(u, pm1);
  }
  T phiX(T xk, T yk, T s) const { return phi(xk - yk, s); }
  T phiY(T xk, T yk, T s) const { return phi(yk - xk, s); }
};
// M = 1 - <x,y>/(|x||y|): dM/dx = -y/(|x||y|) + cos · x/|x|².
template <typename T>
struct CosineBwd {
  const T* nx;
  const T* ny;
  static constexpr bool kSelf = true;
  void coef(T g, T, size_t i, size_t j, T& c, T&) const { c = -g / (nx[i] * ny[j]); }
  T self(T g, T mij) const { return g * (T(1) - mij); }
  T phiX(T, T yk, T) const { return yk; }
  T phiY(T xk, T, T) const { return xk; }
};

struct BwdShape {
  size_t n, m, d;
  bool same;
};

// Rows [i0, i1) of gx. selfX[i] collects Σ_j self(G_ij, M_ij) when the op has a self term.
template <typename T, class Op>
void backwardRows(const Op& op, const T* __restrict x, const T* __restrict yT, const T* __restrict M,
                  const T* __restrict G, BwdShape sh, size_t i0, size_t i1, T* __restrict gx, T* __restrict selfX,
                  CancelFlag cancel, std::atomic<bool>& aborted) {
  const size_t m = sh.m, d = sh.d;
  T c[kCols], s[kCols];
  std::fill(gx + i0 * d, gx + i1 * d, T(0));
  if constexpr (Op::kSelf) std::fill(selfX + i0, selfX + i1, T(0));
  for (size_t jb = 0; jb < m; jb += kCols) {
    const size_t jw = std::min(kCols, m - jb);
    for (size_t i = i0; i < i1; ++i) {
      if (cancel.raised()) {
        aborted.store(true, std::memory_order_relaxed);
        return;
      }
      const T* gRow = G + i * m + jb;
      const T* mRow = M + i * m + jb;
      for (size_t j = 0; j < jw; ++j) op.coef(gRow[j], mRow[j], i, jb + j, c[j], s[j]);
      // The diagonal of dist(x, x) is pinned to 0, so it carries no gradient.
      if (sh.same && i >= jb && i < jb + jw) c[i - jb] = T(0);
      if constexpr (Op::kSelf) {
        T r = 0;
        for (size_t j = 0; j < jw; ++j)
          if (!(sh.same && i == jb + j)) r += op.self(gRow[j], mRow[j]);
        selfX[i] += r;
      }
      for (size_t k = 0; k < d; ++k) {
        const T xk = x[i * d + k];
        const T* __restrict yk = yT + k * m + jb;
        T lanes[kLanes] = {};
        size_t j = 0;
        for (; j + kLanes <= jw; j += kLanes)
          for (size_t l = 0; l < kLanes; ++l) lanes[l] += c[j + l] * op.phiX(xk, yk[j + l], s[j + l]);
        T sum = 0;
        for (size_t l = 0; l < kLanes; ++l) sum += lanes[l];
        for (; j < jw; ++j) sum += c[j] * op.phiX(xk, yk[j], s[j]);
        gx[i * d + k] += sum;
      }
    }
  }
}

// Columns [j0, j1) of gyT (laid out like yT, [d, m]); selfY[j] as selfX above.
template <typename T, class Op>
void backwardCols(const Op& op, const T* __restrict x, const T* __restrict yT, const T* __restrict M,
                  const T* __restrict G, BwdShape sh, size_t j0, size_t j1, T* __restrict gyT, T* __restrict selfY,
                  CancelFlag cancel, std::atomic<bool>& aborted) {
  const size_t n = sh.n, m = sh.m, d = sh.d;
  T c[kCols], s[kCols];
  for (size_t k = 0; k < d; ++k) std::fill(gyT + k * m + j0, gyT + k * m + j1, T(0));
  if constexpr (Op::kSelf) std::fill(selfY + j0, selfY + j1, T(0));
  for (size_t jb = j0; jb < j1; jb += kCols) {
    const size_t jw = std::min(kCols, j1 - jb);
    for (size_t i = 0; i < n; ++i) {
      if (cancel.raised()) {
        aborted.store(true, std::memory_order_relaxed);
        return;
      }
      const T* gRow = G + i * m + jb;
      const T* mRow = M + i * m + jb;
      for (size_t j = 0; j < jw; ++j) op.coef(gRow[j], mRow[j], i, jb + j, c[j], s[j]);
      if (sh.same && i >= jb && i < jb + jw) c[i - jb] = T(0);
      if constexpr (Op::kSelf) {
        for (size_t j = 0; j < jw; ++j)
          if (!(sh.same && i == jb + j)) selfY[jb + j] += op.self(gRow[j], mRow[j]);
      }
      for (size_t k = 0; k < d; ++k) {
        const T xk = x[i * d + k];
        const T* __restrict yk = yT + k * m + jb;
        T* __restrict gk = gyT + k * m + jb;
        for (size_t j = 0; j < jw; ++j) gk[j] += c[j] * op.phiY(xk, yk[j], s[j]);
      }
    }
  }
}

template <typename T, class Op>
Status runBackward(const Op& op, const T* x, const T* y, const T* M, const T* G, BwdShape sh, T* gx, T* gy,
                   CancelFlag cancel, double costPerEntry) {
  const size_t n = sh.n, m = sh.m, d = sh.d;
  std::vector<T> yT, gyT, selfX, selfY;
  try {
    yT.resize(m * d);
    if (gy) gyT.resize(m * d);
    if constexpr (Op::kSelf) {
      selfX.resize(n);
      selfY.resize(m);
    }
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory;
  }
  transpose(y, m, d, yT.data());
  std::atomic<bool> aborted{false};
  const double work = static_cast<double>(n) * static_cast<double>(m) * costPerEntry * ((gx ? 1 : 0) + (gy ? 1 : 0));
  runTeam(teamSizeFor(work), [&](int tid, int nt) {
    if (gx) {
      Range r = splitRange(n, tid, nt);
      if (r.begin < r.end) backwardRows(op, x, yT.data(), M, G, sh, r.begin, r.end, gx, selfX.data(), cancel, aborted);
      if constexpr (Op::kSelf) {
        for (size_t i = r.begin; i < r.end; ++i) {
          const T w = selfX[i] / (op.nx[i] * op.nx[i]);
          for (size_t k = 0; k < d; ++k) gx[i * d + k] += w * x[i * d + k];
        }
      }
    }
    if (gy) {
      Range r = splitRange(m, tid, nt, 16);
      if (r.begin < r.end) backwardCols(op, x, yT.data(), M, G, sh, r.begin, r.end, gyT.data(), selfY.data(), cancel, aborted);
      for (size_t j = r.begin; j < r.end; ++j) {
        T w = 0;
        if constexpr (Op::kSelf) w = selfY[j] / (op.ny[j] * op.ny[j]);
        for (size_t k = 0; k < d; ++k) gy[j * d + k] = gyT[k * m + j] + w * y[j * d + k];
      }
    }
  });
  return aborted.load() ? Status::Aborted : Status::Ok;
}

// Chebyshev: the gradient of max_k |t_k| is sign(t_k*) at the first maximising coordinate k*.
template <typename T>
inline size_t argmaxAbsDiff(const T* xi, const T* yj, size_t d, T& sign) {
  size_t best = 0;
  T top = -1;
  for (size_t k = 0; k < d; ++k) {
    const T u = std::abs(xi[k] - yj[k]);
    if (u > top) {
      top = u;
      best = k;
    }
  }
  sign = sgn(xi[best] - yj[best]);
  return best;
}

template <typename T>
Status chebyshevBackward(const T* x, const T* y, const T* G, BwdShape sh, T* gx, T* gy, CancelFlag cancel) {
  const size_t n = sh.n, m = sh.m, d = sh.d;
  if (d == 0) return Status::Ok;
  std::atomic<bool> aborted{false};
  const double work = static_cast<double>(n) * static_cast<double>(m) * static_cast<double>(d) * 2.0;
  runTeam(teamSizeFor(work), [&](int tid, int nt) {
    if (gx) {
      Range r = splitRange(n, tid, nt);
      std::fill(gx + r.begin * d, gx + r.end * d, T(0));
      for (size_t i = r.begin; i < r.end && !aborted.load(std::memory_order_relaxed); ++i) {
        if (cancel.raised()) aborted.store(true);
        for (size_t j = 0; j < m; ++j) {
          if (sh.same && i == j) continue;
          T sign;
          const size_t k = argmaxAbsDiff(x + i * d, y + j * d, d, sign);
          gx[i * d + k] += G[i * m + j] * sign;
        }
      }
    }
    if (gy) {
      Range r = splitRange(m, tid, nt, 16);
      std::fill(gy + r.begin * d, gy + r.end * d, T(0));
      for (size_t jb = r.begin; jb < r.end; jb += kCols) {
        const size_t je = std::min(r.end, jb + kCols);
        for (size_t i = 0; i < n && !aborted.load(std::memory_order_relaxed); ++i) {
          if (cancel.raised()) aborted.store(true);
          for (size_t j = jb; j < je; ++j) {
            if (sh.same && i == j) continue;
            T sign;
            const size_t k = argmaxAbsDiff(x + i * d, y + j * d, d, sign);
            gy[j * d + k] -= G[i * m + j] * sign;
          }
        }
      }
    }
  });
  return aborted.load() ? Status::Aborted : Status::Ok;
}

template <typename T>
Status distBackwardImpl(const T* x, const T* y, const T* M, const T* G, size_t n, size_t m, size_t d, Metric metric,
                        double p, bool same, T* gx, T* gy, CancelFlag cancel) {
  if (gx) std::fill(gx, gx + n * d, T(0));
  if (gy) std::fill(gy, gy + m * d, T(0));
  if (n == 0 || m == 0 || d == 0 || (!gx && !gy)) return Status::Ok;
  const BwdShape sh{n, m, d, same};
  const double cost = static_cast<double>(d) * 3.0 + 4.0;
  switch (metric) {
    case Metric::SqEuclidean: return runBackward(DiffBwd<T>{false}, x, y, M, G, sh, gx, gy, cancel, cost);
    case Metric::Euclidean: return runBackward(DiffBwd<T>{true}, x, y, M, G, sh, gx, gy, cancel, cost);
    case Metric::Cityblock: return runBackward(CityblockBwd<T>{}, x, y, M, G, sh, gx, gy, cancel, cost);
    case Metric::Minkowski: {
      const T pm1 = static_cast<T>(p - 1.0);
      if (p == 1.0) return runBackward(CityblockBwd<T>{}, x, y, M, G, sh, gx, gy, cancel, cost);
      if (p == 2.0) return runBackward(DiffBwd<T>{true}, x, y, M, G, sh, gx, gy, cancel, cost);
      if (p == 3.0) return runBackward(MinkowskiBwd<T, 3>{pm1}, x, y, M, G, sh, gx, gy, cancel, cost);
      if (p == 4.0) return runBackward(MinkowskiBwd<T, 4>{pm1}, x, y, M, G, sh, gx, gy, cancel, cost);
      return runBackward(MinkowskiBwd<T, 0>{pm1}, x, y, M, G, sh, gx, gy, cancel, cost * 10);
    }
    case Metric::Chebyshev: return chebyshevBackward(x, y, G, sh, gx, gy, cancel);
    case Metric::Cosine: {
      std::vector<T> nx, ny;
      try {
        nx.resize(n);
        ny.resize(m);
      } catch (const std::bad_alloc&) {
        return Status::OutOfMemory;
      }
      rowNorms(x, n, d, nx.data());
      rowNorms(y, m, d, ny.data());
      return runBackward(CosineBwd<T>{nx.data(), ny.data()}, x, y, M, G, sh, gx, gy, cancel, cost);
    }
  }
  return Status::BadArgument;
}

}  // namespace

template <typename T>
Status dist(const T* x, const T* y, size_t n, size_t m, size_t d, Metric metric, double p, bool same, T* M,
            CancelFlag cancel) {
  return distImpl(x, y, n, m, d, metric, p, same, M, cancel);
}

template <typename T>
Status distBackward(const T* x, const T* y, const T* M, const T* G, size_t n, size_t m, size_t d, Metric metric,
                    double p, bool same, T* gx, T* gy, CancelFlag cancel) {
  return distBackwardImpl(x, y, M, G, n, m, d, metric, p, same, gx, gy, cancel);
}

template Status dist<float>(const float*, const float*, size_t, size_t, size_t, Metric, double, bool, float*, CancelFlag);
template Status dist<double>(const double*, const double*, size_t, size_t, size_t, Metric, double, bool, double*, CancelFlag);
template Status distBackward<float>(const float*, const float*, const float*, const float*, size_t, size_t, size_t, Metric,
                                    double, bool, float*, float*, CancelFlag);
template Status distBackward<double>(const double*, const double*, const double*, const double*, size_t, size_t, size_t,
                                     Metric, double, bool, double*, double*, CancelFlag);

}  // namespace ot::cpu
