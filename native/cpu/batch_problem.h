// Per-problem runs of the batched Sinkhorn solver (see batch_sinkhorn.cc for the batch schedule): one
// thread's scratch, the iterations and checks of one problem at a time, and its plan, values and status.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "common/parallel.h"
#include "cpu/batch_log_absorbed.h"
#include "cpu/batch_sinkhorn.h"
#include "cpu/batch_sinkhorn_ops.h"

namespace ot::cpu::batch {

constexpr int64_t kCheckEvery = 10;  // POT: `if n_iters % 10 == 0`

// State of one batched solve shared by the threads; a problem's entries are touched by one thread at a time.
template <typename T>
struct BatchState {
  const T* M;
  const T* a;
  const T* b;
  const BatchSinkhornParams& p;
  BatchSinkhornOut<T>& out;
  CancelFlag cancel;
  std::vector<int64_t> done, okAt, finishedAt;  // iterations run; converged checkpoint or -1; done when finished
  std::vector<uint8_t> dead;                    // a non-finite marginal error was seen
  FirstFailure failure;

  BatchState(const T* M_, const T* a_, const T* b_, const BatchSinkhornParams& p_, BatchSinkhornOut<T>& out_,
             CancelFlag cancel_)
      : M(M_), a(a_), b(b_), p(p_), out(out_), cancel(cancel_), done(p_.B, 0), okAt(p_.B, -1), finishedAt(p_.B, -1),
        dead(p_.B, 0) {}
  void fail(Status s) { failure.fail(s); }
};

// One thread's runner: its scratch (kernel, vectors, absorbed kernel) and the per-problem steps.
template <typename T>
class ProblemRunner {
 public:
  explicit ProblemRunner(BatchState<T>& s)
      : s_(s), M_(s.M), a_(s.a), b_(s.b), p_(s.p), out_(s.out), cancel_(s.cancel), done_(s.done), okAt_(s.okAt),
        finishedAt_(s.finishedAt), dead_(s.dead), w_(s.p.n, s.p.m, false), z_(s.p.n, s.p.m) {}

  // Iterates problem pb from where it stands (see advance below).
  void run(size_t pb, int64_t target) {
    okAt_[pb] = -1;
    z_.reset();
    load(w_, pb);
    if (logDomain()) advanceLog(w_, z_, pb, target);
    else advanceScaling(w_, pb, target);
  }
  // Plan, values and status of pb: `loaded` when pb's kernel is still in the scratch (right after run).
  void finish(size_t pb, bool loaded) {
    if (!loaded) load(w_, pb);
    finishLoaded(w_, pb);
  }
  // Starts streaming pb's costs into L2.
  void prefetch(size_t pb) const {
    const char* p = reinterpret_cast<const char*>(M_ + pb * p_.n * p_.m);
    const size_t bytes = p_.n * p_.m * sizeof(T);
    for (size_t off = 0; off < bytes; off += 64) __builtin_prefetch(p + off, 0, 2);
  }
  // Work done so far: arithmetic operations and exp/log evaluations.
  double flops() const { return w_.flops + (2.0 * z_.matvecs + 2.0 * z_.expPasses) * p_.n * p_.m; }
  double transcendentals() const { return w_.transcendentals + static_cast<double>(z_.expPasses) * p_.n * p_.m; }

 private:
  bool logDomain() const { return p_.solver == BatchSolver::LogSinkhorn; }
  T* pot0(size_t pb) const { return out_.pot0 + pb * p_.n; }
  T* pot1(size_t pb) const { return out_.pot1 + pb * p_.m; }

  void load(Workspace<T>& w, size_t pb) {
    const size_t n = p_.n, m = p_.m;
    loadKernel(M_ + pb * n * m, static_cast<T>(p_.reg), !logDomain(), n, m, w.K.data(), w.Kt.data());
    w.tally(1, logDomain() ? 0 : 1);
    if (logDomain()) logWeights(a_ + pb * n, b_ + pb * m, n, m, w.la.data(), w.lb.data());
    w.haveLseU = w.haveLseV = false;
  }

  // lse[i] = LSE_j(K_ij + v_j) (into w.lseU), single-pass when the previous one is a usable shift.
  void lseOfU(Workspace<T>& w, const T* v) { columnLseInto(w, w.Kt.data(), v, p_.m, p_.n, w.lseU.data(), w.haveLseU); }

