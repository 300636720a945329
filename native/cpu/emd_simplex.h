// The network simplex behind emdSolve: a spanning tree over n sources, m targets and an artificial
// root, pivoting on the complete bipartite graph whose arcs (i -> j, cost M_ij) stay implicit (no
// per-arc storage: a tree arc is recognised by its endpoints, since it is one endpoint's parent link).
#pragma once
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "common/status.h"
#include "cpu/emd_pricing.h"

namespace ot::cpu::emd_detail {

// Tree representation (one slot per node, root = n + m): parent link, depth (to meet at the cycle's
// apex), first child and doubly-linked siblings (to walk a subtree), potential pi and the flow on
// the node's link to its parent. Every real arc goes from a source i to a target n + j, so a
// source's parent link points up the tree (i -> parent) and a target's points down (parent -> j).
// Reduced cost of arc (i, j): M_ij + pi_i - pi_{n+j}; tree arcs have reduced cost 0.
template <typename T>
class NetworkSimplex {
 public:
  // rows[i] points at source i's cost row; cols (null = identity) maps target j to its column.
  // a: n supplies > 0, b: m demands > 0 with the same total. Reuses buffers across calls.
  Status solve(const T* const* rows, const size_t* cols, const double* a, const double* b, size_t n, size_t m,
               long maxIter, CancelFlag cancel, long* nIter) {
    rows_ = rows;
    cols_ = cols;
    n_ = static_cast<int>(n);
    m_ = static_cast<int>(m);
    N_ = n_ + m_;
    *nIter = 0;
    if (!initTree(a, b)) return Status::BadArgument;
    blockRows_ = std::max<long>(1, static_cast<long>(std::sqrt(double(n) * double(m)) / double(m)));
    nextRow_ = 0;
    long iter = 0;
    Status status = Status::Ok;
    if (!initialPivots()) return Status::Infeasible;
    bool freshPotentials = false;
    for (;;) {
      if ((iter & 1023) == 0 && cancel.raised()) return Status::Aborted;
      int i, j;
      if (!findEntering(&i, &j)) {
        // Potentials drift by rounding as subtrees shift; before declaring optimality, recompute
        // them exactly from the tree and look once more.
        if (freshPotentials) break;
        recomputePotentials();
        freshPotentials = true;
        continue;
      }
      freshPotentials = false;
      if (maxIter > 0 && ++iter >= maxIter) {
        status = Status::MaxIter;
        break;
      }
      if (maxIter <= 0) ++iter;
      if (!pivot(i, j)) return Status::Infeasible;
    }
    if (!freshPotentials) recomputePotentials();
    *nIter = iter;
    return status;
  }

  // After solve: the tree's arcs are the links node -> parent; flow on the link of `node`.
  int root() const { return N_; }
  int parentOf(int node) const { return parent_[node]; }
  double flowOf(int node) const { return flow_[node]; }
  double potential(int node) const { return pi_[node]; }
  double cost(int i, int j) const { return static_cast<double>(rows_[i][cols_ ? cols_[j] : size_t(j)]); }

 private:
  static constexpr double kEps = 2.220446049250313e-15;  // relative optimality tolerance (POT's EPSILON)

  // Every node hangs from the root by an artificial arc carrying its supply: source -> root (cost 0)
  // or root -> target (cost artCost_, high enough that optimal flows leave those arcs).
  bool initTree(const double* a, const double* b) {
    const size_t slots = static_cast<size_t>(N_) + 1;
    if (parent_.size() < slots) {
      for (auto* v : {&parent_, &depth_, &child_, &next_, &prev_}) v->resize(slots);
      pi_.resize(slots);
      flow_.resize(slots);
    }
    double maxCost = 0;
    for (int i = 0; i < n_; ++i)
      for (int j = 0; j < m_; ++j) {
        double c = cost(i, j);
        if (!std::isfinite(c)) return false;
        maxCost = std::max(maxCost, std::fabs(c));
      }
    artCost_ = (maxCost + 1) * double(N_);
    const int r = N_;
    parent_[r] = -1;
    depth_[r] = 0;
    pi_[r] = 0;
    flow_[r] = 0;
    prev_[r] = next_[r] = -1;
    child_[r] = N_ > 0 ? 0 : -1;
    for (int u = 0; u < N_; ++u) {
      parent_[u] = r;
      depth_[u] = 1;
      child_[u] = -1;
      prev_[u] = u - 1;
      next_[u] = u + 1 < N_ ? u + 1 : -1;
      pi_[u] = u < n_ ? 0.0 : artCost_;
      flow_[u] = u < n_ ? a[u] : b[u - n_];
    }
    return true;
  }

