// Exact OT on the CPU (POT: ot.emd / ot.emd2, ot.lp.emd_c): the network simplex on the complete
// bipartite graph of a dense cost matrix, one problem or a batch of small ones.
// Templates on the cost's float type T (float or double); all arithmetic is double.
#pragma once
#include <cstddef>
#include <cstdint>

#include "common/status.h"

namespace ot::cpu {

template <typename T>
struct EmdProblem {
  const T* M = nullptr;       // n x m, row-major, finite; read in place (never copied)
  const double* a = nullptr;  // n weights >= 0
  const double* b = nullptr;  // m weights >= 0, same total as a (b is rescaled to a's total, as POT)
  size_t n = 0, m = 0;
  long maxIter = 100000;      // POT's numItermax: at most maxIter - 1 pivots; <= 0 means no limit
  bool centerDuals = true;    // POT's center_dual: shift (u, v) by c, -c so that a.u = b.v
  CancelFlag cancel;
};

template <typename T>
struct EmdResult {
  T* plan = nullptr;       // n x m, caller-owned; fully written (zeros off the support). Null (emdSolve
                           // only): the value and duals alone, without the n x m output (emd2 without dM)
  double* u = nullptr;     // n source duals, caller-owned (POT: log['u'])
  double* v = nullptr;     // m target duals, caller-owned (POT: log['v'])
  double value = 0;        // <M, plan>, summed in double
  long nIter = 0;          // entering arcs found after the initial heuristic pivots (POT's iteration count)
  Status status = Status::Ok;  // Ok, MaxIter (plan not yet optimal, marginals maybe unmet, as POT) or the error
};

// Solves min <M, P> s.t. P 1 = a, P^T 1 = b, P >= 0. Zero-weight rows and columns are left out of
// the solve (their plan entries are 0) and get feasible duals afterwards (POT's
// estimate_dual_null_weights). Returns Ok, MaxIter (results written), Infeasible (negative weights,
// masses that differ by more than 1e-6 relative, or flow left on an artificial arc), BadArgument
// (non-finite cost, null pointers), Aborted or OutOfMemory.
template <typename T>
Status emdSolve(const EmdProblem<T>& p, EmdResult<T>& out);

// B independent problems of the same size, solved on a team of threads (one problem per thread at a
// time). Arrays are packed problem after problem: M [B, n, m], a [B, n], b [B, m], plan [B, n, m],
// u [B, n], v [B, m], value [B], nIter [B], status [B] (each problem's own status; a problem that
// fails leaves its outputs unspecified). Instead of the dense plans (mostly zeros: an optimal plan has
// at most n + m - 1 nonzero entries) the batch can write each plan's support: n + m - 1 slots per
// problem, the flat index i * m + j (-1: unused slot) and the mass there.
template <typename T>
struct EmdBatchProblem {
  const T* M = nullptr;
  const double* a = nullptr;
  const double* b = nullptr;
  size_t batch = 0, n = 0, m = 0;
  long maxIter = 100000;
  bool centerDuals = true;
  int threads = 0;  // 0: the library's default team size
  CancelFlag cancel;
};

template <typename T>
struct EmdBatchResult {
  T* plan = nullptr;  // [B, n, m], or null with the supports below
  double* u = nullptr;
  double* v = nullptr;
  double* value = nullptr;
  long* nIter = nullptr;
  Status* status = nullptr;
  int32_t* supportIndex = nullptr;  // [B, n + m - 1] (n * m < 2^31), with supportMass: the plans' supports
  double* supportMass = nullptr;    // [B, n + m - 1]
};

// Returns Ok when every problem ran (each may still be MaxIter or Infeasible in `status`), else the
// first failure that stops the team: Aborted (cancel raised between problems), OutOfMemory, BadArgument.
template <typename T>
Status emdBatch(const EmdBatchProblem<T>& p, EmdBatchResult<T>& out);

}  // namespace ot::cpu