  // lse[j] = LSE_i(K_ij + u_i) (into w.lseV).
  void lseOfV(Workspace<T>& w, const T* u) { columnLseInto(w, w.K.data(), u, p_.n, p_.m, w.lseV.data(), w.haveLseV); }

  // lse[c] = LSE_r(A_rc + x_r) over the rows of A [rows × cols], into `lse`; the previous lse (when
  // `have`) is tried first as the shift of a single pass.
  void columnLseInto(Workspace<T>& w, const T* A, const T* x, size_t rows, size_t cols, T* lse, bool& have) {
    T* t = w.tmp.data();
    if (have) w.tally(3, 1);
    if (!(have && columnLseShifted(A, x, rows, cols, lse, w.acc.data(), t))) {
      columnLse(A, x, rows, cols, w.mx.data(), w.acc.data(), t);
      w.tally(5, 1);
    }
    std::copy(t, t + cols, lse);
    have = true;
  }

  // One Sinkhorn iteration (u then v update), appended to the trace when recording. `uLseReady`: the
  // u-update's LSE is already in w.lseU (computed by the previous checkpoint's marginal check).
  void iterate(Workspace<T>& w, size_t pb, bool record, bool uLseReady = false) {
    const size_t n = p_.n, m = p_.m;
    T* u = pot0(pb);
    T* v = pot1(pb);
    T* rec = nullptr;
    if (record) {
      auto& steps = out_.trace->steps[pb];
      size_t at = steps.size();
      steps.resize(at + n + m);
      rec = steps.data() + at;
    }
    if (logDomain()) {
      if (!uLseReady) lseOfU(w, v);  // u = log a - LSE_j(K + v)
      for (size_t i = 0; i < n; ++i) u[i] = w.la[i] - w.lseU[i];
      if (rec) for (size_t i = 0; i < n; ++i) rec[i] = -w.lseU[i];
      lseOfV(w, u);                  // v = log b - LSE_i(K + u)
      for (size_t j = 0; j < m; ++j) v[j] = w.lb[j] - w.lseV[j];
      if (rec) for (size_t j = 0; j < m; ++j) rec[n + j] = -w.lseV[j];
    } else {
      T* t = w.tmp.data();
      const T* a = a_ + pb * n;
      const T* b = b_ + pb * m;
      columnDot(w.Kt.data(), v, m, n, t);  // f = a / (K g)
      for (size_t i = 0; i < n; ++i) u[i] = a[i] / t[i];
      columnDot(w.K.data(), u, n, m, t);   // g = b / (K^T f)
      for (size_t j = 0; j < m; ++j) v[j] = b[j] / t[j];
      w.tally(4, 0);
      if (rec) {
        std::copy(u, u + n, rec);
        std::copy(v, v + m, rec + n);
      }
    }
  }

  // POT's check from the next u-update's LSE, which the log solver needs anyway:
  // sum_j exp(K_ij + u_i + v_j) = exp(u_i + LSE_j(K_ij + v_j)). Leaves that LSE in w.lseU.
  double marginalErrorAhead(Workspace<T>& w, size_t pb) {
    const size_t n = p_.n;
    lseOfU(w, pot1(pb));
    const T* u = pot0(pb);
    T* rs = w.acc.data();
    for (size_t i = 0; i < n; ++i) rs[i] = fastExp(u[i] + w.lseU[i]);
    return distanceTo(rs, a_ + pb * n, n);
  }

  static double distanceTo(const T* rs, const T* a, size_t n) {
    double e = 0;
    for (size_t i = 0; i < n; ++i) {
      double d = static_cast<double>(rs[i]) - static_cast<double>(a[i]);
      e += d * d;
    }
    return std::sqrt(e);
  }

  // POT's check: || sum_j T_ij - a_i ||_2 for the current iterate.
  double marginalError(Workspace<T>& w, size_t pb) {
    const size_t n = p_.n, m = p_.m;
    T* rs = w.acc.data();
    if (logDomain()) {
      columnExpSum(w.Kt.data(), pot0(pb), pot1(pb), m, n, rs);
      w.tally(3, 1);
    } else {
      columnDot(w.Kt.data(), pot1(pb), m, n, rs);
      for (size_t i = 0; i < n; ++i) rs[i] *= pot0(pb)[i];
      w.tally(2, 0);
    }
    return distanceTo(rs, a_ + pb * n, n);
  }

