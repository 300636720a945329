// Thread teams for kernels: a fixed team of workers with a spinning barrier (for iterative solvers
// that synchronise thousands of times per call) and a simple static parallel_for.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

namespace ot {

// Number of worker threads kernels may use (OT_NUM_THREADS overrides the hardware count).
int maxThreads();

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

// Runs body(tid, nthreads) on `nthreads` threads (the caller is thread 0) and joins them.
inline void runTeam(int nthreads, const std::function<void(int, int)>& body) {
  if (nthreads <= 1) {
    body(0, 1);
    return;
  }
  std::vector<std::thread> workers;
  workers.reserve(nthreads - 1);
  for (int t = 1; t < nthreads; ++t) workers.emplace_back(body, t, nthreads);
  body(0, nthreads);
  for (auto& w : workers) w.join();
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
  runTeam(t, [&](int tid, int nt) {
    Range r = splitRange(n, tid, nt);
    if (r.begin < r.end) body(r.begin, r.end);
  });
}

}  // namespace ot
