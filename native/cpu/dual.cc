// Fused dual-OT kernels: threads own row blocks, each row is swept in column tiles so every inner loop
// is contiguous and branch-free (the compiler vectorises it, exp included); column sums go to per-block
// accumulators that are added in block order at the end, so results depend neither on timing nor on
// the number of threads.
// The pair loops are long, independent and exp-bound: on AVX-512 machines full-width vectors pay
// (GCC otherwise prefers 256-bit ones). Set before any include so that the std::function wrappers the
// kernels inline into are tuned the same way. A tuning hint only; other targets ignore it.
#if defined(__GNUC__) && !defined(__clang__) && defined(__AVX512F__)
#pragma GCC target("prefer-vector-width=512")
#endif
#include "cpu/dual.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <new>
#include <system_error>
#include <type_traits>
#include <vector>

#include "common/parallel.h"
#include "cpu/fast_exp.h"
#include "cpu/sinkhorn_team.h"  // the spinning team that can go solo, shared with Sinkhorn

namespace ot::dual {
namespace {

constexpr size_t kTile = 256;
constexpr size_t kLanes = cpu::sk::kLanes;

// Sum of a tile with independent lane accumulators (a plain loop would be a serial dependency chain).
template <typename T>
inline double tileSum(const T* x, size_t len) {
  constexpr size_t L = 16;
  T acc[L] = {};
  size_t j = 0;
  for (; j + L <= len; j += L)
    for (size_t l = 0; l < L; ++l) acc[l] += x[j + l];
  double s = 0;
  for (size_t l = 0; l < L; ++l) s += acc[l];
  for (; j < len; ++j) s += x[j];
  return s;
}

template <typename T>
inline T signOf(T x) {
  return static_cast<T>((x > T(0)) - (x < T(0)));
}

// Everything a row sweep reads, resolved once per call.
template <typename T>
struct Ctx {
  const T* u;
  const T* v;
  const T* xs;
  const T* ws;
  const T* wt;
  const T* xtT;    // xt transposed to d×m so each coordinate is a contiguous column stream
  const T* invNs;  // cosine: 1/|xs_i|
  const T* invNt;  // cosine: 1/|xt_j|
  size_t n, m, d;
  T reg, invReg, inv2Reg, p;
  // Lane path (double, squared euclidean, d <= 3): xt's coordinates, v and wt padded to mp = m rounded
  // up to 8 (v = -inf, wt = 0 there, so padding lanes add exact zeros); null when the path is off.
  const double* padX;  // d×mp
  const double* padV;
  const double* padW;
  size_t mp;
};

// Uninitialised scratch of `len` entries for one call: small requests reuse a buffer kept per thread
// and per Slot (calls on one thread never overlap), so the steps of a small optimisation loop make no
// allocator round trips (freeing blocks of some KiB had glibc consolidate its free lists every call);
// larger ones are allocated into `own`. Throws std::bad_alloc.
template <typename T, int Slot>
T* callScratch(size_t len, std::unique_ptr<T[]>& own) {
  constexpr size_t kKeep = size_t(1) << 14;  // entries kept per thread: 128 KiB of doubles
  if (len > kKeep) {
    own.reset(new T[len]);
    return own.get();
  }
  thread_local std::unique_ptr<T[]> kept;
  thread_local size_t keptLen = 0;
  if (keptLen < len) {
    kept.reset();
    keptLen = 0;
    kept.reset(new T[len < 2048 ? 2048 : len]);
    keptLen = len < 2048 ? 2048 : len;
  }
  return kept.get();
}

// Consecutive slices of one allocation (so a call's buffers cost one allocator round trip).
template <typename T>
struct Slicer {
  T* p;
  T* take(size_t len) {
    T* q = p;
    p += len;
    return q;
  }
};

// What sweepRows works with: one thread's tile buffers and row sums, and the column accumulators and
// loss of the row block it sweeps (views into a Workspace arena).
template <typename T>
struct Scratch {
  T *D, *wa, *wf, *aw, *Q, *g;
  T* arg;                   // chebyshev: maximising coordinate per pair (small integers, stored as T)
  T *colP, *colW, *colX;    // Σ_i P_ij; Σ_i ws_i F_ij; d×m Σ_i P_ij ∂M_ij/∂xt_j (null when not wanted)
  double* rowX;             // d row-gradient sums of the current row
  double loss;
};

// Row blocks: the rows are cut into blocksFor(n) fixed blocks whose column sums and loss are kept
// apart and added in block order at the end, and a team sweeps whole blocks. The sums are then the
// same bits for any number of threads: the JS loop (one call per step), the native ascent (one team
// for every step) and their async twins agree on every machine.
// About 64 rows a block, at most 64 blocks, and their accumulators (colP, colW and, for the samples'
// gradients, d·m colX each) within 32 MiB: a function of the problem's shape and wanted gradients only.
inline size_t blocksFor(size_t n, size_t m, size_t d, bool wantX) {
  const double perBlock = static_cast<double>((2 + (wantX ? d : 0)) * m) * sizeof(double);
  const size_t byMemory = static_cast<size_t>(std::max(1.0, static_cast<double>(size_t(32) << 20) / perBlock));
  return std::max<size_t>(1, std::min({n / 64, size_t(64), byMemory}));
}

// Every per-call buffer in one allocation (so small problems pay no allocator cost per tile): tile
// buffers per thread (`tiles`, accumulators null) and accumulators per row block (`blocks`, tile
// buffers null).
template <typename T>
struct Workspace {
  std::unique_ptr<T[]> arena;  // set only when the call is too large for callScratch's kept buffer
  std::vector<double> rowSums;
  std::vector<Scratch<T>> tiles, blocks;
  size_t mp = 0, m = 0, d = 0;
  Status init(int nt, size_t nb, size_t cols, size_t dims, bool wantV, bool wantWt, bool wantX) {
    m = cols;
    d = dims;
    mp = (m + kLanes - 1) / kLanes * kLanes;  // colP: room for the lane path's padding
    const size_t perThread = 7 * kTile;
    const size_t perBlock = (wantV ? mp : 0) + (wantWt ? m : 0) + (wantX ? d * m : 0);
    T* base = nullptr;
    try {
      // Not zeroed here: only the accumulators need it (reset).
      base = callScratch<T, 0>(perThread * static_cast<size_t>(nt) + perBlock * nb, arena);
      rowSums.assign(d * static_cast<size_t>(nt), 0.0);
      tiles.assign(static_cast<size_t>(nt), Scratch<T>{});
      blocks.assign(nb, Scratch<T>{});
    } catch (const std::bad_alloc&) {
      return Status::OutOfMemory;
    }
    Slicer<T> slices{base};
    for (int t = 0; t < nt; ++t) {
      Scratch<T>& s = tiles[t];
      s.D = slices.take(kTile);
      s.wa = slices.take(kTile);
      s.wf = slices.take(kTile);
      s.aw = slices.take(kTile);
      s.Q = slices.take(kTile);
      s.g = slices.take(kTile);
      s.arg = slices.take(kTile);
      s.rowX = rowSums.data() + static_cast<size_t>(t) * d;
    }
    for (Scratch<T>& b : blocks) {
      b.colP = wantV ? slices.take(mp) : nullptr;
      b.colW = wantWt ? slices.take(m) : nullptr;
      b.colX = wantX ? slices.take(d * m) : nullptr;
    }
    reset();
    return Status::Ok;
  }
  // Zero accumulators, for the next pass.
  void reset() {
    for (Scratch<T>& b : blocks) {
      if (b.colP) std::fill(b.colP, b.colP + mp, T(0));
      if (b.colW) std::fill(b.colW, b.colW + m, T(0));
      if (b.colX) std::fill(b.colX, b.colX + d * m, T(0));
      b.loss = 0;
    }
  }
};

// Costs M_ij of source row x against tile columns [j0, j0+len) into D (and the argmax for chebyshev).
template <typename T, Metric Mt>
inline void costTile(const Ctx<T>& c, size_t i, size_t j0, size_t len, T* __restrict D, T* __restrict arg) {
  const T* x = c.xs + i * c.d;
  const size_t m = c.m;
  if constexpr (Mt == Metric::Cosine) {
    for (size_t j = 0; j < len; ++j) D[j] = T(0);
    for (size_t k = 0; k < c.d; ++k) {
      const T xk = x[k];
      const T* col = c.xtT + k * m + j0;
      for (size_t j = 0; j < len; ++j) D[j] += xk * col[j];
    }
    const T sx = c.invNs[i];
    const T* iy = c.invNt + j0;
    for (size_t j = 0; j < len; ++j) D[j] = T(1) - D[j] * sx * iy[j];
    return;
  }
  for (size_t k = 0; k < c.d; ++k) {
    const T xk = x[k];
    const T* col = c.xtT + k * m + j0;
    if constexpr (Mt == Metric::SqEuclidean || Mt == Metric::Euclidean) {
      if (k == 0) {
        for (size_t j = 0; j < len; ++j) { const T dl = xk - col[j]; D[j] = dl * dl; }
      } else {
        for (size_t j = 0; j < len; ++j) { const T dl = xk - col[j]; D[j] += dl * dl; }
      }
    } else if constexpr (Mt == Metric::Cityblock) {
      if (k == 0) {
        for (size_t j = 0; j < len; ++j) D[j] = std::abs(xk - col[j]);
      } else {
        for (size_t j = 0; j < len; ++j) D[j] += std::abs(xk - col[j]);
      }
    } else if constexpr (Mt == Metric::Minkowski) {
      if (k == 0) {
        for (size_t j = 0; j < len; ++j) D[j] = std::pow(std::abs(xk - col[j]), c.p);
      } else {
        for (size_t j = 0; j < len; ++j) D[j] += std::pow(std::abs(xk - col[j]), c.p);
      }
    } else if constexpr (Mt == Metric::Chebyshev) {
      const T kk = static_cast<T>(k);
      if (k == 0) {
        for (size_t j = 0; j < len; ++j) { D[j] = std::abs(xk - col[j]); arg[j] = T(0); }
      } else {
        for (size_t j = 0; j < len; ++j) {
          const T a = std::abs(xk - col[j]);
          const bool more = a > D[j];
          arg[j] = more ? kk : arg[j];
          D[j] = more ? a : D[j];
        }
      }
    }
  }
  if constexpr (Mt == Metric::Euclidean) {
    for (size_t j = 0; j < len; ++j) D[j] = std::sqrt(D[j]);
  } else if constexpr (Mt == Metric::Minkowski) {
    const T ip = T(1) / c.p;
    for (size_t j = 0; j < len; ++j) D[j] = std::pow(D[j], ip);
  }
}

// Q[j] = P_ij times the metric's common factor of ∂M/∂x (so the per-coordinate pass is one multiply).
template <typename T, Metric Mt>
inline void gradScale(const Ctx<T>& c, const T* __restrict P, const T* __restrict D, size_t len, T* __restrict Q) {
  if constexpr (Mt == Metric::SqEuclidean) {
    for (size_t j = 0; j < len; ++j) Q[j] = T(2) * P[j];
  } else if constexpr (Mt == Metric::Euclidean) {
    // Zero distance: the subgradient 0 (torch's sqrt would give NaN there).
    for (size_t j = 0; j < len; ++j) Q[j] = D[j] > T(0) ? P[j] / D[j] : T(0);
  } else if constexpr (Mt == Metric::Minkowski) {
    for (size_t j = 0; j < len; ++j) Q[j] = D[j] > T(0) ? P[j] * std::pow(D[j], T(1) - c.p) : T(0);
  } else {
    for (size_t j = 0; j < len; ++j) Q[j] = P[j];
  }
}

// Adds Σ_j P_ij ∂M_ij/∂xs_i into rowX and P_ij ∂M_ij/∂xt_j into the thread's column sums colX (d×m),
// from Q = P·(the metric's common factor); g and gt are scratch tiles.
template <typename T, Metric Mt>
inline void gradTile(const Ctx<T>& c, size_t i, size_t j0, size_t len, const T* __restrict Q, const T* __restrict D,
                     const T* __restrict arg, T* __restrict g, T* __restrict gt, T* __restrict colX, double* rowX) {
  const T* x = c.xs + i * c.d;
  const size_t m = c.m;
  for (size_t k = 0; k < c.d; ++k) {
    const T xk = x[k];
    const T* __restrict col = c.xtT + k * m + j0;
    T* __restrict cx = colX + k * m + j0;
    if constexpr (Mt == Metric::Cosine) {
      // ∂M/∂x_k = cos·x_k/|x|² − y_k/(|x||y|);  ∂M/∂y_k = cos·y_k/|y|² − x_k/(|x||y|).
      const T sx = c.invNs[i];
      const T* __restrict iy = c.invNt + j0;
      for (size_t j = 0; j < len; ++j) {
        const T cs = T(1) - D[j];
        const T sxy = sx * iy[j];
        g[j] = Q[j] * (cs * xk * sx * sx - col[j] * sxy);
        gt[j] = Q[j] * (cs * col[j] * iy[j] * iy[j] - xk * sxy);
      }
      for (size_t j = 0; j < len; ++j) cx[j] += gt[j];
    } else {
      if constexpr (Mt == Metric::SqEuclidean || Mt == Metric::Euclidean) {
        for (size_t j = 0; j < len; ++j) g[j] = Q[j] * (xk - col[j]);
      } else if constexpr (Mt == Metric::Cityblock) {
        for (size_t j = 0; j < len; ++j) g[j] = Q[j] * signOf(xk - col[j]);
      } else if constexpr (Mt == Metric::Minkowski) {
        for (size_t j = 0; j < len; ++j) {
          const T dl = xk - col[j];
          g[j] = Q[j] * signOf(dl) * std::pow(std::abs(dl), c.p - T(1));
        }
      } else if constexpr (Mt == Metric::Chebyshev) {
        const T kk = static_cast<T>(k);
        for (size_t j = 0; j < len; ++j) g[j] = arg[j] == kk ? Q[j] * signOf(xk - col[j]) : T(0);
      }
      // Difference metrics: ∂M/∂xt_j = −∂M/∂xs_i.
      for (size_t j = 0; j < len; ++j) cx[j] -= g[j];
    }
    rowX[k] += tileSum(g, len);
  }
}

struct Want {
  bool u, v, x, ws, wt;
};

// The pair terms of one tile: wa_j = wt_j·a_ij with a = exp((u_i + v_j − M_ij)/reg) (entropic) or
// max(u_i + v_j − M_ij, 0)/(2 reg) (quadratic); quadratic also wf_j = wt_j·F_ij with F = −a·max(·,0)/2;
// with KeepA, aw_j = a (entropic) or F (quadratic) for the wt-gradient; with ColP the plan entries
// ws_i·wa_j are added to the column sums colP (for dv). DD > 0 forms the squared
// euclidean cost inline from DD coordinates (no D buffer); DD = 0 reads costs from D.
template <typename T, Kind K, int DD, bool KeepA, bool ColP>
inline void pairTile(size_t len, T ui, T wsi, T scale, const T* __restrict xi, const T* __restrict c0, const T* __restrict c1,
                     const T* __restrict c2, const T* __restrict D, const T* __restrict vt, const T* __restrict wtt,
                     T* __restrict wa, T* __restrict wf, T* __restrict aw, T* __restrict colP) {
  const T x0 = DD >= 1 ? xi[0] : T(0);
  const T x1 = DD >= 2 ? xi[1] : T(0);
  const T x2 = DD >= 3 ? xi[2] : T(0);
  for (size_t j = 0; j < len; ++j) {
    T M;
    if constexpr (DD == 0) {
      M = D[j];
    } else {
      const T d0 = x0 - c0[j];
      M = d0 * d0;
      if constexpr (DD >= 2) {
        const T d1 = x1 - c1[j];
        M += d1 * d1;
      }
      if constexpr (DD >= 3) {
        const T d2 = x2 - c2[j];
        M += d2 * d2;
      }
    }
    const T z = ui + vt[j] - M;
    T wj;
    if constexpr (K == Kind::Entropic) {
      const T a = cpu::fastExp(z * scale);
      wj = wtt[j] * a;
      if constexpr (KeepA) aw[j] = a;
    } else {
      const T zp = std::max(z, T(0));
      const T a = zp * scale;
      const T F = T(-0.5) * a * zp;
      wj = wtt[j] * a;
      wf[j] = wtt[j] * F;
      if constexpr (KeepA) aw[j] = F;
    }
    wa[j] = wj;
    if constexpr (ColP) colP[j] += wsi * wj;
  }
}

// Costs (inline for squared euclidean in 1–3 dimensions, else through costTile) and pair terms of a tile;
// colP (offset to the tile) is null when dv is not wanted.
template <typename T, Kind K, Metric Mt, bool KeepA, bool ColP>
inline void pairsFor(const Ctx<T>& c, size_t i, size_t j0, size_t len, Scratch<T>& s, T* colP) {
  const T ui = c.u[i];
  const T wsi = c.ws[i];
  const T scale = K == Kind::Entropic ? c.invReg : c.inv2Reg;
  const T* vt = c.v + j0;
  const T* wtt = c.wt + j0;
  T* wa = s.wa;
  T* wf = s.wf;
  T* aw = s.aw;
  if constexpr (Mt == Metric::SqEuclidean) {
    const T* xi = c.xs + i * c.d;
    const T* col = c.xtT + j0;
    switch (c.d) {
      case 1:
        return pairTile<T, K, 1, KeepA, ColP>(len, ui, wsi, scale, xi, col, nullptr, nullptr, nullptr, vt, wtt, wa, wf, aw, colP);
      case 2:
        return pairTile<T, K, 2, KeepA, ColP>(len, ui, wsi, scale, xi, col, col + c.m, nullptr, nullptr, vt, wtt, wa, wf, aw, colP);
      case 3:
        return pairTile<T, K, 3, KeepA, ColP>(len, ui, wsi, scale, xi, col, col + c.m, col + 2 * c.m, nullptr, vt, wtt, wa, wf, aw,
                                              colP);
      default: break;
    }
  }
  costTile<T, Mt>(c, i, j0, len, s.D, s.arg);
  pairTile<T, K, 0, KeepA, ColP>(len, ui, wsi, scale, nullptr, nullptr, nullptr, nullptr, s.D, vt, wtt, wa, wf, aw, colP);
}

template <typename T>
inline void axpy(size_t len, T a, const T* __restrict x, T* __restrict y) {
  for (size_t j = 0; j < len; ++j) y[j] += a * x[j];
}

using cpu::sk::v8d;
typedef uint64_t v8u __attribute__((vector_size(sizeof(v8d))));

// fastExp's arithmetic on kLanes lanes (the same result in every lane as the scalar form).
inline v8d expLanes(v8d x) {
  using C = cpu::detail::ExpCore<double>;
  v8d t;
  const v8d p = cpu::detail::expReduced<double>(x, t);
  const v8u bits = ((v8u)t << C::kMantissa) + (static_cast<uint64_t>(C::kBias) << C::kMantissa);
  const v8d y = p * (v8d)bits;
  const v8d big = x > C::kHi ? cpu::sk::splat(std::numeric_limits<double>::infinity()) : y;
  return x < C::kLo ? cpu::sk::splat(0.0) : big;
}

// Lanes folded pairwise (a fixed order: results do not depend on timing).
inline double foldLanes(v8d a) {
  double t[kLanes];
  for (size_t k = 0; k < kLanes; ++k) t[k] = a[k];
  for (size_t h = kLanes / 2; h >= 1; h /= 2)  // eight lanes: ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7))
    for (size_t k = 0; k < h; ++k) t[k] += t[k + h];
  return t[0];
}

// One row of the lane path: R = Σ_j wt_j a_ij, FR = Σ_j wt_j F_ij (quadratic) and, with ColP, the plan
// entries ws_i wt_j a_ij added to colP; the sums stay in registers (the tile path writes each term
// out and sums it again, which at ~100 columns costs as much as the exps).
template <Kind K, int DD, bool ColP, int Rows>
inline void laneRows(const Ctx<double>& c, size_t i, double* __restrict colP, double* R, double* FR) {
  using cpu::sk::load8;
  using cpu::sk::splat;
  const double scale = K == Kind::Entropic ? c.invReg : c.inv2Reg;
  v8d ui[Rows], wsi[Rows], x0[Rows], x1[Rows], x2[Rows], accR[Rows], accF[Rows];
  for (int r = 0; r < Rows; ++r) {
    const double* xi = c.xs + (i + r) * DD;
    ui[r] = splat(c.u[i + r]);
    wsi[r] = splat(c.ws[i + r]);
    x0[r] = splat(xi[0]);
    x1[r] = splat(DD >= 2 ? xi[1] : 0.0);
    x2[r] = splat(DD >= 3 ? xi[2] : 0.0);
    accR[r] = accF[r] = splat(0.0);
  }
  const double* c0 = c.padX;
  const double* c1 = c.padX + c.mp;
  const double* c2 = c.padX + 2 * c.mp;
  for (size_t j = 0; j < c.mp; j += kLanes) {
    // The column's coordinates, v, wt and running column sum, loaded once for the rows.
    const v8d y0 = load8(c0 + j);
    const v8d y1 = DD >= 2 ? load8(c1 + j) : splat(0.0);
    const v8d y2 = DD >= 3 ? load8(c2 + j) : splat(0.0);
    const v8d vj = load8(c.padV + j);
    const v8d wtt = load8(c.padW + j);
    v8d col = ColP ? load8(colP + j) : splat(0.0);
    for (int r = 0; r < Rows; ++r) {
      const v8d d0 = x0[r] - y0;
      v8d M = d0 * d0;
      if constexpr (DD >= 2) {
        const v8d d1 = x1[r] - y1;
        M += d1 * d1;
      }
      if constexpr (DD >= 3) {
        const v8d d2 = x2[r] - y2;
        M += d2 * d2;
      }
      const v8d z = ui[r] + vj - M;
      v8d wj;
      if constexpr (K == Kind::Entropic) {
        wj = wtt * expLanes(z * scale);
      } else {
        const v8d zp = z < 0.0 ? splat(0.0) : z;  // std::max(z, 0) lane by lane
        const v8d a = zp * scale;
        const v8d F = -0.5 * a * zp;
        wj = wtt * a;
        accF[r] += wtt * F;
      }
      accR[r] += wj;
      if constexpr (ColP) col = col + wsi[r] * wj;  // row by row, as one row at a time adds them
    }
    if constexpr (ColP) cpu::sk::store8(colP + j, col);
  }
  for (int r = 0; r < Rows; ++r) {
    R[r] = foldLanes(accR[r]);
    if constexpr (K == Kind::Quadratic) FR[r] = foldLanes(accF[r]);
  }
}

// Rows on the lane path: four at a time (their columns loaded once), one at a time for the rest.
template <Kind K, bool ColP, int Rows>
inline void laneRowsFor(const Ctx<double>& c, size_t i, double* colP, double* R, double* FR) {
  switch (c.d) {
    case 1: return laneRows<K, 1, ColP, Rows>(c, i, colP, R, FR);
    case 2: return laneRows<K, 2, ColP, Rows>(c, i, colP, R, FR);
    default: return laneRows<K, 3, ColP, Rows>(c, i, colP, R, FR);
  }
}

constexpr size_t kLaneRows = 4;

// Runs rows from i (before re) on the lane path when the call qualifies (see Ctx::padX) and no
// xs/xt/wt gradient is wanted: the number of rows done (kLaneRows or 1), 0 when not.
template <typename T, Kind K, Metric Mt>
inline size_t laneRowsIfAble(const Ctx<T>& c, size_t i, size_t re, Scratch<T>& s, const Want& w, double* R, double* FR) {
  if constexpr (std::is_same_v<T, double> && Mt == Metric::SqEuclidean) {
    if (c.padX == nullptr || w.x || w.wt) return 0;
    if (re - i >= kLaneRows) {
      if (w.v) laneRowsFor<K, true, kLaneRows>(c, i, s.colP, R, FR);
      else laneRowsFor<K, false, kLaneRows>(c, i, nullptr, R, FR);
      return kLaneRows;
    }
    if (w.v) laneRowsFor<K, true, 1>(c, i, s.colP, R, FR);
    else laneRowsFor<K, false, 1>(c, i, nullptr, R, FR);
    return 1;
  }
  return 0;
}

// One thread's share: rows [rb, re) against every column.
template <typename T, Kind K, Metric Mt>
Status sweepRows(const Ctx<T>& c, size_t rb, size_t re, Scratch<T>& s, Want w, const Grads<T>& g, CancelFlag cancel,
                 const std::atomic<bool>& stop) {
  T* wa = s.wa;
  const T reg = c.reg;
  double R[kLaneRows], FR[kLaneRows];
  for (size_t i = rb; i < re;) {
    if ((i - rb) % 16 == 0 && (cancel.raised() || stop.load(std::memory_order_relaxed))) return Status::Aborted;
    size_t rows = laneRowsIfAble<T, K, Mt>(c, i, re, s, w, R, FR);
    if (rows == 0) {
      rows = 1;
      const T wsi = c.ws[i];
      R[0] = FR[0] = 0;
      if (w.x) std::fill(s.rowX, s.rowX + c.d, 0.0);
      for (size_t j0 = 0; j0 < c.m; j0 += kTile) {
        const size_t len = std::min(kTile, c.m - j0);
        // Column sums: Σ_i P_ij for dv (in the pair loop); Σ_i ws_i F_ij for dwt (entropic F = −reg·a).
        if (w.wt) {
          if (w.v) pairsFor<T, K, Mt, true, true>(c, i, j0, len, s, s.colP + j0);
          else pairsFor<T, K, Mt, true, false>(c, i, j0, len, s, nullptr);
        } else {
          if (w.v) pairsFor<T, K, Mt, false, true>(c, i, j0, len, s, s.colP + j0);
          else pairsFor<T, K, Mt, false, false>(c, i, j0, len, s, nullptr);
        }
        R[0] += tileSum(wa, len);
        if constexpr (K == Kind::Quadratic) FR[0] += tileSum(s.wf, len);
        if (w.wt) axpy(len, K == Kind::Entropic ? -reg * wsi : wsi, s.aw, s.colW + j0);
        if (w.x) {
          for (size_t j = 0; j < len; ++j) wa[j] *= wsi;  // now the plan entries P_ij
          gradScale<T, Mt>(c, wa, s.D, len, s.Q);
          gradTile<T, Mt>(c, i, j0, len, s.Q, s.D, s.arg, s.g, s.wf, s.colX, s.rowX);
        }
      }
    }
    for (size_t r = 0; r < rows; ++r, ++i) {
      const T ui = c.u[i];
      const T wsi = c.ws[i];
      double fr = FR[r];
      if constexpr (K == Kind::Entropic) fr = -static_cast<double>(reg) * R[r];
      s.loss += static_cast<double>(wsi) * (static_cast<double>(ui) + fr);
      if (w.u) g.du[i] = static_cast<T>(static_cast<double>(wsi) * (1.0 - R[r]));
      if (w.ws) g.dws[i] = static_cast<T>(static_cast<double>(ui) + fr);
      if (g.dxs)
        for (size_t k = 0; k < c.d; ++k) g.dxs[i * c.d + k] = static_cast<T>(s.rowX[k]);
    }
  }
  return Status::Ok;
}

// Weights, transposed targets and cosine norms: the O(n + m·d) set-up shared by loss and plan, in one
// allocation.
template <typename T>
struct Prepared {
  std::unique_ptr<T[]> own;  // set only when the call is too large for callScratch's kept buffer
  Ctx<T> ctx{};
  T* padVOwn = nullptr;  // the lane path's copy of v (null when the path is off)
  // After pb.v changed in place (ctx reads u and v through pb's pointers): the lane path's copy again.
  void refresh(const Problem<T>& pb) {
    if (padVOwn) std::copy(pb.v, pb.v + pb.m, padVOwn);
  }
  // lanes: also lay out the lane path's padded columns (loss calls in double with the squared
  // euclidean cost in 1–3 dimensions).
  Status init(const Problem<T>& pb, bool lanes = false) {
    if (pb.n == 0 || pb.m == 0 || pb.d == 0 || !(pb.reg > 0)) return Status::BadArgument;
    const bool cosine = pb.metric == Metric::Cosine;
    lanes = lanes && std::is_same_v<T, double> && pb.metric == Metric::SqEuclidean && pb.d <= 3;
    const size_t mp = (pb.m + kLanes - 1) / kLanes * kLanes;
    T* store = nullptr;
    try {
      store = callScratch<T, 1>((pb.ws ? 0 : pb.n) + (pb.wt ? 0 : pb.m) + pb.m * pb.d + (cosine ? pb.n + pb.m : 0) + (lanes ? (pb.d + 2) * mp : 0),
                                own);
    } catch (const std::bad_alloc&) {
      return Status::OutOfMemory;
    }
    Slicer<T> slices{store};
    const T* ws = pb.ws;
    const T* wt = pb.wt;
    if (!ws) {
      T* w = slices.take(pb.n);
      std::fill(w, w + pb.n, static_cast<T>(1.0 / static_cast<double>(pb.n)));
      ws = w;
    }
    if (!wt) {
      T* w = slices.take(pb.m);
      std::fill(w, w + pb.m, static_cast<T>(1.0 / static_cast<double>(pb.m)));
      wt = w;
    }
    T* xtT = slices.take(pb.m * pb.d);
    for (size_t j = 0; j < pb.m; ++j)
      for (size_t k = 0; k < pb.d; ++k) xtT[k * pb.m + j] = pb.xt[j * pb.d + k];
    T* invNs = nullptr;
    T* invNt = nullptr;
    if (cosine) {
      auto norms = [&](const T* x, size_t rows, T* out) {
        for (size_t r = 0; r < rows; ++r) {
          double q = 0;
          for (size_t k = 0; k < pb.d; ++k) q += static_cast<double>(x[r * pb.d + k]) * x[r * pb.d + k];
          out[r] = static_cast<T>(1.0 / std::sqrt(q));
        }
      };
      invNs = slices.take(pb.n);
      invNt = slices.take(pb.m);
      norms(pb.xs, pb.n, invNs);
      norms(pb.xt, pb.m, invNt);
    }
    ctx = Ctx<T>{pb.u, pb.v, pb.xs, ws, wt, xtT, invNs, invNt, pb.n, pb.m, pb.d, static_cast<T>(pb.reg),
                 static_cast<T>(1.0 / pb.reg), static_cast<T>(0.5 / pb.reg), static_cast<T>(pb.p), nullptr, nullptr, nullptr, mp};
    if constexpr (std::is_same_v<T, double>) {
      if (lanes) {
        T* padX = slices.take(pb.d * mp);
        T* padV = slices.take(mp);
        T* padW = slices.take(mp);
        for (size_t k = 0; k < pb.d; ++k) {
          std::copy(xtT + k * pb.m, xtT + (k + 1) * pb.m, padX + k * mp);
          std::fill(padX + k * mp + pb.m, padX + (k + 1) * mp, T(0));
        }
        std::copy(pb.v, pb.v + pb.m, padV);
        std::fill(padV + pb.m, padV + mp, -std::numeric_limits<T>::infinity());  // a padding lane's exp is 0
        std::copy(wt, wt + pb.m, padW);
        std::fill(padW + pb.m, padW + mp, T(0));
        ctx.padX = padX;
        ctx.padV = padV;
        ctx.padW = padW;
        padVOwn = padV;
      }
    }
    return Status::Ok;
  }
};

// Scalar operations per pair, for sizing the thread team.
inline double pairCost(size_t d, bool grads) { return 12.0 + (grads ? 10.0 : 4.0) * static_cast<double>(d); }

inline int teamFor(size_t n, size_t m, size_t d, bool grads, int threads) {
  int t = threads > 0 ? threads : teamSizeFor(static_cast<double>(n) * static_cast<double>(m) * pairCost(d, grads));
  return static_cast<int>(std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(t), n)));
}

