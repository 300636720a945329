// Forward entropic Sinkhorn (POT: ot.bregman.sinkhorn_log as called by ot.solve): POT's iterates
// v = log b - LSE_i(-M/reg + u), u = log a - LSE_j(-M/reg + v) from u = v = 0, its error check every
// 10 iterations, then plan = exp(-M/reg + u + v) and the value. Fast path: stabilised scaling domain
// (Schmitzer's absorption) on one team of threads owning row blocks; fallback: log domain.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <new>

#include "common/parallel.h"
#include "cpu/sinkhorn.h"
#include "cpu/sinkhorn_forward.h"

namespace ot::cpu {
namespace sk {

template <typename T>
Status Forward<T>::run() {
  try {
    allocate();
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory;
  }
  runTeam(nt_, [this](int tid, int nt) { body(tid, nt); });
  return finish();
}

template <typename T>
void Forward<T>::body(int tid, int nt) {
  FlushDenormals ftz;
  Local l;
  l.tid = tid;
  l.rows = splitRange(n_, tid, nt);
  l.cols = splitRange(m_, tid, nt, kLanes);
  l.Pt = P_.data() + static_cast<size_t>(tid) * m_;
  l.Mt = Pmax_.data() + static_cast<size_t>(tid) * m_;
  if (recording()) std::copy(u_.begin() + l.rows.begin, u_.begin() + l.rows.end, hist_ + l.rows.begin);  // u^0
  Mode mode = Mode::Log;
  Status status = Status::Ok;
  bool logOnly = false, pendingCheck = false, colAbsorb = false, clockStarted = false, partialsReady = false;
  double colDelta = kInf;
  long ii = 0;
  for (;;) {
    if (ii == maxIter_ && !pendingCheck) {
      status = Status::MaxIter;
      break;
    }
    // Phase A, then decisions on the previous row phase (every thread reads the same slots).
    if (!partialsReady) {
      if (mode == Mode::Scaling) columnsScaling(l); else columnsLog(l);
    }
    partialsReady = false;  // every path back to the top recomputes them, unless phase C did
    if (recording() && ii + 1 > histIters_) {  // the same test on every thread: hist_ only moves below
      team_.sync(l.tid);
      if (tid == 0) oomSnap_ = growHistory(ii + 1) ? 0 : 1;
      team_.sync(l.tid);
      if (oomSnap_) {
        if (tid == 0) status_ = Status::OutOfMemory;
        return;
      }
    }
    team_.sync(l.tid);
    if (tid == 0 && !clockStarted) {
      team_.startClock();
      clockStarted = true;
    }
    bool rowBad = false, rowAbsorb = false;
    double delta = colDelta;
    for (int t = 0, nt = team_.size(); t < nt; ++t) {
      const Slot& s = rowSlot_[t];
      rowBad |= s.bad != 0;
      rowAbsorb |= s.absorb != 0;
      delta = std::max(delta, s.delta);
    }
    if (mode == Mode::Scaling && rowBad) {  // redo the last u-update in the log domain
      columnPotentialsFromScaling(l);
      team_.sync(l.tid);
      updateRowsLog(l, recording() ? histU(ii) : nullptr);
      rowSlot_[tid] = Slot{};
      mode = Mode::Log;
      logOnly = true;
      continue;
    }
    if (mode == Mode::Scaling && (rowAbsorb || colAbsorb)) {
      absorb(l);
      colAbsorb = false;
      continue;
    }
    if (mode == Mode::Log && !logOnly && ii > 0 && delta <= kHandover<T>) {
      toScaling(l);
      mode = Mode::Scaling;
      continue;
    }
    // Phase B, then decisions on it and on the pending error check.
    if (mode == Mode::Scaling) updateColumnsScaling(l, pendingCheck, ii + 1);
    else updateColumnsLog(l, pendingCheck, recording() ? histV(ii + 1) : nullptr);
    if (tid == 0) {
      cancelSnap_ = p_.cancel.raised() ? 1 : 0;
      team_.propose();
    }
    team_.sync(l.tid);
    const int members = team_.size();
    if (team_.leave(tid)) return;
    if (members > 1 && team_.size() == 1) {  // thread 0 carries on alone from phase C
      l.rows = {0, n_};
      l.cols = {0, m_};
    }
    double err = 0;
    bool colBad = false;
    colAbsorb = false;
    colDelta = 0;
    for (int t = 0; t < members; ++t) {
      const Slot& s = colSlot_[t];
      err += s.err;
      colBad |= s.bad != 0;
      colAbsorb |= s.absorb != 0;
      colDelta = std::max(colDelta, s.delta);
    }
    if (pendingCheck && tid == 0) p_.progress.report(static_cast<size_t>(ii), std::sqrt(err));
    if (pendingCheck && std::sqrt(err) < p_.tol) break;
    if (ii == maxIter_) {
      status = Status::MaxIter;
      break;
    }
    if (cancelSnap_) {
      if (tid == 0) status_ = Status::Aborted;
      return;
    }
    if (colBad) {
      if (mode == Mode::Log) {
        status = Status::Diverged;
        break;
      }
      columnPotentialsFromScaling(l);
      rowPotentialsFromScaling(l);
      team_.sync(l.tid);
      colSlot_[tid] = Slot{};
      rowSlot_[tid] = Slot{};
      mode = Mode::Log;
      logOnly = true;
      colAbsorb = false;
      continue;
    }
    // Phase C.
    l.par = 1 - l.par;
    if (mode == Mode::Scaling) {
      updateRowsScaling(l, ii + 1);
      partialsReady = true;
    } else {
      updateRowsLog(l, recording() ? histU(ii + 1) : nullptr);
    }
    pendingCheck = ii % 10 == 0;
    ++ii;
    if (tid == 0 && mode == Mode::Log) ++out_.logIterations;
  }
  if (tid == 0) {
    status_ = status;
    completed_ = status == Status::Ok ? ii : maxIter_;
  }
  if (mode == Mode::Scaling) {
    columnPotentialsFromScaling(l);
    rowPotentialsFromScaling(l);
  }
  team_.sync(l.tid);
  if (p_.lastStep) lastStep(l);
  if (tid == 0) finalV_ = vCur(l);
  outputs(l, mode == Mode::Scaling && !p_.lastStep);
}

// POT's grad='last_step': v and u both recomputed in the log domain from the detached (u, v) — the
// u-update reads the detached v, not the new one. Record: u_det, v (new), u (new), v_det.
template <typename T>
void Forward<T>::lastStep(Local& l) {
  const double* vDet = vCur(l);
  for (size_t i = l.rows.begin; i < l.rows.end; ++i) hist_[i] = u_[i];
  for (size_t j = l.cols.begin; j < l.cols.end; ++j) hist_[2 * n_ + m_ + j] = vDet[j];
  columnsLog(l);
  team_.sync(l.tid);
  updateColumnsLog(l, false, hist_ + n_);
  team_.sync(l.tid);
  updateRowsLog(l, hist_ + n_ + m_);
  l.par = 1 - l.par;
  team_.sync(l.tid);
}

// The objective the unbalanced iterations minimise (Chizat et al. 2018), with generalised KLs
// KL(x || y) = sum x log(x / y) - x + y:
//   <M, P> + reg R(P) + ua D(P 1 | a) + ub D(P^T 1 | b), D = KL, |. - .|_1 (TV) or ½ |. - .|² (L2),
// R(P) = KL(P || a b^T) for 'KL' and sum P log P - sum P for 'entropy' (POT's lbfgsb_unbalanced).
// POT's sinkhorn_knopp_unbalanced reports its KL terms without the mass terms (-x + y), i.e. not
// this objective (≈ 0 at the optimum for KL + KL); this is the value it minimises.
template <typename T>
double Forward<T>::unbalancedValue(double lin, double plogp, const double* colSum) const {
  const bool kl = p_.regType == EntropicReg::KL;
  double mass = 0, sa = 0, sb = 0;
  for (size_t i = 0; i < n_; ++i) {
    mass += rowSum_[i];
    sa += p_.a[i];
  }
  for (size_t j = 0; j < m_; ++j) sb += p_.b[j];
  double value = lin + p_.reg * (plogp - mass + (kl ? sa * sb : 0.0));
  // sum x log(x / y) - x + y over one marginal (x = 0 contributes y; y = 0 carries x = 0).
  auto klMass = [](const double* x, const double* y, size_t len) {
    double s = 0;
    for (size_t i = 0; i < len; ++i) s += (x[i] > 0 ? x[i] * std::log(x[i] / y[i]) : 0.0) - x[i] + y[i];
    return s;
  };
  auto tv = [](const double* x, const double* y, size_t len) {
    double s = 0;
    for (size_t i = 0; i < len; ++i) s += std::fabs(x[i] - y[i]);
    return s;
  };
  auto l2 = [](const double* x, const double* y, size_t len) {
    double s = 0;
    for (size_t i = 0; i < len; ++i) s += 0.5 * (x[i] - y[i]) * (x[i] - y[i]);
    return s;
  };
  auto penalty = tv_ ? +tv : l2_ ? +l2 : +klMass;
  if (std::isfinite(p_.ua)) value += p_.ua * penalty(rowSum_.data(), p_.a, n_);
  if (std::isfinite(p_.ub)) value += p_.ub * penalty(colSum, p_.b, m_);
  return value;
}

template <typename T>
Status Forward<T>::finish() {
  if (status_ == Status::Aborted || status_ == Status::OutOfMemory) return status_;
  double lin = 0;
  for (int t = 0; t < team_.size(); ++t) lin += rowSlot_[t].lin;
  AlignedVector<double>& colSum = vBuf_;  // free now: the final v lives in finalV_'s half
  double* cs = colSum.data() + (finalV_ == vBuf_.data() ? m_ : 0);
  for (size_t j = 0; j < m_; ++j) {
    double t = 0;
    for (int k = 0, nt = team_.size(); k < nt; ++k) t += P_[k * m_ + j];
    cs[j] = t;
  }
  out_.valueLinear = lin;
  const double reg = regularizer(p_.regType, p_.reg, lin, u_.data(), rowSum_.data(), loga_.data(), n_, finalV_, cs, logb_.data(), m_);
  out_.value = lin + p_.reg * reg;
  if (unbalanced_) out_.value = unbalancedValue(lin, reg, cs);
  out_.nIter = p_.lastStep ? p_.maxIter : completed_ - 1;
  out_.history.iterations = p_.lastStep ? 1 : (hist_ ? static_cast<size_t>(completed_) : 0);
  // Potentials beyond 2^50 (M/reg that large: costs huge for reg) have an ulp above 1/4: the plan,
  // exp(-M/reg + u + v), is then rounding noise even when it stays finite.
  constexpr double kMaxPotential = 1125899906842624.0;
  // A potential of -inf belongs to a zero weight, or to a subnormal one (below T's smallest normal
  // number its log underflows in the kernel; such a mass is below rounding anyway): not a divergence.
  constexpr double kTiny = static_cast<double>(std::numeric_limits<T>::min());
  bool finite = std::isfinite(out_.value);
  for (size_t i = 0; i < n_ && finite; ++i) finite = std::fabs(u_[i]) <= kMaxPotential || (u_[i] == -kInf && !(p_.a[i] >= kTiny));
  for (size_t j = 0; j < m_ && finite; ++j) finite = std::fabs(finalV_[j]) <= kMaxPotential || (finalV_[j] == -kInf && !(p_.b[j] >= kTiny));
  if (!finite || valuePrecisionLost(cs)) status_ = Status::Diverged;
  out_.status = status_;
  return status_;
}

// The value is reg * (sum_i r_i (u_i - log a_i) + sum_j c_j (v_j - log b_j)) (sinkhorn_value.h): for a
// reg large against M the bracket is tiny while its terms are not, and the potentials carry T's
// rounding, so reg times that rounding can swamp the value (float32 at reg 1e8 gave -4.9 for 0.35,
// float64 at reg 1e20 gave -22204). The scale of that rounding, reg * eps * sum of |terms|, is
// compared with the value: above 5% of it (measured errors are about a tenth of this scale: float32
// from reg ~1e4 on costs ~1, float64 from ~1e13) the solve is reported 'diverged', like potentials
// past 2^50, never 'converged' with a wrong number.
template <typename T>
bool Forward<T>::valuePrecisionLost(const double* colSum) const {
  const double eps = std::numeric_limits<T>::epsilon();
  double terms = 0;
  for (size_t i = 0; i < n_; ++i)
    if (rowSum_[i] > 0) terms += rowSum_[i] * (std::fabs(u_[i]) + std::fabs(loga_[i]));
  for (size_t j = 0; j < m_; ++j)
    if (colSum[j] > 0) terms += colSum[j] * (std::fabs(finalV_[j]) + std::fabs(logb_[j]));
  const double bound = p_.reg * eps * terms + eps * std::fabs(out_.valueLinear);
  const double size = std::max(std::fabs(out_.value), std::fabs(out_.valueLinear));
  // lin == 0: M vanishes on the plan's support, value and bound are both rounding-level; nothing to lose.
  if (out_.valueLinear == 0 || !(bound > 0.05 * size)) return false;
  // Only where reg dwarfs the costs (reg >= 100 max|M|) is that the amplified rounding described
  // above; elsewhere the bound is loose and the value as good as T allows.
  double maxM = 0;
  for (size_t k = 0, nm = n_ * m_; k < nm; ++k) maxM = std::max(maxM, std::fabs(static_cast<double>(p_.M[k])));
  return p_.reg >= 100.0 * maxM;
}

}  // namespace sk

template <typename T>
Status sinkhornSolve(const SinkhornProblem<T>& p, SinkhornResult<T>& out) {
  if (!p.M || !p.a || !p.b || !(out.plan || out.planState) || !out.logU || !out.logV || p.n == 0 || p.m == 0 || !(p.reg > 0) ||
      p.maxIter < 1 || !(p.tol >= 0) || !(p.ua > 0) || !(p.ub > 0) || (p.lastStep && p.unbalanced()))
    return Status::BadArgument;
  sk::Forward<T> f(p, out, sk::teamSizeFor(p.n, p.m));
  return f.run();
}

template <typename T>
Status sinkhornPlan(const T* M, size_t n, size_t m, const SinkhornPlanState& s, T* plan, CancelFlag cancel) {
  const bool kernel = s.fromKernel;
  if (s.u.size() != n || s.v.size() != m || (kernel && (s.alpha.size() != n || s.beta.size() != m || s.U.size() != n || s.V.size() != m)))
    return Status::BadArgument;
  const int nt = sk::teamSizeFor(n, m);
  std::atomic<bool> aborted{false};
  try {
    runTeamOrInline(nt, [&](int tid, int team) {
      sk::FlushDenormals ftz;
      std::vector<T> Ki(kernel ? m : 0);  // the row's kernel, as the forward's Kt_ held it
      const Range rows = splitRange(n, tid, team);
      for (size_t i = rows.begin; i < rows.end; ++i) {
        if ((i - rows.begin) % 64 == 0 && cancel.raised()) {
          aborted.store(true, std::memory_order_relaxed);
          return;
        }
        if (kernel) sk::buildKernelRow(Ki.data(), M + i * m, s.c, s.alpha[i], s.beta.data(), m);
        T* Pi = plan + i * m;
        const double Ui = kernel ? s.U[i] : 0.0;
        sk::planChunks(M + i * m, Ki.data(), kernel ? s.V.data() : nullptr, s.v.data(), s.u[i], Ui, s.c, m, kernel,
                       [&](size_t j, size_t cnt, sk::v8d, sk::v8d pij) {
                         if (cnt == sk::kLanes) sk::store8(Pi + j, pij);
                         else sk::storeTail(Pi + j, pij, cnt);
                       });
      }
    });
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory;
  }
  return aborted.load() ? Status::Aborted : Status::Ok;
}

template Status sinkhornPlan<float>(const float*, size_t, size_t, const SinkhornPlanState&, float*, CancelFlag);
template Status sinkhornPlan<double>(const double*, size_t, size_t, const SinkhornPlanState&, double*, CancelFlag);
template Status sinkhornSolve<float>(const SinkhornProblem<float>&, SinkhornResult<float>&);
template Status sinkhornSolve<double>(const SinkhornProblem<double>&, SinkhornResult<double>&);

}  // namespace ot::cpu
