// CUDA-only helpers shared by the .cu files (include from .cu only): CUDA error → Status mapping,
// the per-thread stream every launch uses, warp/block reductions and launch-geometry helpers.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "common/status.h"
#include "cuda/ot_math.h"
#include "cuda/runtime.h"

namespace ot::cuda {

// Records the error text for messages and maps it to a Status (out of memory is not a device fault).
Status statusFromCuda(cudaError_t e);

// Every kernel and copy runs on the calling host thread's own stream, so async jobs on different
// worker threads overlap instead of serialising on the legacy default stream.
inline cudaStream_t stream() { return cudaStreamPerThread; }

// Checks the launch that just happened (configuration errors surface here; faults surface at sync).
inline Status launchStatus() { return statusFromCuda(cudaGetLastError()); }
inline Status syncStatus() { return statusFromCuda(cudaStreamSynchronize(stream())); }

// Variadic so template arguments with commas need no extra parentheses.
#define OT_CUDA_TRY(...)                     \
  do {                                       \
    ::ot::Status st_ = (__VA_ARGS__);        \
    if (st_ != ::ot::Status::Ok) return st_; \
  } while (0)

// Properties of the current device that shape launches (cached after the first call).
struct DeviceProps {
  int sms = 0;
  size_t sharedPerBlockOptin = 0;
};
const DeviceProps& deviceProps();

inline unsigned blocksFor(size_t work, unsigned perBlock) {
  return static_cast<unsigned>((work + perBlock - 1) / perBlock);
}

// min of two sizes in device code (std::min is not a device function without --expt-relaxed-constexpr).
__device__ __forceinline__ size_t smin(size_t a, size_t b) { return a < b ? a : b; }

constexpr unsigned kWarp = 32;
constexpr unsigned kFullMask = 0xffffffffu;

template <typename T>
__device__ __forceinline__ T warpSum(T v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(kFullMask, v, o);
  return v;
}
template <typename T>
__device__ __forceinline__ T warpMax(T v) {
  for (int o = 16; o > 0; o >>= 1) v = fmax(v, __shfl_xor_sync(kFullMask, v, o));
  return v;
}
template <typename T>
__device__ __forceinline__ math::Lse<T> warpLse(math::Lse<T> a) {
  for (int o = 16; o > 0; o >>= 1) {
    math::Lse<T> b;
    b.mx = __shfl_xor_sync(kFullMask, a.mx, o);
    b.s = __shfl_xor_sync(kFullMask, a.s, o);
    a.merge(b);
  }
  return a;
}

// Sum over the whole block; every thread gets the result. `scratch` holds >= 32 values.
template <typename T>
__device__ T blockSum(T v, T* scratch) {
  const unsigned lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  const unsigned nw = (blockDim.x + kWarp - 1) / kWarp;
  v = warpSum(v);
  __syncthreads();  // scratch may still be read by a previous call
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  T t = lane < nw ? scratch[lane] : T(0);
  return warpSum(t);
}

}  // namespace ot::cuda
