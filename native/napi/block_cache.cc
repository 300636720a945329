// Large-block allocation behind newFloatArray (see block_cache.h). Thread-safe: finalizers of several
// environments (worker threads) give blocks back concurrently.
//
// Three sizes: under 64 KiB, calloc (malloc's free lists reuse such memory at once). From 64 KiB to
// 1 MiB, carved in turn from 2 MiB regions mapped in huge pages: a region costs one page fault where
// 4 KiB pages cost 512, and a region whose blocks all came back is kept for the next ones. From 1 MiB
// on, a mapping of its own in huge pages, kept after its array is collected (up to OT_BLOCK_CACHE_MB,
// 256 by default) for the next block of the same size. Node runs the finalizers of external arrays
// only when the event loop turns, so a synchronous loop of calls reuses nothing until it yields: cheap
// fresh memory (huge pages) matters as much as reuse.
#include "napi/block_cache.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <iterator>
#include <mutex>
#include <unordered_map>
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace ot::napi {
namespace {

constexpr size_t kMinPooled = size_t(64) << 10;  // below this malloc's own free lists already reuse memory
constexpr size_t kOwnMapping = size_t(1) << 20;  // from here on a block gets a mapping of its own
constexpr size_t kHuge = size_t(2) << 20;        // one transparent huge page = one carving region
constexpr size_t kAlign = 64;                    // carved blocks start on cache lines

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
// Fresh anonymous memory (zero-filled by the kernel); from 2 MiB on, aligned to and advised for huge pages.
void* mapBlock(size_t bytes) {
  if (bytes < kHuge) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : p;
  }
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
constexpr bool kPooling = false;  // regions rely on aligned mappings
#endif

std::mutex mu;

// Blocks of their own (>= kOwnMapping) kept for reuse, oldest first.
struct Cached {
  void* block;
  size_t bytes;
};
std::deque<Cached> cache;
size_t cachedBytes = 0;

// Carving regions by base address: bytes handed out so far, blocks not yet given back, and whether
// the region held blocks before (then a carved block must be cleared).
struct Region {
  size_t used = 0, live = 0;
  bool dirty = false;
};
std::unordered_map<uintptr_t, Region> regions;
uintptr_t current = 0;  // the region blocks are carved from (0: none yet)
uintptr_t spare = 0;    // one emptied region kept for when `current` fills up

uintptr_t baseOf(const void* p) { return reinterpret_cast<uintptr_t>(p) & ~(uintptr_t(kHuge) - 1); }

void* carve(size_t bytes) {
  const size_t size = (bytes + kAlign - 1) & ~(kAlign - 1);
  void* block = nullptr;
  bool dirty = false;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (current == 0 || regions.at(current).used + size > kHuge) {
      if (current != 0 && regions.at(current).live == 0) {
        regions[current] = Region{0, 0, true};  // every block came back: start it over
      } else {
        uintptr_t next = spare;
        spare = 0;
        if (next == 0) {
          void* p = mapBlock(kHuge);
          if (!p) return nullptr;
          next = reinterpret_cast<uintptr_t>(p);
          regions[next] = Region{};
        }
        current = next;
      }
    }
    Region& r = regions.at(current);
    block = reinterpret_cast<void*>(current + r.used);
    dirty = r.dirty;
    r.used += size;
    ++r.live;
  }
  if (dirty) std::memset(block, 0, bytes);
  return block;
}

void uncarve(void* block) {
  uintptr_t drop = 0;
  {
    std::lock_guard<std::mutex> lock(mu);
    const uintptr_t base = baseOf(block);
    auto it = regions.find(base);
    if (it == regions.end()) return;  // not carved here (cannot happen: the size says where it came from)
    Region& r = it->second;
    if (--r.live > 0 || base == current) return;
    if (spare == 0) {
      spare = base;
      r = Region{0, 0, true};
    } else {
      regions.erase(it);
      drop = base;
    }
  }
  if (drop) unmapBlock(reinterpret_cast<void*>(drop), kHuge);
}

}  // namespace

void* takeBlock(size_t bytes) {
  if (bytes < kMinPooled || !kPooling || capBytes() == 0) return std::calloc(1, bytes);
  if (bytes < kOwnMapping) return carve(bytes);
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
  if (bytes < kMinPooled || !kPooling || capBytes() == 0) {
    std::free(block);
    return;
  }
  if (bytes < kOwnMapping) {
    uncarve(block);
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

size_t retainedBytes() {
  std::lock_guard<std::mutex> lock(mu);
  size_t bytes = cachedBytes;
  for (const auto& [base, r] : regions)
    if (r.live == 0) bytes += kHuge;
  return bytes;
}

}  // namespace ot::napi
