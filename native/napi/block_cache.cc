// Large-block allocation behind newFloatArray (see block_cache.h). Thread-safe: finalizers of several
// environments (worker threads) give blocks back concurrently.
//
// A block of 2 MiB or more gets a mapping of its own in huge pages (one fault per 2 MiB instead of
// 512), kept after its array is collected (up to OT_BLOCK_CACHE_MB, 256 by default; 0 turns this off)
// for the next block of the same size; smaller ones are calloc's (carving them out of huge pages
// measured slower: the zeroing is paid up front). Node runs the finalizers of external arrays only
// when the event loop turns, so a synchronous loop of calls reuses nothing until it yields: there the
// cheaper fresh pages are what helps.
#include "napi/block_cache.h"

#include "napi/util.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <iterator>
#include <mutex>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace ot::napi {
namespace {

constexpr size_t kHuge = size_t(2) << 20;  // one transparent huge page
constexpr size_t kOwnMapping = kHuge;       // from here on a block gets a mapping of its own

// The cap on memory kept for reuse: OT_BLOCK_CACHE_MB (0: plain calloc / free for every block).
size_t capBytes() {
  static const size_t cap = [] {
    const char* s = std::getenv("OT_BLOCK_CACHE_MB");
    char* end = nullptr;
    const double mb = s && *s ? std::strtod(s, &end) : 256.0;
    return s && *s && (*end != '\0' || !(mb >= 0)) ? size_t(256) << 20 : static_cast<size_t>(mb * 1048576.0);
  }();
  return cap;
}

#if defined(__linux__)
// Fresh anonymous memory (zero-filled by the kernel) of bytes >= 2 MiB, aligned to and advised for huge pages.
void* mapBlock(size_t bytes) {
  const size_t span = bytes + kHuge;
  void* p = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  const uintptr_t start = reinterpret_cast<uintptr_t>(p);
  const uintptr_t aligned = (start + kHuge - 1) & ~(uintptr_t(kHuge) - 1);
  const size_t page = size_t(4) << 10;
  const size_t keep = (bytes + page - 1) & ~(page - 1);  // the tail is unmapped from a page boundary
  const uintptr_t end = start + span;
  if (aligned > start) munmap(p, aligned - start);
  if (end > aligned + keep) munmap(reinterpret_cast<void*>(aligned + keep), end - aligned - keep);
#if defined(MADV_HUGEPAGE)
  madvise(reinterpret_cast<void*>(aligned), keep, MADV_HUGEPAGE);
#endif
  return reinterpret_cast<void*>(aligned);
}
void unmapBlock(void* block, size_t bytes) { munmap(block, bytes); }
constexpr bool kPooling = true;
#else
void* mapBlock(size_t bytes) { return std::calloc(1, bytes); }
void unmapBlock(void* block, size_t) { std::free(block); }
constexpr bool kPooling = false;
#endif

std::mutex mu;

// Blocks of their own (>= kOwnMapping) kept for reuse, oldest first.
struct Cached {
  void* block;
  size_t bytes;
};
std::deque<Cached> cache;
size_t cachedBytes = 0;

#if defined(__GLIBC__)
constexpr size_t kTrimBytes = size_t(64) << 20;

// The next 62 MiB of malloc's main heap (the one the JS thread's callocs, V8's ArrayBuffers among
// them, come from) advised for transparent huge pages, what glibc's own glibc.malloc.hugetlb=1 does
// for its whole heap. V8 frees ArrayBuffers only at a collection, which it starts after about 64 MiB
// of them, so a loop of calls walks through that much fresh heap first: 150 × 360 KiB took 40 ms in
// 4 KiB faults here against 7 ms in 2 MiB ones. Two blocks under the mmap threshold extend the heap,
// are advised and freed; below the trim threshold the heap keeps them, and pages are only taken (2 MiB
// at a time) when touched.
void adviseHeapTop() {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr size_t kBlock = size_t(31) << 20;
  static_assert(2 * kBlock < kTrimBytes && kBlock < kV8OwnedBytes, "the blocks must come from, and stay in, the heap");
  char* first = static_cast<char*>(std::malloc(kBlock));
  char* second = static_cast<char*>(std::malloc(kBlock));
  const auto advise = [](char* from, char* to) {
    const uintptr_t start = (reinterpret_cast<uintptr_t>(from) + kHuge - 1) & ~(uintptr_t(kHuge) - 1);
    const uintptr_t end = reinterpret_cast<uintptr_t>(to) & ~(uintptr_t(kHuge) - 1);
    if (end > start) madvise(reinterpret_cast<void*>(start), end - start, MADV_HUGEPAGE);
  };
  if (first && second && second > first && second - first < static_cast<ptrdiff_t>(kBlock + 64)) {
    advise(first, second + kBlock);  // adjacent: one range, no boundary lost
  } else {
    if (first) advise(first, first + kBlock);
    if (second) advise(second, second + kBlock);
  }
  std::free(second);
  std::free(first);
#endif
}
#endif

}  // namespace

void* takeBlock(size_t bytes) {
  if (bytes < kOwnMapping || !kPooling || capBytes() == 0) return std::calloc(1, bytes);
  void* block = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (auto it = cache.rbegin(); it != cache.rend(); ++it) {  // newest first: its pages are the warmest
      if (it->bytes != bytes) continue;
      block = it->block;
      cachedBytes -= bytes;
      cache.erase(std::next(it).base());
      break;
    }
  }
  if (!block) return mapBlock(bytes);
  std::memset(block, 0, bytes);
  return block;
}

void giveBlock(void* block, size_t bytes) {
  if (bytes < kOwnMapping || !kPooling || capBytes() == 0) {
    std::free(block);
    return;
  }
  const size_t cap = capBytes();
  std::deque<Cached> evicted;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (bytes <= cap) {
      cache.push_back({block, bytes});
      cachedBytes += bytes;
      block = nullptr;
      while (cachedBytes > cap) {
        evicted.push_back(cache.front());
        cachedBytes -= cache.front().bytes;
        cache.pop_front();
      }
    }
  }
  if (block) unmapBlock(block, bytes);
  for (const Cached& c : evicted) unmapBlock(c.block, c.bytes);
}

void tuneMalloc() {
#if defined(__GLIBC__)
  const char* off = std::getenv("OT_MALLOC_TUNING");
  if (off && std::strcmp(off, "0") == 0) return;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if ((tunables && std::strstr(tunables, "glibc.malloc.")) || std::getenv("MALLOC_MMAP_THRESHOLD_") ||
      std::getenv("MALLOC_TRIM_THRESHOLD_"))
    return;
  mallopt(M_MMAP_THRESHOLD, static_cast<int>(kV8OwnedBytes));  // the V8-owned results' sizes stay in the heap
  mallopt(M_TRIM_THRESHOLD, static_cast<int>(kTrimBytes));
  adviseHeapTop();
#endif
}

size_t retainedBytes() {
  std::lock_guard<std::mutex> lock(mu);
  return cachedBytes;
}

}  // namespace ot::napi