// Thread tid of a team of nt: its share of the row blocks, each swept with its tile buffers into the
// block's own accumulators.
template <typename T, Kind K, Metric Mt>
Status sweepBlocks(const Ctx<T>& c, Workspace<T>& work, int tid, int nt, Want w, const Grads<T>& g, CancelFlag cancel,
                   const std::atomic<bool>& stop) {
  const size_t nb = work.blocks.size();
  const Range own = splitRange(nb, tid, nt);
  for (size_t b = own.begin; b < own.end; ++b) {
    Scratch<T>& blk = work.blocks[b];
    Scratch<T> s = work.tiles[tid];
    s.colP = blk.colP;
    s.colW = blk.colW;
    s.colX = blk.colX;
    s.loss = 0;
    const Range rows = splitRange(c.n, static_cast<int>(b), static_cast<int>(nb));
    if (Status st = sweepRows<T, K, Mt>(c, rows.begin, rows.end, s, w, g, cancel, stop); st != Status::Ok) return st;
    blk.loss = s.loss;
  }
  return Status::Ok;
}

// The blocks' sums added in block order: the loss, and the column gradients (dv, dwt, dxt).
template <typename T>
double reduceBlocks(const Ctx<T>& c, const Workspace<T>& work, Want w, const Grads<T>& g) {
  double total = 0;
  for (const auto& b : work.blocks) total += b.loss;
  for (size_t j = 0; j < c.m; ++j) total += static_cast<double>(c.v[j]) * c.wt[j];
  for (size_t j = 0; j < c.m; ++j) {
    if (w.v) {
      double sp = 0;
      for (const auto& b : work.blocks) sp += b.colP[j];
      g.dv[j] = static_cast<T>(static_cast<double>(c.wt[j]) - sp);
    }
    if (w.wt) {
      double sw = 0;
      for (const auto& b : work.blocks) sw += b.colW[j];
      g.dwt[j] = static_cast<T>(static_cast<double>(c.v[j]) + sw);
    }
    if (g.dxt) {
      for (size_t k = 0; k < c.d; ++k) {
        double sx = 0;
        for (const auto& b : work.blocks) sx += b.colX[k * c.m + j];
        g.dxt[j * c.d + k] = static_cast<T>(sx);
      }
    }
  }
  return total;
}

