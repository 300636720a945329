// What the lazy (online) point-cloud kernels share: the two sides of a pass (one side's points walked,
// the other's swept in cache-sized tiles from a transposed copy, so inner loops run over contiguous
// columns and vectorise), one tile's squared Euclidean costs, and a pass over the walked points on a
// thread team. Used by lazy_sinkhorn.cc (the iterations) and lazy_linear_grad.cc (the gradient of <C, P>).
#pragma once
#include <algorithm>
#include <cstddef>
#include <vector>

#include "common/parallel.h"
#include "cpu/fast_exp.h"

namespace ot::cpu::tiles {

// The side a pass walks (its points p) and the side it sweeps (columns, transposed [d, count]).
template <typename C>
struct Sides {
  const C* rows;   // [nRows, d] row-major, compute type
  size_t nRows;
  const C* colsT;  // [d, nCols]
  size_t nCols;
  size_t d;
};

// One point's tile: cost[j] = |p - q_j|^2 for the columns j0 .. j0 + w.
template <typename C>
OT_WIDE_VECTORS inline void tileCosts(const Sides<C>& s, const C* p, size_t j0, size_t w, C* cost) {
  for (size_t j = 0; j < w; ++j) cost[j] = 0;
  for (size_t k = 0; k < s.d; ++k) {
    const C pk = p[k];
    const C* q = s.colsT + k * s.nCols + j0;
    for (size_t j = 0; j < w; ++j) {
      const C t = pk - q[j];
      cost[j] += t * t;
    }
  }
}

// Runs body(r0, r1, scratch) over [0, count) on a team sized for `work`, each thread with `scratch`
// entries of its own.
template <typename C, typename Body>
void passOver(size_t count, double work, int threads, size_t scratch, Body body) {
  int t = threads > 0 ? threads : teamSizeFor(work);
  t = static_cast<int>(std::min<size_t>(static_cast<size_t>(std::max(t, 1)), std::max<size_t>(count, 1)));
  runTeamOrInline(t, [&](int tid, int nt) {
    const Range rg = splitRange(count, tid, nt);
    if (rg.begin >= rg.end) return;
    std::vector<C> buf(scratch);
    body(rg.begin, rg.end, buf.data());
  });
}

}  // namespace ot::cpu::tiles
