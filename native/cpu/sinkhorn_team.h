// The thread team of one Sinkhorn solve or adjoint: a barrier that can shrink to its first thread.
// Iterations synchronise twice each, so on an oversubscribed machine (other processes holding the
// cores) the members spend their time waiting for each other; one thread is then faster than
// several in lockstep, and the team goes solo for the rest of the call.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "common/parallel.h"

namespace ot::cpu::sk {

class Team {
 public:
  explicit Team(int nt) : nt_(nt), barrier_(nt), waits_(new Wait[nt]) {}

  // Threads still working: the team's size, or 1 once solo.
  int size() const { return solo_.load(std::memory_order_relaxed) ? 1 : nt_; }

  void sync(int tid) {
    if (nt_ == 1 || solo_.load(std::memory_order_relaxed)) return;  // only thread 0 (no barrier, no clock reads)
    auto t0 = Clock::now();
    barrier_.wait();
    waits_[tid].ns.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count(),
                             std::memory_order_relaxed);
  }

  // Thread 0, once every member is running (thread start-up is not waiting).
  void startClock() {
    for (int t = 0; t < nt_; ++t) waits_[t].ns.store(0, std::memory_order_relaxed);
    start_ = Clock::now();
  }

  // Thread 0, before a sync(): proposes going solo when the members have spent more than half of
  // the time since startClock() waiting. Read by everyone through leave() after that sync().
  void propose() {
    if (nt_ == 1 || proposal_) return;
    const int64_t total = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_).count();
    if (total < 150000) return;  // judge over 150 microseconds at least (about 20 iterations at 300 x 300)
    int64_t waited = 0;
    for (int t = 0; t < nt_; ++t) waited += waits_[t].ns.load(std::memory_order_relaxed);
    if (waited > total / 2 * nt_) proposal_ = 1;
  }

  // Every thread, right after the sync() that followed propose() (read size() before): true for the
  // threads that must return now; thread 0 stays and owns every row and column from then on.
  bool leave(int tid) {
    if (!proposal_) return false;
    if (tid != 0) return true;
    solo_.store(true, std::memory_order_relaxed);  // the others return without another barrier
    return false;
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct alignas(64) Wait {
    std::atomic<int64_t> ns{0};
  };
  const int nt_;
  SpinBarrier barrier_;
  std::unique_ptr<Wait[]> waits_;
  Clock::time_point start_ = Clock::now();
  int proposal_ = 0;  // written by thread 0 before a barrier, read by all after it
  std::atomic<bool> solo_{false};
};

}  // namespace ot::cpu::sk