template <typename T>
Want wanted(const Grads<T>& g) {
  return Want{g.du != nullptr, g.dv != nullptr, g.dxs != nullptr || g.dxt != nullptr, g.dws != nullptr, g.dwt != nullptr};
}

// `passes` loss passes on one team of `threads` (at most one a row block), `done` after each on thread 0:
// the per-call loss (one pass) and the native ascent (one per step) alike.
template <typename T, Kind K, Metric Mt>
Status runPasses(const Problem<T>& pb, const Grads<T>& g, int threads, size_t passes, const PassDone& done, CancelFlag cancel) {
  Prepared<T> prep;
  if (Status st = prep.init(pb, true); st != Status::Ok) return st;
  const Ctx<T>& c = prep.ctx;
  const Want w = wanted(g);
  const size_t nb = blocksFor(pb.n, pb.m, pb.d, w.x);
  const int nt = std::max(1, std::min(threads, static_cast<int>(nb)));
  Workspace<T> work;
  if (Status st = work.init(nt, nb, pb.m, pb.d, w.v, w.wt, w.x); st != Status::Ok) return st;
  std::vector<Status> swept(nt, Status::Ok);
  std::atomic<bool> stop{false};
  Status status = Status::Ok;
  bool finished = false;  // written by thread 0 before a sync, read by all after it
  // Thread 0 between two syncs: the pass just swept reduced and handed to `done` (which may move u
  // and v), then the next pass prepared; the team sweeps between the other two.
  auto body = [&](cpu::sk::Team& team, int tid) {
    for (size_t k = 0;; ++k) {
      if (tid == 0) {
        for (Status st : swept)
          if (st != Status::Ok && status == Status::Ok) status = st;
        if (status == Status::Ok && k > 0) status = done(k - 1, reduceBlocks(c, work, w, g));
        if (status == Status::Ok && k < passes && cancel.raised()) status = Status::Aborted;
        finished = status != Status::Ok || k == passes;
        if (!finished) {
          prep.refresh(pb);
          work.reset();
        }
        if (k == 1) team.startClock();
        team.propose();
      }
      team.sync(tid);
      if (finished) return;
      if (team.leave(tid)) return;
      swept[tid] = sweepBlocks<T, K, Mt>(c, work, tid, team.size(), w, g, cancel, stop);  // 1 once solo
      if (swept[tid] != Status::Ok) stop.store(true, std::memory_order_relaxed);
      team.sync(tid);
    }
  };
  auto run = [&](int size) {
    cpu::sk::Team team(size);
    runTeam(size, [&](int tid, int) { body(team, tid); });
  };
  try {
    run(nt);
  } catch (const std::system_error&) {
    run(1);  // no thread could be made: the same passes on this one (the blocks keep the same sums)
  } catch (const std::bad_alloc&) {
    run(1);
  }
  return status;
}

