// State and phases of the forward Sinkhorn solve: the buffers, and one thread's share of each half-
// iteration in the scaling or the log domain (with the changes between them). The control flow that
// sequences the phases — stopping rule, decisions, fallbacks — is sinkhorn.cc.
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <new>
#include <vector>

#include "common/aligned_vector.h"
#include "common/parallel.h"
#include "cpu/sinkhorn.h"
#include "cpu/sinkhorn_kernels.h"
#include "cpu/thread_buffer.h"
#include "cpu/sinkhorn_team.h"
#include "cpu/sinkhorn_value.h"

namespace ot::cpu::sk {

// Scalings are absorbed into the potentials once they leave [e^-kKernelReach, e^kKernelReach]; the
// log domain hands over to the scaling path once the potentials move less than this per iteration
// (each iteration moves them no more than the one before).
template <typename T>
constexpr double kHandover = sizeof(T) == 4 ? 20.0 : 150.0;

struct alignas(64) Slot {
  double err = 0;      // squared marginal error over owned columns
  double delta = 0;    // largest potential change over owned rows/columns (log domain)
  double lin = 0;
  int bad = 0;         // a zero or non-finite sum: the scaling path cannot continue
  int absorb = 0;      // a scaling left [e^-absorb, e^absorb]

  // One scaling-domain update w / r of a potential whose weight w > 0: a zero or non-finite r is bad,
  // a result outside [lo, hi] asks for absorption.
  double scalingStep(double w, double r, double lo, double hi) {
    if (!(r > 0 && r < std::numeric_limits<double>::infinity())) bad = 1;
    const double x = w / r;
    if (!(x <= hi && x >= lo)) absorb = 1;
    return x;
  }
  // One log-domain update log w - lse of a potential whose weight w > 0 (previously `old`): a
  // non-finite lse is bad; the move is folded into `delta`.
  double logStep(double logw, double lse, double old, double& delta) { return logStepTo(logw - lse, lse, old, delta); }
  // The same for a new potential x the caller formed from lse (unbalanced updates).
  double logStepTo(double x, double lse, double old, double& delta) {
    if (!std::isfinite(lse)) bad = 1;
    delta = std::max(delta, std::fabs(x - old));
    return x;
  }
};

// A history row from scaling-domain iterates [b, e): log of the scalings plus the kernel's base offsets.
inline void recordScalings(const double* scalings, const double* base, double* hist, size_t b, size_t e) {
  if (e <= b) return;
  logArray(scalings + b, hist + b, e - b);
  for (size_t k = b; k < e; ++k) hist[k] += base[k];
}

enum class Mode { Log, Scaling };

template <typename T>
class Forward {
 public:
  Forward(const SinkhornProblem<T>& p, SinkhornResult<T>& out, int nt)
      : p_(p), out_(out), nt_(nt), n_(p.n), m_(p.m), c_(-1.0 / p.reg), team_(nt), unbalanced_(p.unbalanced()),
        tv_(p.marginal == Marginal::TV), l2_(p.marginal == Marginal::L2), entropy_(p.regType == EntropicReg::Entropy),
        fa_(p.marginal != Marginal::KL ? 1.0 : SinkhornProblem<T>::exponent(p.ua, p.reg)),
        fb_(p.marginal != Marginal::KL ? 1.0 : SinkhornProblem<T>::exponent(p.ub, p.reg)),
        ta_(p.ua / p.reg), tb_(p.ub / p.reg) {}
  Status run();

 private:
  const SinkhornProblem<T>& p_;
  SinkhornResult<T>& out_;
  const int nt_;
  const size_t n_, m_;
  const double c_;  // -1/reg
  Team team_;
  // Unbalanced: the KL updates' exponents fa, fb (1 on an exact side; loga_ / logb_ then hold kappa log w),
  // the TV updates' clamps ta, tb (+inf on an exact side).
  const bool unbalanced_, tv_, l2_, entropy_;
  const double fa_, fb_, ta_, tb_;

