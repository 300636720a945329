// Reverse-mode adjoint of the batched Sinkhorn iterations (what POT's grad='autodiff' gets from torch by
// keeping every iterate): walks the recorded per-iteration vectors backwards, recomputing each softmax
// (log solver) or mat-vec (scaling solver) from K instead of storing n×m matrices per iteration.
#include <cmath>
#include <limits>
#include <utility>

#include "common/parallel.h"
#include "cpu/batch_sinkhorn.h"
#include "cpu/batch_sinkhorn_ops.h"

namespace ot::cpu {
namespace {

using batch::Workspace;

template <typename T>
struct AdjointVectors {
  std::vector<T> gu, gv, gvNew, gla, glb, u, v, t;
  AdjointVectors(size_t n, size_t m) : gu(n), gv(m), gvNew(m), gla(n), glb(m), u(n), v(m), t(std::max(n, m)) {}
};

template <typename T>
class Adjoint {
 public:
  Adjoint(const T* M, const T* a, const T* b, const BatchSinkhornParams& p, const BatchTrace<T>& trace, const T* gPlan,
          const T* gPot0, const T* gPot1, T* gM, T* ga, T* gb, CancelFlag cancel)
      : M_(M), a_(a), b_(b), p_(p), trace_(trace), gPlan_(gPlan), gPot0_(gPot0), gPot1_(gPot1), gM_(gM), ga_(ga),
        gb_(gb), cancel_(cancel) {}

  Status run() {
    const size_t B = p_.B;
    double work = static_cast<double>(B) * p_.n * p_.m * 40.0;
    int nt = std::min<int>(teamSizeFor(work), static_cast<int>(B));
    // Cancellation is polled inside problem() (every 10 steps), not between problems.
    auto scratch = [&] { return std::make_pair(Workspace<T>(p_.n, p_.m, true), AdjointVectors<T>(p_.n, p_.m)); };
    return forEachItem(B, nt, CancelFlag{}, scratch,
                       [&](auto& s, size_t pb) { return problem(s.first, s.second, pb); });
  }

 private:
  bool logDomain() const { return p_.solver == BatchSolver::LogSinkhorn; }

  Status problem(Workspace<T>& w, AdjointVectors<T>& s, size_t pb) {
    const size_t n = p_.n, m = p_.m;
    const auto& steps = trace_.steps[pb];
    if (steps.size() < m + n + m) {  // a diverged problem recorded nothing usable
      fillNaN(pb);
      return Status::Ok;
    }
    const size_t S = trace_.steps_of(pb);
    batch::loadKernel(M_ + pb * n * m, static_cast<T>(p_.reg), !logDomain(), n, m, w.K.data(), w.Kt.data());
    std::fill(w.gK.begin(), w.gK.end(), T(0));
    std::fill(w.gKt.begin(), w.gKt.end(), T(0));
    std::fill(s.gla.begin(), s.gla.end(), T(0));
    std::fill(s.glb.begin(), s.glb.end(), T(0));
    for (size_t i = 0; i < n; ++i) s.gu[i] = gPot0_ ? gPot0_[pb * n + i] : T(0);
    for (size_t j = 0; j < m; ++j) s.gv[j] = gPot1_ ? gPot1_[pb * m + j] : T(0);
    const T* a = a_ + pb * n;
    const T* b = b_ + pb * m;
    if (logDomain()) batch::logWeights(a, b, n, m, w.la.data(), w.lb.data());
    const T* last = steps.data() + m + (S - 1) * (n + m);
    stateAt(w, last, s.u.data(), s.v.data());
    if (gPlan_) planBackward(w, s, gPlan_ + pb * n * m);

    const bool lastOnly = p_.record == BatchRecord::LastStep;
    for (size_t k = S; k >= 1; --k) {
      if (k % 10 == 0 && cancel_.raised()) return Status::Aborted;
      const T* cur = steps.data() + m + (k - 1) * (n + m);  // (first [n], second [m]) of update k
      const T* prev = k > 1 ? cur - (n + m) : nullptr;
      const bool kGrad = !lastOnly || k == S;
      if (logDomain()) {
        if (kGrad) logStep<true>(w, s, cur, prev, steps.data());
        else logStep<false>(w, s, cur, prev, steps.data());
      } else {
        if (kGrad) scalingStep<true>(w, s, cur, prev, steps.data(), a, b);
        else scalingStep<false>(w, s, cur, prev, steps.data(), a, b);
      }
    }

    // gM = dK/dM (gK + gKt^T): -1/reg for K = -M/reg, -K/reg for K = exp(-M/reg).
    T* gM = gM_ + pb * n * m;
    const T inv = T(1) / static_cast<T>(p_.reg);
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < m; ++j) {
        T g = w.gK[i * m + j] + w.gKt[j * n + i];
        gM[i * m + j] = logDomain() ? -g * inv : -g * w.K[i * m + j] * inv;
      }
    if (logDomain()) {  // d log(a)/da = 1/a
      if (ga_) for (size_t i = 0; i < n; ++i) ga_[pb * n + i] = s.gla[i] / a[i];
      if (gb_) for (size_t j = 0; j < m; ++j) gb_[pb * m + j] = s.glb[j] / b[j];
    } else {
      if (ga_) for (size_t i = 0; i < n; ++i) ga_[pb * n + i] = s.gla[i];
      if (gb_) for (size_t j = 0; j < m; ++j) gb_[pb * m + j] = s.glb[j];
    }
    return Status::Ok;
  }

