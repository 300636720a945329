// Checks shared by the 1-D and sliced bindings: optional sample weights (null = uniform) in the
// samples' dtype, finite and >= 0, and the total mass the exact 1-D plan compares.
#pragma once
#include <cstddef>
#include <string>

#include "napi/util.h"

namespace ot::napi {

// The optional weights field `key` of `o`: empty (data == nullptr) when absent, else `len` (or one of
// `altLen`, when non-zero) finite entries >= 0 in the samples' dtype.
inline ArrayView sampleWeights(Napi::Env env, const Options& o, const char* key, bool f64, size_t len, const char* fn,
                               size_t altLen = 0) {
  const Napi::Value raw = o.value(key);
  if (raw.IsUndefined() || raw.IsNull()) return {};
  ArrayView w = o.floats(key);
  requireDtype(env, w, f64, fn, key, "the samples'");
  if (altLen == 0 || w.length != altLen) requireLength(env, w, len, fn, key);
  requireFinite(env, w, fn, key);
  const size_t neg = firstNegative(w.data, w.length, w.isFloat64);
  if (neg < w.length) {
    const double v = w.isFloat64 ? w.as<double>()[neg] : w.as<float>()[neg];
    throwError(env, "ERR_OT_VALUE", std::string(fn) + ": " + key + " must be >= 0, but entry " + std::to_string(neg) +
                                        " is " + num(v));
  }
  return w;
}

// Sum of a weight view (uniform weights sum to 1).
inline double weightTotal(const ArrayView& w) {
  if (w.data == nullptr) return 1.0;
  double s = 0;
  for (size_t i = 0; i < w.length; ++i) s += w.isFloat64 ? w.as<double>()[i] : w.as<float>()[i];
  return s;
}

// The exponent p of |x - y|^p: finite and >= 1.
inline double groundExponent(Napi::Env env, const Options& o, const char* fn) {
  return requireMinkowskiP(env, o.number("p"), fn);
}

}  // namespace ot::napi
