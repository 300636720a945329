// Fast exp and log for the CPU kernels: one exp core in two forms, scalar fastExp/fastLog (float and double,
// branch-free so the loops that call them vectorise: batched Sinkhorn, dual losses) and eight-lane double
// vectors sk::exp8/log8 (Sinkhorn solve; float data widens to double on load). Within 1 ulp of exp and log.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

// GCC tunes Sapphire Rapids-class CPUs for 256-bit vectors; the exp-bound loops run about 1.5x faster
// at 512 bits, so the batched kernels ask for it where AVX-512 is available.
#if defined(__GNUC__) && !defined(__clang__) && defined(__AVX512F__)
#define OT_WIDE_VECTORS __attribute__((target("prefer-vector-width=512")))
#else
#define OT_WIDE_VECTORS
#endif

namespace ot::cpu {

namespace detail {
// The bits of x as the signed integer of its size, and a value of type F from bits (memcpy: no aliasing
// questions, compiled to a register move).
template <typename F>
inline auto bitsOf(F x) {
  std::conditional_t<sizeof(F) == 8, int64_t, int32_t> i;
  std::memcpy(&i, &x, sizeof i);
  return i;
}
template <typename F, typename I>
inline F fromBits(I i) {
  static_assert(sizeof(F) == sizeof(I), "fromBits: sizes differ");
  F x;
  std::memcpy(&x, &i, sizeof x);
  return x;
}

// The exp core per precision: Cody–Waite reduction x = k·ln2 + r, |r| <= ln2/2 (ln2 split so that
// k·ln2Hi is exact), e^r by a polynomial, and the exponent layout that builds 2^k. Adding the shifter
// 1.5·2^mantissa rounds x/ln2 to k in the low mantissa bits of t, without a float->int conversion.
template <typename F>
struct ExpCore;

// double: a degree-11 Chebyshev fit (0.7 ulp on the reduced range; as accurate as a degree-13 Taylor
// series and two multiply-adds cheaper). V is double or an eight-lane vector of doubles (sk::exp8).
template <>
struct ExpCore<double> {
  using Bits = uint64_t;
  static constexpr int kMantissa = 52, kBias = 1023;
  static constexpr double kShifter = 6755399441055744.0, kLog2e = 1.4426950408889634;
  static constexpr double kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10;
  static constexpr double kLo = -708.3964185322641, kHi = 709.782712893384;  // ln of the smallest normal / largest finite
  template <typename V>
  static V poly(V r) {
    V p = r * 2.5110037605963777e-08 + 2.763263963904103e-07;
    p = p * r + 2.755724091857897e-06;
    p = p * r + 2.4801485482328494e-05;
    p = p * r + 0.00019841269890047113;
    p = p * r + 0.0013888888952314775;
    p = p * r + 0.008333333333319601;
    p = p * r + 0.0416666666664881;
    p = p * r + 0.1666666666666668;
    p = p * r + 0.5000000000000019;
    p = p * r + 1.0;
    return p * r + 1.0;
  }
};

// float, computed in float: a degree-7 Taylor polynomial (about 1 ulp; it rounds correctly more often
// than Cephes' degree-6 minimax at equal cost).
template <>
struct ExpCore<float> {
  using Bits = uint32_t;
  static constexpr int kMantissa = 23, kBias = 127;
  static constexpr float kShifter = 12582912.0f, kLog2e = 1.44269504088896341f;
  static constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
  static constexpr float kLo = -87.33654022216797f, kHi = 88.72283935546875f;
  template <typename V>
  static V poly(V r) {
    V p = r * (1.0f / 5040.0f) + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    return p * r + 1.0f;
  }
};

// e^r after the reduction of x (F's precision; V is F or a vector of F). t holds k in its low bits.
template <typename F, typename V>
inline V expReduced(V x, V& t) {
  using C = ExpCore<F>;
  t = x * C::kLog2e + C::kShifter;
  const V k = t - C::kShifter;
  V r = x - k * C::kLn2Hi;
  r = r - k * C::kLn2Lo;
  return C::poly(r);
}
}  // namespace detail

// exp(x) for the vectorised loops (F = float or double). Results below the smallest normal number flush
// to 0; those from 2^(bias+1)·0.707 on (x > 709.09 in double, 88.38 in float, where 2^k reaches the
// infinity exponent) come out +inf; NaN stays NaN. No clamp: out-of-range lanes compute garbage that the
// two final selects discard, which is cheaper than clamping the input.
template <typename F>
inline F fastExp(F x) {
  using namespace detail;
  using C = ExpCore<F>;
  using B = typename C::Bits;
  F t;
  const F p = expReduced<F>(x, t);
  // Shifting t's bits up to the exponent field keeps k modulo its width (unsigned: out of range, any
  // pattern may appear).
  const B bits = (static_cast<B>(bitsOf(t)) << C::kMantissa) + (static_cast<B>(C::kBias) << C::kMantissa);
  const F y = p * fromBits<F>(bits);
  const F big = x > C::kHi ? std::numeric_limits<F>::infinity() : y;
  return x < C::kLo ? F(0) : big;
}

// log(x) for x >= 0 (musl/fdlibm scheme: x = 2^k (1+f) with 1+f in [sqrt(2)/2, sqrt(2)), then a
// minimax series in s = f/(2+f)). NaN and +inf give NaN; 0 gives log of half the smallest subnormal
// (about -104 in float, -745 in double) instead of -inf; negative x is outside the contract. No select
// discards the polynomial, so compilers can if-convert and vectorise calling loops under -ftrapping-math.
inline float fastLog(float x) {
  using namespace detail;
  const float tiny = 1.17549435e-38f;  // smallest normal: subnormals are scaled up by 2^23 first
  bool sub = x < tiny;
  const float scaled = x * 8388608.0f;
  float xs = sub ? scaled : x;
  int32_t ix = bitsOf(xs) + (0x3f800000 - 0x3f3504f3);
  int32_t k = (ix >> 23) - 0x7f - (sub ? 23 : 0);
  float m = fromBits<float>((ix & 0x007fffff) + 0x3f3504f3);
  float f = m - 1.0f;
  float s = f / (2.0f + f);
  float z = s * s;
  float w = z * z;
  float t1 = w * (0.40000972152f + w * 0.24279078841f);
  float t2 = z * (0.66666662693f + w * 0.28498786688f);
  float R = t2 + t1;
  float hfsq = 0.5f * f * f;
  float dk = static_cast<float>(k);
  float y = s * (hfsq + R) + dk * 9.0580006145e-06f - hfsq + f + dk * 6.9313812256e-01f;
  return y + (x - x);  // x - x is NaN exactly for NaN and inf
}

inline double fastLog(double x) {
  using namespace detail;
  const double tiny = 2.2250738585072014e-308;
  bool sub = x < tiny;
  const double scaled = x * 18014398509481984.0;  // 2^54
  double xs = sub ? scaled : x;
  int64_t hx = (bitsOf(xs) >> 32) + (0x3ff00000 - 0x3fe6a09e);
  int64_t k = (hx >> 20) - 0x3ff - (sub ? 54 : 0);
  int64_t mb = (((hx & 0x000fffff) + 0x3fe6a09e) << 32) | (bitsOf(xs) & 0xffffffffLL);
  double m = fromBits<double>(mb);
  double f = m - 1.0;
  double s = f / (2.0 + f);
  double z = s * s;
  double w = z * z;
  double t1 = w * (3.999999999940941908e-01 + w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01));
  double t2 = z * (6.666666666666735130e-01 + w * (2.857142874366239149e-01 + w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)));
  double R = t2 + t1;
  double hfsq = 0.5 * f * f;
  double dk = static_cast<double>(k);
  double y = s * (hfsq + R) + dk * 1.90821492927058770002e-10 - hfsq + f + dk * 6.93147180369123816490e-01;
  return y + (x - x);
}

