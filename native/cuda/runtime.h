// Device memory and availability for the CUDA path: a move-only DeviceBuffer (cudaMalloc/cudaFree RAII)
// with host<->device copies, all reporting ot::Status. Plain C++ (no CUDA headers), so napi/ can use it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/status.h"

namespace ot::cuda {

enum class DType : int { Float32 = 0, Float64 = 1, Int32 = 2, UInt8 = 3 };

inline size_t dtypeSize(DType t) {
  switch (t) {
    case DType::Float64: return 8;
    case DType::Float32:
    case DType::Int32: return 4;
    case DType::UInt8: return 1;
  }
  return 1;
}
inline const char* dtypeName(DType t) {
  switch (t) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Int32: return "int32";
    case DType::UInt8: return "uint8";
  }
  return "unknown";
}
template <typename T>
constexpr DType dtypeOf();
template <>
constexpr DType dtypeOf<float>() { return DType::Float32; }
template <>
constexpr DType dtypeOf<double>() { return DType::Float64; }
template <>
constexpr DType dtypeOf<int32_t>() { return DType::Int32; }
template <>
constexpr DType dtypeOf<uint8_t>() { return DType::UInt8; }

// True when a CUDA device can be used now: the driver reports at least one GPU and OT_DEVICE is not
// "cpu". Never fails; reads the environment each call so OT_DEVICE=cpu set at run time is honoured.
bool deviceAvailable();

// A block of device memory of `bytes` bytes holding elements of `dtype`; freed on destruction.
// Zero-byte buffers are valid and hold no allocation.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& o) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  // Allocates `length` elements of `dtype` (contents undefined). OutOfMemory when the device is full.
  Status allocate(size_t length, DType dtype);
  // Sets every byte to zero (stream-ordered on the calling thread's stream).
  Status zero();
  // Copies bytes [0, bytes()) from / to host memory and waits for the copy.
  Status upload(const void* host);
  Status download(void* host) const;
  // Frees now (also done by the destructor).
  void release();

  void* data() const { return ptr_; }
  template <typename T>
  T* as() const { return static_cast<T*>(ptr_); }
  size_t bytes() const { return bytes_; }
  size_t length() const { return bytes_ / dtypeSize(dtype_); }
  DType dtype() const { return dtype_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
  DType dtype_ = DType::Float32;
};

// Raw copies between device allocations / to the host, on the calling thread's stream (the host copy
// waits for completion).
Status copyDeviceToDevice(void* dst, const void* src, size_t bytes);
Status copyDeviceToHost(void* dst, const void* src, size_t bytes);

// Waits for all work queued by the calling host thread (each thread has its own stream), so results
// are complete before another thread's job reads them.
Status synchronize();

// The last CUDA error text seen on this thread (for error messages); empty when none.
std::string lastErrorText();

}  // namespace ot::cuda
