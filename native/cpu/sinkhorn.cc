// Forward entropic Sinkhorn (POT: ot.bregman.sinkhorn_log as called by ot.solve): POT's iterates
// v = log b - LSE_i(-M/reg + u), u = log a - LSE_j(-M/reg + v) from u = v = 0, its error check every
// 10 iterations, then plan = exp(-M/reg + u + v) and the value. Fast path: stabilised scaling domain
// (Schmitzer's absorption) on one team of threads owning row blocks; fallback: log domain.
#include <cmath>
#include <limits>
#include <new>
#include <vector>

#include "common/parallel.h"
#include "cpu/sinkhorn.h"
#include "cpu/sinkhorn_kernels.h"
#include "cpu/sinkhorn_team.h"
#include "cpu/sinkhorn_value.h"

namespace ot::cpu {
namespace {
using namespace sk;

constexpr double kInf = std::numeric_limits<double>::infinity();

// Scalings may drift this far (in log units) before they are absorbed into the potentials; the log
// domain hands over once potentials move less than `handover` per iteration. Both keep kernel entries
// of the plan's scale representable in T (float: e^±87, double: e^±708).
template <typename T> struct Bounds;
template <> struct Bounds<double> { static constexpr double absorb = 150, handover = 150; };
template <> struct Bounds<float> { static constexpr double absorb = 25, handover = 20; };

struct alignas(64) Slot {
  double err = 0;      // squared marginal error over owned columns
  double delta = 0;    // largest potential change over owned rows/columns (log domain)
  double lin = 0;
  int bad = 0;         // a zero or non-finite sum: the scaling path cannot continue
  int absorb = 0;      // a scaling left [e^-absorb, e^absorb]
};

enum class Mode { Log, Scaling };

int teamSize(size_t n, size_t m) {
  if (static_cast<double>(n) * static_cast<double>(m) < 32768.0) return 1;
  return std::max(1, std::min<int>(maxThreads(), static_cast<int>(n / 16)));
}

template <typename T>
class Forward {
 public:
  Forward(const SinkhornProblem<T>& p, SinkhornResult<T>& out, int nt)
      : p_(p), out_(out), nt_(nt), n_(p.n), m_(p.m), c_(-1.0 / p.reg), team_(nt) {}

  Status run() {
    try {
      allocate();
    } catch (const std::bad_alloc&) {
      return Status::OutOfMemory;
    }
    runTeam(nt_, [this](int tid, int nt) { body(tid, nt); });
    return finish();
  }

 private:
  const SinkhornProblem<T>& p_;
  SinkhornResult<T>& out_;
  const int nt_;
  const size_t n_, m_;
  const double c_;  // -1/reg
  Team team_;
  std::vector<double> loga_, logb_, u_, vBuf_, alpha_, beta_, U_, VBuf_, P_, Pmax_, rowSum_;
  std::vector<T> Kt_;
  std::vector<Slot> rowSlot_, colSlot_;
  double* hist_ = nullptr;  // history (autodiff) or the last step's record
  long maxIter_ = 0;
  int cancelSnap_ = 0;
  Status status_ = Status::Ok;
  long completed_ = 0;
  const double* finalV_ = nullptr;