  double linkCost(int u) const {
    const int p = parent_[u];
    if (p == N_) return u < n_ ? 0.0 : artCost_;
    return u < n_ ? cost(u, p - n_) : cost(p, u - n_);
  }

  bool isTreeArc(int i, int j) const { return parent_[i] == n_ + j || parent_[n_ + j] == i; }

  // A cheap start (as network simplex codes commonly do): bring each target's cheapest incoming arc
  // into the tree, when its reduced cost is negative. Not counted in maxIter (as POT).
  bool initialPivots() {
    colMin_.assign(static_cast<size_t>(m_), std::numeric_limits<double>::infinity());
    colArg_.assign(static_cast<size_t>(m_), 0);
    for (int i = 0; i < n_; ++i)
      for (int j = 0; j < m_; ++j) {
        double c = cost(i, j);
        if (c < colMin_[j]) {
          colMin_[j] = c;
          colArg_[j] = i;
        }
      }
    for (int j = 0; j < m_; ++j) {
      const int i = colArg_[j];
      if (colMin_[j] + pi_[i] - pi_[n_ + j] >= 0 || isTreeArc(i, j)) continue;
      if (!pivot(i, j)) return false;
    }
    return true;
  }

  // Block search (POT's pivot rule, by rows): scan rows from where the last search stopped, keep the
  // most negative reduced cost, stop at the end of a block of ~sqrt(n m) arcs once it is negative
  // enough. Rows are priced with vectors; tree arcs (reduced cost ~0, maybe -tiny by rounding) are
  // skipped when a row's minimum lands on one.
  bool findEntering(int* bi, int* bj) {
    double best = 0;
    int besti = -1, bestj = -1;
    long inBlock = 0;
    for (int k = 0; k < n_; ++k) {
      int i = nextRow_ + k;
      if (i >= n_) i -= n_;
      int j;
      const double rc = rowBest(i, &j);
      if (rc < best && j >= 0) {
        best = rc;
        besti = i;
        bestj = j;
      }
      if (++inBlock == blockRows_ || k == n_ - 1) {
        inBlock = 0;
        if (besti >= 0 && negativeEnough(best, besti, bestj)) {
          nextRow_ = i + 1 < n_ ? i + 1 : 0;
          *bi = besti;
          *bj = bestj;
          return true;
        }
      }
    }
    return false;
  }

  // Row i's most negative non-tree arc when its reduced cost is negative: returns it and sets *j
  // (else *j = -1). When the row's minimum lands on a tree arc (reduced cost ~0, maybe -tiny by
  // rounding), the row's tree arcs (its link to a target parent, the links to its children, all
  // targets) are hidden by lifting their piT to -inf and the row is priced again.
  double rowBest(int i, int* jOut) {
    double* piT = pi_.data() + n_;
    const T* row = rows_[i];
    double dmin = minRow(row, piT);
    double rc = dmin + pi_[i];
    *jOut = -1;
    if (!(rc < 0)) return rc;
    int j = findRow(row, piT, dmin);
    if (j >= m_) return 0;  // cannot happen: the minimum is one of the row's values
    if (!isTreeArc(i, j)) {
      *jOut = j;
      return rc;
    }
    const double hidden = -std::numeric_limits<double>::infinity();
    saved_.clear();
    const int p = parent_[i];
    if (p >= n_ && p < N_) saved_.push_back({p - n_, piT[p - n_]}), piT[p - n_] = hidden;
    for (int c = child_[i]; c >= 0; c = next_[c]) saved_.push_back({c - n_, piT[c - n_]}), piT[c - n_] = hidden;
    dmin = minRow(row, piT);
    rc = dmin + pi_[i];
    if (rc < 0) {
      j = findRow(row, piT, dmin);
      if (j < m_) *jOut = j;
    }
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) piT[it->j] = it->pi;
    return rc;
  }

  double minRow(const T* row, const double* piT) const {
    return cols_ ? minShiftedMapped(row, cols_, piT, m_) : minShifted(row, piT, m_);
  }
  int findRow(const T* row, const double* piT, double dmin) const {
    return static_cast<int>(cols_ ? findShiftedMapped(row, cols_, piT, m_, dmin) : findShifted(row, piT, m_, dmin));
  }

  bool negativeEnough(double rc, int i, int j) const {
    double scale = std::max(std::fabs(pi_[i]), std::fabs(pi_[n_ + j]));
    scale = std::max(scale, std::fabs(cost(i, j)));
    return rc < -kEps * scale;
  }

