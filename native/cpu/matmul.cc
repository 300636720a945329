// Blocked, threaded matrix product. B is packed once into k-panels of kNr columns (contiguous, so the
// micro-kernel streams it); each thread owns a band of C's rows and, per panel, keeps a kMr x kNr block
// of C in registers while walking a kKc slice of k (the panel slice stays in L1/L2). The inner loop
// over kNr columns is written for the compiler's auto-vectoriser (each ISA variant is built with its
// own -march). Accumulation is in T, as torch's float32 matmul does.
#include "cpu/matmul.h"

#include <algorithm>
#include <atomic>
#include <new>
#include <vector>

#include "common/parallel.h"

namespace ot::cpu {
namespace {

constexpr size_t kMr = 4;    // rows of C per micro-kernel
constexpr size_t kKc = 256;  // k slice per pass: kKc x kNr of the panel stays in cache

template <typename T>
constexpr size_t nr() {
  return sizeof(T) == 4 ? 16 : 8;  // the 4 x NR block fits in 8 AVX2 (4 AVX-512) registers
}

// Packs op(B) into panels: panel q holds columns [q*NR, q*NR+NR) as k rows of NR values (zero-padded).
template <typename T>
void packB(const MatmulProblem<T>& p, T* out, size_t q0, size_t q1) {
  constexpr size_t NR = nr<T>();
  for (size_t q = q0; q < q1; ++q) {
    T* dst = out + q * p.k * NR;
    const size_t j0 = q * NR, cols = std::min(NR, p.m - j0);
    for (size_t kk = 0; kk < p.k; ++kk) {
      T* row = dst + kk * NR;
      for (size_t j = 0; j < cols; ++j) row[j] = p.transB ? p.b[(j0 + j) * p.k + kk] : p.b[kk * p.m + j0 + j];
      for (size_t j = cols; j < NR; ++j) row[j] = T(0);
    }
  }
}

// C[i0 .. i0+rows, panel q] += op(A)[rows, kb .. ke] * panel[kb .. ke] for rows <= kMr.
template <typename T, size_t R>
inline void micro(const MatmulProblem<T>& p, const T* panel, size_t i0, size_t q, size_t kb, size_t ke, bool first) {
  constexpr size_t NR = nr<T>();
  T acc[R][NR];
  for (size_t r = 0; r < R; ++r)
    for (size_t j = 0; j < NR; ++j) acc[r][j] = T(0);
  const size_t sa_i = p.transA ? 1 : p.k, sa_k = p.transA ? p.n : 1;
  for (size_t kk = kb; kk < ke; ++kk) {
    const T* brow = panel + kk * NR;
    for (size_t r = 0; r < R; ++r) {
      const T av = p.a[(i0 + r) * sa_i + kk * sa_k];
      for (size_t j = 0; j < NR; ++j) acc[r][j] += av * brow[j];
    }
  }
  const size_t j0 = q * NR, cols = std::min(NR, p.m - j0);
  for (size_t r = 0; r < R; ++r) {
    T* crow = p.c + (i0 + r) * p.m + j0;
    if (first)
      for (size_t j = 0; j < cols; ++j) crow[j] = acc[r][j];
    else
      for (size_t j = 0; j < cols; ++j) crow[j] += acc[r][j];
  }
}

template <typename T>
void rowBlock(const MatmulProblem<T>& p, const T* packed, size_t i0, size_t rows) {
  constexpr size_t NR = nr<T>();
  const size_t panels = (p.m + NR - 1) / NR;
  for (size_t kb = 0; kb < p.k; kb += kKc) {
    const size_t ke = std::min(p.k, kb + kKc);
    for (size_t q = 0; q < panels; ++q) {
      const T* panel = packed + q * p.k * NR;
      switch (rows) {
        case 4: micro<T, 4>(p, panel, i0, q, kb, ke, kb == 0); break;
        case 3: micro<T, 3>(p, panel, i0, q, kb, ke, kb == 0); break;
        case 2: micro<T, 2>(p, panel, i0, q, kb, ke, kb == 0); break;
        default: micro<T, 1>(p, panel, i0, q, kb, ke, kb == 0); break;
      }
    }
  }
}

}  // namespace

template <typename T>
Status matmul(const MatmulProblem<T>& p) {
  const bool empty = p.n == 0 || p.m == 0;
  if (empty) return Status::Ok;
  if (!p.c || (p.k > 0 && (!p.a || !p.b))) return Status::BadArgument;
  if (p.k == 0) {
    std::fill(p.c, p.c + p.n * p.m, T(0));
    return Status::Ok;
  }
  constexpr size_t NR = nr<T>();
  const size_t panels = (p.m + NR - 1) / NR;
  std::vector<T> packed;
  try {
    packed.resize(panels * p.k * NR);
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory;
  }
  parallelFor(panels, static_cast<double>(p.k) * NR, [&](size_t q0, size_t q1) { packB(p, packed.data(), q0, q1); });
  std::atomic<bool> aborted{false};
  const size_t blocks = (p.n + kMr - 1) / kMr;
  parallelFor(blocks, 2.0 * kMr * p.k * p.m, [&](size_t b0, size_t b1) {
    for (size_t bi = b0; bi < b1; ++bi) {
      if (p.cancel.raised()) {
        aborted.store(true);
        return;
      }
      const size_t i0 = bi * kMr;
      rowBlock(p, packed.data(), i0, std::min(kMr, p.n - i0));
    }
  });
  return aborted.load() ? Status::Aborted : Status::Ok;
}

template Status matmul<float>(const MatmulProblem<float>&);
template Status matmul<double>(const MatmulProblem<double>&);

}  // namespace ot::cpu
