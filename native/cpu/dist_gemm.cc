// Forward of the matrix-product cost route (cpu/dist_gemm.h): x and y packed into register-tile
// panels (centred for the euclidean metrics), then one pass of tiles that form xyᵀ and finish the metric.
#include "cpu/dist_gemm.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <new>
#include <vector>

#include "common/parallel.h"
#include "cpu/dist_gemm_pack.h"
#include "cpu/dist_gemm_simd.h"
#include "cpu/dist_tiles.h"

namespace ot::cpu {
namespace {

using gemm::kRows;
using gemm::kVecs;
using gemm::Simd;

template <typename T>
constexpr size_t kCols = kVecs * Simd<T>::L;

// An entry (‖x‖² + ‖y‖²) − 2xy below kCancel · (‖x‖² + ‖y‖²) has lost about log2(1/kCancel) bits to
// cancellation, more than the fixtures' tolerance allows in float32: it is recomputed coordinate-wise.
constexpr double kCancel = 1.0 / 32;

// Bytes of packed y per column block: the block stays in L2 while the thread's row tiles stream past.
constexpr size_t kBlockBytes = 256 * 1024;

template <typename T>
struct Job {
  const T* x;
  const T* y;
  size_t n, m, d;
  bool euclid;  // else cosine
  bool root;    // euclidean: sqrt of the squared distance
  T* M;
  T* xp;        // panels of kRows rows: xp[(i / R) d R + k R + i % R]
  T* yp;        // panels of kCols columns, likewise
  T* nx;        // euclidean: squared norms of the centred rows; cosine: norms. Zero-padded to whole panels
  T* ny;
  const T* mu;  // the centre subtracted from every row (zeros for cosine, which is not shift-invariant)
};

// Packs panel p of z [rows, d] (W samples per panel, coordinate-major) and the samples' norms.
template <typename T>
void packPanel(const T* z, size_t rows, size_t d, const T* mu, size_t W, size_t p, bool squared, T* zp, T* norms) {
  T* panel = zp + p * d * W;
  for (size_t c = 0; c < W; ++c) {
    const size_t s = p * W + c;
    if (s >= rows) {
      for (size_t k = 0; k < d; ++k) panel[k * W + c] = T(0);
      norms[s] = T(0);
      continue;
    }
    const T* row = z + s * d;
    T acc = 0;
    for (size_t k = 0; k < d; ++k) {
      const T v = row[k] - mu[k];
      panel[k * W + c] = v;
      acc += v * v;
    }
    norms[s] = squared ? acc : std::sqrt(acc);
  }
}

// acc[r][v] = Σ_k a[k][r] · b[k][v-th vector]: one x panel against one y panel.
template <typename T>
inline void tileProduct(const T* __restrict a, const T* __restrict b, size_t d,
                        typename Simd<T>::V (&acc)[kRows][kVecs]) {
  using S = Simd<T>;
  using V = typename S::V;
  constexpr size_t C = kCols<T>;
#pragma GCC unroll 8
  for (size_t r = 0; r < kRows; ++r)
#pragma GCC unroll 8
    for (size_t v = 0; v < kVecs; ++v) acc[r][v] = V{};
  for (size_t k = 0; k < d; ++k) {
    V bv[kVecs];
#pragma GCC unroll 8
    for (size_t v = 0; v < kVecs; ++v) bv[v] = S::load(b + k * C + v * S::L);
#pragma GCC unroll 8
    for (size_t r = 0; r < kRows; ++r) {
      const V av = S::splat(a[k * kRows + r]);
#pragma GCC unroll 8
      for (size_t v = 0; v < kVecs; ++v) acc[r][v] += av * bv[v];
    }
  }
}

// Coordinate-wise squared distance of the flagged lanes (the loop of the small-d path, same order).
template <typename T>
OT_NOINLINE void recomputeLanes(const Job<T>& job, typename Simd<T>::B flagged, size_t i, size_t j, T* out) {
  if (i >= job.n) return;
  for (size_t l = 0; l < Simd<T>::L; ++l) {
    if (!flagged[l] || j + l >= job.m) continue;
    const T* xi = job.x + i * job.d;
    const T* yj = job.y + (j + l) * job.d;
    T a = 0;
    for (size_t k = 0; k < job.d; ++k) {
      const T t = xi[k] - yj[k];
      a += t * t;
    }
    out[l] = job.root ? std::sqrt(a) : a;
  }
}

// Writes the metric of tile (i, j) into dst (row stride ld): every row and column of the tile.
template <typename T>
inline void finishTile(const Job<T>& job, const typename Simd<T>::V (&acc)[kRows][kVecs], size_t i, size_t j, T* dst,
                       size_t ld) {
  using S = Simd<T>;
  using V = typename S::V;
  using B = typename S::B;
  if (job.euclid) {
    const V tau = S::splat(static_cast<T>(kCancel));
    // Entries lost to cancellation (s < tau·nsum) are rare, so the tile is tested once, through its
    // smallest s - tau·nsum, and only a flagged tile is gone over again lane by lane. (tau = 2^-5 makes
    // tau·nsum exact, and with gradual underflow a < b gives a - b < 0: the same test.) A test and a
    // branch per vector ran the AVX-512 forward 6× slower in the prebuilt binary's layout (27 ms at
    // 2000², d = 64, against 4.3 ms in the source build: the same machine code, on this AMD host).
    V worst = S::splat(T(1));
#pragma GCC unroll 8
    for (size_t r = 0; r < kRows; ++r) {
      const V nxr = S::splat(job.nx[i + r]);
#pragma GCC unroll 8
      for (size_t v = 0; v < kVecs; ++v) {
        // (‖x‖² + ‖y‖²) first: the same rounding for (i, j) and (j, i), so dist(x) stays symmetric.
        const V nsum = nxr + S::load(job.ny + j + v * S::L);
        const V s = nsum - T(2) * acc[r][v];
        const V margin = s - tau * nsum;
        worst = margin < worst ? margin : worst;
        const V clamped = s > V{} ? s : V{};
        S::store(dst + r * ld + v * S::L, job.root ? S::sqrt(clamped) : clamped);
      }
    }
    if (S::any(worst < V{})) [[unlikely]] {
      for (size_t r = 0; r < kRows; ++r) {
        const V nxr = S::splat(job.nx[i + r]);
        for (size_t v = 0; v < kVecs; ++v) {
          const V nsum = nxr + S::load(job.ny + j + v * S::L);
          const V s = nsum - T(2) * acc[r][v];
          const B low = s < tau * nsum;
          if (S::any(low)) recomputeLanes(job, low, i + r, j + v * S::L, dst + r * ld + v * S::L);
        }
      }
    }
  } else {
#pragma GCC unroll 8
    for (size_t r = 0; r < kRows; ++r) {
      const V nxr = S::splat(job.nx[i + r]);
      // One product in the denominator, as the small-d path: dist(x, x) stays exactly symmetric.
#pragma GCC unroll 8
      for (size_t v = 0; v < kVecs; ++v)
        S::store(dst + r * ld + v * S::L, T(1) - acc[r][v] / (nxr * S::load(job.ny + j + v * S::L)));
    }
  }
}

// Rows [i0, i1) × columns [j0, j1) of M; i0 and j0 are tile-aligned.
template <typename T>
void runTiles(const Job<T>& job, size_t i0, size_t i1, size_t j0, size_t j1, CancelFlag cancel,
              std::atomic<bool>& aborted) {
  constexpr size_t R = kRows, C = kCols<T>;
  const size_t block = std::max(C, kBlockBytes / (std::max<size_t>(job.d, 1) * sizeof(T)) / C * C);
  typename Simd<T>::V acc[R][kVecs];
  T edge[R * C];
  for (size_t jb = j0; jb < j1; jb += block) {
    const size_t je = std::min(j1, jb + block);
    for (size_t i = i0; i < i1; i += R) {
      if (tiles::stopRequested(cancel, aborted)) return;
      const size_t rows = std::min(R, i1 - i);
      const T* a = job.xp + (i / R) * job.d * R;
      for (size_t j = jb; j < je; j += C) {
        tileProduct(a, job.yp + (j / C) * job.d * C, job.d, acc);
        const size_t cols = std::min(C, je - j);
        if (rows == R && cols == C) {
          finishTile(job, acc, i, j, job.M + i * job.m + j, job.m);
        } else {
          finishTile(job, acc, i, j, edge, C);
          for (size_t r = 0; r < rows; ++r) std::copy(edge + r * C, edge + r * C + cols, job.M + (i + r) * job.m + j);
        }
      }
    }
  }
}

}  // namespace

template <typename T>
Status distGemm(const T* x, const T* y, size_t n, size_t m, size_t d, Metric metric, T* M, CancelFlag cancel) {
  constexpr size_t R = kRows, C = kCols<T>;
  if (n == 0 || m == 0) return Status::Ok;
  const size_t px = tiles::panelCount(n, R), py = tiles::panelCount(m, C);
  std::vector<T> buf;
  try {
    buf.resize(px * R * d + py * C * d + px * R + py * C + d);
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory;
  }
  const bool euclid = metric != Metric::Cosine;
  Job<T> job{x, y, n, m, d, euclid, metric != Metric::SqEuclidean && euclid, M, nullptr, nullptr, nullptr, nullptr, nullptr};
  job.xp = buf.data();
  job.yp = job.xp + px * R * d;
  job.nx = job.yp + py * C * d;
  job.ny = job.nx + px * R;
  T* mu = job.ny + py * C;
  if (euclid) gemm::centre(x, y, n, m, d, mu);
  job.mu = mu;

  std::atomic<bool> aborted{false};
  const int team = teamSizeFor(static_cast<double>(n) * static_cast<double>(m) * (static_cast<double>(d) + 4.0));
  SpinBarrier packed(team);
  const bool byRows = n >= static_cast<size_t>(2 * team) * R || n >= m;
  runTeamOrInline(team, [&](int tid, int nt) {
    // Every thread packs a share of both sets, then reads all of them.
    const Range a = splitRange(px, tid, nt), b = splitRange(py, tid, nt);
    for (size_t p = a.begin; p < a.end; ++p) packPanel(x, n, d, job.mu, R, p, euclid, job.xp, job.nx);
    for (size_t p = b.begin; p < b.end; ++p) packPanel(y, m, d, job.mu, C, p, euclid, job.yp, job.ny);
    if (nt > 1) packed.wait();  // alone (no threads to be had), it packed everything itself
    if (byRows) {
      const Range r = splitRange(n, tid, nt, R);
      if (r.begin < r.end) runTiles(job, r.begin, r.end, 0, m, cancel, aborted);
    } else {
      const Range c = splitRange(m, tid, nt, C);
      if (c.begin < c.end) runTiles(job, 0, n, c.begin, c.end, cancel, aborted);
    }
  });
  return aborted.load() ? Status::Aborted : Status::Ok;
}

template Status distGemm<float>(const float*, const float*, size_t, size_t, size_t, Metric, float*, CancelFlag);
template Status distGemm<double>(const double*, const double*, size_t, size_t, size_t, Metric, double*, CancelFlag);

}  // namespace ot::cpu
