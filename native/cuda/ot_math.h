// Scalar maths shared by the CUDA kernels and usable from host code: the one-pass (online) log-sum-exp,
// the dual-OT penalties of POT's ot.stochastic, and the entropic value terms of POT's ot.solve.
#pragma once
#include <cmath>

#ifdef __CUDACC__
#define OT_HD __host__ __device__ __forceinline__
#else
#define OT_HD inline
#endif

namespace ot::cuda::math {

template <typename T>
OT_HD T negInf() {
  return -INFINITY;
}

// Precision-matched elementary functions (the C names exist in host and device code alike). Under
// --use_fast_math, expf and logf are the approximate __expf and __logf: their errors are the same every
// Sinkhorn iteration near the fixed point, so they add up along the potentials' free constant (u + c, v - c):
// 999 float32 iterations drifted log_u by 1.8e-4 relative on an H200 (POT fixture, reg = 1; a correctly
// rounded float32 emulation drifts 1e-5). The float exp therefore carries the rounding error of x·log2(e)
// (which __expf drops: |x|·2^-24 relative) into a first-order correction, and the float log goes through
// double (once per row or column, so its cost does not show).
OT_HD float ex(float x) {
#ifdef __CUDA_ARCH__
  constexpr float kL2eHi = 1.44269504f, kL2eLo = 1.92596303e-8f, kLn2 = 0.693147181f;
  const float hi = x * kL2eHi;
  const float lo = (hi > -150.f && hi < 130.f) ? fmaf(x, kL2eHi, -hi) + x * kL2eLo : 0.f;  // ±inf, NaN: none
  return exp2f(hi) * fmaf(lo, kLn2, 1.f);
#else
  return expf(x);
#endif
}
OT_HD double ex(double x) { return ::exp(x); }
OT_HD float ln(float x) { return static_cast<float>(::log(static_cast<double>(x))); }
OT_HD double ln(double x) { return ::log(x); }
OT_HD float ab(float x) { return fabsf(x); }
OT_HD double ab(double x) { return ::fabs(x); }

// Running (max, sum exp(x - max)) over a stream of values: one exp per value, no second pass.
// -inf values (log of a zero weight) are skipped, so an all -inf stream gives -inf.
template <typename T>
struct Lse {
  T mx = negInf<T>();
  T s = T(0);

  OT_HD void push(T x) {
    if (x == negInf<T>()) return;
    const T dlt = x - mx;  // +inf on the first finite value: exp(-inf) = 0 resets the sum below
    const T e = ex(-ab(dlt));
    if (dlt > T(0)) {
      s = s * e + T(1);
      mx = x;
    } else {
      s += e;
    }
  }
  OT_HD void merge(const Lse& o) {
    if (o.mx == negInf<T>()) return;
    if (mx == negInf<T>()) {
      *this = o;
      return;
    }
    if (o.mx > mx) {
      s = s * ex(mx - o.mx) + o.s;
      mx = o.mx;
    } else {
      s += o.s * ex(o.mx - mx);
    }
  }
  OT_HD T value() const { return mx == negInf<T>() ? mx : mx + ln(s); }
};

// POT's value terms for a plan entry P (eps = 1e-16 inside the log, as in POT):
//   entropy: P log(P + eps);  KL: P log(P / q + eps) with q = a_i b_j.
template <typename T>
OT_HD T entropyTerm(T P) {
  return P * ln(P + T(1e-16));
}
template <typename T>
OT_HD T klTerm(T P, T q) {
  return P * ln(P / q + T(1e-16));
}
// d entropyTerm / dP
template <typename T>
OT_HD T entropyTermGrad(T P) {
  const T t = P + T(1e-16);
  return ln(t) + P / t;
}
// d klTerm / dP and d klTerm / dq (r = P / q).
template <typename T>
OT_HD void klTermGrad(T P, T q, T& dP, T& dq) {
  const T r = P / q;
  const T t = r + T(1e-16);
  dP = ln(t) + r / t;
  dq = -(r * r) / t;
}

// Dual penalties of POT's ot.stochastic for z = u_i + v_j - M_ij:
//   entropic  F = -reg exp(z / reg),           F' = -exp(z / reg),         H = exp(z / reg)
//   quadratic F = -max(z, 0)^2 / (4 reg),       F' = -max(z, 0) / (2 reg),   H = max(z, 0) / (2 reg)
// (H is the plan density, H = -F'.)
template <typename T>
OT_HD void dualPenalty(bool entropic, T z, T reg, T& F, T& dF) {
  if (entropic) {
    const T e = ex(z / reg);
    F = -reg * e;
    dF = -e;
  } else {
    const T p = z > T(0) ? z : T(0);
    F = -(p * p) / (T(4) * reg);
    dF = -p / (T(2) * reg);
  }
}
template <typename T>
OT_HD T dualDensity(bool entropic, T z, T reg) {
  if (entropic) return ex(z / reg);
  return (z > T(0) ? z : T(0)) / (T(2) * reg);
}

template <typename T>
OT_HD T sgn(T t) {
  return static_cast<T>(t > T(0)) - static_cast<T>(t < T(0));
}

}  // namespace ot::cuda::math
