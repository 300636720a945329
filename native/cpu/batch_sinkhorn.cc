// Forward batched Sinkhorn (POT: ot.batch.solve_batch): whole problems per thread, POT's stopping rule
// (marginal error checked after iterations 0, 10, 20, ...; the batch stops when its largest error is
// below tol) reproduced without lock-step: each problem runs to its first converged checkpoint at or
// after the latest such checkpoint seen so far, then the ones left behind catch up to the batch's, so
// each problem does exactly POT's iterations.
#include "cpu/batch_sinkhorn.h"

#include <atomic>
#include <mutex>
#include <cmath>
#include <new>

#include "common/parallel.h"
#include "cpu/batch_log_absorbed.h"
#include "cpu/batch_sinkhorn_ops.h"

namespace ot::cpu {
namespace {

using batch::AbsorbedLog;
using batch::Workspace;
constexpr int64_t kCheckEvery = 10;  // POT: `if n_iters % 10 == 0`

// One thread's scratch: the problem's kernel and vectors, and the absorbed kernel of the log solver.
template <typename T>
struct Scratch {
  Workspace<T> w;
  AbsorbedLog<T> z;
  Scratch(size_t n, size_t m) : w(n, m, false), z(n, m) {}
};

template <typename T>
class ForwardSolver {
 public:
  ForwardSolver(const T* M, const T* a, const T* b, const BatchSinkhornParams& p, BatchSinkhornOut<T>& out,
                CancelFlag cancel)
      : M_(M), a_(a), b_(b), p_(p), out_(out), cancel_(cancel), done_(p.B, 0), okAt_(p.B, -1), finishedAt_(p.B, -1),
        dead_(p.B, 0) {}

  Status run() {
    const size_t B = p_.B, n = p_.n, m = p_.m;
    // POT starts from u = v = 0 (log solver) or f = g = 1 (scaling solver).
    const T start = logDomain() ? T(0) : T(1);
    for (size_t k = 0; k < B * n; ++k) out_.pot0[k] = start;
    for (size_t k = 0; k < B * m; ++k) out_.pot1[k] = start;
    if (out_.trace) {
      out_.trace->B = B, out_.trace->n = n, out_.trace->m = m;
      out_.trace->steps.assign(B, {});
    }
    if (p_.record != BatchRecord::None)
      for (size_t pb = 0; pb < B; ++pb) out_.trace->steps[pb].assign(m, start);

    std::vector<size_t> pending(B);
    for (size_t pb = 0; pb < B; ++pb) pending[pb] = pb;
    int64_t target = 0;
    const bool batchRule = p_.stop == BatchStop::Batch;
    for (int round = 0; !pending.empty(); ++round) {
      forEach(pending, [&](Scratch<T>& sc, size_t pb) {
        // Under 'batch' the stop is at least every first-converged checkpoint found so far, so later
        // problems run straight there instead of stopping early and catching up in another round.
        const int64_t from = batchRule ? std::max(target, known_.load()) : target;
        advance(sc, pb, from);
        const int64_t reached = (dead_[pb] || okAt_[pb] < 0) ? p_.maxIter - 1 : okAt_[pb];
        int64_t k = known_.load();
        while (reached > k && !known_.compare_exchange_weak(k, reached)) {
        }
        // Results are computed while the kernel is hot when this is likely the problem's final state:
        // always under 'problem'; under 'batch' when it reached the latest stop known. The final pass
        // (re)does the others.
        const bool final = !batchRule || round > 0 || reached >= known_.load();
        if (final && p_.record == BatchRecord::None && failed_ == Status::Ok) finishLoaded(sc.w, pb);
      });
      if (failed_ != Status::Ok) return failed_.load();
      if (p_.stop == BatchStop::Problem) break;
      // The batch can stop no earlier than the latest first-converged checkpoint; a problem that never
      // converges (or diverged: POT's NaN error never passes `err < tol`) keeps everyone to max_iter.
      int64_t next = target;
      for (size_t pb = 0; pb < B; ++pb) next = std::max(next, (dead_[pb] || okAt_[pb] < 0) ? p_.maxIter - 1 : okAt_[pb]);
      pending.clear();
      for (size_t pb = 0; pb < B; ++pb)
        if (!dead_[pb] && done_[pb] < p_.maxIter && okAt_[pb] != next) pending.push_back(pb);
      target = next;
    }
    out_.nIter = 0;
    for (size_t pb = 0; pb < B; ++pb) out_.nIter = std::max(out_.nIter, done_[pb] - 1);
    if (p_.stop == BatchStop::Batch)
      for (size_t pb = 0; pb < B; ++pb)
        if (dead_[pb]) out_.nIter = p_.maxIter - 1;

    std::vector<size_t> rest;
    for (size_t pb = 0; pb < B; ++pb)
      if (finishedAt_[pb] != done_[pb]) rest.push_back(pb);
    forEach(rest, [&](Scratch<T>& sc, size_t pb) {
      load(sc.w, pb);
      finishLoaded(sc.w, pb);
    });
    if (failed_ != Status::Ok) return failed_.load();
    Status overall = Status::Ok;
    for (size_t pb = 0; pb < B; ++pb) {
      Status s = static_cast<Status>(out_.status[pb]);
      if (s == Status::Diverged) overall = Status::Diverged;
      else if (s == Status::MaxIter && overall == Status::Ok) overall = Status::MaxIter;
    }
    return overall;
  }

