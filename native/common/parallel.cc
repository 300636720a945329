// Thread-count policy for the CPU kernels: the configured cap, and the accounting that keeps
// concurrent jobs (async calls on the libuv pool, and their thread teams) within it.
#include "common/parallel.h"

#include <condition_variable>
#include <cstdlib>
#include <mutex>

namespace ot {

int threadCap() {
  static const int n = [] {
    if (const char* env = std::getenv("OT_NUM_THREADS")) {
      int v = std::atoi(env);
      if (v > 0) return std::min(v, 256);
    }
    unsigned hw = std::thread::hardware_concurrency();
    return hw == 0 ? 1 : static_cast<int>(hw);
  }();
  return n;
}

namespace {

// Threads counted against the cap, and async jobs waiting for a slot. `busy` and `waiting` change
// under the mutex; the atomics let maxThreads() read them without it.
struct Budget {
  std::mutex mu;
  std::condition_variable freed;
  std::atomic<int> busy{0};
  std::atomic<int> waiting{0};
};

Budget& budget() {
  static Budget* b = new Budget();  // never destroyed: jobs may still run at exit
  return *b;
}

thread_local bool holdsSlot = false;

void release(int k) {
  Budget& b = budget();
  {
    std::lock_guard<std::mutex> lock(b.mu);
    b.busy.fetch_sub(k, std::memory_order_relaxed);
  }
  b.freed.notify_all();
}

}  // namespace

int maxThreads() {
  const int cap = threadCap();
  Budget& b = budget();
  if (b.waiting.load(std::memory_order_relaxed) > 0) return 1;
  const int free = cap - b.busy.load(std::memory_order_relaxed) + (holdsSlot ? 1 : 0);
  return std::max(1, std::min(cap, free));
}

JobSlot::JobSlot() {
  Budget& b = budget();
  std::unique_lock<std::mutex> lock(b.mu);
  if (b.busy.load(std::memory_order_relaxed) >= threadCap()) {
    b.waiting.fetch_add(1, std::memory_order_relaxed);
    b.freed.wait(lock, [&] { return b.busy.load(std::memory_order_relaxed) < threadCap(); });
    b.waiting.fetch_sub(1, std::memory_order_relaxed);
  }
  b.busy.fetch_add(1, std::memory_order_relaxed);
  holdsSlot = true;
}

JobSlot::~JobSlot() {
  holdsSlot = false;
  release(1);
}

TeamWorkers::TeamWorkers(int workers) : workers_(std::max(0, workers)) {
  if (workers_ > 0) budget().busy.fetch_add(workers_, std::memory_order_relaxed);
}

TeamWorkers::~TeamWorkers() {
  if (workers_ > 0) release(workers_);
}

}  // namespace ot
