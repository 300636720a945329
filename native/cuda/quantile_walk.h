// The GPU twin of cpu/quantile_walk.h, shared by the 1-D and sliced distances: k independent 1-D
// problems ("columns") are sorted with CUB's radix sort (stable, as the CPU's), their cumulative
// weights scanned, and the monotone plan walked as a merge of the two cumulative sequences, split into
// equal chunks of steps (merge path) so one column of 1e6 atoms and 200 columns of 5000 load the GPU
// alike. All pointers are device pointers; arithmetic is double whatever the samples' type.
#pragma once
#include <cstddef>
#include <cstdint>

#include "common/status.h"
#include "cuda/runtime.h"

namespace ot::cuda::oned {

// k samples of n atoms each, every column sorted: column c's atoms are [c * n, (c + 1) * n) of
// x (double positions, ascending), cum (double inclusive cumulative weights, non-decreasing) and order
// (uint32: the atom's row in the input).
struct SortedColumns {
  DeviceBuffer x, cum, order;
  size_t n = 0, k = 0;
  const double* xs() const { return x.as<double>(); }
  const double* cums() const { return cum.as<double>(); }
  const uint32_t* rows() const { return order.as<uint32_t>(); }
};

// Where an input column lives: atom i of column c at base[i * row + c * col].
struct Strides {
  size_t row = 1, col = 0;
};

// Sorts the k columns of x (n atoms each, at `xs` strides) with weights w (null: 1/n each, in double as
// the CPU) at `ws` strides (col = 0: one weight vector shared by every column). n < 2^32.
// X: float or double (the CPU's order: -0 before +0, ties in input order); W: float or double.
template <typename X, typename W>
Status sortColumns(const X* x, size_t n, size_t k, Strides xs, const W* w, Strides ws, SortedColumns& out);

// For each column c of U and V (same k): value[c] = sum over the monotone plan's pieces of
// mass * |x_i - y_j|^p (the CPU's transportCost), and when gU / gV are given, its derivatives with
// respect to every atom's position in sorted order (gU [k * U.n], gV [k * V.n]; overwritten).
Status walkColumns(const SortedColumns& U, const SortedColumns& V, double p, double* value, double* gU, double* gV);

// out[order(c, i) * to.row + c * to.col] = T(g[c * S.n + i]): sorted-order values back to the input's rows.
template <typename T>
Status scatterColumns(const double* g, const SortedColumns& S, Strides to, T* out);

}  // namespace ot::cuda::oned