 private:
  bool logDomain() const { return p_.solver == BatchSolver::LogSinkhorn; }
  T* pot0(size_t pb) const { return out_.pot0 + pb * p_.n; }
  T* pot1(size_t pb) const { return out_.pot1 + pb * p_.m; }

  // Runs body(workspace, problem) over `list` on a team; each thread takes whole problems.
  template <class Body>
  void forEach(const std::vector<size_t>& list, Body body) {
    std::atomic<size_t> next{0};
    double work = static_cast<double>(list.size()) * p_.n * p_.m * 40.0;
    int nt = std::min<int>(teamSizeFor(work), static_cast<int>(std::max<size_t>(list.size(), 1)));
    runTeam(nt, [&](int, int) {
      try {
        const size_t step = static_cast<size_t>(nt);
        Scratch<T> sc(p_.n, p_.m);
        for (size_t k = next.fetch_add(1); k < list.size() && failed_ == Status::Ok; k = next.fetch_add(1)) {
          // This thread's next problem is probably nt items on: start streaming its costs into L2 now.
          if (k + step < list.size()) prefetchCosts(list[k + step]);
          body(sc, list[k]);
        }
        sc.w.tally(2.0 * sc.z.matvecs + 2.0 * sc.z.expPasses, static_cast<double>(sc.z.expPasses));
        std::lock_guard<std::mutex> lock(workMutex_);
        out_.flops += sc.w.flops;
        out_.transcendentals += sc.w.transcendentals;
      } catch (const std::bad_alloc&) {
        fail(Status::OutOfMemory);
      }
    });
  }

  void prefetchCosts(size_t pb) const {
    const char* p = reinterpret_cast<const char*>(M_ + pb * p_.n * p_.m);
    const size_t bytes = p_.n * p_.m * sizeof(T);
    for (size_t off = 0; off < bytes; off += 64) __builtin_prefetch(p + off, 0, 2);
  }

  void fail(Status s) {
    Status ok = Status::Ok;
    failed_.compare_exchange_strong(ok, s);
  }

  void load(Workspace<T>& w, size_t pb) {
    const size_t n = p_.n, m = p_.m;
    batch::loadKernel(M_ + pb * n * m, static_cast<T>(p_.reg), !logDomain(), n, m, w.K.data(), w.Kt.data());
    w.tally(1, logDomain() ? 0 : 1);
    if (logDomain()) batch::logWeights(a_ + pb * n, b_ + pb * m, n, m, w.la.data(), w.lb.data());
    w.haveLseU = w.haveLseV = false;
  }

  // lse[i] = LSE_j(K_ij + v_j) (into w.lseU), single-pass when the previous one is a usable shift.
  void lseOfU(Workspace<T>& w, const T* v) {
    const size_t n = p_.n, m = p_.m;
    T* t = w.tmp.data();
    if (w.haveLseU) w.tally(3, 1);
    if (!(w.haveLseU && batch::columnLseShifted(w.Kt.data(), v, m, n, w.lseU.data(), w.acc.data(), t))) {
      batch::columnLse(w.Kt.data(), v, m, n, w.mx.data(), w.acc.data(), t);
      w.tally(5, 1);
    }
    std::copy(t, t + n, w.lseU.data());
    w.haveLseU = true;
  }

  // lse[j] = LSE_i(K_ij + u_i) (into w.lseV).
  void lseOfV(Workspace<T>& w, const T* u) {
    const size_t n = p_.n, m = p_.m;
    T* t = w.tmp.data();
    if (w.haveLseV) w.tally(3, 1);
    if (!(w.haveLseV && batch::columnLseShifted(w.K.data(), u, n, m, w.lseV.data(), w.acc.data(), t))) {
      batch::columnLse(w.K.data(), u, n, m, w.mx.data(), w.acc.data(), t);
      w.tally(5, 1);
    }
    std::copy(t, t + m, w.lseV.data());
    w.haveLseV = true;
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
      batch::columnDot(w.Kt.data(), v, m, n, t);  // f = a / (K g)
      for (size_t i = 0; i < n; ++i) u[i] = a[i] / t[i];
      batch::columnDot(w.K.data(), u, n, m, t);   // g = b / (K^T f)
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
      batch::columnExpSum(w.Kt.data(), pot0(pb), pot1(pb), m, n, rs);
      w.tally(3, 1);
    } else {
      batch::columnDot(w.Kt.data(), pot1(pb), m, n, rs);
      for (size_t i = 0; i < n; ++i) rs[i] *= pot0(pb)[i];
      w.tally(2, 0);
    }
    return distanceTo(rs, a_ + pb * n, n);
  }

