// CUDA runtime detection: cudart is linked statically and only touches the driver when asked,
// so the addon loads on machines without a GPU; an absent driver reads as zero devices.
#include <cuda_runtime.h>

#include "cuda/device.h"

namespace ot::cuda {

std::vector<DeviceInfo> listDevices() {
  std::vector<DeviceInfo> out;
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" error
    return out;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp p;
    if (cudaGetDeviceProperties(&p, i) != cudaSuccess) continue;
    out.push_back({i, p.name, p.totalGlobalMem, p.major, p.minor, p.multiProcessorCount});
  }
  return out;
}

}  // namespace ot::cuda
