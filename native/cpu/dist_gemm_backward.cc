// Backward of the matrix-product cost route (cpu/dist_gemm.h): dX = diag(w)X + EY and dY = diag(w')Y + EᵀX,
// with the coefficients E (from G and M) built block by block in per-thread scratch, never n × m.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <new>
#include <vector>

#include "common/parallel.h"
#include "cpu/dist_gemm.h"
#include "cpu/dist_gemm_pack.h"
#include "cpu/dist_gemm_simd.h"
#include "cpu/dist_tiles.h"

namespace ot::cpu {
namespace {

using gemm::kRows;
using gemm::kVecs;
using gemm::Simd;

// Coefficient blocks: rows of x × columns of y, sized so a block (and the sample rows it multiplies)
// stays in L2. Pass X walks kSpanX rows at a time, pass Y kSpanY columns (both multiples of kRows).
constexpr size_t kSpanX = 16 * kRows;
constexpr size_t kSpanY = 16 * kRows;
constexpr size_t kDepth = 128;  // the other index of a block: the reduction run of the product

enum class Kind { Sq, Euclid, Cosine };

// Euclidean pairs with M² below kNear · (‖x − μ‖² + ‖y − μ‖²) are left out of the product form, whose
// G/M-weighted terms would cancel there, and added coordinate-wise from the raw samples instead.
constexpr double kNear = 1.0 / 32;

template <typename T>
struct Job {
  const T* x;
  const T* y;
  const T* G;
  const T* M;
  size_t n, m, d, dp;  // dp: d rounded up to whole vectors (the row stride of xc, yc)
  Kind kind;
  bool same;
  const T* xc;     // x − μ [n, dp] (cosine: μ = 0), zero-padded
  const T* yc;     // y − μ [m, dp]
  const T* wx;  // per sample: cosine 1 / ‖x_i‖, euclidean ‖x_i − μ‖², else unused
  const T* wy;
};

// The flagged lanes' terms c (x_i − y_j) (pass X, into out, the row of i) or c (y_j − x_i) (pass Y, into
// out, the row of j0; lane l goes to row l), from the raw samples.
template <typename T>
OT_NOINLINE void addNearPairs(const Job<T>& job, typename Simd<T>::B near, typename Simd<T>::V c, size_t i, size_t j0,
                              size_t lanes, bool targetsX, T* out) {
  const T* xi = job.x + i * job.d;
  for (size_t l = 0; l < lanes; ++l) {
    if (!near[l]) continue;
    const T* yj = job.y + (j0 + l) * job.d;
    T* o = targetsX ? out : out + l * job.dp;
    const T cl = targetsX ? c[l] : -c[l];
    for (size_t k = 0; k < job.d; ++k) o[k] += cl * (xi[k] - yj[k]);
  }
}

// For rows [i0, i0 + rows) and columns [j0, j0 + cols): E[r][c] = coefficient of the other set's sample
// (dX_i gets E_ij y_j, dY_j gets E_ij x_i) and self sums h (dX_i gets (Σ_j h_ij) x_i, likewise dY_j):
//   sqeuclidean E = −2G, h = 2G; euclidean E = −G/M (0 where M = 0), h = G/M; cosine E = −G/(‖x‖‖y‖),
//   h = G(1 − M) (scaled by 1/‖x‖² or 1/‖y‖² at the end). The pinned diagonal of dist(x) gets 0.
// rowSelf[r] += Σ_c h (pass X) or colSelf[c] += Σ_r h (pass Y); either may be null. Near euclidean pairs
// go straight into `out` (the pass's output rows: row r for pass X, row c for pass Y).
template <typename T>
void buildCoefficients(const Job<T>& job, size_t i0, size_t rows, size_t j0, size_t cols, T* E, size_t ldE,
                       T* rowSelf, T* colSelf, T* out) {
  using S = Simd<T>;
  using V = typename S::V;
  using B = typename S::B;
  using I = typename S::I;
  constexpr size_t L = S::L;
  B iota;
  for (size_t l = 0; l < L; ++l) iota[l] = static_cast<I>(l);
  for (size_t r = 0; r < rows; ++r) {
    const size_t i = i0 + r;
    const T* g = job.G + i * job.m + j0;
    const T* mr = job.M + i * job.m + j0;
    const bool pinned = job.same && i >= j0 && i < j0 + cols;
    const V ax = S::splat(job.kind == Kind::Sq ? T(0) : job.kind == Kind::Cosine ? -job.wx[i] : job.wx[i]);
    const V tau = S::splat(static_cast<T>(kNear));
    V hsum{};
    for (size_t c = 0; c < cols; c += L) {
      V gv{}, mv{}, wy{};
      const bool whole = c + L <= cols;
      // The tail of a row reads zeros (G = 0 gives zero coefficients whatever the metric); whole vectors
      // take fixed-size loads (a variable-length copy costs more than the arithmetic).
      if (whole) {
        gv = S::load(g + c);
        mv = S::load(mr + c);
      } else {
        std::memcpy(&gv, g + c, (cols - c) * sizeof(T));
        std::memcpy(&mv, mr + c, (cols - c) * sizeof(T));
      }
      V e, h;
      if (job.kind == Kind::Sq) {
        h = T(2) * gv;
        e = -h;
      } else if (job.kind == Kind::Euclid) {
        const B pos = mv > V{};
        h = pos ? gv / mv : V{};
        if (whole) wy = S::load(job.wy + j0 + c);
        else std::memcpy(&wy, job.wy + j0 + c, (cols - c) * sizeof(T));
        const B near = pos & (mv * mv < tau * (ax + wy));
        if (S::any(near)) [[unlikely]] {
          addNearPairs(job, near, h, i, j0 + c, std::min(L, cols - c), rowSelf != nullptr,
                       rowSelf ? out + r * job.dp : out + c * job.dp);
          h = (V)((B)h & ~near);
        }
        e = -h;
      } else {
        if (whole) wy = S::load(job.wy + j0 + c);
        else std::memcpy(&wy, job.wy + j0 + c, (cols - c) * sizeof(T));
        e = ax * gv * wy;
        h = gv * (T(1) - mv);
      }
      if (pinned) {
        const B keep = (iota + static_cast<I>(j0 + c)) != static_cast<I>(i);
        e = (V)((B)e & keep);
        h = (V)((B)h & keep);
      }
      S::store(E + r * ldE + c, e);
      if (rowSelf) hsum += h;
      if (colSelf) S::store(colSelf + c, S::load(colSelf + c) + h);
    }
    if (rowSelf) rowSelf[r] += S::sum(hsum);
  }
}

// out[r][v] += Σ_s E(r, s) · Z[s][chunk v], s < steps, with E(r, s) = E[r·rs + s·ss]: kRows coefficient
// streams broadcast against NV vectors of sample coordinates.
template <typename T, size_t NV>
inline void productTile(const T* __restrict E, size_t rs, size_t ss, size_t steps, const T* __restrict Z, size_t ldZ,
                        T* __restrict out, size_t ldOut) {
  using S = Simd<T>;
  using V = typename S::V;
  V acc[kRows][NV];
#pragma GCC unroll 8
  for (size_t r = 0; r < kRows; ++r)
#pragma GCC unroll 8
    for (size_t v = 0; v < NV; ++v) acc[r][v] = V{};
  for (size_t s = 0; s < steps; ++s) {
    V z[NV];
#pragma GCC unroll 8
    for (size_t v = 0; v < NV; ++v) z[v] = S::load(Z + s * ldZ + v * S::L);
    const T* e = E + s * ss;
#pragma GCC unroll 8
    for (size_t r = 0; r < kRows; ++r) {
      const V a = S::splat(e[r * rs]);
#pragma GCC unroll 8
      for (size_t v = 0; v < NV; ++v) acc[r][v] += a * z[v];
    }
  }
#pragma GCC unroll 8
  for (size_t r = 0; r < kRows; ++r)
#pragma GCC unroll 8
    for (size_t v = 0; v < NV; ++v) S::store(out + r * ldOut + v * S::L, S::load(out + r * ldOut + v * S::L) + acc[r][v]);
}

// All coordinate chunks of one kRows group: full chunks of kVecs vectors, then the remaining vectors.
template <typename T>
void productRows(const T* E, size_t rs, size_t ss, size_t steps, const T* Z, size_t dp, T* out) {
  constexpr size_t L = Simd<T>::L, W = kVecs * L;
  size_t c = 0;
  for (; c + W <= dp; c += W) productTile<T, kVecs>(E, rs, ss, steps, Z + c, dp, out + c, dp);
  switch ((dp - c) / L) {
    case 1: productTile<T, 1>(E, rs, ss, steps, Z + c, dp, out + c, dp); break;
    case 2: productTile<T, 2 < kVecs ? 2 : 1>(E, rs, ss, steps, Z + c, dp, out + c, dp); break;
    case 3: productTile<T, 3 < kVecs ? 3 : 1>(E, rs, ss, steps, Z + c, dp, out + c, dp); break;
    default: break;
  }
}

// g[t] = out[t] + w_t · z_t for `count` targets, w_t = self_t (· invN_t² for cosine).
template <typename T>
void finishRows(const Job<T>& job, const T* out, const T* self, const T* z, const T* invN, size_t t0, size_t count,
                T* g) {
  for (size_t t = 0; t < count; ++t) {
    T w = self[t];
    if (job.kind == Kind::Cosine) w *= invN[t0 + t] * invN[t0 + t];
    const T* o = out + t * job.dp;
    const T* zt = z + (t0 + t) * job.dp;
    T* gt = g + (t0 + t) * job.d;
    for (size_t k = 0; k < job.d; ++k) gt[k] = o[k] + w * zt[k];
  }
}

// Per-thread scratch: one coefficient block, the output rows of a span, the self sums.
template <typename T>
struct Scratch {
  T* E;
  T* out;
  T* self;
  static size_t size(size_t dp) {
    constexpr size_t L = Simd<T>::L;
    const size_t span = std::max(kSpanX, kSpanY);
    return span * (kDepth + L) + span * dp + span + L;
  }
  Scratch(T* base, size_t dp) : E(base), out(base + std::max(kSpanX, kSpanY) * (kDepth + Simd<T>::L)),
                                self(out + std::max(kSpanX, kSpanY) * dp) {}
};

// dX for rows [r0, r1): per span of rows, blocks of columns, E [span][kDepth] times y.
template <typename T>
void passX(const Job<T>& job, size_t r0, size_t r1, Scratch<T>& s, T* gx, CancelFlag cancel, std::atomic<bool>& aborted) {
  constexpr size_t ldE = kDepth + Simd<T>::L;
  for (size_t i0 = r0; i0 < r1; i0 += kSpanX) {
    const size_t rows = std::min(kSpanX, r1 - i0);
    std::fill(s.out, s.out + kSpanX * job.dp, T(0));
    std::fill(s.self, s.self + kSpanX, T(0));
    for (size_t j0 = 0; j0 < job.m; j0 += kDepth) {
      if (tiles::stopRequested(cancel, aborted)) return;
      const size_t cols = std::min(kDepth, job.m - j0);
      buildCoefficients<T>(job, i0, rows, j0, cols, s.E, ldE, s.self, nullptr, s.out);
      // Rows past `rows` in the last group hold stale coefficients; their outputs are never read.
      for (size_t r = 0; r < rows; r += kRows)
        productRows(s.E + r * ldE, ldE, size_t{1}, cols, job.yc + j0 * job.dp, job.dp, s.out + r * job.dp);
    }
    finishRows(job, s.out, s.self, job.xc, job.wx, i0, rows, gx);
  }
}

// dY for columns [c0, c1): per span of columns, blocks of rows, Eᵀ times x.
template <typename T>
void passY(const Job<T>& job, size_t c0, size_t c1, Scratch<T>& s, T* gy, CancelFlag cancel, std::atomic<bool>& aborted) {
  constexpr size_t L = Simd<T>::L;
  const size_t ldE = (kSpanY + L - 1) / L * L;
  for (size_t j0 = c0; j0 < c1; j0 += kSpanY) {
    const size_t cols = std::min(kSpanY, c1 - j0);
    std::fill(s.out, s.out + kSpanY * job.dp, T(0));
    std::fill(s.self, s.self + ldE, T(0));
    for (size_t i0 = 0; i0 < job.n; i0 += kDepth) {
      if (tiles::stopRequested(cancel, aborted)) return;
      const size_t rows = std::min(kDepth, job.n - i0);
      buildCoefficients<T>(job, i0, rows, j0, cols, s.E, ldE, nullptr, s.self, s.out);
      for (size_t c = 0; c < cols; c += kRows)
        productRows(s.E + c, size_t{1}, ldE, rows, job.xc + i0 * job.dp, job.dp, s.out + c * job.dp);
    }
    finishRows(job, s.out, s.self, job.yc, job.wy, j0, cols, gy);
  }
}

// z − μ into rows of stride dp (zero tail) and the per-sample scalar of Job::wx / wy, for rows [r0, r1).
template <typename T>
void packRows(const T* z, size_t d, size_t dp, const T* mu, Kind kind, size_t r0, size_t r1, T* zc, T* w) {
  for (size_t t = r0; t < r1; ++t) {
    T* row = zc + t * dp;
    T a = 0;
    for (size_t k = 0; k < d; ++k) {
      row[k] = z[t * d + k] - mu[k];
      a += kind == Kind::Cosine ? z[t * d + k] * z[t * d + k] : row[k] * row[k];
    }
    std::fill(row + d, row + dp, T(0));
    w[t] = kind == Kind::Cosine ? T(1) / std::sqrt(a) : a;
  }
}

}  // namespace

template <typename T>
Status distBackwardGemm(const T* x, const T* y, const T* M, const T* G, size_t n, size_t m, size_t d, Metric metric,
                        bool same, T* gx, T* gy, CancelFlag cancel) {
  constexpr size_t L = Simd<T>::L;
  if (n == 0 || m == 0 || d == 0 || (!gx && !gy)) return Status::Ok;
  const Kind kind = metric == Metric::SqEuclidean ? Kind::Sq : metric == Metric::Cosine ? Kind::Cosine : Kind::Euclid;
  const bool cosine = kind == Kind::Cosine;
  const size_t dp = (d + L - 1) / L * L;
  const double work = static_cast<double>(n) * static_cast<double>(m) * (static_cast<double>(d) + 4.0) *
                      ((gx ? 1 : 0) + (gy ? 1 : 0));
  const int team = teamSizeFor(work);
  std::vector<T> buf;
  const size_t per = Scratch<T>::size(dp);
  try {
    buf.resize((n + m) * dp + n + m + L + d + static_cast<size_t>(team) * per);
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory;
  }
  T* xc = buf.data();
  T* yc = xc + n * dp;
  T* mu = yc + m * dp;
  T* wx = mu + d;
  T* wy = wx + n;
  T* scratch = wy + m + L;
  if (cosine) std::fill(mu, mu + d, T(0));
  else gemm::centre(x, y, n, m, d, mu);
  const Job<T> job{x, y, G, M, n, m, d, dp, kind, same, xc, yc, wx, wy};

  std::atomic<bool> aborted{false};
  SpinBarrier packed(team);
  runTeamOrInline(team, [&](int tid, int nt) {
    const Range a = splitRange(n, tid, nt), b = splitRange(m, tid, nt);
    packRows(x, d, dp, mu, kind, a.begin, a.end, xc, wx);
    packRows(y, d, dp, mu, kind, b.begin, b.end, yc, wy);
    if (nt > 1) packed.wait();  // alone (no threads to be had), it packed everything itself
    Scratch<T> s(scratch + static_cast<size_t>(tid) * per, dp);
    if (gx) {
      const Range r = splitRange(n, tid, nt, kRows);
      if (r.begin < r.end) passX(job, r.begin, r.end, s, gx, cancel, aborted);
    }
    if (gy) {
      const Range c = splitRange(m, tid, nt, kRows);
      if (c.begin < c.end) passY(job, c.begin, c.end, s, gy, cancel, aborted);
    }
  });
  return aborted.load() ? Status::Aborted : Status::Ok;
}

template Status distBackwardGemm<float>(const float*, const float*, const float*, const float*, size_t, size_t, size_t,
                                        Metric, bool, float*, float*, CancelFlag);
template Status distBackwardGemm<double>(const double*, const double*, const double*, const double*, size_t, size_t,
                                         size_t, Metric, bool, double*, double*, CancelFlag);

}  // namespace ot::cpu
