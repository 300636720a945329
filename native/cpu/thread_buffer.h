// A per-call work buffer that its thread keeps between calls (up to kKeepBytes): a solve's n x m
// kernel is rebuilt on every call, and a fresh allocation of it costs a page fault per 4 KiB on first
// touch — at 300 x 300 about a tenth of a solve + adjoint. One kept buffer per thread; a call that
// finds it taken (the forward's still alive while the adjoint starts) allocates its own.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <new>

namespace ot::cpu {

template <typename T>
class ThreadBuffer {
 public:
  ThreadBuffer() = default;
  ThreadBuffer(const ThreadBuffer&) = delete;
  ThreadBuffer& operator=(const ThreadBuffer&) = delete;
  ~ThreadBuffer() { release(); }

  // Room for n elements, contents unspecified. Throws std::bad_alloc.
  void resize(size_t n) {
    release();
    const size_t bytes = n * sizeof(T) + 1;
    Kept& k = kept();
    if (!k.taken && k.bytes >= bytes) {
      k.taken = true;
      data_ = static_cast<T*>(k.data);
      fromKept_ = true;
      return;
    }
    data_ = static_cast<T*>(std::malloc(bytes));
    if (!data_) throw std::bad_alloc();
    bytes_ = bytes;
  }

  T* data() { return data_; }
  const T* data() const { return data_; }

 private:
  static constexpr size_t kKeepBytes = size_t(16) << 20;
  struct Kept {
    void* data = nullptr;
    size_t bytes = 0;
    bool taken = false;
    ~Kept() { std::free(data); }
  };
  static Kept& kept() {
    static thread_local Kept k;
    return k;
  }

  // Hands the buffer back to the thread: the kept one, or its own in place of a smaller kept one.
  void release() {
    if (!data_) return;
    Kept& k = kept();
    if (fromKept_) {
      k.taken = false;
    } else if (!k.taken && bytes_ <= kKeepBytes && bytes_ > k.bytes) {
      std::free(k.data);
      k.data = data_;
      k.bytes = bytes_;
    } else {
      std::free(data_);
    }
    data_ = nullptr;
    bytes_ = 0;
    fromKept_ = false;
  }

  T* data_ = nullptr;
  size_t bytes_ = 0;
  bool fromKept_ = false;
};

}  // namespace ot::cpu
