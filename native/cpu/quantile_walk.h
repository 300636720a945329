// The 1-D OT walk shared by emd1d, wasserstein1d and the sliced distances (POT: wasserstein_1d's
// quantile functions, emd_1d_sorted): with both samples sorted, the monotone plan pairs the atoms
// whose cumulative-weight intervals overlap; each overlap is one piece (i, j, mass).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "cpu/radix_sort.h"

namespace ot::cpu::oned {

// |d|^p and its derivative in d (p >= 1; 0 at d = 0, as autograd gives for |d|^p).
inline double powAbs(double d, double p) {
  const double a = std::fabs(d);
  return p == 1 ? a : p == 2 ? a * a : std::pow(a, p);
}
inline double powAbsGrad(double d, double p) {
  if (d == 0) return 0;
  const double s = d > 0 ? 1.0 : -1.0;
  return p == 1 ? s : p == 2 ? 2 * d : s * p * std::pow(std::fabs(d), p - 1);
}

// Calls piece(i, j, mass) for the n + m steps of the merge of the two cumulative-weight sequences
// (POT's sorted quantile levels qs): i, j index the sorted order. A sample whose weights run out
// early by rounding stays on its last atom (POT clips the searchsorted index the same way).
// stopAtShorter: end when either sample's weights run out, so a plan between measures of equal mass
// keeps at most n + m - 1 pieces (the surplus of the other side is rounding, not transport).
template <class Piece>
void walk(const double* wx, size_t n, const double* wy, size_t m, Piece piece, bool stopAtShorter = false) {
  const double inf = std::numeric_limits<double>::infinity();
  size_t i = 0, j = 0;
  double cx = wx[0], cy = wy[0], prev = 0;
  for (size_t step = 0; step < n + m; ++step) {
    const double q = std::min(cx, cy);
    piece(i, j, q - prev);
    prev = q;
    if (cx <= cy) {
      if (i + 1 < n) cx += wx[++i];
      else cx = inf;
    } else {
      if (j + 1 < m) cy += wy[++j];
      else cy = inf;
    }
    if (stopAtShorter && (cx == inf || cy == inf)) break;
  }
}

// Scratch for one 1-D problem: the atoms' values, original positions and weights in sorted order.
struct Sorted {
  ScratchArray<double> raw, x, w;
  ScratchArray<size_t> order;
  RadixSorter sorter;

  // Sorts xs[0..n) (stride apart) with weights ws (null: uniform 1/n; wStride apart).
  template <typename T, typename W>
  void load(const T* xs, size_t n, size_t stride, const W* ws, size_t wStride) {
    raw.resize(n);
    for (size_t i = 0; i < n; ++i) raw[i] = static_cast<double>(xs[i * stride]);
    x.resize(n);
    w.resize(n);
    order.resize(n);
    if (n >= 64 && n < (size_t(1) << 32)) {
      sorter.sort(raw.data(), n);
      for (size_t i = 0; i < n; ++i) order[i] = sorter.idx[i];
    } else {
      for (size_t i = 0; i < n; ++i) order[i] = i;
      std::stable_sort(order.data(), order.data() + n, [&](size_t l, size_t r) { return raw[l] < raw[r]; });
    }
    for (size_t i = 0; i < n; ++i) {
      x[i] = raw[order[i]];
      w[i] = ws ? static_cast<double>(ws[order[i] * wStride]) : 1.0 / static_cast<double>(n);
    }
  }
};

// sum over pieces of mass * |x_i - y_j|^p (POT's wasserstein_1d: W_p^p) and, when gx / gy are
// given, its derivatives with respect to every atom's position, in the samples' original order.
inline double transportCost(const Sorted& X, const Sorted& Y, double p, double* gx, double* gy) {
  double cost = 0;
  if (gx) std::fill(gx, gx + X.x.size(), 0.0);
  if (gy) std::fill(gy, gy + Y.x.size(), 0.0);
  walk(X.w.data(), X.w.size(), Y.w.data(), Y.w.size(), [&](size_t i, size_t j, double mass) {
    const double d = X.x[i] - Y.x[j];
    cost += mass * powAbs(d, p);
    if (gx || gy) {
      const double g = mass * powAbsGrad(d, p);
      if (gx) gx[X.order[i]] += g;
      if (gy) gy[Y.order[j]] -= g;
    }
  });
  return cost;
}

}  // namespace ot::cpu::oned
