// The dual-OT loss kinds and gradient outputs (POT: ot.stochastic.loss_dual_{entropic,quadratic}),
// shared by the CPU kernels (cpu/dual.h) and their CUDA twin (cuda/dual.h).
#pragma once
#include <cstring>

namespace ot::dual {

enum class Kind : int { Entropic = 0, Quadratic = 1 };

// Parses "entropic" | "quadratic"; false when unknown.
inline bool parseKind(const char* name, Kind* out) {
  if (std::strcmp(name, "entropic") == 0) *out = Kind::Entropic;
  else if (std::strcmp(name, "quadratic") == 0) *out = Kind::Quadratic;
  else return false;
  return true;
}

// Gradient outputs of the loss; a null pointer means "not wanted" (its accumulation is skipped).
template <typename T>
struct Grads {
  T* du = nullptr;   // [n]
  T* dv = nullptr;   // [m]
  T* dxs = nullptr;  // [n×d]
  T* dxt = nullptr;  // [m×d]
  T* dws = nullptr;  // [n]
  T* dwt = nullptr;  // [m]
};

}  // namespace ot::dual