  // Potentials after a recorded update: u = log a + first, v = log b + second (log), or f, g as stored.
  void stateAt(const Workspace<T>& w, const T* rec, T* u, T* v) const {
    const size_t n = p_.n, m = p_.m;
    for (size_t i = 0; i < n; ++i) u[i] = logDomain() ? w.la[i] + rec[i] : rec[i];
    for (size_t j = 0; j < m; ++j) v[j] = logDomain() ? w.lb[j] + rec[n + j] : rec[n + j];
  }

  // Plan term: T = exp(K + u + v) or K f g; W = gPlan ⊙ dT feeds gK (unless K is detached there, as in
  // POT's last_step), gu (row sums), gv (column sums).
  void planBackward(Workspace<T>& w, AdjointVectors<T>& s, const T* gP) {
    const bool kGrad = p_.record != BatchRecord::LastStep;
    const size_t n = p_.n, m = p_.m;
    for (size_t i = 0; i < n; ++i) {
      const T* K = w.K.data() + i * m;
      T* gK = w.gK.data() + i * m;
      const T* g = gP + i * m;
      const T ui = s.u[i];
      T rowSum = 0;
      for (size_t j = 0; j < m; ++j) {
        if (logDomain()) {
          T wv = g[j] * fastExp(K[j] + ui + s.v[j]);
          if (kGrad) gK[j] += wv;
          s.gv[j] += wv;
          rowSum += wv;
        } else {
          T kg = g[j] * K[j];
          if (kGrad) gK[j] += g[j] * ui * s.v[j];
          s.gv[j] += kg * ui;
          rowSum += kg * s.v[j];
        }
      }
      s.gu[i] += rowSum;
    }
  }

  // Update k of the log solver: u_k = log a - LSE_j(K + v_{k-1}), v_k = log b - LSE_i(K + u_k).
  template <bool KGrad>
  void logStep(Workspace<T>& w, AdjointVectors<T>& s, const T* cur, const T* prev, const T* start) {
    const size_t n = p_.n, m = p_.m;
    const T* alpha = cur;
    const T* beta = cur + n;
    for (size_t i = 0; i < n; ++i) s.u[i] = w.la[i] + alpha[i];
    for (size_t j = 0; j < m; ++j) s.glb[j] += s.gv[j];
    batch::lseBackward<KGrad>(w.Kt.data(), s.u.data(), beta, s.gv.data(), m, n, w.gKt.data(), s.gu.data());
    for (size_t j = 0; j < m; ++j) s.v[j] = prev ? w.lb[j] + prev[n + j] : start[j];
    for (size_t i = 0; i < n; ++i) s.gla[i] += s.gu[i];
    std::fill(s.gvNew.begin(), s.gvNew.end(), T(0));
    batch::lseBackward<KGrad>(w.K.data(), s.v.data(), alpha, s.gu.data(), n, m, w.gK.data(), s.gvNew.data());
    s.gv.swap(s.gvNew);
    std::fill(s.gu.begin(), s.gu.end(), T(0));
  }

