// Single-variant builds (node-gyp, non-x86 CPUs, OT_NATIVE_ARCH): the kernels are linked directly and
// the instruction set is whatever the compiler targeted.
#include "cpu/isa/kernel_table.h"

namespace ot::cpu {

const char* activeIsa() {
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && defined(__AVX512VL__)
  return "avx512";
#elif defined(__AVX2__) && defined(__FMA__)
  return "avx2";
#else
  return "generic";
#endif
}

}  // namespace ot::cpu
