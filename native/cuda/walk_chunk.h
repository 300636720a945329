// One chunk of the 1-D quantile walk as a merge path, shared by the CUDA kernel (quantile_walk.cu) and
// the host test that holds it to the CPU's sequential walk (test/native/walk_chunk_tests.h): step s of
// cpu/quantile_walk.h's walk is the s-th entry of the merge of A (the first sample's cumulative weights)
// and B (the second's), ties taking A first; its piece pairs the atoms (a, b) = how many entries of A
// and of B were merged before it, each clamped to its last atom (a sample whose weights run out stays
// on its last atom), with mass merged[s] - merged[s - 1]. So a chunk of steps can start anywhere after
// one binary search. Plain C++ on the host, __host__ __device__ under nvcc.
#pragma once
#include <math.h>

#include <cstddef>

#ifdef __CUDACC__
#define OT_HD __host__ __device__ __forceinline__
#else
#define OT_HD inline
#endif

namespace ot::cuda::oned {

// |d|^p and its derivative in d (p >= 1; 0 at d = 0), as cpu/quantile_walk.h.
OT_HD double powAbs(double d, double p) {
  const double a = fabs(d);
  return p == 1 ? a : p == 2 ? a * a : pow(a, p);
}
OT_HD double powAbsGrad(double d, double p) {
  if (d == 0) return 0;
  const double s = d > 0 ? 1.0 : -1.0;
  return p == 1 ? s : p == 2 ? 2 * d : s * p * pow(fabs(d), p - 1);
}

// How many entries of A [n] are among the first s entries of the merge of A and B [m] (both
// non-decreasing, ties taking A first); s <= n + m.
OT_HD size_t mergeSplit(const double* A, size_t n, const double* B, size_t m, size_t s) {
  size_t lo = s > m ? s - m : 0, hi = s < n ? s : n;
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    // A[mid] merged before B[s - 1 - mid]: the first s entries hold more than mid of A.
    if (A[mid] <= B[s - 1 - mid]) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// g[i] += v: an atomic add on the GPU (a run can cross a chunk's ends), a plain one on the host.
OT_HD void addTo(double* g, size_t i, double v) {
#ifdef __CUDA_ARCH__
  atomicAdd(g + i, v);
#else
  g[i] += v;
#endif
}

// Walks steps [s0, s1) (s1 <= n + m) of the problem with positions X [n], Y [m] (ascending) and
// cumulative weights A [n], B [m]; returns the chunk's sum of mass * |x - y|^p. When gu / gv are given,
// adds each atom's derivative (summed over its run of steps in the chunk) to gu[i] / gv[j], in the
// CPU's order within the run.
OT_HD double walkChunk(const double* A, const double* X, size_t n, const double* B, const double* Y, size_t m,
                       size_t s0, size_t s1, double p, double* gu, double* gv) {
  size_t a = mergeSplit(A, n, B, m, s0), b = s0 - a;
  double prev = a > 0 ? A[a - 1] : 0.0;  // merged[s0 - 1]: the larger of the last entries taken
  if (b > 0 && B[b - 1] > prev) prev = B[b - 1];
  double cost = 0, accU = 0, accV = 0;
  size_t runI = a < n ? a : n - 1, runJ = b < m ? b : m - 1;
  const bool grads = gu != nullptr || gv != nullptr;
  for (size_t s = s0; s < s1; ++s) {
    const bool takeA = a < n && (b >= m || A[a] <= B[b]);
    const double q = takeA ? A[a] : B[b];
    const size_t i = a < n ? a : n - 1, j = b < m ? b : m - 1;
    const double mass = q - prev;
    prev = q;
    const double d = X[i] - Y[j];
    cost += mass * powAbs(d, p);
    if (grads) {
      const double g = mass * powAbsGrad(d, p);
      if (i != runI) {
        if (gu != nullptr) addTo(gu, runI, accU);
        runI = i;
        accU = 0;
      }
      if (j != runJ) {
        if (gv != nullptr) addTo(gv, runJ, accV);
        runJ = j;
        accV = 0;
      }
      accU += g;
      accV -= g;
    }
    if (takeA) ++a;
    else ++b;
  }
  if (grads && s1 > s0) {
    if (gu != nullptr) addTo(gu, runI, accU);
    if (gv != nullptr) addTo(gv, runJ, accV);
  }
  return cost;
}

}  // namespace ot::cuda::oned