  // advance*: iterate problem pb until its first checkpoint at or after `target` with error below tol
  // (okAt), max_iter, a non-finite error (dead) or cancellation. Checkpoints before `target` cannot end the
  // batch. The log solver still evaluates them (its check is the next update's first half, so it is free)
  // and restarts its caches and absorbed kernel at every converged one, exactly as resuming there in a
  // later round would: a problem's results then depend only on its own data and iteration count, not on
  // the batch around it or on thread timing.

  // Checkpoint outcome: keep going, restart the caches (converged before target), or stop.
  enum class At { Go, Restart, Stop };
  template <class Error>
  At checkpoint(int64_t it, int64_t target, size_t pb, bool evaluateEarly, Error error) {
    if (it % kCheckEvery != 0) return At::Go;
    if (cancel_.raised()) {
      s_.fail(Status::Aborted);
      return At::Stop;
    }
    if (it < target && !evaluateEarly) return At::Go;
    double err = error();
    if (!std::isfinite(err)) {
      dead_[pb] = 1;
      return At::Stop;
    }
    if (!(err < p_.tol)) return At::Go;
    if (it < target) return At::Restart;
    okAt_[pb] = it;
    return At::Stop;
  }

  void advanceScaling(Workspace<T>& w, size_t pb, int64_t target) {
    const bool record = p_.record != BatchRecord::None;
    while (done_[pb] < p_.maxIter) {
      iterate(w, pb, record);
      const int64_t it = done_[pb]++;
      if (checkpoint(it, target, pb, false, [&] { return marginalError(w, pb); }) == At::Stop) return;
    }
  }

  // The log solver: on an absorbed kernel (same iterates; see batch_log_absorbed.h) unless recording for
  // the adjoint or after repeated refused steps; then plain log-domain updates.
  void advanceLog(Workspace<T>& w, AbsorbedLog<T>& z, size_t pb, int64_t target) {
    const bool record = p_.record != BatchRecord::None;
    const T* a = a_ + pb * p_.n;
    T* u = pot0(pb);
    T* v = pot1(pb);
    bool direct = record, uLseReady = false;
    int refusals = 0;
    // Absorbing the current potentials (POT's u = v = 0 at the start) is safe unless exp(K) underflows for a
    // small reg; then the first step is refused and redone in the log domain.
    if (!direct) z.absorb(w.K.data(), w.Kt.data(), u, v);
    while (done_[pb] < p_.maxIter) {
      if (direct) {
        iterate(w, pb, record, uLseReady);
      } else if (!z.iterate(a, b_ + pb * p_.m)) {
        z.sync(u, v);  // the last accepted iterate
        iterate(w, pb, false);
        if (++refusals >= 2) {
          direct = true;
          z.reset();
        } else {
          z.absorb(w.K.data(), w.Kt.data(), u, v);
        }
      } else if (z.drifted()) {
        z.sync(u, v);
        z.absorb(w.K.data(), w.Kt.data(), u, v);
      }
      uLseReady = false;
      const int64_t it = done_[pb]++;
      const bool ahead = done_[pb] < p_.maxIter;
      At at = checkpoint(it, target, pb, true, [&] {
        if (!direct) {
          T* rs = w.acc.data();
          z.rowSums(rs);
          return distanceTo(rs, a, p_.n);
        }
        uLseReady = ahead;  // the check doubles as the next u-update
        return ahead ? marginalErrorAhead(w, pb) : marginalError(w, pb);
      });
      if (at == At::Stop) break;
      if (at == At::Restart) {
        if (!direct) z.sync(u, v);
        w.haveLseU = w.haveLseV = uLseReady = false;
        refusals = 0;
        direct = record;
        if (!direct) z.absorb(w.K.data(), w.Kt.data(), u, v);
      }
    }
    if (z.active() && !direct) z.sync(u, v);
  }

