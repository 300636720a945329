// 1-D exact OT on the CPU (POT: ot.wasserstein_1d, ot.emd_1d / ot.emd2_1d): sort both samples, walk
// their cumulative weights. Columns of [n, k] inputs are independent problems, solved on threads.
// Templates on the sample's float type T (float or double); all arithmetic is double.
#pragma once
#include <cstddef>

#include "common/status.h"

namespace ot::cpu {

template <typename T>
struct Wasserstein1dProblem {
  const T* u = nullptr;         // [n, k] row-major: column c is the first sample of problem c
  const T* v = nullptr;         // [m, k]
  const T* uWeights = nullptr;  // [n, k], or [n] for every column when uWeightsShared; null: uniform 1/n
  const T* vWeights = nullptr;  // [m, k], or [m] when vWeightsShared; null: uniform 1/m
  bool uWeightsShared = false, vWeightsShared = false;
  size_t n = 0, m = 0, k = 1;
  double p = 1;                 // >= 1
  int threads = 0;              // 0: the library's default team size
  CancelFlag cancel;
};

template <typename T>
struct Wasserstein1dResult {
  double* value = nullptr;  // [k]: sum over the monotone plan of mass * |u - v|^p (POT: W_p^p, no root)
  T* gradU = nullptr;       // [n, k]: d value_c / d u[i, c], or null
  T* gradV = nullptr;       // [m, k]: d value_c / d v[j, c], or null
};

// Returns Ok, BadArgument (sizes, p < 1, null inputs), Aborted (between columns) or OutOfMemory.
template <typename T>
Status wasserstein1d(const Wasserstein1dProblem<T>& p, Wasserstein1dResult<T>& out);

// One pair of 1-D measures and its plan (POT: emd_1d; b is rescaled to a's total as POT does). The
// ground cost is |x - y|^p: metric 'sqeuclidean' is p = 2, 'cityblock' / 'euclidean' p = 1,
// 'minkowski' p.
template <typename T>
struct Emd1dProblem {
  const T* xA = nullptr;  // [n]
  const T* xB = nullptr;  // [m]
  const T* a = nullptr;   // [n] weights, null: uniform
  const T* b = nullptr;   // [m] weights, null: uniform
  size_t n = 0, m = 0;
  double p = 2;
};

template <typename T>
struct Emd1dResult {
  T* plan = nullptr;       // n x m dense plan (fully written), or null
  // The plan's pieces (row, column, mass), capacity n + m each, or null.
  size_t* rows = nullptr;
  size_t* cols = nullptr;
  double* mass = nullptr;
  size_t count = 0;        // pieces written
  double value = 0;        // sum of mass * |xA_i - xB_j|^p (POT: emd2_1d)
};

template <typename T>
Status emd1d(const Emd1dProblem<T>& p, Emd1dResult<T>& out);

}  // namespace ot::cpu
