// Pricing of the network simplex's implicit arcs, one cost row at a time: min_j (M_ij - piT_j). The
// row scan is most of the solver's time; it is written on GCC vectors as wide as the ISA variant being
// compiled (8, 4 or 2 doubles), which become its packed min instructions: one code path.
#pragma once
#include <cstddef>
#include <cstring>

namespace ot::cpu::emd_detail {

#if defined(__AVX512F__)
constexpr size_t kLanes = 8;
#elif defined(__AVX__)
constexpr size_t kLanes = 4;
#else
constexpr size_t kLanes = 2;
#endif
typedef double vd __attribute__((vector_size(kLanes * 8)));
typedef float vf __attribute__((vector_size(kLanes * 4)));

inline vd loadv(const double* p) {
  vd v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline vd loadv(const float* p) {
  vf f;
  std::memcpy(&f, p, sizeof f);
  return __builtin_convertvector(f, vd);
}

// min over j in [0, m) of row[j] - piT[j]. Exact (a min never rounds and every difference is
// rounded as in the scalar code), so the caller can find the column again by equality.
template <typename T>
double minShifted(const T* row, const double* piT, size_t m) {
  size_t j = 0;
  double best = 1e308;
  if (m >= 2 * kLanes) {
    vd acc0 = loadv(row) - loadv(piT), acc1 = acc0;
    for (; j + 2 * kLanes <= m; j += 2 * kLanes) {
      const vd d0 = loadv(row + j) - loadv(piT + j);
      const vd d1 = loadv(row + j + kLanes) - loadv(piT + j + kLanes);
      acc0 = d0 < acc0 ? d0 : acc0;
      acc1 = d1 < acc1 ? d1 : acc1;
    }
    acc0 = acc1 < acc0 ? acc1 : acc0;
    for (size_t k = 0; k < kLanes; ++k) best = acc0[k] < best ? acc0[k] : best;
  }
  for (; j < m; ++j) {
    const double d = static_cast<double>(row[j]) - piT[j];
    best = d < best ? d : best;
  }
  return best;
}

// The first j with row[j] - piT[j] == target (m when none): finds the column minShifted's value came
// from, a vector at a time.
template <typename T>
size_t findShifted(const T* row, const double* piT, size_t m, double target) {
  size_t j = 0;
  for (; j + kLanes <= m; j += kLanes) {
    const vd d = loadv(row + j) - loadv(piT + j);
    const auto eq = d == target;
    long any = 0;
    for (size_t k = 0; k < kLanes; ++k) any |= eq[k];
    if (any)
      for (size_t k = 0; k < kLanes; ++k)
        if (eq[k]) return j + k;
  }
  for (; j < m; ++j)
    if (static_cast<double>(row[j]) - piT[j] == target) return j;
  return m;
}

// Same through a column map (rows of a problem whose zero-weight columns were left out).
template <typename T>
double minShiftedMapped(const T* row, const size_t* cols, const double* piT, size_t m) {
  double best = 1e308;
  for (size_t j = 0; j < m; ++j) {
    const double d = static_cast<double>(row[cols[j]]) - piT[j];
    best = d < best ? d : best;
  }
  return best;
}

template <typename T>
size_t findShiftedMapped(const T* row, const size_t* cols, const double* piT, size_t m, double target) {
  for (size_t j = 0; j < m; ++j)
    if (static_cast<double>(row[cols[j]]) - piT[j] == target) return j;
  return m;
}

}  // namespace ot::cpu::emd_detail
