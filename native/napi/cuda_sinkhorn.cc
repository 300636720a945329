// N-API entry points of the GPU Sinkhorn solvers (POT: sinkhorn_log as used by ot.solve, its autodiff
// adjoint, and ot.batch.solve_batch): host forms return typed arrays, *Device forms keep the large
// results on the GPU as CudaBuffers; every entry has an Async twin and honours a cancel flag.
#include <cstring>
#include <string>

#include "napi/cuda_buffer.h"
#include "napi/util.h"

#ifdef OT_WITH_CUDA
#include "cuda/batch_sinkhorn.h"
#include "cuda/runtime.h"
#include "cuda/sinkhorn.h"
#endif

namespace ot::napi {
namespace {

#define OT_CUDA_SINKHORN_EXPORTS(X)                                                                      \
  X("cudaSinkhornLog", SinkhornJob<false>) X("cudaSinkhornLogDevice", SinkhornJob<true>)                \
  X("cudaSinkhornLogAdjoint", AdjointJob<false>) X("cudaSinkhornLogAdjointDevice", AdjointJob<true>)    \
  X("cudaSolveBatch", BatchJob<false>) X("cudaSolveBatchDevice", BatchJob<true>)

#ifdef OT_WITH_CUDA

constexpr int64_t kMaxIter = int64_t(1) << 31;

// Problem inputs shared by the solve, its adjoint and the batched solve: (M, a | null, b | null, n, m, reg, ...),
// with a problem count B before n for the batched form (B = 1 otherwise: M [B×n×m], a [B×n], b [B×m]).
struct ProblemArgs {
  Operand M, a, b;
  size_t B = 1, n = 0, m = 0;
  double reg = 1;
  bool f64 = false;

  static ProblemArgs parse(const Napi::CallbackInfo& info, const char* fn, bool batched = false) {
    Napi::Env env = info.Env();
    requireDevice(env, fn);
    ProblemArgs p;
    p.M = operandArg(info, 0, fn, "M", false);
    p.a = operandArg(info, 1, fn, "a", true);
    p.b = operandArg(info, 2, fn, "b", true);
    p.f64 = p.M.f64;
    const size_t at = batched ? 4 : 3;  // index of n
    if (batched) {
      p.B = sizeArg(info, 3, fn, "B");
      if (p.B > size_t(INT32_MAX)) throwError(env, "ERR_OT_ARG", std::string(fn) + ": B is too large");
    }
    p.n = sizeArg(info, at, fn, "n");
    p.m = sizeArg(info, at + 1, fn, "m");
    requireOperand(env, p.M, p.B * p.n * p.m, p.f64, fn);
    requireOperand(env, p.a, p.B * p.n, p.f64, fn);
    requireOperand(env, p.b, p.B * p.m, p.f64, fn);
    p.reg = numberArg(info, at + 2, fn, "reg");
    if (!(p.reg > 0)) throwError(env, "ERR_OT_VALUE", std::string(fn) + ": reg must be > 0");
    return p;
  }

  struct Staged {
    BufferPtr h[3];
    const void* p[3] = {};
  };
  Status stageInputs(Staged& s) const {
    OT_NAPI_TRY(stage(M, s.h[0], &s.p[0]));
    OT_NAPI_TRY(stageWeights(a, B * n, n ? 1.0 / double(n) : 0.0, f64, s.h[1], &s.p[1]));
    return stageWeights(b, B * m, m ? 1.0 / double(m) : 0.0, f64, s.h[2], &s.p[2]);
  }
};

// A device array whose final length is known only after the run (the iterate history).
struct SizedResult {
  bool device = false;
  bool f64 = false;
  BufferPtr dev;                // device form
  std::vector<uint8_t> host;    // host form (raw bytes of f32/f64)
  Status take(const cuda::DeviceBuffer& src, size_t length) {
    const size_t bytes = length * (f64 ? 8 : 4);
    if (device) {
      dev = std::make_shared<cuda::DeviceBuffer>();
      OT_NAPI_TRY(dev->allocate(length, f64 ? cuda::DType::Float64 : cuda::DType::Float32));
      OT_NAPI_TRY(cuda::copyDeviceToDevice(dev->data(), src.data(), bytes));
      return cuda::synchronize();
    }
    host.resize(bytes);
    return cuda::copyDeviceToHost(host.data(), src.data(), bytes);
  }
  Napi::Value value(Napi::Env env) {
    if (device) return dev ? Napi::Value(CudaBuffer::wrap(env, dev)) : env.Null();
    Napi::TypedArray arr = newFloatArray(env, host.size() / (f64 ? 8 : 4), f64);
    if (!host.empty()) std::memcpy(static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset(), host.data(), host.size());
    return arr;
  }
};

// cudaSinkhornLog(M, a | null, b | null, n, m, reg, maxIter, tol, options?, cancel?) with options
// { plan = true, history = false, u0, v0 } -> { logU, logV, plan, historyU, historyV, nIter, status, err,
// valueLinear, entropy, kl } (entropy = Σ P log(P + 1e-16), kl = Σ P log(P / ab + 1e-16), POT's terms).
// v0 (with maxIter = 1) makes the step POT's last_step: u from v0, v from u0.
template <bool Device>
struct SinkhornJob {
  Keeper keeper;
  ProblemArgs args;
  Operand u0, v0;
  int64_t maxIter = 1000;
  double tol = 1e-9;
  bool history = false;
  CancelFlag cancel;
  Output logU, logV, plan;
  SizedResult histU, histV;
  Status kernelStatus = Status::Ok;
  int64_t nIter = 0;
  double err = 0, valueLinear = 0, entropy = 0, kl = 0;

