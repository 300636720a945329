// N-API entry points of the CUDA path: device availability and device buffers (cudaAlloc / cudaUpload /
// cudaDownload), and the GPU Jobs of the cost-matrix ops (distForward / distBackward: napi/dist.cc's
// options object) and of the dual-OT ops (dualLoss / dualPlan: napi/dual.cc's fields), registered
// under the CPU exports' names and run when the op's main array (x, u) is a CudaBuffer; results stay
// on the GPU as CudaBuffers. Other arrays may be host typed arrays. Without CUDA (or without a GPU) the
// buffer helpers throw / reject OTError ERR_OT_DEVICE.
#include <string>

#include "napi/cuda_buffer.h"
#include "napi/util.h"

#ifdef OT_WITH_CUDA
#include "cuda/dist.h"
#include "common/metric.h"
#include "cuda/dual.h"
#include "cuda/runtime.h"
#endif

namespace ot::napi {
namespace {

// The buffer helpers (the Async twins are implied); the ops' GPU Jobs register with DeviceRegistrar.
#define OT_CUDA_CORE_EXPORTS(X) X("cudaAlloc", AllocJob) X("cudaUpload", UploadJob) X("cudaDownload", DownloadJob)

#ifdef OT_WITH_CUDA

using cuda::DType;

DType dtypeFromName(Napi::Env env, const std::string& s, const char* fn) {
  if (s == "float32") return DType::Float32;
  if (s == "float64") return DType::Float64;
  if (s == "int32") return DType::Int32;
  if (s == "uint8") return DType::UInt8;
  throwError(env, "ERR_OT_DTYPE", std::string(fn) + ": dtype must be 'float32', 'float64', 'int32' or 'uint8', got '" + s + "'");
}

// cudaAlloc(length, dtype = 'float32') -> zero-filled CudaBuffer
struct AllocJob {
  Keeper keeper;
  size_t length = 0;
  DType dtype = DType::Float32;
  BufferPtr buf;
  static const char* name() { return "cudaAlloc"; }
  static AllocJob parse(const Napi::CallbackInfo& info) {
    requireDevice(info.Env(), name());
    AllocJob j;
    j.length = sizeArg(info, 0, name(), "length");
    if (info.Length() > 1 && !info[1].IsUndefined()) j.dtype = dtypeFromName(info.Env(), stringArg(info, 1, name(), "dtype"), name());
    return j;
  }
  Status execute() {
    buf = std::make_shared<cuda::DeviceBuffer>();
    OT_NAPI_TRY(buf->allocate(length, dtype));
    OT_NAPI_TRY(buf->zero());
    return cuda::synchronize();
  }
  Napi::Value result(Napi::Env env) { return CudaBuffer::wrap(env, buf); }
};

// cudaUpload(Float32Array | Float64Array | Int32Array | Uint8Array) -> CudaBuffer of the same dtype
struct UploadJob {
  Keeper keeper;
  // The bytes to upload, copied at parse: the async form runs while JS may transfer the source buffer.
  std::shared_ptr<std::vector<uint8_t>> staged;
  const void* host = nullptr;
  size_t length = 0;
  DType dtype = DType::Float32;
  BufferPtr buf;
  static const char* name() { return "cudaUpload"; }
  static UploadJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    requireDevice(env, name());
    if (info.Length() < 1 || !info[0].IsTypedArray())
      throwError(env, "ERR_OT_ARG", "cudaUpload: data must be a Float32Array, Float64Array, Int32Array or Uint8Array");
    auto ta = info[0].As<Napi::TypedArray>();
    UploadJob j;
    switch (ta.TypedArrayType()) {
      case napi_float32_array: j.dtype = DType::Float32; break;
      case napi_float64_array: j.dtype = DType::Float64; break;
      case napi_int32_array: j.dtype = DType::Int32; break;
      case napi_uint8_array: j.dtype = DType::UInt8; break;
      default: throwError(env, "ERR_OT_DTYPE", "cudaUpload: data must be a Float32Array, Float64Array, Int32Array or Uint8Array");
    }
    j.length = ta.ElementLength();
    const uint8_t* src = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    j.staged = std::make_shared<std::vector<uint8_t>>(src, src + ta.ByteLength());
    j.host = j.staged->data();
    return j;
  }
  Status execute() {
    buf = std::make_shared<cuda::DeviceBuffer>();
    OT_NAPI_TRY(buf->allocate(length, dtype));
    return buf->upload(host);
  }
  Napi::Value result(Napi::Env env) { return CudaBuffer::wrap(env, buf); }
};

// cudaDownload(buffer) -> typed array of the buffer's dtype
struct DownloadJob {
  Keeper keeper;
  BufferPtr buf;
  OutArray out;
  static const char* name() { return "cudaDownload"; }
  static DownloadJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    requireDevice(env, name());
    if (info.Length() < 1 || !CudaBuffer::is(info[0])) throwError(env, "ERR_OT_ARG", "cudaDownload: buffer must be a CudaBuffer");
    DownloadJob j;
    j.buf = CudaBuffer::unwrap(info[0]);
    if (!j.buf) throwError(env, "ERR_OT_ARG", "cudaDownload: buffer was freed");
    const size_t len = j.buf->length();
    Napi::TypedArray arr;
    switch (j.buf->dtype()) {
      case DType::Float32: arr = Napi::Float32Array::New(env, len); break;
      case DType::Float64: arr = Napi::Float64Array::New(env, len); break;
      case DType::Int32: arr = Napi::Int32Array::New(env, len); break;
      case DType::UInt8: arr = Napi::Uint8Array::New(env, len); break;
    }
    j.out = OutArray(arr);
    return j;
  }
  Status execute() { return buf->download(out.data); }
  Napi::Value result(Napi::Env env) { return out.value(env); }
};