  // Unbalanced scaling updates of cnt <= kLanes rows (or columns) at once, from their kernel sums r, log-weights
  // lw, weights w and kernel bases: the new potential x from LSE = log r - base, then exp(x - base), on
  // all lanes (one vector log and exp cost what one scalar pair does); zero weights give 0. Sets the
  // slot's bad / absorb flags as scalingStep does.
  void scalingBatch(Slot& s, const double* r, const double* lw, const double* w, const double* base, double f, double t,
                    double* out, size_t cnt, double lo, double hi) const {
    const v8d rv = loadTail(r, cnt, 1.0), lwv = loadTail(lw, cnt, 0.0), bv = loadTail(base, cnt, 0.0);
    const v8d lse = log8(rv) - bv;
    v8d x;
    if (l2_) {
      x = lwv;
      for (size_t k = 0; k < cnt; ++k) x[k] = w[k] > 0 ? potential(lw[k], lse[k], f, t) : 0.0;
    } else if (!tv_) {
      x = lwv - f * lse;
    } else if (!std::isfinite(t)) {
      x = lwv - lse;
    } else {
      const v8d o = entropy_ ? splat(0.0) : lwv;
      v8d d = lwv - o - lse;
      d = d > t ? splat(t) : d;
      d = d < -t ? splat(-t) : d;
      x = o + d;
    }
    const v8d sc = exp8(x - bv);
    for (size_t k = 0; k < cnt; ++k) {
      if (!(w[k] > 0)) {  // lanes of zero weight held -inf - -inf: discarded
        out[k] = 0.0;
        continue;
      }
      if (!(r[k] > 0 && r[k] < kInf)) s.bad = 1;
      if (!(sc[k] <= hi && sc[k] >= lo)) s.absorb = 1;
      out[k] = sc[k];
    }
  }

  // The L2 update: the root x of e^(x + lse) = w - (x - o) / t (t = ua / reg). With y = x + lse (the
  // log of the new row mass) it is e^y + y / t = C, C = w + (lse + o) / t, whose solution is
  // y = t C - W(e^z), z = t C + log t (Lambert's W). W(e^z) is the root of g(q) = q + log q - z, found
  // by Newton's method in q: no exponential of the (possibly huge, e.g. t = 1e5) arguments is formed.
  double l2Potential(double lw, double lse, double t) const {
    if (!std::isfinite(t) || !std::isfinite(lse)) return lw - lse;  // exact side; a bad lse is flagged by the caller
    const double w = std::exp(lw), o = entropy_ ? 0.0 : lw;
    const double tc = t * w + lse + o;
    const double z = tc + std::log(t);
    if (z < -700) return tc - lse;  // W(e^z) = e^z below double's range: y = t C
    // g is concave and increasing: from z - log z (g < 0) the iterates rise monotonically to the root;
    // from e^z (z <= 1: g = e^z > 0) the first step lands left of it.
    double q = z > 1 ? z - std::log(z) : std::exp(z);
    for (int it = 0; it < 100; ++it) {
      const double step = (q + std::log(q) - z) * q / (q + 1);
      const double next = std::max(q - step, q * 1e-3);
      if (!(std::fabs(next - q) > 1e-15 * q)) {
        q = next;
        break;
      }
      q = next;
    }
    return tc - q - lse;
  }

  // The new log-potential of a row (or column) of log-weight lw (kappa-scaled for KL) from its LSE.
  double potential(double lw, double lse, double f, double t) const {
    if (l2_) return l2Potential(lw, lse, t);
    if (!tv_) return lw - f * lse;
    if (!std::isfinite(t)) return lw - lse;
    const double o = entropy_ ? 0.0 : lw;
    return o + std::min(t, std::max(-t, lw - o - lse));
  }
  AlignedVector<double> loga_, logb_, u_, vBuf_, alpha_, beta_, U_, VBuf_, P_, Pmax_, rowSum_;
  ThreadBuffer<T> Kt_;  // kept by the thread between calls: no fresh pages per call
  std::vector<Slot> rowSlot_, colSlot_;
  double* hist_ = nullptr;  // history (autodiff) or the last step's record
  long histIters_ = 0;      // iterations the history has room for
  int oomSnap_ = 0;
  long maxIter_ = 0;
  int cancelSnap_ = 0;
  Status status_ = Status::Ok;
  long completed_ = 0;
  const double* finalV_ = nullptr;

