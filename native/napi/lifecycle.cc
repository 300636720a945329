// Shutdown of a JS environment with async jobs in flight. Each environment (the main thread, each
// worker) owns a stop flag that every job's CancelFlag also polls. It is raised
//   - by stopJobs(), which lib/native.ts calls on process 'exit' (process.exit() and uncaught exceptions
//     join the thread pool right after, so running kernels must end first);
//   - by a libuv prepare handle that notices the environment can no longer call into JS: on
//     worker.terminate() Node waits for pending thread-pool work *before* it runs any cleanup hook,
//     turning the event loop meanwhile, so the handle's callback is the one native code that runs then;
//   - by the async cleanup hook, which also waits for executing jobs and closes the handle.
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>

#include "napi/util.h"

// The few libuv calls used here, declared rather than included: the Node-API headers the addon builds
// against ship no uv.h, while Node itself exports libuv's stable 1.x ABI to addons. The handle is
// opaque: its size comes from uv_handle_size() and its data pointer goes through the accessors.
extern "C" {
struct uv_handle_s;
typedef void (*ot_uv_cb)(struct uv_handle_s*);
size_t uv_handle_size(int type);
int uv_prepare_init(struct uv_loop_s* loop, struct uv_handle_s* prepare);
int uv_prepare_start(struct uv_handle_s* prepare, ot_uv_cb cb);
int uv_prepare_stop(struct uv_handle_s* prepare);
void uv_close(struct uv_handle_s* handle, ot_uv_cb close_cb);
void uv_unref(struct uv_handle_s* handle);
void* uv_handle_get_data(const struct uv_handle_s* handle);
void uv_handle_set_data(struct uv_handle_s* handle, void* data);
}

namespace ot::napi {
namespace {
constexpr int kUvPrepare = 9;  // UV_PREPARE in uv_handle_type (libuv 1.x)
using uv_prepare_t = uv_handle_s;
}  // namespace

class EnvJobs {
 public:
  int stop = 0;  // read by kernels through CancelFlag::stop (atomic builtins)
  napi_env env = nullptr;
  uv_prepare_t* probe = nullptr;
  std::mutex mutex;
  std::condition_variable idle;
  int executing = 0;  // guarded by mutex
  std::atomic<int> live{0};  // created and not yet completed (main thread)

  void raise() { __atomic_store_n(&stop, 1, __ATOMIC_RELAXED); }
  bool raised() const { return __atomic_load_n(&stop, __ATOMIC_RELAXED) != 0; }
  void waitIdle() {
    std::unique_lock<std::mutex> lock(mutex);
    idle.wait(lock, [this] { return executing == 0; });
  }
};

namespace {

// True while the environment may still run JS. Defining a property on a fresh plain object runs no
// user code (a define, unlike a set, calls no setter an Object.prototype might carry), and N-API
// refuses it (napi_pending_exception / napi_cannot_run_js) once Node has stopped the environment or
// is terminating its isolate.
bool canRunJS(napi_env env) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return false;
  napi_value obj = nullptr, value = nullptr;
  bool ok = napi_create_object(env, &obj) == napi_ok && napi_get_boolean(env, true, &value) == napi_ok;
  if (ok) {
    const napi_property_descriptor probe = {"probe", nullptr, nullptr, nullptr, nullptr, value, napi_default, nullptr};
    ok = napi_define_properties(env, obj, 1, &probe) == napi_ok;
  }
  if (!ok) {
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
    }
  }
  napi_close_handle_scope(env, scope);
  return ok;
}

void onPrepare(uv_prepare_t* handle) {
  auto* jobs = static_cast<EnvJobs*>(uv_handle_get_data(handle));
  if (jobs->raised() || jobs->live.load() == 0) return;
  if (!canRunJS(jobs->env)) jobs->raise();
}

struct CleanupState {
  std::shared_ptr<EnvJobs> jobs;
  napi_async_cleanup_hook_handle handle = nullptr;
};

void onCleanup(napi_async_cleanup_hook_handle handle, void* arg) {
  auto* state = static_cast<CleanupState*>(arg);
  state->handle = handle;
  EnvJobs& jobs = *state->jobs;
  jobs.raise();
  jobs.waitIdle();
  uv_prepare_stop(jobs.probe);
  uv_handle_set_data(jobs.probe, state);  // stopped: onPrepare no longer reads it
  uv_close(jobs.probe, [](uv_handle_s* h) {
    auto* state = static_cast<CleanupState*>(uv_handle_get_data(h));
    std::free(h);
    state->jobs->probe = nullptr;
    napi_async_cleanup_hook_handle done = state->handle;
    delete state;
    napi_remove_async_cleanup_hook(done);
  });
}

}  // namespace

// Made once per environment by envJobs() (util.cc keeps it in the environment's instance data).
std::shared_ptr<EnvJobs> makeEnvJobs(Napi::Env env) {
  auto jobs = std::make_shared<EnvJobs>();
  jobs->env = env;
  uv_loop_s* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return jobs;
  auto* probe = static_cast<uv_prepare_t*>(std::calloc(1, uv_handle_size(kUvPrepare)));
  if (probe == nullptr || uv_prepare_init(loop, probe) != 0) {
    std::free(probe);
    return jobs;
  }
  uv_handle_set_data(probe, jobs.get());
  auto* state = new CleanupState{jobs};
  if (napi_add_async_cleanup_hook(env, onCleanup, state, nullptr) != napi_ok) {
    // Without the hook nothing would close a running handle: do without it (stopJobs still works).
    delete state;
    uv_close(probe, [](uv_handle_s* h) { std::free(h); });
    return jobs;
  }
  uv_prepare_start(probe, onPrepare);
  uv_unref(probe);  // never keeps the loop alive
  jobs->probe = probe;
  return jobs;
}

const volatile int* stopFlag(Napi::Env env) { return &envJobs(env)->stop; }

ExecutingJob::ExecutingJob(EnvJobs& jobs) : jobs_(jobs) {
  std::lock_guard<std::mutex> lock(jobs_.mutex);
  ++jobs_.executing;
}
ExecutingJob::~ExecutingJob() {
  std::lock_guard<std::mutex> lock(jobs_.mutex);
  if (--jobs_.executing == 0) jobs_.idle.notify_all();
}
bool ExecutingJob::stopped() const { return jobs_.raised(); }
void jobCreated(EnvJobs& jobs) { jobs.live.fetch_add(1); }
void jobDestroyed(EnvJobs& jobs) { jobs.live.fetch_sub(1); }
bool stopping(const EnvJobs& jobs) { return jobs.raised(); }

Napi::Value stopJobs(const Napi::CallbackInfo& info) {
  envJobs(info.Env())->raise();
  return info.Env().Undefined();
}

}  // namespace ot::napi
