// GPU Jobs of the entropic solvers, the CUDA twins of napi/solve.cc and napi/batch.cc, registered under
// their exports' names and run when M is a CudaBuffer: sinkhornSolve / sinkhornBackward (POT: ot.solve's
// sinkhorn_log and its adjoint) and solveBatch (ot.batch.solve_batch). Each reads the CPU binding's
// options object (the other arrays may be host typed arrays or CudaBuffers) and returns the CPU
// binding's fields, with the large results kept on the GPU as CudaBuffers; the Async twins honour the
// cancel flag between launches.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "napi/cuda_buffer.h"
#include "napi/util.h"

#ifdef OT_WITH_CUDA
#include "cuda/batch_sinkhorn.h"
#include "cuda/runtime.h"
#include "cuda/sinkhorn.h"
#endif

namespace ot::napi {
namespace {

#ifdef OT_WITH_CUDA

constexpr int64_t kMaxIter = int64_t(1) << 31;

// A weight vector in M's precision: host weights of the other one (the CPU solver's float64 weights of
// a float32 problem) are converted here, so every device takes the same fields. Absent = uniform.
Operand weightsValue(Napi::Env env, const Napi::Value& v, const char* fn, const char* name, bool f64) {
  Operand op = operandValue(env, v, fn, name, true);
  if (!op.present || op.dev || op.f64 == f64) return op;
  if (f64) {
    auto w = std::make_shared<std::vector<double>>(op.length);
    const float* src = static_cast<const float*>(op.host);
    for (size_t i = 0; i < op.length; ++i) (*w)[i] = src[i];
    op.host = w->data();
    op.owner = w;
  } else {
    auto w = std::make_shared<std::vector<float>>(op.length);
    const double* src = static_cast<const double*>(op.host);
    for (size_t i = 0; i < op.length; ++i) (*w)[i] = static_cast<float>(src[i]);
    op.host = w->data();
    op.owner = w;
  }
  op.f64 = f64;
  return op;
}

// The fields { M, a?, b?, [B,] n, m, reg } every solver entry point reads (B = 1 for the single solve:
// M [B×n×m], a [B×n], b [B×m], in M's dtype after weightsValue).
struct ProblemArgs {
  Operand M, a, b;
  size_t B = 1, n = 0, m = 0;
  double reg = 1;
  bool f64 = false;

  static ProblemArgs parse(Napi::Env env, const Options& o, const char* fn, bool batched) {
    requireDevice(env, fn);
    ProblemArgs p;
    p.M = operandValue(env, o.value("M"), fn, "M", false);
    p.f64 = p.M.f64;
    if (batched) p.B = o.dim("B");
    if (p.B > size_t(INT32_MAX)) throwError(env, "ERR_OT_ARG", std::string(fn) + ": B must be at most 2147483647, got " + std::to_string(p.B));
    p.n = o.dim("n");
    p.m = o.dim("m");
    requireOperand(env, p.M, checkedEntries(env, fn, "M", {p.B, p.n, p.m}), p.f64, fn);
    p.a = weightsValue(env, o.value("a"), fn, "a", p.f64);
    p.b = weightsValue(env, o.value("b"), fn, "b", p.f64);
    requireOperand(env, p.a, p.B * p.n, p.f64, fn);
    requireOperand(env, p.b, p.B * p.m, p.f64, fn);
    p.reg = o.positive("reg");
    return p;
  }

  struct Staged {
    BufferPtr h[3];
    const void* p[3] = {};
  };
  Status stageInputs(Staged& s) const {
    OT_NAPI_TRY(stage(M, s.h[0], &s.p[0]));
    OT_NAPI_TRY(stageWeights(a, B * n, 1.0 / double(n), f64, s.h[1], &s.p[1]));
    return stageWeights(b, B * m, 1.0 / double(m), f64, s.h[2], &s.p[2]);
  }

  template <typename T>
  cuda::SinkhornSolveProblem<T> problem(const Staged& s, bool klReg, CancelFlag cancel) const {
    cuda::SinkhornSolveProblem<T> p;
    p.M = static_cast<const T*>(s.p[0]);
    p.a = static_cast<const T*>(s.p[1]);
    p.b = static_cast<const T*>(s.p[2]);
    p.n = n;
    p.m = m;
    p.reg = reg;
    p.klReg = klReg;
    p.cancel = cancel;
    return p;
  }
};

// The single solve's regType, spelled as napi/solve.cc reads it: true for 'KL'.
bool klRegField(Napi::Env env, const Options& o, const char* fn) {
  const std::string rt = o.string("regType");
  if (rt == "KL") return true;
  if (rt != "entropy") throwError(env, "ERR_OT_ARG", std::string(fn) + ": regType must be 'KL' or 'entropy', got '" + rt + "'");
  return false;
}

// sinkhornSolve({ M (CudaBuffer), a?, b?, n, m, reg, regType, maxIter, tol, record ('none' | 'history' | 'last_step'),
// cancel? }) -> { plan, logU, logV (CudaBuffers), value, valueLinear, nIter, status, history? (CudaBuffer),
// iterations }: sinkhornSolve's fields; history's layout is the GPU adjoint's own (cuda/sinkhorn.h).
struct SolveJob {
  Keeper keeper;
  ProblemArgs args;
  bool klReg = true;
  int64_t maxIter = 1000;
  double tol = 1e-9;
  cuda::SinkhornRecord record = cuda::SinkhornRecord::None;
  CancelFlag cancel;
  Output plan, logU, logV;
  BufferPtr history;
  double value = 0, valueLinear = 0;
  int64_t nIter = 0;
  size_t iterations = 0;
  Status outcome = Status::Ok;

