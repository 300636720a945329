// GPU Jobs of batched cost matrices (POT: ot.batch.dist_batch; the CUDA twin of napi/batch_dist.cc, with
// its options object), registered under its exports' names and run when X is a CudaBuffer:
// M[b] = metric(X[b], Y[b]) for B problems and its backward, one cuda::dist launch per problem on the
// same stream, results kept on the GPU as CudaBuffers; Y and G may be host typed arrays or CudaBuffers.
#include <string>

#include "napi/cuda_buffer.h"
#include "napi/util.h"

#ifdef OT_WITH_CUDA
#include "cuda/dist.h"
#include "cuda/runtime.h"
#endif

namespace ot::napi {
namespace {

#ifdef OT_WITH_CUDA

// { X [B*n*d], Y [B*m*d] | null (= X), B, n, m, d, metric, p }
struct BatchDistArgs {
  Operand X, Y;
  size_t B = 0, n = 0, m = 0, d = 0;
  cuda::Metric metric = cuda::Metric::SqEuclidean;
  double p = 2;
  bool f64 = false;

  static BatchDistArgs parse(Napi::Env env, const Options& o, const char* fn) {
    requireDevice(env, fn);
    BatchDistArgs a;
    a.X = operandValue(env, o.value("X"), fn, "X", false);
    a.Y = operandValue(env, o.value("Y"), fn, "Y", true);
    if (!a.Y.present) a.Y = a.X;
    a.f64 = a.X.f64;
    a.B = o.dim("B");
    a.n = o.dim("n");
    a.m = o.dim("m");
    a.d = o.dim("d");
    requireOperand(env, a.X, checkedEntries(env, fn, "X", {a.B, a.n, a.d}), a.f64, fn);
    requireOperand(env, a.Y, checkedEntries(env, fn, "Y", {a.B, a.m, a.d}), a.f64, fn);
    const std::string metric = o.string("metric");
    if (metric == "sqeuclidean") a.metric = cuda::Metric::SqEuclidean;
    else if (metric == "euclidean") a.metric = cuda::Metric::Euclidean;
    else if (metric == "minkowski") a.metric = cuda::Metric::Minkowski;
    else throwError(env, "ERR_OT_ARG", std::string(fn) + ": metric must be 'sqeuclidean', 'euclidean' or 'minkowski' on the GPU, got '" + metric + "'");
    a.p = requireMinkowskiP(env, o.number("p"), fn);
    return a;
  }
};

// distBatch({ X (CudaBuffer), Y, B, n, m, d, metric, p }) -> M [B*n*m] as a CudaBuffer
struct DistBatchJob {
  Keeper keeper;
  BatchDistArgs args;
  Output M;
  static const char* name() { return "distBatch"; }
  static DistBatchJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const Options o(info, 0, name());
    DistBatchJob j;
    j.args = BatchDistArgs::parse(env, o, name());
    const BatchDistArgs& a = j.args;
    j.M = Output(env, checkedEntries(env, name(), "M", {a.B, a.n, a.m}), a.f64, true);
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
    return args.f64 ? run(static_cast<const double*>(px), static_cast<const double*>(py))
                    : run(static_cast<const float*>(px), static_cast<const float*>(py));
  }
  Napi::Value result(Napi::Env env) { return M.value(env); }
};

// distBatchBackward({ X (CudaBuffer), Y, B, n, m, d, metric, p, G, wantX, wantY }) -> { gX?, gY? } as CudaBuffers
// (napi/batch_dist.cc's result; the forward's M is not needed on the GPU, so not read)
struct DistBatchBackwardJob {
  Keeper keeper;
  BatchDistArgs args;
  Operand G;
  Output gX, gY;
  static const char* name() { return "distBatchBackward"; }
  static DistBatchBackwardJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const Options o(info, 0, name());
    DistBatchBackwardJob j;
    j.args = BatchDistArgs::parse(env, o, name());
    const BatchDistArgs& a = j.args;
    j.G = operandValue(env, o.value("G"), name(), "G", false);
    requireOperand(env, j.G, a.B * a.n * a.m, a.f64, name());
    if (o.boolean("wantX")) j.gX = Output(env, a.B * a.n * a.d, a.f64, true);
    if (o.boolean("wantY")) j.gY = Output(env, a.B * a.m * a.d, a.f64, true);
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
    if (args.f64) return run(static_cast<const double*>(px), static_cast<const double*>(py), static_cast<const double*>(pg));
    return run(static_cast<const float*>(px), static_cast<const float*>(py), static_cast<const float*>(pg));
  }
  Napi::Value result(Napi::Env env) {
    Napi::Object out = Napi::Object::New(env);
    if (gX.wanted()) out.Set("gX", gX.value(env));
    if (gY.wanted()) out.Set("gY", gY.value(env));
    return out;
  }
};

DeviceRegistrar<DistBatchJob> distBatchJob("distBatch");
DeviceRegistrar<DistBatchBackwardJob> distBatchBackwardJob("distBatchBackward");

#endif  // OT_WITH_CUDA

}  // namespace
}  // namespace ot::napi
