// Thread teams for kernels: a fixed team of workers with a spinning barrier (for iterative solvers
// that synchronise thousands of times per call), a simple static parallel_for, and a dynamic
// one-item-at-a-time loop (forEachItem) whose first failure stops the team.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <functional>
#include <new>
#include <system_error>
#include <thread>
#include <vector>

#include "common/status.h"

namespace ot {

// ---- The global thread cap (OT_NUM_THREADS, else the hardware count) across concurrent jobs ----
// Counted: every async job's thread (a JobSlot) and every team worker runTeam starts. Not counted:
// the JS thread running a sync call (it exists anyway).

// Threads all kernels together may use.
int threadCap();

// Threads a kernel starting on this thread may use now (itself included, >= 1): its own slot plus
// the cap's free slots, or 1 while async jobs wait for a slot (concurrent jobs then fill the cores).
// Two teams sized at the same instant may both see the same free slots; the excess lasts one call.
int maxThreads();

// Held by an async job's worker thread while the job runs: waits until the cap has a free slot, so
// N queued jobs never run more than threadCap() threads.
class JobSlot {
 public:
  JobSlot();
  ~JobSlot();
  JobSlot(const JobSlot&) = delete;
  JobSlot& operator=(const JobSlot&) = delete;
};

// Counts a team's `workers` extra threads against the cap while it lives (runTeam's).
class TeamWorkers {
 public:
  explicit TeamWorkers(int workers);
  ~TeamWorkers();
  TeamWorkers(const TeamWorkers&) = delete;
  TeamWorkers& operator=(const TeamWorkers&) = delete;

 private:
  const int workers_;
};

// Half-open range [begin, end) of `total` items owned by worker `tid` of `nthreads`.
struct Range {
  size_t begin, end;
};
inline Range splitRange(size_t total, int tid, int nthreads, size_t align = 1) {
  size_t chunk = (total + nthreads - 1) / nthreads;
  chunk = (chunk + align - 1) / align * align;
  size_t b = std::min(total, chunk * tid);
  size_t e = std::min(total, b + chunk);
  return {b, e};
}

// Sense-reversing spin barrier; spins briefly then yields so an oversubscribed machine still progresses.
class SpinBarrier {
 public:
  explicit SpinBarrier(int n) : n_(n), count_(n), sense_(0) {}
  void wait() {
    int s = sense_.load(std::memory_order_relaxed);
    if (count_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      count_.store(n_, std::memory_order_relaxed);
      sense_.store(s ^ 1, std::memory_order_release);
      return;
    }
    int spins = 0;
    while (sense_.load(std::memory_order_acquire) == s) {
      if (++spins > 4000) std::this_thread::yield();
    }
  }

 private:
  const int n_;
  std::atomic<int> count_;
  std::atomic<int> sense_;
};

// Runs body(tid, nthreads) on `nthreads` threads (the caller is thread 0) and joins them. Workers
// start only once every thread is made: when the system refuses one (std::system_error, a process or
// memory limit), the ones made leave without running body, are joined, and the error is rethrown, so
// no member ever waits at a barrier for a thread that does not exist (and nothing calls
// std::terminate). The job's runner reports it as a resource failure (ERR_OT_OOM).
inline void runTeam(int nthreads, const std::function<void(int, int)>& body) {
  if (nthreads <= 1) {
    body(0, 1);
    return;
  }
  TeamWorkers counted(nthreads - 1);
  std::vector<std::thread> workers;
  std::atomic<int> go{0};  // 1: run, -1: leave
  try {
    workers.reserve(nthreads - 1);
    for (int t = 1; t < nthreads; ++t) {
      workers.emplace_back([&go, &body, t, nthreads] {
        int g;
        while ((g = go.load(std::memory_order_acquire)) == 0) std::this_thread::yield();
        if (g > 0) body(t, nthreads);
      });
    }
  } catch (...) {
    go.store(-1, std::memory_order_release);
    for (auto& w : workers) w.join();
    throw;
  }
  go.store(1, std::memory_order_release);
  body(0, nthreads);
  for (auto& w : workers) w.join();
}

// runTeam for bodies that split their work by the `nthreads` they are given (and size nothing by the
// team asked for, beyond thread 0's share): when threads cannot be made, the caller runs it alone.
inline void runTeamOrInline(int nthreads, const std::function<void(int, int)>& body) {
  try {
    runTeam(nthreads, body);
    return;
  } catch (const std::system_error&) {
  } catch (const std::bad_alloc&) {
  }
  body(0, 1);
}

// Team size for a job of `work` scalar operations: small jobs stay on one thread.
inline int teamSizeFor(double work, double perThread = 2e5) {
  int t = static_cast<int>(work / perThread);
  return std::max(1, std::min(maxThreads(), t));
}

// Static-schedule parallel loop over [0, n) in contiguous blocks.
inline void parallelFor(size_t n, double workPerItem, const std::function<void(size_t, size_t)>& body) {
  int t = teamSizeFor(static_cast<double>(n) * workPerItem);
  t = static_cast<int>(std::min<size_t>(t, std::max<size_t>(n, 1)));
  runTeamOrInline(t, [&](int tid, int nt) {
    Range r = splitRange(n, tid, nt);
    if (r.begin < r.end) body(r.begin, r.end);
  });
}

// The first failure reported by a team's workers; later ones are dropped, so the result does not
// depend on which thread lost the race.
class FirstFailure {
 public:
  void fail(Status s) {
    Status ok = Status::Ok;
    s_.compare_exchange_strong(ok, s);
  }
  bool failed() const { return s_.load() != Status::Ok; }
  Status status() const { return s_.load(); }

 private:
  std::atomic<Status> s_{Status::Ok};
};

// Hands items [0, count) to a team of `nthreads`, one at a time (items such as the problems of a batch
// differ in cost). Each worker makes its own state once (state = makeState(): scratch buffers), then
// runs body(state, item) -> Status until the items run out or a worker failed. Returns the first
// failure: a body's status, Aborted when `cancel` is raised between items, OutOfMemory when makeState
// or body throws std::bad_alloc (no exception leaves a worker).
template <class MakeState, class Body>
Status forEachItem(size_t count, int nthreads, CancelFlag cancel, MakeState makeState, Body body) {
  std::atomic<size_t> next{0};
  FirstFailure failure;
  runTeamOrInline(nthreads, [&](int, int) {
    try {
      auto state = makeState();
      for (size_t k = next.fetch_add(1); k < count; k = next.fetch_add(1)) {
        if (failure.failed()) return;
        if (cancel.raised()) {
          failure.fail(Status::Aborted);
          return;
        }
        const Status st = body(state, k);
        if (st != Status::Ok) failure.fail(st);
      }
    } catch (const std::bad_alloc&) {
      failure.fail(Status::OutOfMemory);
    } catch (const std::system_error&) {  // a nested team could not start its threads
      failure.fail(Status::OutOfMemory);
    }
  });
  return failure.status();
}

}  // namespace ot