  static const char* name() { return "solve"; }
  static SolveJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const char* fn = name();
    const Options o(info, 0, fn);
    SolveJob j;
    j.args = ProblemArgs::parse(env, o, fn, false);
    j.klReg = klRegField(env, o, fn);
    j.maxIter = o.integer("maxIter", 1, kMaxIter);
    j.tol = o.number("tol");
    if (!(j.tol >= 0)) throwError(env, "ERR_OT_VALUE", std::string(fn) + ": tol must be >= 0, got " + num(j.tol));
    const std::string rec = o.string("record");
    if (rec == "history") j.record = cuda::SinkhornRecord::History;
    else if (rec == "last_step") j.record = cuda::SinkhornRecord::LastStep;
    else if (rec != "none") throwError(env, "ERR_OT_ARG", std::string(fn) + ": record must be 'none', 'history' or 'last_step', got '" + rec + "'");
    j.cancel = o.cancel();
    const ProblemArgs& a = j.args;
    j.plan = Output(env, a.n * a.m, a.f64, true);
    j.logU = Output(env, a.n, a.f64, true);
    j.logV = Output(env, a.m, a.f64, true);
    return j;
  }

  template <typename T>
  Status run(const ProblemArgs::Staged& s) {
    cuda::SinkhornSolveProblem<T> p = args.problem<T>(s, klReg, cancel);
    p.maxIter = maxIter;
    p.tol = tol;
    p.record = record;
    cuda::SinkhornSolveOutputs<T> o;
    o.plan = static_cast<T*>(plan.devicePtr());
    o.logU = static_cast<T*>(logU.devicePtr());
    o.logV = static_cast<T*>(logV.devicePtr());
    if (record != cuda::SinkhornRecord::None) {
      history = std::make_shared<cuda::DeviceBuffer>();
      o.history = history.get();
    }
    const Status st = cuda::sinkhornSolveCuda(p, o);
    value = o.value;
    valueLinear = o.valueLinear;
    nIter = o.nIter;
    iterations = o.iterations;
    return st;
  }

  Status execute() {
    ProblemArgs::Staged s;
    OT_NAPI_TRY(args.stageInputs(s));
    for (Output* o : {&plan, &logU, &logV}) OT_NAPI_TRY(o->prepare());
    outcome = args.f64 ? run<double>(s) : run<float>(s);
    if (statusIsFailure(outcome)) return outcome;  // converged / max_iter / diverged are results
    return cuda::synchronize();
  }

  Napi::Value result(Napi::Env env) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("plan", plan.value(env));
    o.Set("logU", logU.value(env));
    o.Set("logV", logV.value(env));
    o.Set("value", Napi::Number::New(env, value));
    o.Set("valueLinear", Napi::Number::New(env, valueLinear));
    o.Set("nIter", Napi::Number::New(env, static_cast<double>(nIter)));
    o.Set("status", Napi::String::New(env, statusName(outcome)));
    if (history) o.Set("history", CudaBuffer::wrap(env, history));
    o.Set("iterations", Napi::Number::New(env, static_cast<double>(iterations)));
    return o;
  }
};

// sinkhornBackward({ M (CudaBuffer), a?, b?, n, m, reg, regType, history, iterations, lastStep, directTerms, gValue,
// gValueLinear, gPlan?, gLogU?, gLogV?, needM, cancel? }) -> [dM | null, da, db] (CudaBuffers in M's
// dtype): the CPU backward's fields over the GPU forward's history.
struct BackwardJob {
  Keeper keeper;
  ProblemArgs args;
  bool klReg = true;
  Operand history, gPlan, gLogU, gLogV;
  cuda::SinkhornBackwardInput<double> in;  // scalars and flags; pointers are set per dtype in run()
  CancelFlag cancel;
  Output dM, da, db;

