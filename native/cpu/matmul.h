// Dense matrix product C = op(A) op(B) on the CPU (Tensor.matmul and its backward), op = identity or
// transpose, so the backward's G Bᵀ and Aᵀ G need no transposed copies. Templated on float / double.
#pragma once
#include <cstddef>

#include "common/status.h"

namespace ot::cpu {

template <typename T>
struct MatmulProblem {
  const T* a = nullptr;  // [n, k] row-major, or [k, n] when transA
  const T* b = nullptr;  // [k, m] row-major, or [m, k] when transB
  T* c = nullptr;        // [n, m] row-major, fully written
  size_t n = 0, k = 0, m = 0;
  bool transA = false, transB = false;
  CancelFlag cancel;     // polled between row blocks
};

// Returns Ok, BadArgument (null pointers with non-empty sizes), Aborted or OutOfMemory.
template <typename T>
Status matmul(const MatmulProblem<T>& p);

}  // namespace ot::cpu
