// Eight-lane double vectors (GCC/Clang vector extensions: AVX-512 registers where available, split
// into AVX2/SSE halves elsewhere) with exp and log accurate to about 1 ulp, for the Sinkhorn kernels.
// Loads and stores convert from/to float so float32 problems still compute in double.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

// Without AVX-512 (the node-gyp build) GCC notes that 64-byte vectors change the calling convention;
// these helpers are all inline and never cross a library boundary.
#if defined(__GNUC__) && !defined(__clang__) && !defined(__AVX512F__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace ot::cpu::sk {

typedef double v8d __attribute__((vector_size(64)));
typedef int64_t v8l __attribute__((vector_size(64)));
typedef float v8f __attribute__((vector_size(32)));

constexpr size_t kLanes = 8;

inline v8d splat(double x) { return v8d{} + x; }

inline v8d load8(const double* p) {
  v8d v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
// float <-> double: one vcvtps2pd / vcvtpd2ps with AVX-512 (GCC splits the generic conversion into halves).
inline v8d load8(const float* p) {
#if defined(__AVX512F__)
  return (v8d)_mm512_maskz_cvtps_pd((__mmask8)0xff, _mm256_loadu_ps(p));  // maskz: no "undefined" source operand
#else
  v8f f;
  std::memcpy(&f, p, sizeof f);
  return __builtin_convertvector(f, v8d);
#endif
}
inline void store8(double* p, v8d v) { std::memcpy(p, &v, sizeof v); }
inline void store8(float* p, v8d v) {
#if defined(__AVX512F__)
  _mm256_storeu_ps(p, _mm512_maskz_cvtpd_ps((__mmask8)0xff, (__m512d)v));
#else
  v8f f = __builtin_convertvector(v, v8f);
  std::memcpy(p, &f, sizeof f);
#endif
}

inline double hsum(v8d v) {
  double s = 0;
  for (size_t k = 0; k < kLanes; ++k) s += v[k];
  return s;
}
inline double hmax(v8d v) {
  double s = v[0];
  for (size_t k = 1; k < kLanes; ++k) s = v[k] > s ? v[k] : s;
  return s;
}
inline v8d vmax(v8d a, v8d b) { return a > b ? a : b; }
inline v8d vabs(v8d a) { return a < 0 ? -a : a; }

// exp(x): Cody–Waite reduction x = k·ln2 + r, |r| <= ln2/2, degree-13 Taylor polynomial, and 2^k
// applied in two halves so every k in the finite range builds a normal scale factor.
inline v8d exp8(v8d x) {
  const v8d shifter = splat(6755399441055744.0);  // 1.5 * 2^52: adding it rounds to an integer
  v8d xc = x < -746.0 ? splat(-746.0) : x;
  xc = xc > 710.0 ? splat(710.0) : xc;
  v8d t = xc * 1.4426950408889634 + shifter;
  v8l k = (v8l)t - (v8l)shifter;
  v8d kd = t - shifter;
  v8d r = xc - kd * 6.93147180369123816490e-01;
  r = r - kd * 1.90821492927058770002e-10;
  v8d p = splat(1.0 / 6227020800.0);
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
#if defined(__AVX512F__)
  (void)k;
  v8d y = (v8d)_mm512_maskz_scalef_pd((__mmask8)0xff, (__m512d)p, (__m512d)kd);  // p * 2^k: inf / 0 beyond range
#else
  v8l k1 = k >> 1;
  v8l k2 = k - k1;
  v8d s1 = (v8d)((k1 + 1023) << 52);
  v8d s2 = (v8d)((k2 + 1023) << 52);
  v8d y = p * s1 * s2;
  y = x > 709.782712893384 ? splat(__builtin_inf()) : y;
  y = x < -745.1332191019412 ? splat(0.0) : y;
#endif
  return x != x ? x : y;
}

// log(x): x = 2^e·m with m in [sqrt(1/2), sqrt(2)), then fdlibm's log1p kernel on f = m - 1.
inline v8d log8(v8d x) {
  const double tiny = 2.2250738585072014e-308;
  v8d xs = x < tiny ? x * 18014398509481984.0 : x;  // 2^54 lifts subnormals into the normal range
  v8l bits = (v8l)xs;
  v8l e = ((bits >> 52) & 0x7ff) - 1023;
  e = x < tiny ? e - 54 : e;
  v8l mbits = (bits & 0x000fffffffffffffLL) | 0x3ff0000000000000LL;
  v8d m = (v8d)mbits;
  v8l big = m > 1.4142135623730951;
  m = big ? m * 0.5 : m;
  e = e - big;  // comparisons yield -1 for true lanes
  v8d ed = __builtin_convertvector(e, v8d);
  v8d f = m - 1.0;
  v8d hfsq = 0.5 * f * f;
  v8d s = f / (2.0 + f);
  v8d z = s * s;
  v8d R = splat(1.479819860511658591e-01);
  R = R * z + 1.531383769920937332e-01;
  R = R * z + 1.818357216161805012e-01;
  R = R * z + 2.222219843214978396e-01;
  R = R * z + 2.857142874366239149e-01;
  R = R * z + 3.999999999940941908e-01;
  R = R * z + 6.666666666666735130e-01;
  R = R * z;
  v8d y = ed * 6.93147180369123816490e-01 - ((hfsq - (s * (hfsq + R) + ed * 1.90821492927058770002e-10)) - f);
  y = x == 0.0 ? splat(-__builtin_inf()) : y;
  y = x == __builtin_inf() ? x : y;
  return ((x < 0.0) | (x != x)) ? splat(__builtin_nan("")) : y;
}

// Array forms for short vectors (potentials, scalings); the tail goes through a padded lane block.
inline void expArray(const double* in, double* out, size_t n) {
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) store8(out + j, exp8(load8(in + j)));
  if (j < n) {
    double buf[kLanes] = {0};
    for (size_t k = 0; j + k < n; ++k) buf[k] = in[j + k];
    v8d y = exp8(load8(buf));
    for (size_t k = 0; j + k < n; ++k) out[j + k] = y[k];
  }
}
inline void logArray(const double* in, double* out, size_t n) {
  size_t j = 0;
  for (; j + kLanes <= n; j += kLanes) store8(out + j, log8(load8(in + j)));
  if (j < n) {
    double buf[kLanes];
    for (size_t k = 0; k < kLanes; ++k) buf[k] = 1.0;
    for (size_t k = 0; j + k < n; ++k) buf[k] = in[j + k];
    v8d y = log8(load8(buf));
    for (size_t k = 0; j + k < n; ++k) out[j + k] = y[k];
  }
}
inline double expScalar(double x) { return exp8(splat(x))[0]; }
inline double logScalar(double x) { return log8(splat(x))[0]; }

}  // namespace ot::cpu::sk