  static const char* name() { return "solve (backward)"; }
  static BackwardJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const char* fn = name();
    const Options o(info, 0, fn);
    BackwardJob j;
    j.args = ProblemArgs::parse(env, o, fn, false);
    const ProblemArgs& a = j.args;
    j.klReg = klRegField(env, o, fn);
    j.in.iterations = static_cast<size_t>(o.integer("iterations", 1, kMaxIter));
    j.in.lastStep = o.boolean("lastStep");
    if (j.in.lastStep && j.in.iterations != 1)
      throwError(env, "ERR_OT_ARG", std::string(fn) + ": a last_step record holds one iteration, got iterations = " + std::to_string(j.in.iterations));
    j.in.directTerms = o.boolean("directTerms");
    j.history = operandValue(env, o.value("history"), fn, "history", false);
    const size_t K = j.in.iterations;
    const size_t rows = checkedEntries(env, fn, "history", {K, a.n + a.m});
    requireOperand(env, j.history, rows + a.n + (j.in.lastStep ? a.m : 0), a.f64, fn);
    j.in.gValue = o.number("gValue");
    j.in.gValueLinear = o.number("gValueLinear");
    j.gPlan = operandValue(env, o.value("gPlan"), fn, "gPlan", true);
    j.gLogU = operandValue(env, o.value("gLogU"), fn, "gLogU", true);
    j.gLogV = operandValue(env, o.value("gLogV"), fn, "gLogV", true);
    requireOperand(env, j.gPlan, a.n * a.m, a.f64, fn);
    requireOperand(env, j.gLogU, a.n, a.f64, fn);
    requireOperand(env, j.gLogV, a.m, a.f64, fn);
    j.cancel = o.cancel();
    if (o.boolean("needM")) j.dM = Output(env, a.n * a.m, a.f64, true);
    j.da = Output(env, a.n, a.f64, true);
    j.db = Output(env, a.m, a.f64, true);
    return j;
  }

  template <typename T>
  Status run(const ProblemArgs::Staged& s, const void* const* p) {
    cuda::SinkhornBackwardInput<T> b;
    b.history = static_cast<const T*>(p[0]);
    b.iterations = in.iterations;
    b.lastStep = in.lastStep;
    b.directTerms = in.directTerms;
    b.gValue = in.gValue;
    b.gValueLinear = in.gValueLinear;
    b.gPlan = static_cast<const T*>(p[1]);
    b.gLogU = static_cast<const T*>(p[2]);
    b.gLogV = static_cast<const T*>(p[3]);
    return cuda::sinkhornBackwardCuda(args.problem<T>(s, klReg, cancel), b, static_cast<T*>(dM.devicePtr()),
                                      static_cast<T*>(da.devicePtr()), static_cast<T*>(db.devicePtr()));
  }

  Status execute() {
    ProblemArgs::Staged s;
    OT_NAPI_TRY(args.stageInputs(s));
    BufferPtr h[4];
    const void* p[4] = {};
    const Operand* ops[4] = {&history, &gPlan, &gLogU, &gLogV};
    for (int k = 0; k < 4; ++k)
      if (ops[k]->present) OT_NAPI_TRY(stage(*ops[k], h[k], &p[k]));
    for (Output* o : {&dM, &da, &db}) OT_NAPI_TRY(o->prepare());
    OT_NAPI_TRY(args.f64 ? run<double>(s, p) : run<float>(s, p));
    return cuda::synchronize();
  }

  Napi::Value result(Napi::Env env) {
    Napi::Array out = Napi::Array::New(env, 3);
    out.Set(0u, dM.value(env));
    out.Set(1u, da.value(env));
    out.Set(2u, db.value(env));
    return out;
  }
};

// solveBatch({ M (CudaBuffer), a?, b?, B, n, m, reg, maxIter, tol, solver, regType ('entropy' | 'kl'), stopRule
// ('batch' | 'problem'), record: 'none', cancel? }) -> { plan, pot0, pot1 (CudaBuffers), values
// ([value | valueLinear], host), status, iters (Int32Array: native Status codes, POT's n_iter), nIter }:
// solveBatch's fields. The GPU solver keeps no trace, so record must be 'none'.
struct BatchJob {
  Keeper keeper;
  ProblemArgs args;
  double tol = 1e-9;
  int64_t maxIter = 1000;
  bool klReg = false;
  cuda::BatchSolver solver = cuda::BatchSolver::LogSinkhorn;
  cuda::BatchStop stop = cuda::BatchStop::Batch;
  CancelFlag cancel;
  Output plan, pot0, pot1, values;
  std::vector<int32_t> status, iters;
  int64_t nIter = 0;

