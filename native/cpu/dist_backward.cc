// Backward passes of the cost matrices (POT: ot.dist under torch autograd): given G = dL/dM, the
// gradients w.r.t. x and y in O(n·m·d) time, multi-threaded, never materialising n×m×d. The
// inner-product metrics at larger d take the matrix-product route instead (dist_gemm_backward.cc).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <new>
#include <vector>

#include "common/parallel.h"
#include "cpu/dist.h"
#include "cpu/dist_gemm.h"
#include "cpu/dist_tiles.h"

namespace ot::cpu {
namespace {

using tiles::kPanel;
using tiles::panelCount;
using tiles::powInt;
using tiles::sgn;
using tiles::stopRequested;
using tiles::tileRows;

// Both gradients have one shape. For each "target" sample t (a row of x for dL/dx, of y for dL/dy):
//   g_t[k] = Σ_s c(s,t) · φ(source_s[k], target_t[k]; σ(s,t)),  s running over the other set,
// with c, σ per pair from (G, M) and φ per coordinate. Cosine adds a self term w_t · target_t.

// Ops give, for one row i of G and M and the columns j0 .. j0+len-1, the pair coefficients c (and
// scales σ when kScaled) with loops the compiler vectorises, and φ per coordinate.
template <typename T>
struct DiffBwd {  // sqeuclidean: 2G (x - y); euclidean: G/M (x - y), 0 where M = 0
  bool divideByM;
  static constexpr bool kScaled = false, kSelf = false;
  void coefRow(const T* g, const T* mr, size_t, size_t, size_t len, T* c, T*) const {
    if (divideByM) {
      for (size_t j = 0; j < len; ++j) c[j] = mr[j] > T(0) ? g[j] / mr[j] : T(0);
    } else {
      for (size_t j = 0; j < len; ++j) c[j] = T(2) * g[j];
    }
  }
  T phiX(T xk, T yk, T) const { return xk - yk; }
  T phiY(T xk, T yk, T) const { return yk - xk; }
};
template <typename T>
struct CityblockBwd {
  static constexpr bool kScaled = false, kSelf = false;
  void coefRow(const T* g, const T*, size_t, size_t, size_t len, T* c, T*) const { std::copy(g, g + len, c); }
  T phiX(T xk, T yk, T) const { return sgn(xk - yk); }
  T phiY(T xk, T yk, T) const { return sgn(yk - xk); }
};
// dM/dt_k = sign(t_k) (|t_k| / M)^(p-1): the ratio is <= 1, so tiny M cannot overflow.
// P > 0: integer p (multiplications); P == 0: any real p via pow.
template <typename T, int P>
struct MinkowskiBwd {
  T pm1;
  static constexpr bool kScaled = true, kSelf = false;
  void coefRow(const T* g, const T* mr, size_t, size_t, size_t len, T* c, T* sc) const {
    std::copy(g, g + len, c);
    for (size_t j = 0; j < len; ++j) sc[j] = mr[j] > T(0) ? T(1) / mr[j] : T(0);
  }
  T phi(T t, T sc) const {
    const T u = std::abs(t) * sc;
    if constexpr (P > 0) return sgn(t) * powInt<P - 1>(u);
    else return sgn(t) * std::pow(u, pm1);
  }
  T phiX(T xk, T yk, T sc) const { return phi(xk - yk, sc); }
  T phiY(T xk, T yk, T sc) const { return phi(yk - xk, sc); }
};
// M = 1 - <x,y>/(|x||y|): dM/dx = -y/(|x||y|) + (1 - M) x/|x|² (the second part is the self term).
template <typename T>
struct CosineBwd {
  const T* invNx;  // 1 / |x_i|
  const T* invNy;  // 1 / |y_j|
  static constexpr bool kScaled = false, kSelf = true;
  void coefRow(const T* g, const T*, size_t i, size_t j0, size_t len, T* c, T*) const {
    const T a = -invNx[i];
    for (size_t j = 0; j < len; ++j) c[j] = a * g[j] * invNy[j0 + j];
  }
  void selfRow(const T* g, const T* mr, size_t len, T* out) const {
    for (size_t j = 0; j < len; ++j) out[j] = g[j] * (T(1) - mr[j]);
  }
  T phiX(T, T yk, T) const { return yk; }
  T phiY(T xk, T, T) const { return xk; }
};

// Targets per block and sources per block: the coefficient tile (kSrcBlock × kTgtBlock) stays in L2.
constexpr size_t kTgtBlock = 256;
constexpr size_t kSrcBlock = 256;
// Row stride of the coefficient tile: an odd number of cache lines, so a column of the tile (what a
// micro-kernel reads) spreads over all L1 sets instead of aliasing into a few.
template <typename T>
constexpr size_t kTileStride = kTgtBlock + kPanel<T>;
// Coordinates per micro-tile: kCoords × one panel of accumulators live in registers over all sources.
constexpr size_t kCoords = 4;

// One pass (dL/dx when TargetsX, else dL/dy) over the targets [t0, t1) owned by one thread.
struct PassArgs {
  size_t nSources, d, m;
  bool same;
};

template <typename T, class Op, bool TargetsX>
inline void gradMicro(const Op& op, const T* __restrict src, size_t sw, size_t d, size_t k0, const T* __restrict panel,
                      const T* __restrict cTile, const T* __restrict sTile, T* __restrict outPanel) {
  constexpr size_t C = kPanel<T>, K = kCoords;
  size_t kk[K];
  // Coordinates past d repeat the last one; their sums are discarded.
  for (size_t q = 0; q < K; ++q) kk[q] = std::min(k0 + q, d - 1);
  T p[K][C], acc[K][C];
  for (size_t q = 0; q < K; ++q)
    for (size_t c = 0; c < C; ++c) {
      p[q][c] = panel[kk[q] * C + c];
      acc[q][c] = T(0);
    }
  for (size_t s = 0; s < sw; ++s) {
    const T* __restrict cs = cTile + s * kTileStride<T>;
    const T* __restrict ss = Op::kScaled ? sTile + s * kTileStride<T> : cs;
    T sv[K];
    for (size_t q = 0; q < K; ++q) sv[q] = src[s * d + kk[q]];
    for (size_t c = 0; c < C; ++c)
      for (size_t q = 0; q < K; ++q) {
        const T ph = TargetsX ? op.phiX(p[q][c], sv[q], ss[c]) : op.phiY(sv[q], p[q][c], ss[c]);
        acc[q][c] += cs[c] * ph;
      }
  }
  for (size_t q = 0; q < std::min(K, d - k0); ++q)
    for (size_t c = 0; c < C; ++c) outPanel[(k0 + q) * C + c] += acc[q][c];
}

// coef[s][t] = c(source sb + s, target tb + t) (and σ), zero in the padding of the last panel; the
// cosine self sums of the targets accumulate into selfT. G and M are read along their rows.
template <typename T, class Op, bool TargetsX>
void buildCoefficients(const Op& op, const T* G, const T* M, const PassArgs& a, size_t tb, size_t tw, size_t sb,
                       size_t sw, T* coef, T* scale, T* selfT) {
  const size_t tPad = panelCount(tw, kPanel<T>) * kPanel<T>;
  constexpr size_t kRow = (kSrcBlock > kTgtBlock ? kSrcBlock : kTgtBlock) + kPanel<T>;
  T rowsC[kPanel<T>][kRow], rowsS[kPanel<T>][kRow], rowSelf[kRow];
  // Coefficients of row i of G from column j0 (len entries) into c / sc, self values into rowSelf.
  auto row = [&](size_t i, size_t j0, size_t len, T* c, T* sc) {
    const T* g = G + i * a.m + j0;
    const T* mr = M + i * a.m + j0;
    op.coefRow(g, mr, i, j0, len, c, sc);
    // The diagonal of dist(x, x) is pinned to 0, so it carries no gradient.
    const bool pinned = a.same && i >= j0 && i < j0 + len;
    if (pinned) c[i - j0] = T(0);
    if constexpr (Op::kSelf) {
      op.selfRow(g, mr, len, rowSelf);
      if (pinned) rowSelf[i - j0] = T(0);
    }
  };
  if constexpr (TargetsX) {
    // Target rows i = tb + t of G hold the sources along the row: transpose them into coef's columns
    // one panel of targets at a time, so every store into coef is a contiguous panel row.
    constexpr size_t C = kPanel<T>;
    for (size_t t0 = 0; t0 < tw; t0 += C) {
      const size_t cw = std::min(C, tw - t0);
      for (size_t c = 0; c < cw; ++c) {
        row(tb + t0 + c, sb, sw, rowsC[c], rowsS[c]);
        if constexpr (Op::kSelf) {
          T acc = 0;
          for (size_t s = 0; s < sw; ++s) acc += rowSelf[s];
          selfT[tb + t0 + c] += acc;
        }
      }
      for (size_t s = 0; s < sw; ++s) {
        for (size_t c = 0; c < cw; ++c) coef[s * kTileStride<T> + t0 + c] = rowsC[c][s];
        if constexpr (Op::kScaled) {
          for (size_t c = 0; c < cw; ++c) scale[s * kTileStride<T> + t0 + c] = rowsS[c][s];
        }
      }
    }
  } else {
    // Source rows i = sb + s of G, targets along the row.
    for (size_t s = 0; s < sw; ++s) {
      row(sb + s, tb, tw, coef + s * kTileStride<T>, Op::kScaled ? scale + s * kTileStride<T> : rowsS[0]);
      if constexpr (Op::kSelf) {
        for (size_t t = 0; t < tw; ++t) selfT[tb + t] += rowSelf[t];
      }
    }
  }
  for (size_t s = 0; s < sw; ++s)
    for (size_t t = tw; t < tPad; ++t) {
      coef[s * kTileStride<T> + t] = T(0);
      if (Op::kScaled) scale[s * kTileStride<T> + t] = T(0);
    }
}

template <typename T, class Op, bool TargetsX>
void gradPass(const Op& op, const T* src, const T* tgtP, const T* G, const T* M, const PassArgs& a, size_t t0, size_t t1,
              T* outP, T* selfT, T* coef, T* scale, CancelFlag cancel, std::atomic<bool>& aborted) {
  constexpr size_t C = kPanel<T>;
  const size_t d = a.d;
  std::fill(outP + (t0 / C) * d * C, outP + panelCount(t1, C) * d * C, T(0));
  if constexpr (Op::kSelf) std::fill(selfT + t0, selfT + t1, T(0));
  for (size_t tb = t0; tb < t1; tb += kTgtBlock) {
    const size_t tw = std::min(kTgtBlock, t1 - tb);
    for (size_t sb = 0; sb < a.nSources; sb += kSrcBlock) {
      if (stopRequested(cancel, aborted)) return;
      const size_t sw = std::min(kSrcBlock, a.nSources - sb);
      buildCoefficients<T, Op, TargetsX>(op, G, M, a, tb, tw, sb, sw, coef, scale, selfT);
      for (size_t t = tb; t < tb + tw; t += C) {
        const T* panel = tgtP + (t / C) * d * C;
        T* outPanel = outP + (t / C) * d * C;
        for (size_t k0 = 0; k0 < d; k0 += kCoords)
          gradMicro<T, Op, TargetsX>(op, src + sb * d, sw, d, k0, panel, coef + (t - tb), scale + (t - tb), outPanel);
      }
    }
  }
}

// g[t, k] = outP[t, k] + w_t · z[t, k] for the targets [t0, t1); w_t = self_t / |z_t|² for cosine.
template <typename T, class Op>
void unpack(const Op& op, const T* outP, const T* z, const T* selfT, bool targetsX, size_t d, size_t t0, size_t t1, T* g) {
  constexpr size_t C = kPanel<T>;
  for (size_t t = t0; t < t1; ++t) {
    T w = T(0);
    if constexpr (Op::kSelf) {
      const T inv = targetsX ? op.invNx[t] : op.invNy[t];
      w = selfT[t] * inv * inv;
    }
    for (size_t k = 0; k < d; ++k) g[t * d + k] = outP[(t / C) * d * C + k * C + t % C] + w * z[t * d + k];
  }
}

template <typename T, class Op>
Status runBackward(const Op& op, const T* x, const T* y, const T* M, const T* G, size_t n, size_t m, size_t d, bool same,
                   T* gx, T* gy, CancelFlag cancel, double costPerEntry) {
  constexpr size_t C = kPanel<T>;
  const double work = static_cast<double>(n) * static_cast<double>(m) * costPerEntry * ((gx ? 1 : 0) + (gy ? 1 : 0));
  const int team = teamSizeFor(work);
  const size_t tile = kSrcBlock * kTileStride<T>;
  std::vector<T> xP, yP, outX, outY, selfX, selfY, scratch;
  try {
    if (gx) {
      xP.resize(panelCount(n, C) * C * d);
      outX.resize(xP.size());
    }
    if (gy) {
      yP.resize(panelCount(m, C) * C * d);
      outY.resize(yP.size());
    }
    if (Op::kSelf) {
      selfX.resize(n);
      selfY.resize(m);
    }
    scratch.resize(static_cast<size_t>(team) * tile * (Op::kScaled ? 2 : 1));
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory;
  }
  if (gx) tiles::packPanels(x, n, d, xP.data());
  if (gy) tiles::packPanels(y, m, d, yP.data());
  std::atomic<bool> aborted{false};
  runTeamOrInline(team, [&](int tid, int nt) {
    T* coef = scratch.data() + static_cast<size_t>(tid) * tile * (Op::kScaled ? 2 : 1);
    T* scale = Op::kScaled ? coef + tile : coef;
    if (gx) {
      Range r = splitRange(n, tid, nt, C);
      const PassArgs a{m, d, m, same};
      if (r.begin < r.end) {
        gradPass<T, Op, true>(op, y, xP.data(), G, M, a, r.begin, r.end, outX.data(), selfX.data(), coef, scale, cancel, aborted);
        unpack(op, outX.data(), x, selfX.data(), true, d, r.begin, r.end, gx);
      }
    }
    if (gy) {
      Range r = splitRange(m, tid, nt, C);
      const PassArgs a{n, d, m, same};
      if (r.begin < r.end) {
        gradPass<T, Op, false>(op, x, yP.data(), G, M, a, r.begin, r.end, outY.data(), selfY.data(), coef, scale, cancel, aborted);
        unpack(op, outY.data(), y, selfY.data(), false, d, r.begin, r.end, gy);
      }
    }
  });
  return aborted.load() ? Status::Aborted : Status::Ok;
}

// ---- chebyshev: the gradient of max_k |t_k| is sign(t_k*) at the first maximising coordinate k* ----

constexpr size_t kArgRows = 4;

// code[r][c] = ±(k* + 1) with the sign of t_k*, or 0 when x_i = y_j (then every t_k is 0).
// Written on hardware-width vectors with bitwise selects: as plain loops GCC vectorises it only with
// AVX-512 (masked blends), and the AVX2 / baseline variants ran it scalar and branchy, 30x slower.
#if defined(__AVX512F__)
constexpr size_t kArgVecBytes = 64;
#elif defined(__AVX__)
constexpr size_t kArgVecBytes = 32;
#else
constexpr size_t kArgVecBytes = 16;
#endif

template <typename T>
OT_NOINLINE void argmaxMicro(const T* const* xr, const T* __restrict panel, size_t d, T (&out)[kArgRows][kPanel<T>]) {
  using I = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;
  typedef T V __attribute__((vector_size(kArgVecBytes)));
  typedef I B __attribute__((vector_size(kArgVecBytes)));
  constexpr size_t R = kArgRows, L = kPanel<T> * sizeof(T) / kArgVecBytes;  // vectors per panel row
  const B sign = B{} + std::numeric_limits<I>::min();
  V best[R][L], code[R][L];
  for (size_t r = 0; r < R; ++r)
    for (size_t l = 0; l < L; ++l) best[r][l] = code[r][l] = V{};
  for (size_t k = 0; k < d; ++k) {
    V yk[L];
    std::memcpy(yk, panel + k * kPanel<T>, sizeof yk);
    const T id = static_cast<T>(k + 1);
    I idBits;
    std::memcpy(&idBits, &id, sizeof id);
    for (size_t r = 0; r < R; ++r) {
      const T xk = xr[r][k];
      for (size_t l = 0; l < L; ++l) {
        const B t = (B)(xk - yk[l]);
        const B u = t & ~sign;                       // |t|
        const B taken = (V)u > best[r][l];           // all ones where |t| beats the best so far
        const B cand = (B{} + idBits) | (t & sign);  // copysign(k + 1, t)
        code[r][l] = (V)((cand & taken) | ((B)code[r][l] & ~taken));
        best[r][l] = (V)((u & taken) | ((B)best[r][l] & ~taken));
      }
    }
  }
  for (size_t r = 0; r < R; ++r) std::memcpy(out[r], code[r], sizeof code[r]);
}

// Row tiles [i0, i1) against column panels [j0, j1): gx rows (ToX) or gy rows (!ToX) += ±G.
template <typename T, bool ToX>
void chebyshevScatter(const T* x, const T* yP, const T* G, size_t m, size_t d, size_t i0, size_t i1, size_t j0,
                      size_t j1, T* g, CancelFlag cancel, std::atomic<bool>& aborted) {
  constexpr size_t R = kArgRows, C = kPanel<T>;
  T code[R][C];
  const T* xr[R];
  for (size_t i = i0; i < i1; i += R) {
    if (stopRequested(cancel, aborted)) return;
    const size_t rows = std::min(R, i1 - i);
    tileRows(x, i, rows, d, xr);
    for (size_t j = j0; j < j1; j += C) {
      argmaxMicro(xr, yP + (j / C) * d * C, d, code);
      const size_t cols = std::min(C, j1 - j);
      for (size_t r = 0; r < rows; ++r)
        for (size_t c = 0; c < cols; ++c) {
          const T cd = code[r][c];
          if (cd == T(0)) continue;
          const size_t k = static_cast<size_t>(std::abs(cd)) - 1;
          const T v = cd > T(0) ? G[(i + r) * m + j + c] : -G[(i + r) * m + j + c];
          if (ToX) g[(i + r) * d + k] += v;
          else g[(j + c) * d + k] -= v;
        }
    }
  }
}

template <typename T>
Status chebyshevBackward(const T* x, const T* y, const T* G, size_t n, size_t m, size_t d, T* gx, T* gy,
                         CancelFlag cancel) {
  constexpr size_t C = kPanel<T>;
  // Coordinates are carried as exact integers in T.
  if (static_cast<double>(d) >= (sizeof(T) == 4 ? 16777216.0 : 9.0e15)) return Status::BadArgument;
  std::vector<T> yP;
  try {
    yP.resize(panelCount(m, C) * C * d);
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory;
  }
  tiles::packPanels(y, m, d, yP.data());
  std::atomic<bool> aborted{false};
  const double work = static_cast<double>(n) * static_cast<double>(m) * static_cast<double>(d) * 4.0;
  runTeamOrInline(teamSizeFor(work), [&](int tid, int nt) {
    // gx: this thread's rows against every column; gy: every row against this thread's columns.
    if (gx) {
      Range r = splitRange(n, tid, nt);
      if (r.begin < r.end) chebyshevScatter<T, true>(x, yP.data(), G, m, d, r.begin, r.end, 0, m, gx, cancel, aborted);
    }
    if (gy) {
      Range c = splitRange(m, tid, nt, C);
      if (c.begin < c.end) chebyshevScatter<T, false>(x, yP.data(), G, m, d, 0, n, c.begin, c.end, gy, cancel, aborted);
    }
  });
  return aborted.load() ? Status::Aborted : Status::Ok;
}

template <typename T>
Status backwardImpl(const T* x, const T* y, const T* M, const T* G, size_t n, size_t m, size_t d, Metric metric, double p,
                    bool same, T* gx, T* gy, CancelFlag cancel) {
  if (gx) std::fill(gx, gx + n * d, T(0));
  if (gy) std::fill(gy, gy + m * d, T(0));
  if (n == 0 || m == 0 || d == 0 || (!gx && !gy)) return Status::Ok;
  if (gemmBackwardApplies(metric, p, d)) {
    const Metric inner = metric == Metric::Minkowski ? Metric::Euclidean : metric;
    return distBackwardGemm(x, y, M, G, n, m, d, inner, same, gx, gy, cancel);
  }
  const double cost = static_cast<double>(d) * 3.0 + 4.0;
  switch (metric) {
    case Metric::SqEuclidean: return runBackward(DiffBwd<T>{false}, x, y, M, G, n, m, d, same, gx, gy, cancel, cost);
    case Metric::Euclidean: return runBackward(DiffBwd<T>{true}, x, y, M, G, n, m, d, same, gx, gy, cancel, cost);
    case Metric::Cityblock: return runBackward(CityblockBwd<T>{}, x, y, M, G, n, m, d, same, gx, gy, cancel, cost);
    case Metric::Minkowski: {
      const T pm1 = static_cast<T>(p - 1.0);
      if (p == 1.0) return runBackward(CityblockBwd<T>{}, x, y, M, G, n, m, d, same, gx, gy, cancel, cost);
      if (p == 2.0) return runBackward(DiffBwd<T>{true}, x, y, M, G, n, m, d, same, gx, gy, cancel, cost);
      if (p == 3.0) return runBackward(MinkowskiBwd<T, 3>{pm1}, x, y, M, G, n, m, d, same, gx, gy, cancel, cost);
      if (p == 4.0) return runBackward(MinkowskiBwd<T, 4>{pm1}, x, y, M, G, n, m, d, same, gx, gy, cancel, cost);
      return runBackward(MinkowskiBwd<T, 0>{pm1}, x, y, M, G, n, m, d, same, gx, gy, cancel, cost * 10);
    }
    case Metric::Chebyshev: return chebyshevBackward(x, y, G, n, m, d, gx, gy, cancel);
    case Metric::Cosine: {
      std::vector<T> invNx, invNy;
      try {
        invNx.resize(n);
        invNy.resize(m);
      } catch (const std::bad_alloc&) {
        return Status::OutOfMemory;
      }
      tiles::rowNorms(x, n, d, invNx.data());
      tiles::rowNorms(y, m, d, invNy.data());
      for (T& v : invNx) v = T(1) / v;
      for (T& v : invNy) v = T(1) / v;
      return runBackward(CosineBwd<T>{invNx.data(), invNy.data()}, x, y, M, G, n, m, d, same, gx, gy, cancel, cost);
    }
  }
  return Status::BadArgument;
}

}  // namespace

template <typename T>
Status distBackward(const T* x, const T* y, const T* M, const T* G, size_t n, size_t m, size_t d, Metric metric,
                    double p, bool same, T* gx, T* gy, CancelFlag cancel) {
  return backwardImpl(x, y, M, G, n, m, d, metric, p, same, gx, gy, cancel);
}

template Status distBackward<float>(const float*, const float*, const float*, const float*, size_t, size_t, size_t, Metric,
                                    double, bool, float*, float*, CancelFlag);
template Status distBackward<double>(const double*, const double*, const double*, const double*, size_t, size_t, size_t,
                                     Metric, double, bool, double*, double*, CancelFlag);

}  // namespace ot::cpu
