// Pricing of the network simplex's implicit arcs, one cost row at a time: min_j (M_ij - piT_j) and
// where it is. The row scan is most of the solver's time, so it is written with the widest vectors
// this translation unit is compiled for (each ISA variant of the addon compiles it again).
#pragma once
#include <cstddef>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace ot::cpu::emd_detail {

// min over j in [0, m) of row[j] - piT[j] (exact: min never rounds, so findShifted can find it again).
inline double minShifted(const double* row, const double* piT, size_t m) {
  size_t j = 0;
  double best = 1e308;
#if defined(__AVX512F__)
  __m512d acc0 = _mm512_set1_pd(1e308), acc1 = acc0;
  for (; j + 16 <= m; j += 16) {
    acc0 = _mm512_min_pd(acc0, _mm512_sub_pd(_mm512_loadu_pd(row + j), _mm512_loadu_pd(piT + j)));
    acc1 = _mm512_min_pd(acc1, _mm512_sub_pd(_mm512_loadu_pd(row + j + 8), _mm512_loadu_pd(piT + j + 8)));
  }
  best = _mm512_reduce_min_pd(_mm512_min_pd(acc0, acc1));
#elif defined(__AVX2__)
  __m256d acc0 = _mm256_set1_pd(1e308), acc1 = acc0;
  for (; j + 8 <= m; j += 8) {
    acc0 = _mm256_min_pd(acc0, _mm256_sub_pd(_mm256_loadu_pd(row + j), _mm256_loadu_pd(piT + j)));
    acc1 = _mm256_min_pd(acc1, _mm256_sub_pd(_mm256_loadu_pd(row + j + 4), _mm256_loadu_pd(piT + j + 4)));
  }
  __m256d acc = _mm256_min_pd(acc0, acc1);
  __m128d h = _mm_min_pd(_mm256_castpd256_pd128(acc), _mm256_extractf128_pd(acc, 1));
  best = _mm_cvtsd_f64(_mm_min_sd(h, _mm_unpackhi_pd(h, h)));
#elif defined(__SSE2__)
  __m128d acc0 = _mm_set1_pd(1e308), acc1 = acc0;
  for (; j + 4 <= m; j += 4) {
    acc0 = _mm_min_pd(acc0, _mm_sub_pd(_mm_loadu_pd(row + j), _mm_loadu_pd(piT + j)));
    acc1 = _mm_min_pd(acc1, _mm_sub_pd(_mm_loadu_pd(row + j + 2), _mm_loadu_pd(piT + j + 2)));
  }
  __m128d h = _mm_min_pd(acc0, acc1);
  best = _mm_cvtsd_f64(_mm_min_sd(h, _mm_unpackhi_pd(h, h)));
#endif
  for (; j < m; ++j) {
    double d = row[j] - piT[j];
    best = d < best ? d : best;
  }
  return best;
}

inline double minShifted(const float* row, const double* piT, size_t m) {
  size_t j = 0;
  double best = 1e308;
#if defined(__AVX512F__)
  __m512d acc = _mm512_set1_pd(1e308);
  for (; j + 8 <= m; j += 8)
    acc = _mm512_min_pd(acc, _mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(row + j)), _mm512_loadu_pd(piT + j)));
  best = _mm512_reduce_min_pd(acc);
#elif defined(__AVX2__)
  __m256d acc = _mm256_set1_pd(1e308);
  for (; j + 4 <= m; j += 4)
    acc = _mm256_min_pd(acc, _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(row + j)), _mm256_loadu_pd(piT + j)));
  __m128d h = _mm_min_pd(_mm256_castpd256_pd128(acc), _mm256_extractf128_pd(acc, 1));
  best = _mm_cvtsd_f64(_mm_min_sd(h, _mm_unpackhi_pd(h, h)));
#endif
  for (; j < m; ++j) {
    double d = static_cast<double>(row[j]) - piT[j];
    best = d < best ? d : best;
  }
  return best;
}

// Same as minShifted through a column map (rows of a problem whose zero-weight columns were left out).
template <typename T>
double minShiftedMapped(const T* row, const size_t* cols, const double* piT, size_t m) {
  double best = 1e308;
  for (size_t j = 0; j < m; ++j) {
    double d = static_cast<double>(row[cols[j]]) - piT[j];
    best = d < best ? d : best;
  }
  return best;
}

}  // namespace ot::cpu::emd_detail