  void allocate() {
    loga_.resize(n_); logb_.resize(m_);
    // Entropy against the reference measure 1: the weight enters the update as fa log a (kappa = fa).
    for (size_t i = 0; i < n_; ++i) loga_[i] = (entropy_ ? fa_ : 1.0) * std::log(p_.a[i]);
    for (size_t j = 0; j < m_; ++j) logb_[j] = (entropy_ ? fb_ : 1.0) * std::log(p_.b[j]);
    if (p_.initU) u_.assign(p_.initU, p_.initU + n_);
    else u_.assign(n_, 0.0);
    vBuf_.assign(2 * m_, 0.0); rowSum_.assign(n_, 0.0);
    alpha_.assign(n_, 0.0); beta_.assign(m_, 0.0); U_.assign(n_, 0.0); VBuf_.assign(2 * m_, 0.0);
    P_.assign(static_cast<size_t>(nt_) * m_, 0.0); Pmax_.assign(static_cast<size_t>(nt_) * m_, 0.0);
    rowSlot_.assign(nt_, Slot{}); colSlot_.assign(nt_, Slot{});
    for (auto& s : rowSlot_) s.delta = kInf;
    Kt_.resize(n_ * m_);
    maxIter_ = p_.lastStep ? p_.maxIter - 1 : p_.maxIter;
    SinkhornHistory& h = out_.history;
    if (p_.recordHistory && !p_.lastStep) {
      histIters_ = std::min<long>(maxIter_ + 1, 128);  // grown by doubling: maxIter may be far off
      h.capacity = n_ + static_cast<size_t>(histIters_) * (n_ + m_);
    }
    if (p_.lastStep) h.capacity = 2 * (n_ + m_);
    h.lastStep = p_.lastStep;
    if (h.capacity) {
      h.data.reset(new double[h.capacity]);
      hist_ = h.data.get();
    }
  }

  // Room for iteration k's potentials (thread 0, while the others wait at the next sync).
  bool growHistory(long k) {
    if (!recording() || k <= histIters_) return true;
    try {
      long iters = std::min<long>(maxIter_ + 1, 2 * histIters_);
      size_t cap = n_ + static_cast<size_t>(iters) * (n_ + m_);
      std::unique_ptr<double[]> data(new double[cap]);
      std::copy(hist_, hist_ + n_ + static_cast<size_t>(k - 1) * (n_ + m_), data.get());
      out_.history.data = std::move(data);
      out_.history.capacity = cap;
      hist_ = out_.history.data.get();
      histIters_ = iters;
      return true;
    } catch (const std::bad_alloc&) {
      return false;
    }
  }

  double* histV(long k) { return hist_ + n_ + static_cast<size_t>(k - 1) * (n_ + m_); }
  double* histU(long k) { return k == 0 ? hist_ : histV(k) + m_; }
  bool recording() const { return hist_ != nullptr && !p_.lastStep; }

  // What one thread owns and which half of the double-buffered v / V is current (all threads follow
  // the same control flow, so their parities agree).
  struct Local {
    Range rows, cols;
    int tid = 0;
    double* Pt = nullptr;  // this thread's partial column sums
    double* Mt = nullptr;  // this thread's partial column maxima (log domain)
    int par = 0;
  };
  double* vCur(const Local& l) { return vBuf_.data() + l.par * m_; }
  double* vNext(const Local& l) { return vBuf_.data() + (1 - l.par) * m_; }
  double* VCur(const Local& l) { return VBuf_.data() + l.par * m_; }
  double* VNext(const Local& l) { return VBuf_.data() + (1 - l.par) * m_; }

