// Forward batched Sinkhorn (POT: ot.batch.solve_batch): whole problems per thread, POT's stopping rule
// (marginal error checked after iterations 0, 10, 20, ...; the batch stops when its largest error is
// below tol) reproduced without lock-step: each problem runs to its first converged checkpoint at or
// after the latest such checkpoint seen so far, then the ones left behind catch up to the batch's, so
// each problem does exactly POT's iterations. The per-problem steps live in batch_problem.h.
#include "cpu/batch_sinkhorn.h"

#include <atomic>
#include <mutex>
#include <new>
#include <vector>

#include "common/parallel.h"
#include "cpu/batch_problem.h"

namespace ot::cpu {
namespace {

using batch::BatchState;
using batch::ProblemRunner;

template <typename T>
class ForwardSolver {
 public:
  ForwardSolver(const T* M, const T* a, const T* b, const BatchSinkhornParams& p, BatchSinkhornOut<T>& out,
                CancelFlag cancel)
      : s_(M, a, b, p, out, cancel), p_(p), out_(out) {}

  Status run() {
    const size_t B = p_.B, n = p_.n, m = p_.m;
    // POT starts from u = v = 0 (log solver) or f = g = 1 (scaling solver).
    const T start = p_.solver == BatchSolver::LogSinkhorn ? T(0) : T(1);
    std::fill(out_.pot0, out_.pot0 + B * n, start);
    std::fill(out_.pot1, out_.pot1 + B * m, start);
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
      forEach(pending, [&](ProblemRunner<T>& r, size_t pb) {
        // Under 'batch' the stop is at least every first-converged checkpoint found so far, so later
        // problems run straight there instead of stopping early and catching up in another round.
        const int64_t from = batchRule ? std::max(target, known_.load()) : target;
        r.run(pb, from);
        const int64_t reached = reachedBy(pb);
        int64_t k = known_.load();
        while (reached > k && !known_.compare_exchange_weak(k, reached)) {
        }
        // Results are computed while the kernel is hot when this is likely the problem's final state:
        // always under 'problem'; under 'batch' when it reached the latest stop known. The final pass
        // (re)does the others.
        const bool final = !batchRule || round > 0 || reached >= known_.load();
        if (final && p_.record == BatchRecord::None && !s_.failure.failed()) r.finish(pb, true);
      });
      if (s_.failure.failed()) return s_.failure.status();
      if (!batchRule) break;
      // The batch can stop no earlier than the latest first-converged checkpoint; a problem that never
      // converges (or diverged: POT's NaN error never passes `err < tol`) keeps everyone to max_iter.
      int64_t next = target;
      for (size_t pb = 0; pb < B; ++pb) next = std::max(next, reachedBy(pb));
      pending.clear();
      for (size_t pb = 0; pb < B; ++pb)
        if (!s_.dead[pb] && s_.done[pb] < p_.maxIter && s_.okAt[pb] != next) pending.push_back(pb);
      target = next;
    }
    out_.nIter = 0;
    for (size_t pb = 0; pb < B; ++pb) out_.nIter = std::max(out_.nIter, s_.done[pb] - 1);
    if (batchRule)
      for (size_t pb = 0; pb < B; ++pb)
        if (s_.dead[pb]) out_.nIter = p_.maxIter - 1;

    std::vector<size_t> rest;
    for (size_t pb = 0; pb < B; ++pb)
      if (s_.finishedAt[pb] != s_.done[pb]) rest.push_back(pb);
    forEach(rest, [&](ProblemRunner<T>& r, size_t pb) { r.finish(pb, false); });
    if (s_.failure.failed()) return s_.failure.status();
    Status overall = Status::Ok;
    for (size_t pb = 0; pb < B; ++pb) {
      Status st = static_cast<Status>(out_.status[pb]);
      if (st == Status::Diverged) overall = Status::Diverged;
      else if (st == Status::MaxIter && overall == Status::Ok) overall = Status::MaxIter;
    }
    return overall;
  }

 private:
  // The checkpoint problem pb stopped at, with max_iter's last iteration standing for "never converged".
  int64_t reachedBy(size_t pb) const {
    return (s_.dead[pb] || s_.okAt[pb] < 0) ? p_.maxIter - 1 : s_.okAt[pb];
  }

  // Runs body(runner, problem) over `list` on a team; each thread takes whole problems.
  template <class Body>
  void forEach(const std::vector<size_t>& list, Body body) {
    std::atomic<size_t> next{0};
    double work = static_cast<double>(list.size()) * p_.n * p_.m * 40.0;
    int nt = std::min<int>(teamSizeFor(work), static_cast<int>(std::max<size_t>(list.size(), 1)));
    runTeamOrInline(nt, [&](int, int) {  // whole problems per thread: any team size will do
      try {
        const size_t step = static_cast<size_t>(nt);
        ProblemRunner<T> runner(s_);
        for (size_t k = next.fetch_add(1); k < list.size() && !s_.failure.failed(); k = next.fetch_add(1)) {
          // This thread's next problem is probably nt items on: start streaming its costs into L2 now.
          if (k + step < list.size()) runner.prefetch(list[k + step]);
          body(runner, list[k]);
        }
        std::lock_guard<std::mutex> lock(workMutex_);
        out_.flops += runner.flops();
        out_.transcendentals += runner.transcendentals();
      } catch (const std::bad_alloc&) {
        s_.fail(Status::OutOfMemory);
      }
    });
  }

  BatchState<T> s_;
  const BatchSinkhornParams& p_;
  BatchSinkhornOut<T>& out_;
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

template <typename T>
Status batchSinkhornPlans(const T* M, const T* pot0, const T* pot1, const BatchSinkhornParams& p, T* plan,
                          CancelFlag cancel) {
  if (p.B == 0 || p.n == 0 || p.m == 0 || !(p.reg > 0)) return Status::BadArgument;
  const size_t n = p.n, m = p.m;
  const bool logDomain = p.solver == BatchSolver::LogSinkhorn;
  const int nt = std::min<int>(teamSizeFor(static_cast<double>(p.B * n * m) * 8.0), static_cast<int>(p.B));
  return forEachItem(p.B, nt, cancel, [m] { return std::vector<T>(m); }, [&](std::vector<T>& K, size_t pb) {
    for (size_t i = 0; i < n; ++i) {
      const size_t row = (pb * n + i) * m;
      batch::kernelRow(M + row, static_cast<T>(p.reg), !logDomain, m, K.data());
      batch::planRow(K.data(), pot0[pb * n + i], pot1 + pb * m, m, logDomain, plan + row);
    }
    return Status::Ok;
  });
}

template Status batchSinkhornPlans<float>(const float*, const float*, const float*, const BatchSinkhornParams&, float*,
                                          CancelFlag);
template Status batchSinkhornPlans<double>(const double*, const double*, const double*, const BatchSinkhornParams&,
                                           double*, CancelFlag);
template Status batchSinkhorn<float>(const float*, const float*, const float*, const BatchSinkhornParams&,
                                     BatchSinkhornOut<float>&, CancelFlag);
template Status batchSinkhorn<double>(const double*, const double*, const double*, const BatchSinkhornParams&,
                                      BatchSinkhornOut<double>&, CancelFlag);

}  // namespace ot::cpu