  static const char* name() { return Device ? "cudaSinkhornLogDevice" : "cudaSinkhornLog"; }
  static SinkhornJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    SinkhornJob j;
    j.args = ProblemArgs::parse(info, name());
    const ProblemArgs& a = j.args;
    j.maxIter = intArg(info, 6, name(), "maxIter", 0, kMaxIter);
    j.tol = numberArg(info, 7, name(), "tol");
    if (!(j.tol >= 0)) throwError(env, "ERR_OT_VALUE", std::string(name()) + ": tol must be >= 0");
    const Napi::Value opts = info.Length() > 8 ? info[8] : env.Undefined();
    checkOptionKeys(env, opts, {"plan", "history", "u0", "v0"}, name());
    j.u0 = operandValue(env, fieldOf(opts, "u0"), name(), "u0", true);
    j.v0 = operandValue(env, fieldOf(opts, "v0"), name(), "v0", true);
    requireOperand(env, j.u0, a.n, a.f64, name());
    requireOperand(env, j.v0, a.m, a.f64, name());
    if (j.v0.present && j.maxIter != 1)
      throwError(env, "ERR_OT_ARG", std::string(name()) + ": option v0 (the last_step update) needs maxIter = 1");
    j.history = boolOption(env, opts, "history", false, name());
    j.histU.device = j.histV.device = Device;
    j.histU.f64 = j.histV.f64 = a.f64;
    j.cancel = cancelArg(info, 9);
    j.logU = Output(env, a.n, a.f64, Device);
    j.logV = Output(env, a.m, a.f64, Device);
    if (boolOption(env, opts, "plan", true, name())) j.plan = Output(env, a.n * a.m, a.f64, Device);
    return j;
  }

  template <typename T>
  Status run(const ProblemArgs::Staged& s, const void* pu0, const void* pv0) {
    const ProblemArgs& a = args;
    cuda::DeviceBuffer hu, hv;
    cuda::SinkhornLogOutputs<T> o;
    o.logU = static_cast<T*>(logU.devicePtr());
    o.logV = static_cast<T*>(logV.devicePtr());
    o.plan = static_cast<T*>(plan.devicePtr());
    if (history) {
      o.histU = &hu;
      o.histV = &hv;
    }
    kernelStatus = cuda::sinkhornLogCuda(static_cast<const T*>(s.p[0]), static_cast<const T*>(s.p[1]),
                                         static_cast<const T*>(s.p[2]), a.n, a.m, a.reg, maxIter, tol, cancel, o,
                                         static_cast<const T*>(pu0), static_cast<const T*>(pv0));
    nIter = o.nIter;
    err = o.err;
    valueLinear = o.valueLinear;
    entropy = o.entropy;
    kl = o.kl;
    if (statusIsFailure(kernelStatus)) return kernelStatus;
    if (history) {
      OT_NAPI_TRY(histU.take(hu, (size_t(nIter) + 1) * a.n));
      OT_NAPI_TRY(histV.take(hv, size_t(nIter) * a.m));
    }
    return Status::Ok;
  }