template <typename T, Kind K, Metric Mt>
Status lossImpl(const Problem<T>& pb, double* loss, const Grads<T>& g, CancelFlag cancel, int threads) {
  const int nt = teamFor(pb.n, pb.m, pb.d, wanted(g).x, threads);
  return runPasses<T, K, Mt>(pb, g, nt, 1, [loss](size_t, double l) {
    *loss = l;
    return Status::Ok;
  }, cancel);
}

// Per-pass work a thread of the ascent's team must have. The team is made once for all passes, but
// each pass hands u, v and the column sums between cores: at 100×100 (d = 2) two threads measured
// 20% slower than one (each half-sweep 40% slower than half the whole, 3 µs of hand-over per pass);
// from 300×300 on, 2.5× faster than a team started per pass.
constexpr double kLoopWorkPerThread = 2e5;

template <typename T, Kind K, Metric Mt>
Status lossLoopImpl(const Problem<T>& pb, const Grads<T>& g, size_t passes, const PassDone& done, CancelFlag cancel) {
  const double work1 = static_cast<double>(pb.n) * static_cast<double>(pb.m) * pairCost(pb.d, wanted(g).x);
  return runPasses<T, K, Mt>(pb, g, teamSizeFor(work1, kLoopWorkPerThread), passes, done, cancel);
}

