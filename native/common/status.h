// Status codes returned by every kernel (no exceptions cross kernel or thread boundaries).
#pragma once

namespace ot {

enum class Status : int {
  Ok = 0,
  MaxIter = 1,     // stopped at maxIter before reaching tol (a result, not an error)
  Diverged = 2,    // non-finite values appeared; results are not usable
  Aborted = 3,     // the caller's cancel flag was raised
  OutOfMemory = 4, // an allocation (host or device) failed
  DeviceError = 5, // a CUDA call failed for another reason
  BadArgument = 6, // a kernel precondition failed (napi/ validates first; this is a guard)
  Infeasible = 7,  // an exact (LP) problem has no feasible plan: negative weights or unequal masses
};

inline const char* statusName(Status s) {
  switch (s) {
    case Status::Ok: return "converged";
    case Status::MaxIter: return "max_iter";
    case Status::Diverged: return "diverged";
    case Status::Aborted: return "aborted";
    case Status::OutOfMemory: return "out_of_memory";
    case Status::DeviceError: return "device_error";
    case Status::BadArgument: return "bad_argument";
    case Status::Infeasible: return "infeasible";
  }
  return "unknown";
}

// Cancellation flag shared with JS (an Int32Array over a SharedArrayBuffer); null when not cancellable.
// `stop` is the addon's own flag for the JS environment that started the job, raised when that
// environment shuts down (process.exit, worker.terminate()), so no kernel outlives it.
struct CancelFlag {
  const volatile int* flag = nullptr;
  const volatile int* stop = nullptr;
  bool raised() const {
    return (flag != nullptr && __atomic_load_n(flag, __ATOMIC_RELAXED) != 0) ||
           (stop != nullptr && __atomic_load_n(stop, __ATOMIC_RELAXED) != 0);
  }
};

}  // namespace ot