// Double vectors of the target's register width (GCC/Clang vector extensions) for the Sinkhorn solve
// and dual kernels: eight lanes with AVX-512, four with AVX2, two with SSE2. Loads and stores convert
// from/to float so float32 problems still compute in double. (Eight lanes everywhere was slower on AVX2
// than the SSE2 build: without 512-bit registers GCC moves 64-byte vectors through the stack, and a
// 300 x 300 solve took 10 ms against 1.8 ms with AVX-512.) Lane counts differ, so sums over lanes round
// differently from one build to the next; within a build they are fixed.
namespace sk {

#if defined(__AVX512F__)
constexpr size_t kLanes = 8;
#elif defined(__AVX__)
constexpr size_t kLanes = 4;
#else
constexpr size_t kLanes = 2;
#endif

typedef double v8d __attribute__((vector_size(kLanes * sizeof(double))));
typedef int64_t v8l __attribute__((vector_size(kLanes * sizeof(int64_t))));
typedef float v8f __attribute__((vector_size(kLanes * sizeof(float))));

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

// exp(x) over the whole double range, subnormal results included (the solve's kernels decide themselves
// whether to flush them): the shared core, then 2^k applied exactly — vscalefpd with AVX-512, elsewhere in
// two halves so every k in the finite range builds a normal scale factor.
inline v8d exp8(v8d x) {
  v8d xc = x < -746.0 ? splat(-746.0) : x;
  xc = xc > 710.0 ? splat(710.0) : xc;
  using C = detail::ExpCore<double>;
  v8d t;
  const v8d p = detail::expReduced<double>(xc, t);
#if defined(__AVX512F__)
  const v8d kd = t - C::kShifter;
  v8d y = (v8d)_mm512_maskz_scalef_pd((__mmask8)0xff, (__m512d)p, (__m512d)kd);  // p * 2^k: inf / 0 beyond range
#else
  v8l k = (v8l)t - (v8l)splat(C::kShifter);
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

}  // namespace sk
}  // namespace ot::cpu