  static const char* name() { return "solveBatch"; }
  static BatchJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const char* fn = name();
    const Options o(info, 0, fn);
    BatchJob j;
    j.args = ProblemArgs::parse(env, o, fn, true);
    const ProblemArgs& a = j.args;
    j.maxIter = o.integer("maxIter", 1, INT32_MAX);
    j.tol = o.number("tol");
    if (!(j.tol >= 0)) throwError(env, "ERR_OT_VALUE", std::string(fn) + ": tol must be >= 0, got " + num(j.tol));
    const std::string solver = o.string("solver");
    if (solver == "log_sinkhorn") j.solver = cuda::BatchSolver::LogSinkhorn;
    else if (solver == "sinkhorn") j.solver = cuda::BatchSolver::Sinkhorn;
    else throwError(env, "ERR_OT_ARG", std::string(fn) + ": solver must be 'log_sinkhorn' or 'sinkhorn', got '" + solver + "'");
    const std::string reg = o.string("regType");
    if (reg == "kl") j.klReg = true;
    else if (reg != "entropy") throwError(env, "ERR_OT_ARG", std::string(fn) + ": regType must be 'entropy' or 'kl', got '" + reg + "'");
    const std::string stop = o.string("stopRule");
    if (stop == "batch") j.stop = cuda::BatchStop::Batch;
    else if (stop == "problem") j.stop = cuda::BatchStop::Each;
    else throwError(env, "ERR_OT_ARG", std::string(fn) + ": stopRule must be 'batch' or 'problem', got '" + stop + "'");
    const std::string rec = o.string("record");
    if (rec != "none")
      throwError(env, "ERR_OT_DEVICE", std::string(fn) + ": record '" + rec + "' (the iterations for grad 'autodiff' / 'last_step') is not available on the GPU; record must be 'none'");
    j.cancel = o.cancel();
    j.plan = Output(env, a.B * a.n * a.m, a.f64, true);
    j.pot0 = Output(env, a.B * a.n, a.f64, true);
    j.pot1 = Output(env, a.B * a.m, a.f64, true);
    j.values = Output(env, 2 * a.B, a.f64, false);
    return j;
  }

  template <typename T>
  Status run(const ProblemArgs::Staged& s) {
    const size_t B = args.B;
    cuda::DeviceBuffer st, it;
    OT_NAPI_TRY(st.allocate(B, cuda::DType::Int32));
    OT_NAPI_TRY(it.allocate(B, cuda::DType::Int32));
    cuda::BatchOutputs<T> o;
    o.plan = static_cast<T*>(plan.devicePtr());
    o.pot0 = static_cast<T*>(pot0.devicePtr());
    o.pot1 = static_cast<T*>(pot1.devicePtr());
    o.value = static_cast<T*>(values.devicePtr());
    o.valueLinear = o.value + B;
    o.status = st.as<int32_t>();
    o.nIter = it.as<int32_t>();
    const Status r = cuda::batchSinkhornCuda(static_cast<const T*>(s.p[0]), static_cast<const T*>(s.p[1]),
                                             static_cast<const T*>(s.p[2]), B, args.n, args.m, args.reg, klReg, maxIter,
                                             tol, solver, stop, cancel, o);
    if (statusIsFailure(r)) return r;
    status.resize(B);
    iters.resize(B);
    OT_NAPI_TRY(st.download(status.data()));
    OT_NAPI_TRY(it.download(iters.data()));
    // The kernel counts iterations; POT's n_iter is the index of the last one.
    nIter = 0;
    for (int32_t& k : iters) {
      k -= 1;
      if (k > nIter) nIter = k;
    }
    return Status::Ok;
  }

  Status execute() {
    ProblemArgs::Staged s;
    OT_NAPI_TRY(args.stageInputs(s));
    Output* outs[] = {&plan, &pot0, &pot1, &values};
    for (Output* o : outs) OT_NAPI_TRY(o->prepare());
    OT_NAPI_TRY(args.f64 ? run<double>(s) : run<float>(s));
    for (Output* o : outs) OT_NAPI_TRY(o->finish());
    return Status::Ok;
  }

  static Napi::Int32Array int32s(Napi::Env env, const std::vector<int32_t>& v) {
    Napi::Int32Array a = Napi::Int32Array::New(env, v.size());
    if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * sizeof(int32_t));
    return a;
  }

  Napi::Value result(Napi::Env env) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("plan", plan.value(env));
    o.Set("pot0", pot0.value(env));
    o.Set("pot1", pot1.value(env));
    o.Set("values", values.value(env));
    o.Set("status", int32s(env, status));
    o.Set("iters", int32s(env, iters));
    o.Set("nIter", Napi::Number::New(env, static_cast<double>(nIter)));
    return o;
  }
};

DeviceRegistrar<SolveJob> solveJob("sinkhornSolve");
DeviceRegistrar<BackwardJob> backwardJob("sinkhornBackward");
DeviceRegistrar<BatchJob> batchJob("solveBatch");

#endif  // OT_WITH_CUDA

}  // namespace
}  // namespace ot::napi