  Status execute() {
    ProblemArgs::Staged s;
    OT_NAPI_TRY(args.stageInputs(s));
    BufferPtr hu0, hv0;
    const void* pu0 = nullptr;
    const void* pv0 = nullptr;
    if (u0.present) OT_NAPI_TRY(stage(u0, hu0, &pu0));
    if (v0.present) OT_NAPI_TRY(stage(v0, hv0, &pv0));
    for (Output* o : {&logU, &logV, &plan}) OT_NAPI_TRY(o->prepare());
    OT_NAPI_TRY(args.f64 ? run<double>(s, pu0, pv0) : run<float>(s, pu0, pv0));
    for (Output* o : {&logU, &logV, &plan}) OT_NAPI_TRY(o->finish());
    return kernelStatus;
  }

  Napi::Value result(Napi::Env env) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("logU", logU.value(env));
    o.Set("logV", logV.value(env));
    o.Set("plan", plan.value(env));
    o.Set("historyU", history ? histU.value(env) : env.Null());
    o.Set("historyV", history ? histV.value(env) : env.Null());
    o.Set("nIter", Napi::Number::New(env, static_cast<double>(nIter)));
    o.Set("status", Napi::String::New(env, statusName(kernelStatus)));
    o.Set("err", Napi::Number::New(env, err));
    o.Set("valueLinear", Napi::Number::New(env, valueLinear));
    o.Set("entropy", Napi::Number::New(env, entropy));
    o.Set("kl", Napi::Number::New(env, kl));
    return o;
  }
};

// cudaSinkhornLogAdjoint(M, a | null, b | null, n, m, reg, historyU, historyV, K, cotangents?, cancel?)
// cotangents { gLogU, gLogV, gPlan, valueLinear, entropy, kl, v0, directTerms } -> { dM, da, db }; v0
// (K = 1) is the constant v of a last_step run (the history then holds [u0, u] and [v]); directTerms =
// false treats M in <M, plan> and a, b in the KL reference as constants (POT's last_step value).
template <bool Device>
struct AdjointJob {
  Keeper keeper;
  ProblemArgs args;
  Operand histU, histV, gLogU, gLogV, gPlan, v0;
  int64_t K = 1;
  double cLin = 0, cEnt = 0, cKl = 0;
  bool directTerms = true;
  CancelFlag cancel;
  Output dM, da, db;