  // ---- phase A: partial column reductions over owned rows (the v-update's sums) ----
  void columnsScaling(const Local& l) {
    std::fill(l.Pt, l.Pt + m_, 0.0);
    accumulateColumns(l.Pt, Kt_.data() + l.rows.begin * m_, m_, U_.data() + l.rows.begin, l.rows.end - l.rows.begin, m_);
  }
  void columnsLog(const Local& l) {
    std::fill(l.Mt, l.Mt + m_, -kInf);
    std::fill(l.Pt, l.Pt + m_, 0.0);
    for (size_t i = l.rows.begin; i < l.rows.end; ++i)
      if (u_[i] > -kInf) columnMaxRow(l.Mt, p_.M + i * m_, c_, u_[i], m_);
    for (size_t i = l.rows.begin; i < l.rows.end; ++i)
      if (u_[i] > -kInf) columnSumExpRow(l.Pt, p_.M + i * m_, c_, u_[i], l.Mt, m_);
  }

  // ---- phase B: owned columns combine the partials into the v-update (and the pending error check) ----
  void updateColumnsScaling(const Local& l, bool check, long k) {
    const double hi = std::exp(kKernelReach<T>), lo = 1.0 / hi;
    Slot& s = colSlot_[l.tid];
    const double* V = VCur(l);
    double* Vn = VNext(l);
    double err = 0;
    s.bad = s.absorb = 0;
    if (unbalanced_) {
      for (size_t j0 = l.cols.begin; j0 < l.cols.end; j0 += kLanes) {
        const size_t cnt = std::min(kLanes, l.cols.end - j0);
        double sums[kLanes];
        for (size_t k = 0; k < cnt; ++k) {
          double sum = 0;
          for (int t = 0, nt = team_.size(); t < nt; ++t) sum += P_[t * m_ + j0 + k];
          sums[k] = sum;
        }
        scalingBatch(s, sums, logb_.data() + j0, p_.b + j0, beta_.data() + j0, fb_, tb_, Vn + j0, cnt, lo, hi);
        // The change of v = beta + log V (the same base before and after).
        if (check)
          for (size_t j = j0; j < j0 + cnt; ++j)
            if (Vn[j] > 0 && V[j] > 0) err += std::log(Vn[j] / V[j]) * std::log(Vn[j] / V[j]);
      }
    } else {
      for (size_t j = l.cols.begin; j < l.cols.end; ++j) {
        double sum = 0;
        for (int t = 0, nt = team_.size(); t < nt; ++t) sum += P_[t * m_ + j];
        if (check) err += (V[j] * sum - p_.b[j]) * (V[j] * sum - p_.b[j]);
        Vn[j] = p_.b[j] > 0 ? s.scalingStep(p_.b[j], sum, lo, hi) : 0.0;
      }
    }
    s.err = err;
    if (recording()) recordScalings(Vn, beta_.data(), histV(k), l.cols.begin, l.cols.end);
  }
  void updateColumnsLog(const Local& l, bool check, double* histOut) {
    Slot& s = colSlot_[l.tid];
    const double* v = vCur(l);
    double* vn = vNext(l);
    double err = 0, delta = 0;
    s.bad = s.absorb = 0;
    for (size_t j = l.cols.begin; j < l.cols.end; ++j) {
      double top = -kInf;
      for (int t = 0, nt = team_.size(); t < nt; ++t) top = std::max(top, Pmax_[t * m_ + j]);
      double sum = 0;
      for (int t = 0, nt = team_.size(); t < nt; ++t) {
        double mt = Pmax_[t * m_ + j];
        if (mt > -kInf) sum += mt == top ? P_[t * m_ + j] : P_[t * m_ + j] * std::exp(mt - top);
      }
      double lse = top + std::log(sum);
      if (check && !unbalanced_) {
        double e = std::exp(v[j] + lse) - p_.b[j];
        err += e * e;
      }
      const double x = p_.b[j] > 0 ? s.logStepTo(potential(logb_[j], lse, fb_, tb_), lse, v[j], delta) : -kInf;
      if (check && unbalanced_ && std::isfinite(x) && std::isfinite(v[j])) err += (x - v[j]) * (x - v[j]);
      vn[j] = x;
      if (histOut) histOut[j] = x;
    }
    s.err = err;
    s.delta = delta;
  }

