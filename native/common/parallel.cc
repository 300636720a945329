// Thread-count policy for the CPU kernels.
#include "common/parallel.h"

#include <cstdlib>

namespace ot {

int maxThreads() {
  static const int n = [] {
    if (const char* env = std::getenv("OT_NUM_THREADS")) {
      int v = std::atoi(env);
      if (v > 0) return std::min(v, 256);
    }
    unsigned hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1 : static_cast<int>(hw);
  }();
  return n;
}

}  // namespace ot
