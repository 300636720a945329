// Scratch arrays for the 1-D kernels' large per-call buffers: from 1 MiB up they are 2 MiB-aligned
// and advised as transparent huge pages (Linux), so first touch costs a page fault per 2 MiB rather
// than per 4 KiB (on 1e6-atom samples the faults took longer than the sorts themselves).
#pragma once
#include <cstddef>
#include <cstdlib>
#include <new>
#include <utility>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace ot::cpu {

template <typename T>
class ScratchArray {
 public:
  ScratchArray() = default;
  ScratchArray(const ScratchArray&) = delete;
  ScratchArray& operator=(const ScratchArray&) = delete;
  ScratchArray(ScratchArray&& o) noexcept { swap(o); }
  ScratchArray& operator=(ScratchArray&& o) noexcept {
    swap(o);
    return *this;
  }
  ~ScratchArray() { std::free(data_); }

  // n elements, contents unspecified (kept when the capacity suffices). Throws std::bad_alloc.
  void resize(size_t n) {
    if (n > capacity_) {
      std::free(data_);
      data_ = nullptr;
      capacity_ = 0;
      data_ = static_cast<T*>(allocate(n * sizeof(T)));
      capacity_ = n;
    }
    size_ = n;
  }

  void swap(ScratchArray& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(capacity_, o.capacity_);
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }

 private:
  static void* allocate(size_t bytes) {
    constexpr size_t kHuge = size_t(2) << 20;
    void* p = nullptr;
    if (bytes >= kHuge / 2) {
      const size_t rounded = (bytes + kHuge - 1) / kHuge * kHuge;
      p = std::aligned_alloc(kHuge, rounded);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
      if (p) madvise(p, rounded, MADV_HUGEPAGE);  // advice only: failure just means small pages
#endif
    } else {
      p = std::malloc(bytes == 0 ? 1 : bytes);
    }
    if (!p) throw std::bad_alloc();
    return p;
  }

  T* data_ = nullptr;
  size_t size_ = 0, capacity_ = 0;
};

}  // namespace ot::cpu