  // ---- phase C: owned rows, the u-update from the new v ----
  // Also does the next iteration's phase A while each group of rows is still in L1: one sweep of the
  // kernel per iteration instead of two.
  void updateRowsScaling(const Local& l, long k) {
    const double hi = std::exp(kKernelReach<T>), lo = 1.0 / hi;
    Slot& s = rowSlot_[l.tid];
    const double* V = VCur(l);
    s.bad = s.absorb = 0;
    std::fill(l.Pt, l.Pt + m_, 0.0);
    // Unbalanced groups are a full vector of rows: their updates' log and exp run on all lanes.
    constexpr size_t kMaxGroup = kLanes;
    const size_t kGroup = unbalanced_ ? kLanes : 4;
    for (size_t i0 = l.rows.begin; i0 < l.rows.end; i0 += kGroup) {
      const size_t cnt = std::min(kGroup, l.rows.end - i0);
      if (unbalanced_) {
        double r[kMaxGroup];
        for (size_t k = 0; k < cnt; ++k) r[k] = dotRow(Kt_.data() + (i0 + k) * m_, V, m_);
        scalingBatch(s, r, loga_.data() + i0, p_.a + i0, alpha_.data() + i0, fa_, ta_, U_.data() + i0, cnt, lo, hi);
      } else {
        for (size_t i = i0; i < i0 + cnt; ++i) {
          const double r = dotRow(Kt_.data() + i * m_, V, m_);
          U_[i] = p_.a[i] > 0 ? s.scalingStep(p_.a[i], r, lo, hi) : 0.0;
        }
      }
      accumulateColumns(l.Pt, Kt_.data() + i0 * m_, m_, U_.data() + i0, cnt, m_);
    }
    if (recording()) recordScalings(U_.data(), alpha_.data(), histU(k), l.rows.begin, l.rows.end);
  }
  void updateRowsLog(const Local& l, double* histOut) {
    Slot& s = rowSlot_[l.tid];
    const double* v = vCur(l);
    double delta = 0;
    s.bad = s.absorb = 0;
    for (size_t i = l.rows.begin; i < l.rows.end; ++i) {
      // The row's LSE is the expensive part: only rows with weight need it.
      double un = -kInf;
      if (p_.a[i] > 0) {
        const double lse = rowLogSumExp(p_.M + i * m_, c_, v, m_);
        un = s.logStepTo(potential(loga_[i], lse, fa_, ta_), lse, u_[i], delta);
      }
      u_[i] = un;
      if (histOut) histOut[i] = un;
    }
    s.delta = delta;
  }

  // ---- changes of representation (rare; each ends with the owned kernel rows rebuilt) ----
  void rebuildRows(const Local& l) {
    for (size_t i = l.rows.begin; i < l.rows.end; ++i)
      buildKernelRow(Kt_.data() + i * m_, p_.M + i * m_, c_, alpha_[i], beta_.data(), m_);
  }
  void toScaling(const Local& l) {
    const double* v = vCur(l);
    double* V = VCur(l);
    // Zero-weight rows and columns get a -inf base, so their kernel entries are exactly 0: on a 0 base
    // they could reach e^709, and kernel x scaling x 0 in the plan overflowed to NaN.
    for (size_t i = l.rows.begin; i < l.rows.end; ++i) {
      bool live = p_.a[i] > 0;
      alpha_[i] = live ? u_[i] : -kInf;
      U_[i] = live ? 1.0 : 0.0;
    }
    for (size_t j = l.cols.begin; j < l.cols.end; ++j) {
      bool live = p_.b[j] > 0;
      beta_[j] = live ? v[j] : -kInf;
      V[j] = live ? 1.0 : 0.0;
    }
    team_.sync(l.tid);
    rebuildRows(l);
    rowSlot_[l.tid] = Slot{};
  }
  void absorb(const Local& l) {
    double* V = VCur(l);
    for (size_t i = l.rows.begin; i < l.rows.end; ++i)
      if (U_[i] > 0) { alpha_[i] += std::log(U_[i]); U_[i] = 1.0; }
    for (size_t j = l.cols.begin; j < l.cols.end; ++j)
      if (V[j] > 0) { beta_[j] += std::log(V[j]); V[j] = 1.0; }
    team_.sync(l.tid);
    rebuildRows(l);
    rowSlot_[l.tid] = Slot{};
    if (l.tid == 0) ++out_.absorptions;
  }
  void columnPotentialsFromScaling(const Local& l) {
    const double* V = VCur(l);
    double* v = vCur(l);
    for (size_t j = l.cols.begin; j < l.cols.end; ++j) v[j] = V[j] > 0 ? beta_[j] + std::log(V[j]) : -kInf;
  }
  void rowPotentialsFromScaling(const Local& l) {
    for (size_t i = l.rows.begin; i < l.rows.end; ++i) u_[i] = U_[i] > 0 ? alpha_[i] + std::log(U_[i]) : -kInf;
  }

