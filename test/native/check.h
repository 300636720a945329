// Minimal assertion helpers for the C++ kernel tests: named checks, relative/absolute closeness,
// a failure count for the exit status.
#pragma once
#include <cmath>
#include <cstdio>
#include <string>

namespace check {

inline int& failures() {
  static int f = 0;
  return f;
}
inline int& passes() {
  static int p = 0;
  return p;
}

inline bool that(bool ok, const std::string& what) {
  if (ok) {
    ++passes();
  } else {
    ++failures();
    std::printf("FAIL %s\n", what.c_str());
  }
  return ok;
}

// |got - want| <= rel * max(|want|, scale) + abs: relative, with an absolute floor near zero.
inline bool close(double got, double want, double rel, double abs, const std::string& what, double scale = 0) {
  const double tol = rel * std::fmax(std::fabs(want), scale) + abs;
  const bool ok = std::fabs(got - want) <= tol && std::isfinite(got);
  if (!ok) std::printf("  got %.17g want %.17g (tol %.3g)\n", got, want, tol);
  return that(ok, what);
}

}  // namespace check