  void allocate() {
    loga_.resize(n_); logb_.resize(m_);
    for (size_t i = 0; i < n_; ++i) loga_[i] = std::log(p_.a[i]);
    for (size_t j = 0; j < m_; ++j) logb_[j] = std::log(p_.b[j]);
    u_.assign(n_, 0.0); vBuf_.assign(2 * m_, 0.0); rowSum_.assign(n_, 0.0);
    alpha_.assign(n_, 0.0); beta_.assign(m_, 0.0); U_.assign(n_, 0.0); VBuf_.assign(2 * m_, 0.0);
    P_.assign(static_cast<size_t>(nt_) * m_, 0.0); Pmax_.assign(static_cast<size_t>(nt_) * m_, 0.0);
    rowSlot_.assign(nt_, Slot{}); colSlot_.assign(nt_, Slot{});
    for (auto& s : rowSlot_) s.delta = kInf;
    Kt_.resize(n_ * m_);
    maxIter_ = p_.lastStep ? p_.maxIter - 1 : p_.maxIter;
    SinkhornHistory& h = out_.history;
    if (p_.recordHistory && !p_.lastStep) h.capacity = n_ + static_cast<size_t>(maxIter_ + 1) * (n_ + m_);
    if (p_.lastStep) h.capacity = 2 * (n_ + m_);
    h.lastStep = p_.lastStep;
    if (h.capacity) {
      h.data.reset(new double[h.capacity]);
      hist_ = h.data.get();
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
    const double hi = std::exp(Bounds<T>::absorb), lo = 1.0 / hi;
    Slot& s = colSlot_[l.tid];
    const double* V = VCur(l);
    double* Vn = VNext(l);
    double err = 0;
    s.bad = s.absorb = 0;
    for (size_t j = l.cols.begin; j < l.cols.end; ++j) {
      double sum = 0;
      for (int t = 0, nt = team_.size(); t < nt; ++t) sum += P_[t * m_ + j];
      if (check) err += (V[j] * sum - p_.b[j]) * (V[j] * sum - p_.b[j]);
      double vn = 0;
      if (p_.b[j] > 0) {
        if (!(sum > 0 && sum < kInf)) s.bad = 1;
        vn = p_.b[j] / sum;
        if (!(vn <= hi && vn >= lo)) s.absorb = 1;
      }
      Vn[j] = vn;
    }
    s.err = err;
    if (recording() && l.cols.end > l.cols.begin) {
      double* hv = histV(k);
      logArray(Vn + l.cols.begin, hv + l.cols.begin, l.cols.end - l.cols.begin);
      for (size_t j = l.cols.begin; j < l.cols.end; ++j) hv[j] += beta_[j];
    }
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
      if (check) {
        double e = std::exp(v[j] + lse) - p_.b[j];
        err += e * e;
      }
      double x = -kInf;
      if (p_.b[j] > 0) {
        if (!std::isfinite(lse)) s.bad = 1;
        x = logb_[j] - lse;
        delta = std::max(delta, std::fabs(x - v[j]));
      }
      vn[j] = x;
      if (histOut) histOut[j] = x;
    }
    s.err = err;
    s.delta = delta;
  }