template <typename T, Kind K, Metric Mt>
Status planImpl(const Problem<T>& pb, T* G, CancelFlag cancel, int threads) {
  Prepared<T> prep;
  if (Status st = prep.init(pb); st != Status::Ok) return st;
  const Ctx<T>& c = prep.ctx;
  const int nt = teamFor(pb.n, pb.m, pb.d, false, threads);
  Workspace<T> work;
  if (Status st = work.init(nt, 0, pb.m, pb.d, false, false, false); st != Status::Ok) return st;
  std::atomic<bool> aborted{false};
  runTeamOrInline(nt, [&](int tid, int team) {
    Range r = splitRange(pb.n, tid, team);
    Scratch<T>& sc = work.tiles[tid];
    for (size_t i = r.begin; i < r.end; ++i) {
      if ((i - r.begin) % 16 == 0 && cancel.raised()) {
        aborted.store(true, std::memory_order_relaxed);
        return;
      }
      const T wsi = c.ws[i];
      for (size_t j0 = 0; j0 < c.m; j0 += kTile) {
        const size_t len = std::min(kTile, c.m - j0);
        pairsFor<T, K, Mt, false, false>(c, i, j0, len, sc, nullptr);
        T* row = G + i * c.m + j0;
        const T* wa = sc.wa;
        for (size_t j = 0; j < len; ++j) row[j] = wsi * wa[j];
      }
    }
  });
  return aborted.load() ? Status::Aborted : Status::Ok;
}

