// N-API entry points of batched cost matrices on the GPU (POT: ot.batch.dist_batch; the CUDA twin of
// napi/batch_dist.cc): M[b] = metric(X[b], Y[b]) for B problems and its backward, one cuda::dist launch
// per problem on the same stream. Host forms return typed arrays, *Device forms CudaBuffers; inputs may
// be either; every entry has an Async twin. Without CUDA (or a GPU) they throw / reject ERR_OT_DEVICE.
#include <string>

#include "napi/cuda_buffer.h"
#include "napi/util.h"

#ifdef OT_WITH_CUDA
#include "cuda/dist.h"
#include "cuda/runtime.h"
#endif

namespace ot::napi {
namespace {

#define OT_CUDA_BATCH_DIST_EXPORTS(X)                                                                   \
  X("cudaDistBatch", DistBatchJob<false>) X("cudaDistBatchDevice", DistBatchJob<true>)                 \
  X("cudaDistBatchBackward", DistBatchBackwardJob<false>) X("cudaDistBatchBackwardDevice", DistBatchBackwardJob<true>)

#ifdef OT_WITH_CUDA

// (X [B*n*d], Y [B*m*d], B, n, m, d, metric, p): Y is required (pass X again for dist_batch(X)).
struct BatchDistArgs {
  Operand X, Y;
  size_t B = 0, n = 0, m = 0, d = 0;
  cuda::Metric metric = cuda::Metric::SqEuclidean;
  double p = 2;
  bool f64 = false;