  // Update k of the scaling solver: f_k = a / (K g_{k-1}), g_k = b / (K^T f_k).
  template <bool KGrad>
  void scalingStep(Workspace<T>& w, AdjointVectors<T>& s, const T* cur, const T* prev, const T* start, const T* a,
                   const T* b) {
    const size_t n = p_.n, m = p_.m;
    const T* f = cur;
    const T* gPrev = prev ? prev + n : start;
    T* t = s.t.data();
    batch::columnDot(w.K.data(), f, n, m, t);  // s_j = sum_i K_ij f_i
    for (size_t j = 0; j < m; ++j) {
      s.glb[j] += s.gv[j] / t[j];
      s.gv[j] = -s.gv[j] * b[j] / (t[j] * t[j]);  // now d/ds_j
    }
    batch::dotBackward<KGrad>(w.Kt.data(), f, s.gv.data(), m, n, w.gKt.data(), s.gu.data());
    batch::columnDot(w.Kt.data(), gPrev, m, n, t);  // r_i = sum_j K_ij g_{k-1,j}
    for (size_t i = 0; i < n; ++i) {
      s.gla[i] += s.gu[i] / t[i];
      s.gu[i] = -s.gu[i] * a[i] / (t[i] * t[i]);  // now d/dr_i
    }
    std::fill(s.gvNew.begin(), s.gvNew.end(), T(0));
    batch::dotBackward<KGrad>(w.K.data(), gPrev, s.gu.data(), n, m, w.gK.data(), s.gvNew.data());
    s.gv.swap(s.gvNew);
    std::fill(s.gu.begin(), s.gu.end(), T(0));
  }

  void fillNaN(size_t pb) {
    const size_t n = p_.n, m = p_.m;
    const T nan = std::numeric_limits<T>::quiet_NaN();
    std::fill(gM_ + pb * n * m, gM_ + (pb + 1) * n * m, nan);
    if (ga_) std::fill(ga_ + pb * n, ga_ + (pb + 1) * n, nan);
    if (gb_) std::fill(gb_ + pb * m, gb_ + (pb + 1) * m, nan);
  }

  const T* M_;
  const T* a_;
  const T* b_;
  const BatchSinkhornParams& p_;
  const BatchTrace<T>& trace_;
  const T* gPlan_;
  const T* gPot0_;
  const T* gPot1_;
  T* gM_;
  T* ga_;
  T* gb_;
  CancelFlag cancel_;
};

}  // namespace

template <typename T>
Status batchSinkhornBackward(const T* M, const T* a, const T* b, const BatchSinkhornParams& p,
                             const BatchTrace<T>& trace, const T* gPlan, const T* gPot0, const T* gPot1, T* gM,
                             T* ga, T* gb, CancelFlag cancel) {
  if (trace.B != p.B || trace.n != p.n || trace.m != p.m || trace.steps.size() != p.B) return Status::BadArgument;
  Adjoint<T> adj(M, a, b, p, trace, gPlan, gPot0, gPot1, gM, ga, gb, cancel);
  return adj.run();
}

template Status batchSinkhornBackward<float>(const float*, const float*, const float*, const BatchSinkhornParams&,
                                             const BatchTrace<float>&, const float*, const float*, const float*,
                                             float*, float*, float*, CancelFlag);
template Status batchSinkhornBackward<double>(const double*, const double*, const double*,
                                              const BatchSinkhornParams&, const BatchTrace<double>&, const double*,
                                              const double*, const double*, double*, double*, double*, CancelFlag);

}  // namespace ot::cpu