// ---- cost matrices: napi/dist.cc's options { x, y, n, m, d, metric, p, same, ... } ----

struct DistArgs {
  Operand x, y;
  size_t n = 0, m = 0, d = 0;
  cuda::Metric metric = cuda::Metric::SqEuclidean;
  double p = 2;
  bool same = false;
  bool f64 = false;

  static DistArgs parse(Napi::Env env, const Options& o, const char* fn) {
    requireDevice(env, fn);
    DistArgs a;
    a.x = operandValue(env, o.value("x"), fn, "x", false);
    a.y = operandValue(env, o.value("y"), fn, "y", false);
    a.f64 = a.x.f64;
    a.n = o.dim("n");
    a.m = o.dim("m");
    a.d = o.dim("d");
    requireOperand(env, a.x, checkedEntries(env, fn, "x", {a.n, a.d}), a.f64, fn);
    requireOperand(env, a.y, checkedEntries(env, fn, "y", {a.m, a.d}), a.f64, fn);
    a.metric = o.metric();
    a.p = requireMinkowskiP(env, o.number("p"), fn);
    a.same = o.boolean("same");
    if (a.same && a.n != a.m) throwError(env, "ERR_OT_ARG", std::string(fn) + ": same=true needs y to be x (n = m), got n = " + std::to_string(a.n) + " and m = " + std::to_string(a.m));
    if (a.metric == cuda::Metric::Cosine) {
      // Device operands are not read back to check (requireOperand's contract).
      if (a.x.host) requireNonZeroRows(env, a.x.host, a.f64, a.n, a.d, fn, a.x.name);
      if (a.y.host) requireNonZeroRows(env, a.y.host, a.f64, a.m, a.d, fn, a.y.name);
    }
    return a;
  }

  Status stageInputs(BufferPtr& hx, BufferPtr& hy, const void** px, const void** py) const {
    OT_NAPI_TRY(stage(x, hx, px));
    return stage(y, hy, py);
  }
};