  // plan = exp(-M/reg + u + v) — or, when the solve ends in the scaling domain, Kt U V without an exp —
  // the potentials, <M, plan>, and the plan's row sums (rowSum_) and per-thread partial column sums
  // (P_) from which finish() forms the regulariser.
  void outputs(const Local& l, bool fromKernel) {
    const double* v = vCur(l);
    const double* V = VCur(l);
    for (size_t j = l.cols.begin; j < l.cols.end; ++j) out_.logV[j] = static_cast<T>(v[j]);
    for (size_t i = l.rows.begin; i < l.rows.end; ++i) out_.logU[i] = static_cast<T>(u_[i]);
    if (l.tid == 0 && out_.planState) keepPlanState(*out_.planState, v, V, fromKernel);
    std::fill(l.Pt, l.Pt + m_, 0.0);
    v8d lin = splat(0);
    for (size_t i = l.rows.begin; i < l.rows.end; ++i) {
      T* Pi = out_.plan ? out_.plan + i * m_ : nullptr;  // null: the sums only (the plan is built on demand)
      v8d row = splat(0);
      planChunks(p_.M + i * m_, Kt_.data() + i * m_, V, v, u_[i], U_[i], c_, m_, fromKernel, [&](size_t j, size_t cnt, v8d mij, v8d pij) {
        if (cnt == kLanes) {
          if (Pi) store8(Pi + j, pij);
          store8(l.Pt + j, load8(l.Pt + j) + pij);
        } else {
          if (Pi) storeTail(Pi + j, pij, cnt);
          for (size_t k = 0; k < cnt; ++k) l.Pt[j + k] += pij[k];
        }
        lin += mij * pij;
        row += pij;
      });
      rowSum_[i] = hsum(row);
    }
    rowSlot_[l.tid].lin = hsum(lin);
  }
  // The final potentials as outputs() read them, for sinkhornPlan (sinkhorn.h). Thread 0, after the
  // last sync: every row and column is final.
  void keepPlanState(SinkhornPlanState& s, const double* v, const double* V, bool fromKernel) const {
    s.fromKernel = fromKernel;
    s.c = c_;
    s.u.assign(u_.begin(), u_.begin() + n_);
    s.v.assign(v, v + m_);
    if (fromKernel) {
      s.alpha.assign(alpha_.begin(), alpha_.begin() + n_);
      s.beta.assign(beta_.begin(), beta_.begin() + m_);
      s.U.assign(U_.begin(), U_.begin() + n_);
      s.V.assign(V, V + m_);
    }
  }

  // Defined in sinkhorn.cc: the iteration loop, POT's last step, and the value and status.
  void body(int tid, int nt);
  void lastStep(Local& l);
  Status finish();
  // True when rounding in the potentials can swamp the value (see sinkhorn.cc).
  bool valuePrecisionLost(const double* colSum) const;
  double unbalancedValue(double lin, double plogp, const double* colSum) const;

  static constexpr double kInf = std::numeric_limits<double>::infinity();
};

}  // namespace ot::cpu::sk