  static const char* name() { return Device ? "cudaSinkhornLogAdjointDevice" : "cudaSinkhornLogAdjoint"; }
  static AdjointJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    AdjointJob j;
    j.args = ProblemArgs::parse(info, name());
    const ProblemArgs& a = j.args;
    j.histU = operandArg(info, 6, name(), "historyU", false);
    j.histV = operandArg(info, 7, name(), "historyV", false);
    j.K = intArg(info, 8, name(), "K", 1, kMaxIter);
    requireOperand(env, j.histU, (size_t(j.K) + 1) * a.n, a.f64, name());
    requireOperand(env, j.histV, size_t(j.K) * a.m, a.f64, name());
    const Napi::Value cot = info.Length() > 9 ? info[9] : env.Undefined();
    checkOptionKeys(env, cot, {"gLogU", "gLogV", "gPlan", "valueLinear", "entropy", "kl", "v0", "directTerms"}, name());
    j.directTerms = boolOption(env, cot, "directTerms", true, name());
    j.v0 = operandValue(env, fieldOf(cot, "v0"), name(), "v0", true);
    requireOperand(env, j.v0, a.m, a.f64, name());
    if (j.v0.present && j.K != 1) throwError(env, "ERR_OT_ARG", std::string(name()) + ": v0 (last_step) needs K = 1");
    j.gLogU = operandValue(env, fieldOf(cot, "gLogU"), name(), "gLogU", true);
    j.gLogV = operandValue(env, fieldOf(cot, "gLogV"), name(), "gLogV", true);
    j.gPlan = operandValue(env, fieldOf(cot, "gPlan"), name(), "gPlan", true);
    requireOperand(env, j.gLogU, a.n, a.f64, name());
    requireOperand(env, j.gLogV, a.m, a.f64, name());
    requireOperand(env, j.gPlan, a.n * a.m, a.f64, name());
    j.cLin = numberOption(env, cot, "valueLinear", 0, name());
    j.cEnt = numberOption(env, cot, "entropy", 0, name());
    j.cKl = numberOption(env, cot, "kl", 0, name());
    j.cancel = cancelArg(info, 10);
    j.dM = Output(env, a.n * a.m, a.f64, Device);
    j.da = Output(env, a.n, a.f64, Device);
    j.db = Output(env, a.m, a.f64, Device);
    return j;
  }

  template <typename T>
  Status run(const ProblemArgs::Staged& s, const void* const* p) {
    const ProblemArgs& a = args;
    cuda::SinkhornLogCotangents<T> g;
    g.gLogU = static_cast<const T*>(p[2]);
    g.gLogV = static_cast<const T*>(p[3]);
    g.gPlan = static_cast<const T*>(p[4]);
    g.gValueLinear = cLin;
    g.gEntropy = cEnt;
    g.gKl = cKl;
    g.directTerms = directTerms;
    return cuda::sinkhornLogAdjointCuda(static_cast<const T*>(s.p[0]), static_cast<const T*>(s.p[1]),
                                        static_cast<const T*>(s.p[2]), a.n, a.m, a.reg, static_cast<const T*>(p[0]),
                                        static_cast<const T*>(p[1]), K, g, cancel, static_cast<T*>(dM.devicePtr()),
                                        static_cast<T*>(da.devicePtr()), static_cast<T*>(db.devicePtr()),
                                        static_cast<const T*>(p[5]));
  }

  Status execute() {
    ProblemArgs::Staged s;
    OT_NAPI_TRY(args.stageInputs(s));
    BufferPtr h[6];
    const void* p[6] = {};
    const Operand* ops[6] = {&histU, &histV, &gLogU, &gLogV, &gPlan, &v0};
    for (int k = 0; k < 6; ++k)
      if (ops[k]->present) OT_NAPI_TRY(stage(*ops[k], h[k], &p[k]));
    for (Output* o : {&dM, &da, &db}) OT_NAPI_TRY(o->prepare());
    if (args.n > 0 && args.m > 0) OT_NAPI_TRY(args.f64 ? run<double>(s, p) : run<float>(s, p));
    for (Output* o : {&dM, &da, &db}) OT_NAPI_TRY(o->finish());
    return Status::Ok;
  }

  Napi::Value result(Napi::Env env) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("dM", dM.value(env));
    o.Set("da", da.value(env));
    o.Set("db", db.value(env));
    return o;
  }
};

// cudaSolveBatch(M, a | null, b | null, B, n, m, reg, maxIter, tol, solver, options?, cancel?) with
// options { plan = true, stop = 'batch' | 'each' } -> { u, v, plan, valueLinear, entropy, kl, err,
// nIter (Int32Array), converged (Uint8Array), status }. Per-problem arrays always come back to the host.
template <bool Device>
struct BatchJob {
  Keeper keeper;
  ProblemArgs args;
  double tol = 1e-9;
  int64_t maxIter = 1000;
  cuda::BatchSolver solver = cuda::BatchSolver::LogSinkhorn;
  cuda::BatchStop stop = cuda::BatchStop::Batch;
  CancelFlag cancel;
  Output u, v, plan, valueLinear, entropy, kl, err;
  std::vector<int32_t> nIter;
  std::vector<uint8_t> converged;
  Status kernelStatus = Status::Ok;