// distForward({ x (CudaBuffer), y, n, m, d, metric, p, same }) -> M [n*m] as a CudaBuffer
struct DistJob {
  Keeper keeper;
  DistArgs args;
  Output M;
  static const char* name() { return "dist"; }
  static DistJob parse(const Napi::CallbackInfo& info) {
    const Options o(info, 0, name());
    DistJob j;
    j.args = DistArgs::parse(info.Env(), o, name());
    j.M = Output(info.Env(), checkedEntries(info.Env(), name(), "M", {j.args.n, j.args.m}), j.args.f64, true);
    return j;
  }
  Status execute() {
    const DistArgs& a = args;
    BufferPtr hx, hy;
    const void *px, *py;
    OT_NAPI_TRY(a.stageInputs(hx, hy, &px, &py));
    OT_NAPI_TRY(M.prepare());
    OT_NAPI_TRY(withFloatType(a.f64, [&](auto t) {
      using T = decltype(t);
      return cuda::dist(static_cast<const T*>(px), static_cast<const T*>(py), a.n, a.m, a.d, a.metric, a.p, a.same,
                        static_cast<T*>(M.devicePtr()));
    }));
    return cuda::synchronize();
  }
  Napi::Value result(Napi::Env env) { return M.value(env); }
};

// distBackward({ x (CudaBuffer), y, n, m, d, metric, p, same, G, needX, needY }) -> [gx | null, gy | null] as
// CudaBuffers (M, which the CPU backward reads, is not needed on the GPU, so not read)
struct DistBackwardJob {
  Keeper keeper;
  DistArgs args;
  Operand G;
  Output gx, gy;
  static const char* name() { return "dist (backward)"; }
  static DistBackwardJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const Options o(info, 0, name());
    DistBackwardJob j;
    j.args = DistArgs::parse(env, o, name());
    const DistArgs& a = j.args;
    j.G = operandValue(env, o.value("G"), name(), "G", false);
    requireOperand(env, j.G, a.n * a.m, a.f64, name());
    if (o.boolean("needX")) j.gx = Output(env, a.n * a.d, a.f64, true);
    if (o.boolean("needY")) j.gy = Output(env, a.m * a.d, a.f64, true);
    return j;
  }
  Status execute() {
    const DistArgs& a = args;
    BufferPtr hx, hy, hg;
    const void *px, *py, *pg;
    OT_NAPI_TRY(a.stageInputs(hx, hy, &px, &py));
    OT_NAPI_TRY(stage(G, hg, &pg));
    OT_NAPI_TRY(gx.prepare());
    OT_NAPI_TRY(gy.prepare());
    OT_NAPI_TRY(withFloatType(a.f64, [&](auto t) {
      using T = decltype(t);
      return cuda::distBackward(static_cast<const T*>(px), static_cast<const T*>(py), static_cast<const T*>(pg), a.n, a.m,
                                a.d, a.metric, a.p, a.same, static_cast<T*>(gx.devicePtr()), static_cast<T*>(gy.devicePtr()));
    }));
    return cuda::synchronize();
  }
  Napi::Value result(Napi::Env env) {
    Napi::Array out = Napi::Array::New(env, 2);
    out.Set(0u, gx.value(env));
    out.Set(1u, gy.value(env));
    return out;
  }
};

// ---- dual OT: napi/dual.cc's fields { u, v, xs, xt, ws?, wt?, d, kind, metric, p, reg } ----

// The fields napi/dual.cc reads (n and m are u's and v's lengths); the GPU kernel has the squared
// Euclidean cost only.
struct DualArgs {
  Operand u, v, xs, xt, ws, wt;
  size_t n = 0, m = 0, d = 0;
  double reg = 1;
  cuda::DualKind kind = cuda::DualKind::Entropic;
  bool f64 = false;

