// N-API entry points of the CUDA path: device availability, device buffers (alloc/upload/download), the
// cost-matrix kernels (cudaDistForward / cudaDistBackward: napi/dist.cc's options object, results kept
// on the GPU as CudaBuffers) and the dual-OT kernels (host and *Device forms, positional). Inputs may be
// host typed arrays or CudaBuffers; every entry has an Async twin. Without CUDA (or without a GPU) they
// throw / reject OTError ERR_OT_DEVICE.
#include <string>

#include "napi/cuda_buffer.h"
#include "napi/util.h"

#ifdef OT_WITH_CUDA
#include "cuda/dist.h"
#include "cuda/dual.h"
#include "cuda/runtime.h"
#endif

namespace ot::napi {
namespace {

// Every CUDA export of this file (the Async twins are implied).
#define OT_CUDA_CORE_EXPORTS(X)                                                                                   \
  X("cudaAlloc", AllocJob) X("cudaUpload", UploadJob) X("cudaDownload", DownloadJob)                             \
  X("cudaDistForward", DistJob) X("cudaDistBackward", DistBackwardJob) X("cudaDualLoss", DualLossJob<false>)      \
  X("cudaDualLossDevice", DualLossJob<true>) X("cudaDualPlan", DualPlanJob<false>)                                 \
  X("cudaDualPlanDevice", DualPlanJob<true>)

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

// cudaDistForward({ x, y, n, m, d, metric, p, same }) -> M [n*m] as a CudaBuffer
struct DistJob {
  Keeper keeper;
  DistArgs args;
  Output M;
  static const char* name() { return "cudaDistForward"; }
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

// cudaDistBackward({ x, y, n, m, d, metric, p, same, G, needX, needY }) -> [gx | null, gy | null] as CudaBuffers
struct DistBackwardJob {
  Keeper keeper;
  DistArgs args;
  Operand G;
  Output gx, gy;
  static const char* name() { return "cudaDistBackward"; }
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

// ---- dual OT (sqeuclidean cost): (u, v, xs, xt, ws | null, wt | null, n, m, d, reg, kind, ...) ----

struct DualArgs {
  Operand u, v, xs, xt, ws, wt;
  size_t n = 0, m = 0, d = 0;
  double reg = 1;
  cuda::DualKind kind = cuda::DualKind::Entropic;
  bool f64 = false;

  static DualArgs parse(const Napi::CallbackInfo& info, const char* fn) {
    Napi::Env env = info.Env();
    requireDevice(env, fn);
    DualArgs a;
    a.u = operandArg(info, 0, fn, "u", false);
    a.v = operandArg(info, 1, fn, "v", false);
    a.xs = operandArg(info, 2, fn, "xs", false);
    a.xt = operandArg(info, 3, fn, "xt", false);
    a.ws = operandArg(info, 4, fn, "ws", true);
    a.wt = operandArg(info, 5, fn, "wt", true);
    a.f64 = a.u.f64;
    a.n = sizeArg(info, 6, fn, "n");
    a.m = sizeArg(info, 7, fn, "m");
    a.d = sizeArg(info, 8, fn, "d");
    requireOperand(env, a.u, a.n, a.f64, fn);
    requireOperand(env, a.v, a.m, a.f64, fn);
    requireOperand(env, a.xs, a.n * a.d, a.f64, fn);
    requireOperand(env, a.xt, a.m * a.d, a.f64, fn);
    requireOperand(env, a.ws, a.n, a.f64, fn);
    requireOperand(env, a.wt, a.m, a.f64, fn);
    a.reg = numberArg(info, 9, fn, "reg");
    if (!(a.reg > 0)) throwError(env, "ERR_OT_VALUE", std::string(fn) + ": reg must be > 0");
    a.kind = dualKindArg(info, 10, fn);
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

// cudaDualLoss(..., kind, need?: {du, dv, dxs, dxt, dws, dwt}, cancel?) -> {loss, du, dv, dxs, dxt, dws, dwt}
// (unwanted gradients are null; by default all but dws/dwt are computed).
template <bool Device>
struct DualLossJob {
  Keeper keeper;
  DualArgs args;
  CancelFlag cancel;
  Output du, dv, dxs, dxt, dws, dwt;
  double loss = 0;
  static const char* name() { return Device ? "cudaDualLossDevice" : "cudaDualLoss"; }
  static DualLossJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    DualLossJob j;
    j.args = DualArgs::parse(info, name());
    const DualArgs& a = j.args;
    const Napi::Value need = info.Length() > 11 ? info[11] : env.Undefined();
    checkOptionKeys(env, need, {"du", "dv", "dxs", "dxt", "dws", "dwt"}, name());
    if (boolOption(env, need, "du", true, name())) j.du = Output(env, a.n, a.f64, Device);
    if (boolOption(env, need, "dv", true, name())) j.dv = Output(env, a.m, a.f64, Device);
    if (boolOption(env, need, "dxs", true, name())) j.dxs = Output(env, a.n * a.d, a.f64, Device);
    if (boolOption(env, need, "dxt", true, name())) j.dxt = Output(env, a.m * a.d, a.f64, Device);
    if (boolOption(env, need, "dws", false, name())) j.dws = Output(env, a.n, a.f64, Device);
    if (boolOption(env, need, "dwt", false, name())) j.dwt = Output(env, a.m, a.f64, Device);
    j.cancel = cancelArg(info, 12);
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

// cudaDualPlan(u, v, xs, xt, ws | null, wt | null, n, m, d, reg, kind) -> G [n*m]
template <bool Device>
struct DualPlanJob {
  Keeper keeper;
  DualArgs args;
  Output G;
  static const char* name() { return Device ? "cudaDualPlanDevice" : "cudaDualPlan"; }
  static DualPlanJob parse(const Napi::CallbackInfo& info) {
    DualPlanJob j;
    j.args = DualArgs::parse(info, name());
    j.G = Output(info.Env(), j.args.n * j.args.m, j.args.f64, Device);
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