  static BatchDistArgs parse(const Napi::CallbackInfo& info, const char* fn) {
    Napi::Env env = info.Env();
    requireDevice(env, fn);
    BatchDistArgs a;
    a.X = operandArg(info, 0, fn, "X", false);
    a.Y = operandArg(info, 1, fn, "Y", false);
    a.f64 = a.X.f64;
    a.B = sizeArg(info, 2, fn, "B");
    a.n = sizeArg(info, 3, fn, "n");
    a.m = sizeArg(info, 4, fn, "m");
    a.d = sizeArg(info, 5, fn, "d");
    requireOperand(env, a.X, checkedEntries(env, fn, "X", {a.B, a.n, a.d}), a.f64, fn);
    requireOperand(env, a.Y, checkedEntries(env, fn, "Y", {a.B, a.m, a.d}), a.f64, fn);
    const std::string metric = stringArg(info, 6, fn, "metric");
    if (metric == "sqeuclidean") a.metric = cuda::Metric::SqEuclidean;
    else if (metric == "euclidean") a.metric = cuda::Metric::Euclidean;
    else if (metric == "minkowski") a.metric = cuda::Metric::Minkowski;
    else throwError(env, "ERR_OT_ARG", std::string(fn) + ": metric must be 'sqeuclidean', 'euclidean' or 'minkowski' on the GPU, got '" + metric + "'");
    a.p = numberArg(info, 7, fn, "p");
    requireMinkowskiP(env, a.p, fn);
    return a;
  }
};

// cudaDistBatch(X, Y, B, n, m, d, metric, p) -> M [B*n*m] (typed array, or CudaBuffer for the Device form)
template <bool Device>
struct DistBatchJob {
  Keeper keeper;
  BatchDistArgs args;
  Output M;
  static const char* name() { return Device ? "cudaDistBatchDevice" : "cudaDistBatch"; }
  static DistBatchJob parse(const Napi::CallbackInfo& info) {
    DistBatchJob j;
    j.args = BatchDistArgs::parse(info, name());
    const BatchDistArgs& a = j.args;
    j.M = Output(info.Env(), checkedEntries(info.Env(), name(), "M", {a.B, a.n, a.m}), a.f64, Device);
    return j;
  }
  template <typename T>
  Status run(const T* X, const T* Y) {
    const BatchDistArgs& a = args;
    T* out = static_cast<T*>(M.devicePtr());
    for (size_t k = 0; k < a.B; ++k)
      OT_NAPI_TRY(cuda::dist(X + k * a.n * a.d, Y + k * a.m * a.d, a.n, a.m, a.d, a.metric, a.p, false, out + k * a.n * a.m));
    return cuda::synchronize();
  }
  Status execute() {
    BufferPtr hx, hy;
    const void *px, *py;
    OT_NAPI_TRY(stage(args.X, hx, &px));
    OT_NAPI_TRY(stage(args.Y, hy, &py));
    OT_NAPI_TRY(M.prepare());
    OT_NAPI_TRY(args.f64 ? run(static_cast<const double*>(px), static_cast<const double*>(py))
                         : run(static_cast<const float*>(px), static_cast<const float*>(py)));
    return M.finish();
  }
  Napi::Value result(Napi::Env env) { return M.value(env); }
};

// cudaDistBatchBackward(X, Y, B, n, m, d, metric, p, G, needX, needY) -> [gX | null, gY | null]
template <bool Device>
struct DistBatchBackwardJob {
  Keeper keeper;
  BatchDistArgs args;
  Operand G;
  Output gX, gY;
  static const char* name() { return Device ? "cudaDistBatchBackwardDevice" : "cudaDistBatchBackward"; }
  static DistBatchBackwardJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    DistBatchBackwardJob j;
    j.args = BatchDistArgs::parse(info, name());
    const BatchDistArgs& a = j.args;
    j.G = operandArg(info, 8, name(), "the output gradient", false);
    requireOperand(env, j.G, a.B * a.n * a.m, a.f64, name());
    if (info.Length() <= 10 || !info[9].IsBoolean() || !info[10].IsBoolean())
      throwError(env, "ERR_OT_ARG", std::string(name()) + ": needX and needY must be booleans");
    if (info[9].As<Napi::Boolean>().Value()) j.gX = Output(env, a.B * a.n * a.d, a.f64, Device);
    if (info[10].As<Napi::Boolean>().Value()) j.gY = Output(env, a.B * a.m * a.d, a.f64, Device);
    return j;
  }
  template <typename T>
  Status run(const T* X, const T* Y, const T* Gp) {
    const BatchDistArgs& a = args;
    T* gx = static_cast<T*>(gX.devicePtr());
    T* gy = static_cast<T*>(gY.devicePtr());
    for (size_t k = 0; k < a.B; ++k)
      OT_NAPI_TRY(cuda::distBackward(X + k * a.n * a.d, Y + k * a.m * a.d, Gp + k * a.n * a.m, a.n, a.m, a.d, a.metric, a.p,
                                     false, gx ? gx + k * a.n * a.d : nullptr, gy ? gy + k * a.m * a.d : nullptr));
    return cuda::synchronize();
  }
  Status execute() {
    BufferPtr hx, hy, hg;
    const void *px, *py, *pg;
    OT_NAPI_TRY(stage(args.X, hx, &px));
    OT_NAPI_TRY(stage(args.Y, hy, &py));
    OT_NAPI_TRY(stage(G, hg, &pg));
    OT_NAPI_TRY(gX.prepare());
    OT_NAPI_TRY(gY.prepare());
    if (args.f64)
      OT_NAPI_TRY(run(static_cast<const double*>(px), static_cast<const double*>(py), static_cast<const double*>(pg)));
    else
      OT_NAPI_TRY(run(static_cast<const float*>(px), static_cast<const float*>(py), static_cast<const float*>(pg)));
    OT_NAPI_TRY(gX.finish());
    return gY.finish();
  }
  Napi::Value result(Napi::Env env) {
    Napi::Array out = Napi::Array::New(env, 2);
    out.Set(0u, gX.value(env));
    out.Set(1u, gY.value(env));
    return out;
  }
};

void initCudaBatchDist(Napi::Env env, Napi::Object exports) {
#define OT_EXPORT_JOB(name, Job)                                   \
  exports.Set(name, Napi::Function::New(env, runSync<Job>, name)); \
  exports.Set(name "Async", Napi::Function::New(env, runAsync<Job>, name "Async"));
  OT_CUDA_BATCH_DIST_EXPORTS(OT_EXPORT_JOB)
#undef OT_EXPORT_JOB
}

#else  // !OT_WITH_CUDA

void initCudaBatchDist(Napi::Env env, Napi::Object exports) {
#define OT_EXPORT_STUB(name, Job) exportUnavailable(env, exports, name);
  OT_CUDA_BATCH_DIST_EXPORTS(OT_EXPORT_STUB)
#undef OT_EXPORT_STUB
}

#endif  // OT_WITH_CUDA

Registrar reg(initCudaBatchDist);

}  // namespace
}  // namespace ot::napi
