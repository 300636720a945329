// CUDA runtime detection, callable from C++ without CUDA headers. Safe on machines with no driver.
#pragma once
#include <string>
#include <vector>

namespace ot::cuda {

struct DeviceInfo {
  int index;
  std::string name;
  size_t totalMemory;
  int major, minor;
  int multiprocessors;
};

// Devices usable now; empty (never an error) when there is no driver or no GPU.
std::vector<DeviceInfo> listDevices();

}  // namespace ot::cuda
