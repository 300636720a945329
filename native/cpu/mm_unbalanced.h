// Unbalanced OT by majorization-minimization (POT: ot.unbalanced.mm_unbalanced, Chapel et al. 2021):
// <M, G> + ua D(G 1 | a) + ub D(G^T 1 | b) (+ reg R(G) against a b^T), D = KL or half squared L2, from
// POT's start G = a b^T, one multiplicative update per iteration, stop at ||G - G_prev||_F < tol.
#pragma once
#include <cstddef>

#include "common/status.h"

namespace ot::cpu {

enum class MmDivergence : int { KL = 0, L2 = 1 };

template <typename T>
struct MmProblem {
  const T* M = nullptr;       // n x m, row-major, finite
  const double* a = nullptr;  // n weights >= 0
  const double* b = nullptr;  // m weights >= 0
  size_t n = 0, m = 0;
  double reg = 0;             // >= 0 (0: exact)
  double ua = 1, ub = 1;      // > 0, finite
  MmDivergence div = MmDivergence::KL;
  long maxIter = 1000;        // >= 1
  double tol = 1e-12;         // >= 0
  CancelFlag cancel;
};

template <typename T>
struct MmResult {
  T* plan = nullptr;  // n x m, caller-owned
  long nIter = 0;     // index of the last iteration run (POT's loop variable)
  Status status = Status::Ok;
};

// Ok (converged), MaxIter, Diverged (a non-finite update), Aborted, OutOfMemory or BadArgument.
template <typename T>
Status mmUnbalanced(const MmProblem<T>& p, MmResult<T>& out);

}  // namespace ot::cpu