  // ---- phase C: owned rows, the u-update from the new v ----
  void updateRowsScaling(const Local& l, long k) {
    const double hi = std::exp(Bounds<T>::absorb), lo = 1.0 / hi;
    Slot& s = rowSlot_[l.tid];
    const double* V = VCur(l);
    s.bad = s.absorb = 0;
    for (size_t i = l.rows.begin; i < l.rows.end; ++i) {
      double r = dotRow(Kt_.data() + i * m_, V, m_);
      double un = 0;
      if (p_.a[i] > 0) {
        if (!(r > 0 && r < kInf)) s.bad = 1;
        un = p_.a[i] / r;
        if (!(un <= hi && un >= lo)) s.absorb = 1;
      }
      U_[i] = un;
    }
    if (recording() && l.rows.end > l.rows.begin) {
      double* hu = histU(k);
      logArray(U_.data() + l.rows.begin, hu + l.rows.begin, l.rows.end - l.rows.begin);
      for (size_t i = l.rows.begin; i < l.rows.end; ++i) hu[i] += alpha_[i];
    }
  }
  void updateRowsLog(const Local& l, double* histOut) {
    Slot& s = rowSlot_[l.tid];
    const double* v = vCur(l);
    double delta = 0;
    s.bad = s.absorb = 0;
    for (size_t i = l.rows.begin; i < l.rows.end; ++i) {
      double un = -kInf;
      if (p_.a[i] > 0) {
        double lse = rowLogSumExp(p_.M + i * m_, c_, v, m_);
        if (!std::isfinite(lse)) s.bad = 1;
        un = loga_[i] - lse;
        delta = std::max(delta, std::fabs(un - u_[i]));
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
    for (size_t i = l.rows.begin; i < l.rows.end; ++i) {
      bool live = p_.a[i] > 0;
      alpha_[i] = live ? u_[i] : 0.0;
      U_[i] = live ? 1.0 : 0.0;
    }
    for (size_t j = l.cols.begin; j < l.cols.end; ++j) {
      bool live = p_.b[j] > 0;
      beta_[j] = live ? v[j] : 0.0;
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

  void body(int tid, int nt) {
    FlushDenormals ftz;
    Local l;
    l.tid = tid;
    l.rows = splitRange(n_, tid, nt);
    l.cols = splitRange(m_, tid, nt, kLanes);
    l.Pt = P_.data() + static_cast<size_t>(tid) * m_;
    l.Mt = Pmax_.data() + static_cast<size_t>(tid) * m_;
    if (recording()) std::fill(hist_ + l.rows.begin, hist_ + l.rows.end, 0.0);  // u^0 = 0
    Mode mode = Mode::Log;
    Status status = Status::Ok;
    bool logOnly = false, pendingCheck = false, colAbsorb = false, clockStarted = false;
    double colDelta = kInf;
    long ii = 0;
    for (;;) {
      if (ii == maxIter_ && !pendingCheck) {
        status = Status::MaxIter;
        break;
      }
      // Phase A, then decisions on the previous row phase (every thread reads the same slots).
      if (mode == Mode::Scaling) columnsScaling(l); else columnsLog(l);
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
      if (mode == Mode::Log && !logOnly && ii > 0 && delta <= Bounds<T>::handover) {
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
      if (mode == Mode::Scaling) updateRowsScaling(l, ii + 1);
      else updateRowsLog(l, recording() ? histU(ii + 1) : nullptr);
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
    outputs(l);
  }

  // POT's grad='last_step': v and u both recomputed in the log domain from the detached (u, v) — the
  // u-update reads the detached v, not the new one. Record: u_det, v (new), u (new), v_det.
  void lastStep(Local& l) {
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

  // plan = exp(-M/reg + u + v), the potentials, <M, plan>, and the plan's row sums (rowSum_) and
  // per-thread partial column sums (P_) from which finish() forms the regulariser.
  void outputs(const Local& l) {
    const double* v = vCur(l);
    for (size_t j = l.cols.begin; j < l.cols.end; ++j) out_.logV[j] = static_cast<T>(v[j]);
    for (size_t i = l.rows.begin; i < l.rows.end; ++i) out_.logU[i] = static_cast<T>(u_[i]);
    std::fill(l.Pt, l.Pt + m_, 0.0);
    v8d lin = splat(0);
    const size_t vec = m_ / kLanes * kLanes;
    for (size_t i = l.rows.begin; i < l.rows.end; ++i) {
      const T* Mi = p_.M + i * m_;
      T* Pi = out_.plan + i * m_;
      const double ui = u_[i];
      v8d row = splat(0);
      for (size_t j = 0; j < vec; j += kLanes) {
        v8d mij = load8(Mi + j);
        v8d pij = exp8(mij * c_ + ui + load8(v + j));
        store8(Pi + j, pij);
        store8(l.Pt + j, load8(l.Pt + j) + pij);
        lin += mij * pij;
        row += pij;
      }
      if (vec < m_) {
        size_t cnt = m_ - vec;
        v8d mij = loadTail(Mi + vec, cnt, 0.0);
        v8d pij = exp8(mij * c_ + ui + loadTail(v + vec, cnt, -kInf));
        storeTail(Pi + vec, pij, cnt);
        for (size_t k = 0; k < cnt; ++k) l.Pt[vec + k] += pij[k];
        lin += mij * pij;
        row += pij;
      }
      rowSum_[i] = hsum(row);
    }
    rowSlot_[l.tid].lin = hsum(lin);
  }

  Status finish() {
    if (status_ == Status::Aborted) return status_;
    double lin = 0;
    for (int t = 0; t < team_.size(); ++t) lin += rowSlot_[t].lin;
    std::vector<double>& colSum = vBuf_;  // free now: the final v lives in finalV_'s half
    double* cs = colSum.data() + (finalV_ == vBuf_.data() ? m_ : 0);
    for (size_t j = 0; j < m_; ++j) {
      double t = 0;
      for (int k = 0, nt = team_.size(); k < nt; ++k) t += P_[k * m_ + j];
      cs[j] = t;
    }
    out_.valueLinear = lin;
    out_.value = lin + p_.reg * regularizer(p_.regType, p_.reg, lin, u_.data(), rowSum_.data(), loga_.data(), n_, finalV_, cs,
                                            logb_.data(), m_);
    out_.nIter = p_.lastStep ? p_.maxIter : completed_ - 1;
    out_.history.iterations = p_.lastStep ? 1 : (hist_ ? static_cast<size_t>(completed_) : 0);
    bool finite = std::isfinite(out_.value);
    for (size_t i = 0; i < n_ && finite; ++i) finite = std::isfinite(u_[i]) || (u_[i] == -kInf && !(p_.a[i] > 0));
    for (size_t j = 0; j < m_ && finite; ++j) finite = std::isfinite(finalV_[j]) || (finalV_[j] == -kInf && !(p_.b[j] > 0));
    if (!finite) status_ = Status::Diverged;
    out_.status = status_;
    return status_;
  }
};

}  // namespace

template <typename T>
Status sinkhornSolve(const SinkhornProblem<T>& p, SinkhornResult<T>& out) {
  if (!p.M || !p.a || !p.b || !out.plan || !out.logU || !out.logV || p.n == 0 || p.m == 0 || !(p.reg > 0) ||
      p.maxIter < 1 || !(p.tol >= 0))
    return Status::BadArgument;
  Forward<T> f(p, out, teamSize(p.n, p.m));
  return f.run();
}

template Status sinkhornSolve<float>(const SinkhornProblem<float>&, SinkhornResult<float>&);
template Status sinkhornSolve<double>(const SinkhornProblem<double>&, SinkhornResult<double>&);

}  // namespace ot::cpu
