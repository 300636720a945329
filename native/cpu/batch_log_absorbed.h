// Log-domain Sinkhorn iterations carried out as scaling iterations on an absorbed kernel
// G = exp(K + α 1ᵀ + 1 βᵀ) (log-stabilised scaling): with f = exp(u − α) and g = exp(v − β), POT's updates
// u = log a − LSE_j(K + v), v = log b − LSE_i(K + u) are exactly f = a / (G g), g = b / (Gᵀ f) — the same
// iterates with two mat-vecs instead of two exp passes. (α, β) absorb the potentials again when f or g
// drift from 1, and a step whose sums leave a safe range is refused so the caller redoes it in the log domain.
#pragma once
#include <cmath>
#include <cstddef>
#include <vector>

#include "cpu/batch_sinkhorn_ops.h"

namespace ot::cpu::batch {

template <typename T>
class AbsorbedLog {
 public:
  AbsorbedLog(size_t n, size_t m)
      : n_(n), m_(m), G_(n * m), Gt_(n * m), f_(n), g_(m), fNew_(n), gNew_(m), alpha_(n), beta_(m), r_(n), s_(m),
        driftLo_(static_cast<T>(std::exp(-kDrift))), driftHi_(static_cast<T>(std::exp(kDrift))) {}

  bool active() const { return active_; }
  // Passes done since the last call (for throughput reports): mat-vecs and exp passes over n×m.
  size_t matvecs = 0, expPasses = 0;
  void reset() { active_ = rReady_ = false; }

  // α = u, β = v and G = exp(K + α + β) in both layouts (Gt from Kt, so no transpose), f = g = 1.
  OT_WIDE_VECTORS void absorb(const T* __restrict K, const T* __restrict Kt, const T* __restrict u,
                              const T* __restrict v) {
    const size_t n = n_, m = m_;
    std::copy(u, u + n, alpha_.data());
    std::copy(v, v + m, beta_.data());
    T* __restrict G = G_.data();
    T* __restrict Gt = Gt_.data();
    for (size_t i = 0; i < n; ++i) {
      const T ai = u[i];
      for (size_t j = 0; j < m; ++j) G[i * m + j] = fastExp(K[i * m + j] + ai + v[j]);
    }
    for (size_t j = 0; j < m; ++j) {
      const T bj = v[j];
      for (size_t i = 0; i < n; ++i) Gt[j * n + i] = fastExp(Kt[j * n + i] + u[i] + bj);
    }
    std::fill(f_.begin(), f_.end(), T(1));
    std::fill(g_.begin(), g_.end(), T(1));
    expPasses += 2;
    active_ = true;
    rReady_ = false;
  }

  // One (u, v) update pair on the absorbed kernel; false, with nothing changed, when a sum for a positive
  // weight left [2^-100, 2^100] (its terms may have underflowed in G).
  bool iterate(const T* a, const T* b) {
    if (!rReady_) {
      columnDot(Gt_.data(), g_.data(), m_, n_, r_.data());  // r = G g
      ++matvecs;
    }
    rReady_ = false;
    if (!divide(a, r_.data(), n_, fNew_.data())) return false;
    columnDot(G_.data(), fNew_.data(), n_, m_, s_.data());  // s = Gᵀ f
    ++matvecs;
    if (!divide(b, s_.data(), m_, gNew_.data())) return false;
    f_.swap(fNew_);
    g_.swap(gNew_);
    return true;
  }

  // Row sums of the current plan, f_i (G g)_i (POT's marginal check); G g is kept for the next u-update.
  void rowSums(T* out) {
    columnDot(Gt_.data(), g_.data(), m_, n_, r_.data());
    ++matvecs;
    rReady_ = true;
    for (size_t i = 0; i < n_; ++i) out[i] = f_[i] * r_[i];
  }

  // True when some scaling left [e^-D, e^D]: terms that underflowed in G could matter again.
  bool drifted() const { return outside(f_.data(), n_) || outside(g_.data(), m_); }

  // The log potentials of the current iterate: u = α + log f, v = β + log g.
  OT_WIDE_VECTORS void sync(T* __restrict u, T* __restrict v) const {
    for (size_t i = 0; i < n_; ++i) u[i] = alpha_[i] + fastLog(f_[i]);
    for (size_t j = 0; j < m_; ++j) v[j] = beta_[j] + fastLog(g_[j]);
  }

 private:
  static constexpr double kDrift = sizeof(T) == 4 ? 15.0 : 50.0;

  // out = w / sum where the weight is positive (0 where it is 0); false if a positive weight's sum is unsafe.
  OT_WIDE_VECTORS static bool divide(const T* __restrict w, const T* __restrict sum, size_t len, T* __restrict out) {
    const T lo = T(7.888609052210118e-31), hi = T(1.2676506002282294e30);  // 2^-100, 2^100
    int bad = 0;
    for (size_t k = 0; k < len; ++k) {
      bad |= (w[k] > T(0)) & ((sum[k] < lo) | !(sum[k] <= hi));  // bitwise: && would branch
      out[k] = w[k] / (sum[k] > T(0) ? sum[k] : T(1));
    }
    return !bad;
  }

  OT_WIDE_VECTORS bool outside(const T* __restrict x, size_t len) const {
    const T lo = driftLo_, hi = driftHi_;
    int bad = 0;
    for (size_t k = 0; k < len; ++k) bad |= (x[k] > T(0)) & ((x[k] < lo) | (x[k] > hi));
    return bad != 0;
  }

  size_t n_, m_;
  std::vector<T> G_, Gt_, f_, g_, fNew_, gNew_, alpha_, beta_, r_, s_;
  T driftLo_, driftHi_;
  bool active_ = false, rReady_ = false;
};

}  // namespace ot::cpu::batch