  // One pivot on entering arc (i, j): push flow around the cycle it closes, drop the cycle's
  // blocking link (the last one met from the apex in the cycle's direction: keeps the tree strongly
  // feasible, so degenerate pivots cannot cycle), re-hang the cut subtree by the entering arc.
  bool pivot(int i, int j) {
    const int s = i, t = n_ + j;
    const double rc = cost(i, j) + pi_[s] - pi_[t];
    int u = s, w = t;
    while (depth_[u] > depth_[w]) u = parent_[u];
    while (depth_[w] > depth_[u]) w = parent_[w];
    while (u != w) {
      u = parent_[u];
      w = parent_[w];
    }
    const int join = u;
    // The cycle runs join -> ... -> s -> t -> ... -> join: links on the s side carry flow against
    // it when they point up (sources), on the t side when they point down (targets).
    double delta = std::numeric_limits<double>::infinity();
    int out = -1;
    bool outOnSourceSide = true;
    for (u = s; u != join; u = parent_[u])
      if (u < n_ && flow_[u] < delta) {
        delta = flow_[u];
        out = u;
      }
    for (u = t; u != join; u = parent_[u])
      if (u >= n_ && flow_[u] <= delta) {
        delta = flow_[u];
        out = u;
        outOnSourceSide = false;
      }
    if (out < 0) return false;  // unbounded: cannot happen with non-negative supplies
    if (delta > 0) {
      for (u = s; u != join; u = parent_[u]) flow_[u] += u < n_ ? -delta : delta;
      for (u = t; u != join; u = parent_[u]) flow_[u] += u < n_ ? delta : -delta;
    }
    const int uIn = outOnSourceSide ? s : t;
    const int vIn = outOnSourceSide ? t : s;
    const double sigma = outOnSourceSide ? -rc : rc;

    // Cut `out` from its parent, then reverse the links on the path uIn .. out so that the cut
    // subtree hangs from vIn by the entering arc; each link keeps its flow as it turns around.
    unlink(out);
    int x = uIn, newParent = vIn;
    double newFlow = delta;
    for (;;) {
      const int oldParent = parent_[x];
      const double oldFlow = flow_[x];
      if (x != out) unlink(x);
      parent_[x] = newParent;
      flow_[x] = newFlow;
      link(x, newParent);
      if (x == out) break;
      newParent = x;
      newFlow = oldFlow;
      x = oldParent;
    }
    // The moved subtree: new depths, potentials shifted so the entering arc's reduced cost is 0.
    forSubtree(uIn, [&](int v) {
      depth_[v] = depth_[parent_[v]] + 1;
      pi_[v] += sigma;
    });
    return true;
  }

  void unlink(int x) {
    const int p = parent_[x];
    if (prev_[x] >= 0)
      next_[prev_[x]] = next_[x];
    else
      child_[p] = next_[x];
    if (next_[x] >= 0) prev_[next_[x]] = prev_[x];
  }

  void link(int x, int p) {
    prev_[x] = -1;
    next_[x] = child_[p];
    if (child_[p] >= 0) prev_[child_[p]] = x;
    child_[p] = x;
  }

  // Pre-order walk of the subtree rooted at `top` (top included), without a stack.
  template <class F>
  void forSubtree(int top, F f) {
    int v = top;
    f(v);
    for (;;) {
      if (child_[v] >= 0) {
        v = child_[v];
      } else {
        while (v != top && next_[v] < 0) v = parent_[v];
        if (v == top) return;
        v = next_[v];
      }
      f(v);
    }
  }

  // Potentials from scratch: pi_root = 0 and every link with reduced cost exactly 0.
  void recomputePotentials() {
    int v = child_[N_];
    if (v < 0) return;
    for (int c = v; c >= 0; c = next_[c]) {
      forSubtree(c, [&](int x) {
        const double lc = linkCost(x);
        pi_[x] = x < n_ ? pi_[parent_[x]] - lc : pi_[parent_[x]] + lc;
      });
    }
  }

  const T* const* rows_ = nullptr;
  const size_t* cols_ = nullptr;
  int n_ = 0, m_ = 0, N_ = 0;
  long blockRows_ = 1;
  int nextRow_ = 0;
  double artCost_ = 0;
  std::vector<int> parent_, depth_, child_, next_, prev_;
  std::vector<double> pi_, flow_;
  struct Saved {
    int j;
    double pi;
  };
  std::vector<Saved> saved_;  // piT entries hidden while a row is priced again
  std::vector<double> colMin_;
  std::vector<int> colArg_;
};

}  // namespace ot::cpu::emd_detail