template <typename T, Kind K, typename F>
Status byMetric(Metric mt, F&& f) {
  switch (mt) {
    case Metric::SqEuclidean: return f(std::integral_constant<Metric, Metric::SqEuclidean>{});
    case Metric::Euclidean: return f(std::integral_constant<Metric, Metric::Euclidean>{});
    case Metric::Cityblock: return f(std::integral_constant<Metric, Metric::Cityblock>{});
    case Metric::Minkowski: return f(std::integral_constant<Metric, Metric::Minkowski>{});
    case Metric::Chebyshev: return f(std::integral_constant<Metric, Metric::Chebyshev>{});
    case Metric::Cosine: return f(std::integral_constant<Metric, Metric::Cosine>{});
  }
  return Status::BadArgument;
}

}  // namespace

template <typename T>
Status lossAndGrad(const Problem<T>& pb, double* loss, const Grads<T>& g, CancelFlag cancel, int threads) {
  if (pb.kind == Kind::Entropic)
    return byMetric<T, Kind::Entropic>(pb.metric, [&](auto mt) {
      return lossImpl<T, Kind::Entropic, decltype(mt)::value>(pb, loss, g, cancel, threads);
    });
  return byMetric<T, Kind::Quadratic>(pb.metric, [&](auto mt) {
    return lossImpl<T, Kind::Quadratic, decltype(mt)::value>(pb, loss, g, cancel, threads);
  });
}