  static DualArgs parse(Napi::Env env, const Options& o, const char* fn) {
    requireDevice(env, fn);
    DualArgs a;
    a.u = operandValue(env, o.value("u"), fn, "u", false);
    a.v = operandValue(env, o.value("v"), fn, "v", false);
    a.xs = operandValue(env, o.value("xs"), fn, "xs", false);
    a.xt = operandValue(env, o.value("xt"), fn, "xt", false);
    a.ws = operandValue(env, o.value("ws"), fn, "ws", true);
    a.wt = operandValue(env, o.value("wt"), fn, "wt", true);
    a.f64 = a.u.f64;
    a.n = a.u.length;
    a.m = a.v.length;
    if (a.n == 0 || a.m == 0)
      throwError(env, "ERR_OT_SHAPE", std::string(fn) + ": u and v must not be empty, got " + std::to_string(a.n) + " and " + std::to_string(a.m) + " entries");
    a.d = o.dim("d");
    requireOperand(env, a.u, a.n, a.f64, fn);
    requireOperand(env, a.v, a.m, a.f64, fn);
    requireOperand(env, a.xs, checkedEntries(env, fn, "xs", {a.n, a.d}), a.f64, fn);
    requireOperand(env, a.xt, checkedEntries(env, fn, "xt", {a.m, a.d}), a.f64, fn);
    requireOperand(env, a.ws, a.n, a.f64, fn);
    requireOperand(env, a.wt, a.m, a.f64, fn);
    const std::string kind = o.string("kind");
    if (kind == "entropic") a.kind = cuda::DualKind::Entropic;
    else if (kind == "quadratic") a.kind = cuda::DualKind::Quadratic;
    else throwError(env, "ERR_OT_ARG", std::string(fn) + ": kind must be 'entropic' or 'quadratic', got '" + kind + "'");
    const Metric metric = o.metric();
    if (metric != Metric::SqEuclidean)
      throwError(env, "ERR_OT_DEVICE", std::string(fn) + ": metric '" + kMetricNames[static_cast<int>(metric)] + "' is not available on the GPU; use 'sqeuclidean', or CPU tensors");
    a.reg = o.positive("reg");
    return a;
  }

  struct Staged {
    BufferPtr h[6];
    const void* p[6] = {};
  };
  Status stageInputs(Staged& s) const {
    OT_NAPI_TRY(stage(u, s.h[0], &s.p[0]));
    OT_NAPI_TRY(stage(v, s.h[1], &s.p[1]));
    OT_NAPI_TRY(stage(xs, s.h[2], &s.p[2]));
    OT_NAPI_TRY(stage(xt, s.h[3], &s.p[3]));
    if (ws.present) OT_NAPI_TRY(stage(ws, s.h[4], &s.p[4]));
    if (wt.present) OT_NAPI_TRY(stage(wt, s.h[5], &s.p[5]));
    return Status::Ok;
  }
};

// dualLoss({ u (CudaBuffer), v, xs, xt, ws?, wt?, d, kind, metric, p, reg, want, cancel? })
//   -> { loss, du, dv, dxs, dxt, dws, dwt }: the gradients named by dualLoss's `want` bits (u 1, v 2, xs 4,
// xt 8, ws 16, wt 32) as CudaBuffers, the others null (there is no host `out` slab on the GPU).
struct DualLossJob {
  Keeper keeper;
  DualArgs args;
  CancelFlag cancel;
  Output du, dv, dxs, dxt, dws, dwt;
  double loss = 0;
  static const char* name() { return "lossDual"; }
  static DualLossJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const Options o(info, 0, name());
    DualLossJob j;
    j.args = DualArgs::parse(env, o, name());
    const DualArgs& a = j.args;
    const int64_t want = o.integer("want", 0, 63);
    if (want & 1) j.du = Output(env, a.n, a.f64, true);
    if (want & 2) j.dv = Output(env, a.m, a.f64, true);
    if (want & 4) j.dxs = Output(env, a.n * a.d, a.f64, true);
    if (want & 8) j.dxt = Output(env, a.m * a.d, a.f64, true);
    if (want & 16) j.dws = Output(env, a.n, a.f64, true);
    if (want & 32) j.dwt = Output(env, a.m, a.f64, true);
    j.cancel = o.cancel();
    return j;
  }
  template <typename T>
  Status run(const DualArgs::Staged& s) {
    cuda::DualGrads<T> g;
    g.du = static_cast<T*>(du.devicePtr());
    g.dv = static_cast<T*>(dv.devicePtr());
    g.dxs = static_cast<T*>(dxs.devicePtr());
    g.dxt = static_cast<T*>(dxt.devicePtr());
    g.dws = static_cast<T*>(dws.devicePtr());
    g.dwt = static_cast<T*>(dwt.devicePtr());
    const DualArgs& a = args;
    return cuda::dualLossGradCuda(static_cast<const T*>(s.p[0]), static_cast<const T*>(s.p[1]),
                                  static_cast<const T*>(s.p[2]), static_cast<const T*>(s.p[3]),
                                  static_cast<const T*>(s.p[4]), static_cast<const T*>(s.p[5]), a.n, a.m, a.d, a.reg,
                                  a.kind, &loss, g, cancel);
  }
  Status execute() {
    DualArgs::Staged s;
    OT_NAPI_TRY(args.stageInputs(s));
    for (Output* o : {&du, &dv, &dxs, &dxt, &dws, &dwt}) OT_NAPI_TRY(o->prepare());
    OT_NAPI_TRY(args.f64 ? run<double>(s) : run<float>(s));
    for (Output* o : {&du, &dv, &dxs, &dxt, &dws, &dwt}) OT_NAPI_TRY(o->finish());
    return Status::Ok;
  }
  Napi::Value result(Napi::Env env) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("loss", Napi::Number::New(env, loss));
    o.Set("du", du.value(env));
    o.Set("dv", dv.value(env));
    o.Set("dxs", dxs.value(env));
    o.Set("dxt", dxt.value(env));
    o.Set("dws", dws.value(env));
    o.Set("dwt", dwt.value(env));
    return o;
  }
};