  static const char* name() { return Device ? "cudaSolveBatchDevice" : "cudaSolveBatch"; }
  static BatchJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const char* fn = name();
    BatchJob j;
    j.args = ProblemArgs::parse(info, fn, true);
    const ProblemArgs& a = j.args;
    j.maxIter = intArg(info, 7, fn, "maxIter", 0, INT32_MAX);
    j.tol = numberArg(info, 8, fn, "tol");
    if (!(j.tol >= 0)) throwError(env, "ERR_OT_VALUE", std::string(fn) + ": tol must be >= 0");
    const std::string solver = stringArg(info, 9, fn, "solver");
    if (solver == "log_sinkhorn") j.solver = cuda::BatchSolver::LogSinkhorn;
    else if (solver == "sinkhorn") j.solver = cuda::BatchSolver::Sinkhorn;
    else throwError(env, "ERR_OT_ARG", std::string(fn) + ": solver must be 'log_sinkhorn' or 'sinkhorn', got '" + solver + "'");
    const Napi::Value opts = info.Length() > 10 ? info[10] : env.Undefined();
    checkOptionKeys(env, opts, {"plan", "stop"}, fn);
    const Napi::Value stop = fieldOf(opts, "stop");
    if (!stop.IsUndefined()) {
      const std::string s = stop.IsString() ? stop.As<Napi::String>().Utf8Value() : "";
      if (s == "batch") j.stop = cuda::BatchStop::Batch;
      else if (s == "each") j.stop = cuda::BatchStop::Each;
      else throwError(env, "ERR_OT_ARG", std::string(fn) + ": option stop must be 'batch' or 'each'");
    }
    j.cancel = cancelArg(info, 11);
    j.u = Output(env, a.B * a.n, a.f64, Device);
    j.v = Output(env, a.B * a.m, a.f64, Device);
    if (boolOption(env, opts, "plan", true, fn)) j.plan = Output(env, a.B * a.n * a.m, a.f64, Device);
    for (Output* o : {&j.valueLinear, &j.entropy, &j.kl, &j.err}) *o = Output(env, a.B, a.f64, false);
    return j;
  }

  template <typename T>
  Status run(const ProblemArgs::Staged& s) {
    const size_t B = args.B;
    cuda::DeviceBuffer it, conv;
    OT_NAPI_TRY(it.allocate(B, cuda::DType::Int32));
    OT_NAPI_TRY(conv.allocate(B, cuda::DType::UInt8));
    cuda::BatchOutputs<T> o;
    o.u = static_cast<T*>(u.devicePtr());
    o.v = static_cast<T*>(v.devicePtr());
    o.plan = static_cast<T*>(plan.devicePtr());
    o.valueLinear = static_cast<T*>(valueLinear.devicePtr());
    o.entropy = static_cast<T*>(entropy.devicePtr());
    o.kl = static_cast<T*>(kl.devicePtr());
    o.err = static_cast<T*>(err.devicePtr());
    o.nIter = it.as<int32_t>();
    o.converged = conv.as<uint8_t>();
    kernelStatus = cuda::batchSinkhornCuda(static_cast<const T*>(s.p[0]), static_cast<const T*>(s.p[1]),
                                           static_cast<const T*>(s.p[2]), B, args.n, args.m, args.reg, maxIter, tol, solver,
                                           stop, cancel, o);
    if (statusIsFailure(kernelStatus)) return kernelStatus;
    nIter.resize(B);
    converged.resize(B);
    OT_NAPI_TRY(it.download(nIter.data()));
    return conv.download(converged.data());
  }

  Status execute() {
    ProblemArgs::Staged s;
    OT_NAPI_TRY(args.stageInputs(s));
    Output* outs[] = {&u, &v, &plan, &valueLinear, &entropy, &kl, &err};
    for (Output* o : outs) OT_NAPI_TRY(o->prepare());
    OT_NAPI_TRY(args.f64 ? run<double>(s) : run<float>(s));
    for (Output* o : outs) OT_NAPI_TRY(o->finish());
    return kernelStatus;
  }

  Napi::Value result(Napi::Env env) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("u", u.value(env));
    o.Set("v", v.value(env));
    o.Set("plan", plan.value(env));
    o.Set("valueLinear", valueLinear.value(env));
    o.Set("entropy", entropy.value(env));
    o.Set("kl", kl.value(env));
    o.Set("err", err.value(env));
    Napi::Int32Array it = Napi::Int32Array::New(env, nIter.size());
    if (!nIter.empty()) std::memcpy(it.Data(), nIter.data(), nIter.size() * sizeof(int32_t));
    Napi::Uint8Array cv = Napi::Uint8Array::New(env, converged.size());
    if (!converged.empty()) std::memcpy(cv.Data(), converged.data(), converged.size());
    o.Set("nIter", it);
    o.Set("converged", cv);
    o.Set("status", Napi::String::New(env, statusName(kernelStatus)));
    return o;
  }
};

void initCudaSinkhorn(Napi::Env env, Napi::Object exports) {
#define OT_EXPORT_JOB(name, Job) exportJob<Job>(env, exports, name);
  OT_CUDA_SINKHORN_EXPORTS(OT_EXPORT_JOB)
#undef OT_EXPORT_JOB
}

#else  // !OT_WITH_CUDA

void initCudaSinkhorn(Napi::Env env, Napi::Object exports) {
#define OT_EXPORT_STUB(name, Job) exportUnavailable(env, exports, name);
  OT_CUDA_SINKHORN_EXPORTS(OT_EXPORT_STUB)
#undef OT_EXPORT_STUB
}

#endif  // OT_WITH_CUDA

Registrar reg(initCudaSinkhorn);

}  // namespace
}  // namespace ot::napi
