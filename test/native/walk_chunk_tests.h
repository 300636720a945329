// Tests of the GPU walk's chunk logic (native/cuda/walk_chunk.h, compiled here as plain C++): the
// merge-path split against a sequential merge, and the walk cut into chunks of 1, 3 and 32 steps
// against the CPU's sequential walk (cpu/quantile_walk.h) on the same sorted samples and cumulative
// weights: ties in positions and in cumulative weights, zero weights, unequal totals, n != m, one atom.
#pragma once
#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "cpu/quantile_walk.h"
#include "cuda/walk_chunk.h"

namespace walkchunktest {

namespace core = ot::cuda::oned;

// The CPU walk's cumulative sums (cx = w0; cx += w[++i]), so both walks see the same sequences.
inline std::vector<double> cumulative(const ot::cpu::ScratchArray<double>& w) {
  std::vector<double> c(w.size());
  double s = 0;
  for (size_t i = 0; i < w.size(); ++i) c[i] = (s += w[i]);
  return c;
}

inline void splitMatchesMerge(const std::vector<double>& A, const std::vector<double>& B, const std::string& what) {
  size_t a = 0, b = 0;
  bool ok = true;
  for (size_t s = 0; s <= A.size() + B.size(); ++s) {
    ok = ok && core::mergeSplit(A.data(), A.size(), B.data(), B.size(), s) == a;
    if (s == A.size() + B.size()) break;
    if (a < A.size() && (b >= B.size() || A[a] <= B[b])) ++a;
    else ++b;
  }
  check::that(ok, what + ": mergeSplit = the sequential merge at every step");
}

inline void oneCase(std::mt19937& gen, size_t n, size_t m, double p, bool ties, bool zeros, bool unequal) {
  std::uniform_real_distribution<double> unif(-2, 3), wdist(0.2, 1);
  std::vector<double> x(n), y(m), wx(n), wy(m);
  for (auto& e : x) e = ties ? std::floor(unif(gen) * 3) : unif(gen);
  for (auto& e : y) e = ties ? std::floor(unif(gen) * 3) : unif(gen);
  for (size_t i = 0; i < n; ++i) wx[i] = zeros && i % 4 == 1 ? 0.0 : wdist(gen);
  for (size_t j = 0; j < m; ++j) wy[j] = zeros && j % 3 == 2 ? 0.0 : wdist(gen);
  if (!unequal) {  // equal totals, as the uniform default: 1/n and 1/m
    std::fill(wx.begin(), wx.end(), 1.0 / double(n));
    std::fill(wy.begin(), wy.end(), 1.0 / double(m));
  }
  ot::cpu::oned::Sorted X, Y;
  X.load(x.data(), n, 1, wx.data(), 1);
  Y.load(y.data(), m, 1, wy.data(), 1);
  std::vector<double> gxRef(n), gyRef(m);
  const double want = ot::cpu::oned::transportCost(X, Y, p, gxRef.data(), gyRef.data());
  const std::vector<double> A = cumulative(X.w), B = cumulative(Y.w);
  const std::string what = "walkChunk n=" + std::to_string(n) + " m=" + std::to_string(m) + " p=" + std::to_string(p) +
                           (ties ? " ties" : "") + (zeros ? " zeros" : "") + (unequal ? " unequal" : " uniform");
  splitMatchesMerge(A, B, what);
  double scale = 0;
  for (double g : gxRef) scale = std::max(scale, std::fabs(g));
  for (double g : gyRef) scale = std::max(scale, std::fabs(g));
  for (size_t chunk : {size_t(1), size_t(3), size_t(32)}) {
    std::vector<double> gu(n, 0.0), gv(m, 0.0);
    double got = 0;
    for (size_t s0 = 0; s0 < n + m; s0 += chunk)
      got += core::walkChunk(A.data(), X.x.data(), n, B.data(), Y.x.data(), m, s0, std::min(s0 + chunk, n + m), p,
                             gu.data(), gv.data());
    const std::string w = what + " chunk=" + std::to_string(chunk);
    check::close(got, want, 1e-13, 1e-300, w + ": value");
    double worst = 0;
    for (size_t i = 0; i < n; ++i) worst = std::max(worst, std::fabs(gu[i] - gxRef[X.order[i]]));
    for (size_t j = 0; j < m; ++j) worst = std::max(worst, std::fabs(gv[j] - gyRef[Y.order[j]]));
    check::that(worst <= 1e-13 * std::max(scale, 1e-300), w + ": gradients (worst " + std::to_string(worst) + ")");
  }
}

inline void run() {
  std::mt19937 gen(2024);
  const size_t sizes[][2] = {{1, 1}, {1, 9}, {9, 1}, {5, 3}, {64, 64}, {100, 37}, {37, 100}, {200, 400}, {1000, 999}};
  for (const auto& nm : sizes)
    for (double p : {1.0, 1.5, 2.0, 3.0})
      for (int variant = 0; variant < 4; ++variant)
        oneCase(gen, nm[0], nm[1], p, variant & 1, variant == 2, variant >= 2);
}

}  // namespace walkchunktest
