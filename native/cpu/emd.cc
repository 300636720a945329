// Exact OT entry points (POT: ot.emd with log=True): weights checked and zero-weight entries left out,
// the network simplex run, then the plan, <M, plan> and POT's centred duals written for the full
// problem. emdBatch runs the same per-problem routine on a team of threads.
#include "cpu/emd.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <vector>

#include "common/parallel.h"
#include "cpu/emd_simplex.h"

namespace ot::cpu {
namespace {

// What one problem needs besides the solver: the active rows/columns and their weights.
template <typename T>
struct Workspace {
  emd_detail::NetworkSimplex<T> simplex;
  std::vector<const T*> rows;
  std::vector<size_t> rowIdx, colIdx;
  std::vector<double> aAct, bAct;
};

// POT's center_ot_dual: (u + c, v - c) with c chosen so that a.u = b.v.
void centerDuals(double* u, double* v, const double* a, const double* b, size_t n, size_t m, double bScale) {
  double au = 0, bv = 0, sa = 0, sb = 0;
  for (size_t i = 0; i < n; ++i) au += a[i] * u[i], sa += a[i];
  for (size_t j = 0; j < m; ++j) bv += b[j] * bScale * v[j], sb += b[j] * bScale;
  if (!(sa + sb > 0)) return;  // no mass: nothing to balance
  const double c = (bv - au) / (sa + sb);
  for (size_t i = 0; i < n; ++i) u[i] += c;
  for (size_t j = 0; j < m; ++j) v[j] -= c;
}

// POT's estimate_dual_null_weights: a zero-weight row (column) lowers its dual by its largest
// violation of u_i + v_j <= M_ij, measured with the duals before any of these corrections.
template <typename T>
void fixNullDuals(const T* M, const double* a, const double* b, size_t n, size_t m, double* u, double* v,
                  std::vector<double>& vOld) {
  vOld.assign(v, v + m);
  for (size_t j = 0; j < m; ++j) {
    if (b[j] != 0) continue;
    double worst = 0;
    for (size_t i = 0; i < n; ++i) worst = std::max(worst, u[i] + vOld[j] - static_cast<double>(M[i * m + j]));
    v[j] -= worst;
  }
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != 0) continue;
    double worst = 0;
    const T* row = M + i * m;
    for (size_t j = 0; j < m; ++j) worst = std::max(worst, u[i] + vOld[j] - static_cast<double>(row[j]));
    u[i] -= worst;
  }
}

template <typename T>
Status solveOne(Workspace<T>& w, const T* M, const double* a, const double* b, size_t n, size_t m, long maxIter,
                bool center, CancelFlag cancel, T* plan, int32_t* supIndex, double* supMass, double* u, double* v,
                double* value, long* nIter) {
  *value = 0;
  if (supIndex) std::fill(supIndex, supIndex + (n + m - 1), int32_t(-1));
  *nIter = 0;
  double sa = 0, sb = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!(a[i] >= 0)) return Status::Infeasible;
    sa += a[i];
  }
  for (size_t j = 0; j < m; ++j) {
    if (!(b[j] >= 0)) return Status::Infeasible;
    sb += b[j];
  }
  if (std::fabs(sa - sb) > 1e-6 * std::max(sa, sb)) return Status::Infeasible;
  const double bScale = sb > 0 ? sa / sb : 1.0;  // as POT: b rescaled to a's total

  w.rows.clear();
  w.rowIdx.clear();
  w.aAct.clear();
  w.colIdx.clear();
  w.bAct.clear();
  for (size_t i = 0; i < n; ++i)
    if (a[i] > 0) {
      w.rows.push_back(M + i * m);
      w.rowIdx.push_back(i);
      w.aAct.push_back(a[i]);
    }
  for (size_t j = 0; j < m; ++j)
    if (b[j] > 0) {
      w.colIdx.push_back(j);
      w.bAct.push_back(b[j] * bScale);
    }
  const size_t na = w.rowIdx.size(), ma = w.colIdx.size();
  const bool allCols = ma == m;

  if (plan) std::memset(plan, 0, n * m * sizeof(T));
  std::fill(u, u + n, 0.0);
  std::fill(v, v + m, 0.0);
  Status st = Status::Ok;
  if (na > 0 && ma > 0) {
    st = w.simplex.solve(w.rows.data(), allCols ? nullptr : w.colIdx.data(), w.aAct.data(), w.bAct.data(), na, ma,
                         maxIter, cancel, nIter);
    if (st != Status::Ok && st != Status::MaxIter) return st;
    const auto& ns = w.simplex;
    const int root = ns.root(), nA = static_cast<int>(na);
    double sum = 0;
    size_t slot = 0;  // a spanning tree over n + m + 1 nodes with an arc to the root: <= n + m - 1 real arcs
    for (int x = 0; x < root; ++x) {
      const int p = ns.parentOf(x);
      const double f = ns.flowOf(x);
      if (p == root) {
        // Flow left on an artificial arc at the optimum means the masses could not be matched (POT:
        // INFEASIBLE); after MaxIter it is the part of the plan not yet routed (POT reports it the same).
        if (st == Status::Ok && std::fabs(f) > 1e-8 * std::max(1.0, sa)) return Status::Infeasible;
        continue;
      }
      const int i = x < nA ? x : p, j = (x < nA ? p : x) - nA;
      const size_t at = w.rowIdx[i] * m + w.colIdx[j];
      if (plan) plan[at] = static_cast<T>(f);
      if (supIndex && slot < n + m - 1) {
        supIndex[slot] = static_cast<int32_t>(at);
        supMass[slot] = static_cast<double>(static_cast<T>(f));  // as the dense plan would hold it
        ++slot;
      }
      sum += f * static_cast<double>(M[at]);
    }
    *value = sum;
    for (size_t i = 0; i < na; ++i) u[w.rowIdx[i]] = -ns.potential(static_cast<int>(i));
    for (size_t j = 0; j < ma; ++j) v[w.colIdx[j]] = ns.potential(static_cast<int>(na + j));
  }
  if (center) centerDuals(u, v, a, b, n, m, bScale);
  if (na < n || ma < m) {
    fixNullDuals(M, a, b, n, m, u, v, w.bAct);
    centerDuals(u, v, a, b, n, m, bScale);
  }
  return st;
}

}  // namespace

