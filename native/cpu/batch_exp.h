// Branch-free exp and log for float and double, written so that compilers vectorise the loops that call
// them (the batched Sinkhorn kernels spend most of their time in exp). Accuracy: about 1 ulp on normal
// results; exp flushes results below the smallest normal number to 0 (see fastLog for its domain).
#pragma once
#include <cstdint>
#include <cstring>
#include <limits>

// GCC tunes Sapphire Rapids-class CPUs for 256-bit vectors; the exp-bound loops run about 1.5x faster
// at 512 bits, so the batched kernels ask for it where AVX-512 is available.
#if defined(__GNUC__) && !defined(__clang__) && defined(__AVX512F__)
#define OT_WIDE_VECTORS __attribute__((target("prefer-vector-width=512")))
#else
#define OT_WIDE_VECTORS
#endif

namespace ot::cpu {

namespace detail {
inline int32_t bitsOf(float x) {
  int32_t i;
  std::memcpy(&i, &x, sizeof i);
  return i;
}
inline float floatOf(int32_t i) {
  float x;
  std::memcpy(&x, &i, sizeof x);
  return x;
}
inline int64_t bitsOf(double x) {
  int64_t i;
  std::memcpy(&i, &x, sizeof i);
  return i;
}
inline double doubleOf(int64_t i) {
  double x;
  std::memcpy(&x, &i, sizeof x);
  return x;
}
}  // namespace detail

// exp(x): x = n ln2 + r with |r| <= ln2/2, then a polynomial in r scaled by 2^n built from bits.
// The rounding of x/ln2 to n uses the 1.5*2^23 (2^52) trick so that no float->int conversion is needed.
inline float fastExp(float x) {
  using namespace detail;
  const float lo = -87.33654f, hi = 88.72283f;
  float xc = x < lo ? lo : x;
  xc = xc > hi ? hi : xc;
  const float magic = 12582912.0f;  // 1.5 * 2^23
  float t = xc * 1.44269504088896341f + magic;
  float n = t - magic;
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  // Cephes expf minimax polynomial.
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  int32_t k = bitsOf(t) - bitsOf(magic);
  float y = p * floatOf((k + 127) << 23);
  // NaN needs no select: it flows through the clamps and the polynomial.
  return x < lo ? 0.0f : y;
}

inline double fastExp(double x) {
  using namespace detail;
  const double lo = -708.3964185322641, hi = 709.782712893384;
  double xc = x < lo ? lo : x;
  xc = xc > hi ? hi : xc;
  const double magic = 6755399441055744.0;  // 1.5 * 2^52
  double t = xc * 1.4426950408889634 + magic;
  double n = t - magic;
  double r = xc - n * 6.93147180369123816490e-01;
  r = r - n * 1.90821492927058770002e-10;
  // Taylor series to r^12/12!: truncation below 2e-16 relative for |r| <= ln2/2.
  double p = 1.0 / 479001600.0;
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
  int64_t k = bitsOf(t) - bitsOf(magic);
  double y = p * doubleOf((k + 1023) << 52);
  return x < lo ? 0.0 : y;
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
  float m = floatOf((ix & 0x007fffff) + 0x3f3504f3);
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
  double m = doubleOf(mb);
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

}  // namespace ot::cpu
