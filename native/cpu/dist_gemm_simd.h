// Hardware-width vectors (GCC vector extensions) and register-tile shapes for the matrix-product
// cost kernels (dist_gemm.cc, dist_gemm_backward.cc): one source that vectorises on every CPU variant.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cmath>
#include <cstring>
#include <type_traits>
#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace ot::cpu::gemm {

#if defined(__AVX512F__)
constexpr size_t kVecBytes = 64;
#elif defined(__AVX__)
constexpr size_t kVecBytes = 32;
#else
constexpr size_t kVecBytes = 16;
#endif

template <typename T>
struct Simd {
  typedef T V __attribute__((vector_size(kVecBytes)));
  using I = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;
  typedef I B __attribute__((vector_size(kVecBytes)));  // lane masks: all ones where true
  static constexpr size_t L = kVecBytes / sizeof(T);     // lanes

  static V load(const T* p) {
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static void store(T* p, V v) { std::memcpy(p, &v, sizeof v); }
  static V splat(T s) { return V{} + s; }
  static bool any(B m) {
    uint64_t w[kVecBytes / 8];
    std::memcpy(w, &m, sizeof w);
    uint64_t o = 0;
    for (size_t q = 0; q < kVecBytes / 8; ++q) o |= w[q];
    return o != 0;
  }
  // Lane-wise square root. GCC's vector extensions have none, and a scalar loop over a tile is left
  // unvectorised on some variants, so the variant's own instruction is named here.
  static V sqrt(V v) {
#if defined(__AVX512F__)
    // The masked form: the plain one trips GCC 12's -Wmaybe-uninitialized inside its own header.
    if constexpr (sizeof(T) == 4) return (V)_mm512_mask_sqrt_ps((__m512)v, (__mmask16)-1, (__m512)v);
    else return (V)_mm512_mask_sqrt_pd((__m512d)v, (__mmask8)-1, (__m512d)v);
#elif defined(__AVX__)
    if constexpr (sizeof(T) == 4) return (V)_mm256_sqrt_ps((__m256)v);
    else return (V)_mm256_sqrt_pd((__m256d)v);
#elif defined(__SSE2__)
    if constexpr (sizeof(T) == 4) return (V)_mm_sqrt_ps((__m128)v);
    else return (V)_mm_sqrt_pd((__m128d)v);
#else
    for (size_t l = 0; l < L; ++l) v[l] = std::sqrt(v[l]);
    return v;
#endif
  }
  static T sum(V v) {  // lane order, so every variant reduces the same way up to its width
    T s = 0;
    for (size_t l = 0; l < L; ++l) s += v[l];
    return s;
  }
};

// Register tile: kRows broadcast scalars × kVecs vectors of accumulators. AVX-512 has 32 vector
// registers (6 × 4 = 24 accumulators); AVX2 and SSE have 16 (6 × 2 = 12, plus 2 loads and a broadcast).
constexpr size_t kRows = 6;
#if defined(__AVX512F__)
constexpr size_t kVecs = 4;
#else
constexpr size_t kVecs = 2;
#endif

}  // namespace ot::cpu::gemm