template <typename T>
Status emdSolve(const EmdProblem<T>& p, EmdResult<T>& out) {
  if (!p.M || !p.a || !p.b || !out.u || !out.v || p.n == 0 || p.m == 0) return Status::BadArgument;
  if (p.n + p.m >= static_cast<size_t>(1) << 30) return Status::BadArgument;
  try {
    Workspace<T> w;
    out.status = solveOne(w, p.M, p.a, p.b, p.n, p.m, p.maxIter, p.centerDuals, p.cancel, out.plan, nullptr, nullptr,
                          out.u, out.v, &out.value, &out.nIter);
  } catch (const std::bad_alloc&) {
    out.status = Status::OutOfMemory;
  }
  return out.status;
}

template <typename T>
Status emdBatch(const EmdBatchProblem<T>& p, EmdBatchResult<T>& out) {
  const bool sparse = out.supportIndex && out.supportMass;
  if (!p.M || !p.a || !p.b || !(out.plan || sparse) || !out.u || !out.v || !out.value || !out.nIter || !out.status ||
      p.n == 0 || p.m == 0)
    return p.batch == 0 ? Status::Ok : Status::BadArgument;
  const size_t n = p.n, m = p.m, nm = n * m, slots = n + m - 1;
  if (sparse && !out.plan && nm > static_cast<size_t>(INT32_MAX)) return Status::BadArgument;
  int threads = p.threads > 0 ? std::min(p.threads, maxThreads()) : maxThreads();
  // A 32 x 32 problem takes ~0.1 ms: a thread per few problems at least.
  threads = std::max(1, std::min<int>(threads, static_cast<int>((p.batch + 3) / 4)));
  for (size_t k = 0; k < p.batch; ++k) out.status[k] = Status::Aborted;
  return forEachItem(
      p.batch, threads, p.cancel, [] { return Workspace<T>(); },
      [&](Workspace<T>& w, size_t k) {
        const Status st = solveOne(w, p.M + k * nm, p.a + k * n, p.b + k * m, n, m, p.maxIter, p.centerDuals,
                                   p.cancel, out.plan ? out.plan + k * nm : nullptr,
                                   sparse ? out.supportIndex + k * slots : nullptr, sparse ? out.supportMass + k * slots : nullptr,
                                   out.u + k * n, out.v + k * m, out.value + k, out.nIter + k);
        out.status[k] = st;
        // A problem's own outcome (MaxIter, Infeasible) is a result; only these stop the team.
        return st == Status::Aborted || st == Status::OutOfMemory ? st : Status::Ok;
      });
}

template Status emdSolve<float>(const EmdProblem<float>&, EmdResult<float>&);
template Status emdSolve<double>(const EmdProblem<double>&, EmdResult<double>&);
template Status emdBatch<float>(const EmdBatchProblem<float>&, EmdBatchResult<float>&);
template Status emdBatch<double>(const EmdBatchProblem<double>&, EmdBatchResult<double>&);

}  // namespace ot::cpu