  // POT's grad='last_step' update (when asked), then plan, values and the problem's status; w holds pb's kernel.
  // The plan always comes from the potentials, so a problem's results do not depend on where it was finished.
  void finishLoaded(Workspace<T>& w, size_t pb) {
    const size_t n = p_.n, m = p_.m;
    finishedAt_[pb] = done_[pb];
    if (p_.record == BatchRecord::LastStep && !dead_[pb]) iterate(w, pb, true);
    const T* Mp = M_ + pb * n * m;
    const T* a = a_ + pb * n;
    const T* b = b_ + pb * m;
    const T* u = pot0(pb);
    const T* v = pot1(pb);
    // Without an output plan (built later, when read: batchSinkhornPlans) each row goes to scratch.
    T* plan = out_.plan ? out_.plan + pb * n * m : nullptr;
    // Σ T log T from the potentials instead of a log per entry: log T_ij = -M_ij/reg + log u_i + log v_j
    // (log u = pot0 for the log solver, log f for the scaling one), so Σ T log T = -<M, T>/reg +
    // Σ_i r_i log u_i + Σ_j c_j log v_j with the plan's row and column sums r, c; KL's reference a bᵀ
    // subtracts Σ r_i log a_i + Σ c_j log b_j. POT's log(T + 1e-16) differs only on entries below 1e-16,
    // by less than 1e-16 · nm · |log 1e-16| in all (< 1e-14 relative at 4096 entries), and an empty row
    // or column counts 0 (where POT's 0 · log 0 is 0 as well).
    const bool kl = p_.regType == BatchRegType::KL;
    double* accLin = w.dsum.data();
    double* colMass = accLin + m;
    for (size_t j = 0; j < m; ++j) accLin[j] = colMass[j] = 0;
    double rowLog = 0;
    for (size_t i = 0; i < n; ++i) {
      T* row = plan ? plan + i * m : w.tmp.data();
      planRow(w.K.data() + i * m, u[i], v, m, logDomain(), row);
      const double ri = rowTerms(Mp + i * m, row, accLin, colMass);
      if (ri > 0) rowLog += ri * (logPotential(u[i]) - (kl ? std::log(static_cast<double>(a[i])) : 0.0));
    }
    w.tally(6, logDomain() ? 1 : 0);  // plan (exp in the log domain), <M, T>, row and column sums
    double lin = 0, colLog = 0;
    for (size_t j = 0; j < m; ++j) {
      lin += accLin[j];
      if (colMass[j] > 0) colLog += colMass[j] * (logPotential(v[j]) - (kl ? std::log(static_cast<double>(b[j])) : 0.0));
    }
    const double r = rowLog + colLog - lin / p_.reg;
    out_.valueLinear[pb] = static_cast<T>(lin);
    out_.value[pb] = static_cast<T>(lin + p_.reg * r);
    out_.iters[pb] = static_cast<int32_t>(done_[pb] - 1);

    bool finite = std::isfinite(lin) && std::isfinite(r);
    for (size_t i = 0; i < n && finite; ++i) finite = std::isfinite(u[i]) || a[i] == 0;
    for (size_t j = 0; j < m && finite; ++j) finite = std::isfinite(v[j]) || b[j] == 0;
    Status s = Status::MaxIter;
    if (dead_[pb] || !finite) s = Status::Diverged;
    else if (okAt_[pb] >= 0 || marginalError(w, pb) < p_.tol) s = Status::Ok;  // max_iter may still meet tol
    out_.status[pb] = static_cast<int32_t>(s);
  }

  // log u of a potential as POT's solver holds it: u itself (log solver) or the log of the scaling f.
  double logPotential(T x) const { return logDomain() ? static_cast<double>(x) : std::log(static_cast<double>(x)); }

  // Accumulates M_ij T_ij and T_ij into the column sums; returns the row's sum.
  OT_WIDE_VECTORS double rowTerms(const T* __restrict Mrow, const T* __restrict t, double* __restrict accLin,
                                  double* __restrict colMass) const {
    const size_t m = p_.m;
    for (size_t j = 0; j < m; ++j) {
      accLin[j] += static_cast<double>(Mrow[j] * t[j]);
      colMass[j] += static_cast<double>(t[j]);
    }
    // The row's sum in vector lanes (a scalar double sum would not vectorise: no reassociation).
    using S = gemm::Simd<T>;
    typename S::V acc{};
    size_t j = 0;
    for (; j + S::L <= m; j += S::L) acc += S::load(t + j);
    double ri = static_cast<double>(S::sum(acc));
    for (; j < m; ++j) ri += static_cast<double>(t[j]);
    return ri;
  }

  BatchState<T>& s_;
  const T* M_;
  const T* a_;
  const T* b_;
  const BatchSinkhornParams& p_;
  BatchSinkhornOut<T>& out_;
  CancelFlag cancel_;
  std::vector<int64_t>& done_;
  std::vector<int64_t>& okAt_;
  std::vector<int64_t>& finishedAt_;
  std::vector<uint8_t>& dead_;
  Workspace<T> w_;
  AbsorbedLog<T> z_;
};

}  // namespace ot::cpu::batch