// dualPlan({ u (CudaBuffer), v, xs, xt, ws?, wt?, d, kind, metric, p, reg }) -> G [n*m] as a CudaBuffer
struct DualPlanJob {
  Keeper keeper;
  DualArgs args;
  Output G;
  static const char* name() { return "planDual"; }
  static DualPlanJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const Options o(info, 0, name());
    DualPlanJob j;
    j.args = DualArgs::parse(env, o, name());
    j.G = Output(env, checkedEntries(env, name(), "the plan", {j.args.n, j.args.m}), j.args.f64, true);
    return j;
  }
  Status execute() {
    const DualArgs& a = args;
    DualArgs::Staged s;
    OT_NAPI_TRY(a.stageInputs(s));
    OT_NAPI_TRY(G.prepare());
    OT_NAPI_TRY(withFloatType(a.f64, [&](auto t) {
      using T = decltype(t);
      return cuda::dualPlanCuda(static_cast<const T*>(s.p[0]), static_cast<const T*>(s.p[1]), static_cast<const T*>(s.p[2]),
                                static_cast<const T*>(s.p[3]), static_cast<const T*>(s.p[4]), static_cast<const T*>(s.p[5]),
                                a.n, a.m, a.d, a.reg, a.kind, static_cast<T*>(G.devicePtr()));
    }));
    return G.finish();
  }
  Napi::Value result(Napi::Env env) { return G.value(env); }
};

Napi::Value cudaAvailable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), cuda::deviceAvailable());
}

void initCuda(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaAvailable", Napi::Function::New(env, cudaAvailable, "cudaAvailable"));
  CudaBuffer::define(env, exports);
#define OT_EXPORT_JOB(name, Job) exportJob<Job>(env, exports, name);
  OT_CUDA_CORE_EXPORTS(OT_EXPORT_JOB)
#undef OT_EXPORT_JOB
}

// The ops' GPU Jobs, under the CPU exports' names (napi/dist.cc, napi/dual.cc).
DeviceRegistrar<DistJob> distJob("distForward");
DeviceRegistrar<DistBackwardJob> distBackwardJob("distBackward");
DeviceRegistrar<DualLossJob> dualLossJob("dualLoss");
DeviceRegistrar<DualPlanJob> dualPlanJob("dualPlan");

#else  // !OT_WITH_CUDA

Napi::Value cudaAvailable(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), false); }

void initCuda(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaAvailable", Napi::Function::New(env, cudaAvailable, "cudaAvailable"));
#define OT_EXPORT_STUB(name, Job) exportUnavailable(env, exports, name);
  OT_CUDA_CORE_EXPORTS(OT_EXPORT_STUB)
#undef OT_EXPORT_STUB
}

#endif  // OT_WITH_CUDA

Registrar reg(initCuda);

}  // namespace
}  // namespace ot::napi
