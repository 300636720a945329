// Device memory and availability (see runtime.h): cudaMalloc/cudaFree RAII with synchronous copies on
// the calling thread's stream, and the CUDA error → Status mapping the kernels share.
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>

#include "cuda/device.h"
#include "cuda/kernel_util.h"
#include "cuda/runtime.h"

namespace ot::cuda {

namespace {
thread_local std::string tlsLastError;

int deviceCount() {
  static int count = -1;
  static std::once_flag once;
  std::call_once(once, [] { count = static_cast<int>(listDevices().size()); });
  return count;
}
}  // namespace

std::string lastErrorText() { return tlsLastError; }

Status synchronize() { return syncStatus(); }

Status copyDeviceToDevice(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return Status::Ok;
  return statusFromCuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream()));
}

Status copyDeviceToHost(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return Status::Ok;
  OT_CUDA_TRY(statusFromCuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream())));
  return syncStatus();
}

Status statusFromCuda(cudaError_t e) {
  if (e == cudaSuccess) return Status::Ok;
  tlsLastError = cudaGetErrorString(e);
  // Allocation failures are not sticky: clear them so the next call on this thread starts clean.
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    return Status::OutOfMemory;
  }
  return Status::DeviceError;
}

bool deviceAvailable() {
  const char* forced = std::getenv("OT_DEVICE");
  if (forced != nullptr && std::strcmp(forced, "cpu") == 0) return false;
  return deviceCount() > 0;
}

const DeviceProps& deviceProps() {
  static DeviceProps props;
  static std::once_flag once;
  std::call_once(once, [] {
    int dev = 0, v = 0;
    cudaGetDevice(&dev);
    if (cudaDeviceGetAttribute(&v, cudaDevAttrMultiProcessorCount, dev) == cudaSuccess) props.sms = v;
    if (cudaDeviceGetAttribute(&v, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev) == cudaSuccess)
      props.sharedPerBlockOptin = static_cast<size_t>(v);
    if (props.sms <= 0) props.sms = 1;
    if (props.sharedPerBlockOptin == 0) props.sharedPerBlockOptin = 48 * 1024;
    cudaGetLastError();
  });
  return props;
}

DeviceBuffer::~DeviceBuffer() { release(); }

DeviceBuffer::DeviceBuffer(DeviceBuffer&& o) noexcept
    : ptr_(std::exchange(o.ptr_, nullptr)), bytes_(std::exchange(o.bytes_, 0)), dtype_(o.dtype_) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& o) noexcept {
  if (this != &o) {
    release();
    ptr_ = std::exchange(o.ptr_, nullptr);
    bytes_ = std::exchange(o.bytes_, 0);
    dtype_ = o.dtype_;
  }
  return *this;
}

Status DeviceBuffer::allocate(size_t length, DType dtype) {
  release();
  dtype_ = dtype;
  const size_t elem = dtypeSize(dtype);
  if (length > SIZE_MAX / elem) return Status::OutOfMemory;
  if (length == 0) return Status::Ok;
  void* p = nullptr;
  Status s = statusFromCuda(cudaMalloc(&p, length * elem));
  if (s != Status::Ok) return s;
  ptr_ = p;
  bytes_ = length * elem;
  return Status::Ok;
}

Status DeviceBuffer::zero() {
  if (bytes_ == 0) return Status::Ok;
  return statusFromCuda(cudaMemsetAsync(ptr_, 0, bytes_, stream()));
}

Status DeviceBuffer::upload(const void* host) {
  if (bytes_ == 0) return Status::Ok;
  OT_CUDA_TRY(statusFromCuda(cudaMemcpyAsync(ptr_, host, bytes_, cudaMemcpyHostToDevice, stream())));
  return syncStatus();
}

Status DeviceBuffer::download(void* host) const {
  if (bytes_ == 0) return Status::Ok;
  OT_CUDA_TRY(statusFromCuda(cudaMemcpyAsync(host, ptr_, bytes_, cudaMemcpyDeviceToHost, stream())));
  return syncStatus();
}

void DeviceBuffer::release() {
  if (ptr_ != nullptr) {
    // A failed free means the context is already broken; nothing useful can be done in a destructor.
    cudaFree(ptr_);
    ptr_ = nullptr;
  }
  bytes_ = 0;
}

}  // namespace ot::cuda
