// The pairwise cost metrics of POT's ot.dist, one enum for every layer (cpu/ and cuda/ dist kernels,
// the dual-OT kernels, napi/), so a metric crosses them by value and its names are spelled once.
#pragma once
#include <cstring>

namespace ot {

enum class Metric : int { SqEuclidean = 0, Euclidean, Cityblock, Minkowski, Chebyshev, Cosine };

// POT's names, in enum order.
inline constexpr const char* kMetricNames[] = {"sqeuclidean", "euclidean", "cityblock", "minkowski", "chebyshev", "cosine"};

// Parses a metric name ("sqeuclidean", ...); false when unknown.
inline bool parseMetric(const char* name, Metric* out) {
  for (int k = 0; k < static_cast<int>(sizeof kMetricNames / sizeof *kMetricNames); ++k) {
    if (std::strcmp(name, kMetricNames[k]) == 0) {
      *out = static_cast<Metric>(k);
      return true;
    }
  }
  return false;
}

}  // namespace ot