  // Iterates problem pb until its first checkpoint at or after `target` with error below tol (okAt),
  // max_iter, a non-finite error (dead) or cancellation. Checkpoints before `target` cannot end the batch.
  // The log solver still evaluates them (its check is the next update's first half, so it is free) and
  // restarts its caches and absorbed kernel at every converged one, exactly as resuming there in a later
  // round would: a problem's results then depend only on its own data and iteration count, not on the
  // batch around it or on thread timing.
  void advance(Scratch<T>& sc, size_t pb, int64_t target) {
    okAt_[pb] = -1;
    sc.z.reset();
    load(sc.w, pb);
    if (logDomain()) advanceLog(sc, pb, target);
    else advanceScaling(sc.w, pb, target);
  }

  // Checkpoint outcome: keep going, restart the caches (converged before target), or stop.
  enum class At { Go, Restart, Stop };
  template <class Error>
  At checkpoint(int64_t it, int64_t target, size_t pb, bool evaluateEarly, Error error) {
    if (it % kCheckEvery != 0) return At::Go;
    if (cancel_.raised()) {
      fail(Status::Aborted);
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
  void advanceLog(Scratch<T>& sc, size_t pb, int64_t target) {
    Workspace<T>& w = sc.w;
    AbsorbedLog<T>& z = sc.z;
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
    T* plan = out_.plan + pb * n * m;
    const T eps = T(1e-16);  // POT: log(T + 1e-16)
    const bool kl = p_.regType == BatchRegType::KL;
    double* accLin = w.dsum.data();
    double* accReg = accLin + m;
    for (size_t j = 0; j < m; ++j) accLin[j] = accReg[j] = 0;
    for (size_t i = 0; i < n; ++i) {
      planRow(w.K.data() + i * m, u[i], v, plan + i * m);
      rowTerms(Mp + i * m, plan + i * m, a[i], b, kl, eps, accLin, accReg);
    }
    w.tally(7, logDomain() ? 2 : 1);  // plan (exp in the log domain), <M, T>, T log(T + eps)
    double lin = 0, r = 0;
    for (size_t j = 0; j < m; ++j) lin += accLin[j], r += accReg[j];
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

  // T_ij = exp(K_ij + u + v_j) (POT: exp(K + u[:, :, None] + v[:, None, :])) or K_ij f g_j.
  OT_WIDE_VECTORS void planRow(const T* __restrict K, T u, const T* __restrict v, T* __restrict out) const {
    const size_t m = p_.m;
    if (logDomain()) {
      for (size_t j = 0; j < m; ++j) out[j] = fastExp(K[j] + u + v[j]);
    } else {
      for (size_t j = 0; j < m; ++j) out[j] = K[j] * u * v[j];
    }
  }

  // Accumulates M_ij T_ij and the regulariser term: T log(T + eps) (entropy) or T log(T/(a_i b_j) + eps)
  // (KL; an empty entry counts 0, where POT's 0/0 would give NaN).
  OT_WIDE_VECTORS void rowTerms(const T* __restrict Mrow, const T* __restrict t, T ai, const T* __restrict b, bool kl,
                                T eps, double* __restrict accLin, double* __restrict accReg) const {
    const size_t m = p_.m;
    for (size_t j = 0; j < m; ++j) accLin[j] += static_cast<double>(Mrow[j] * t[j]);
    if (kl) {
      for (size_t j = 0; j < m; ++j) {
        const T d = ai * b[j];  // d = 0 only where t = 0: divide by 1 there instead of making 0/0
        accReg[j] += static_cast<double>(t[j] * fastLog(t[j] / (d > T(0) ? d : T(1)) + eps));
      }
    } else {
      for (size_t j = 0; j < m; ++j) accReg[j] += static_cast<double>(t[j] * fastLog(t[j] + eps));
    }
  }

  const T* M_;
  const T* a_;
  const T* b_;
  const BatchSinkhornParams& p_;
  BatchSinkhornOut<T>& out_;
  CancelFlag cancel_;
  std::vector<int64_t> done_, okAt_, finishedAt_;
  std::vector<uint8_t> dead_;
  std::atomic<Status> failed_{Status::Ok};
  std::atomic<int64_t> known_{0};  // largest first-converged checkpoint seen: a lower bound of the batch's stop
  std::mutex workMutex_;
};

}  // namespace

template <typename T>
Status batchSinkhorn(const T* M, const T* a, const T* b, const BatchSinkhornParams& p, BatchSinkhornOut<T>& out,
                     CancelFlag cancel) {
  if (p.B == 0 || p.n == 0 || p.m == 0 || !(p.reg > 0) || p.maxIter < 1) return Status::BadArgument;
  if (p.record != BatchRecord::None && out.trace == nullptr) return Status::BadArgument;
  ForwardSolver<T> solver(M, a, b, p, out, cancel);
  return solver.run();
}

template Status batchSinkhorn<float>(const float*, const float*, const float*, const BatchSinkhornParams&,
                                     BatchSinkhornOut<float>&, CancelFlag);
template Status batchSinkhorn<double>(const double*, const double*, const double*, const BatchSinkhornParams&,
                                      BatchSinkhornOut<double>&, CancelFlag);

}  // namespace ot::cpu