template <typename T>
Status lossLoop(const Problem<T>& pb, const Grads<T>& g, size_t passes, const PassDone& done, CancelFlag cancel) {
  if (pb.kind == Kind::Entropic)
    return byMetric<T, Kind::Entropic>(pb.metric, [&](auto mt) {
      return lossLoopImpl<T, Kind::Entropic, decltype(mt)::value>(pb, g, passes, done, cancel);
    });
  return byMetric<T, Kind::Quadratic>(pb.metric, [&](auto mt) {
    return lossLoopImpl<T, Kind::Quadratic, decltype(mt)::value>(pb, g, passes, done, cancel);
  });
}

template <typename T>
Status plan(const Problem<T>& pb, T* G, CancelFlag cancel, int threads) {
  if (pb.kind == Kind::Entropic)
    return byMetric<T, Kind::Entropic>(pb.metric, [&](auto mt) {
      return planImpl<T, Kind::Entropic, decltype(mt)::value>(pb, G, cancel, threads);
    });
  return byMetric<T, Kind::Quadratic>(pb.metric, [&](auto mt) {
    return planImpl<T, Kind::Quadratic, decltype(mt)::value>(pb, G, cancel, threads);
  });
}

template Status lossAndGrad<float>(const Problem<float>&, double*, const Grads<float>&, CancelFlag, int);
template Status lossAndGrad<double>(const Problem<double>&, double*, const Grads<double>&, CancelFlag, int);
template Status lossLoop<float>(const Problem<float>&, const Grads<float>&, size_t, const PassDone&, CancelFlag);
template Status lossLoop<double>(const Problem<double>&, const Grads<double>&, size_t, const PassDone&, CancelFlag);
template Status plan<float>(const Problem<float>&, float*, CancelFlag, int);
template Status plan<double>(const Problem<double>&, double*, CancelFlag, int);

}  // namespace ot::dual
