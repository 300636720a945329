// GPU Job of lazySinkhorn (POT: ot.solve_sample(lazy=True)), registered under the CPU export's name and run
// when x is a CudaBuffer: the CPU binding's options object (y, a, b may be host typed arrays or CudaBuffers)
// and its fields, with f and g copied to the host (O(n + m)) and the point gradients kept on the GPU.
#include <cmath>
#include <string>

#include "napi/cuda_buffer.h"
#include "napi/util.h"

#ifdef OT_WITH_CUDA
#include "cuda/lazy_sinkhorn.h"
#endif

namespace ot::napi {
namespace {

#ifdef OT_WITH_CUDA

constexpr const char* kFn = "lazySinkhorn";

// lazySinkhorn({ x (CudaBuffer), y, a?, b?, n, m, d, reg, maxIter, tol, tile (ignored: the GPU sizes its
// own tiles), grad, cancel? }) -> napi/lazy_sinkhorn.cc's fields; gradX / gradY are CudaBuffers.
struct LazySinkhornCudaJob {
  Keeper keeper;
  Operand x, y, a, b;
  size_t n = 0, m = 0, d = 0, maxIter = 0;
  double reg = 1, tol = 0;
  bool grad = false, f64 = false;
  CancelFlag cancel;
  OutArray f, g;  // host, written by the kernel's last copies
  Output gradX, gradY;
  double value = 0, valueLinear = 0, err = 0;
  size_t nIter = 0;
  int status = 0;

  static const char* name() { return kFn; }

  static LazySinkhornCudaJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    requireDevice(env, kFn);
    const Options o(info, 0, kFn);
    LazySinkhornCudaJob j;
    j.x = operandValue(env, o.value("x"), kFn, "x", false);
    j.y = operandValue(env, o.value("y"), kFn, "y", false);
    j.a = operandValue(env, o.value("a"), kFn, "a", true);
    j.b = operandValue(env, o.value("b"), kFn, "b", true);
    j.f64 = j.x.f64;
    j.n = o.dim("n");
    j.m = o.dim("m");
    j.d = o.dim("d");
    requireOperand(env, j.x, checkedEntries(env, kFn, "x", {j.n, j.d}), j.f64, kFn);
    requireOperand(env, j.y, checkedEntries(env, kFn, "y", {j.m, j.d}), j.f64, kFn);
    requireOperand(env, j.a, j.n, j.f64, kFn);
    requireOperand(env, j.b, j.m, j.f64, kFn);
    j.reg = o.number("reg");
    if (!(j.reg > 0) || !std::isfinite(j.reg)) {
      throwError(env, "ERR_OT_VALUE", std::string(kFn) + ": reg must be a finite number > 0, got " + num(j.reg));
    }
    j.maxIter = static_cast<size_t>(o.integer("maxIter", 1, int64_t(1) << 40));
    j.tol = o.number("tol");
    if (!(j.tol >= 0)) throwError(env, "ERR_OT_VALUE", std::string(kFn) + ": tol must be a number >= 0, got " + num(j.tol));
    o.integer("tile", 0, int64_t(1) << 30);  // validated as on the CPU; the GPU sizes tiles for its shared memory
    j.grad = o.boolean("grad");
    j.f = OutArray::floats(env, j.n, true);
    j.g = OutArray::floats(env, j.m, true);
    if (j.grad) {
      j.gradX = Output(env, j.n * j.d, j.f64, true);
      j.gradY = Output(env, j.m * j.d, j.f64, true);
    }
    j.cancel = o.cancel();
    return j;
  }

  template <typename T>
  Status run(const void* px, const void* py, const void* pa, const void* pb) {
    cuda::LazySinkhornCudaProblem<T> p;
    p.x = static_cast<const T*>(px);
    p.y = static_cast<const T*>(py);
    p.a = static_cast<const T*>(pa);
    p.b = static_cast<const T*>(pb);
    p.n = n;
    p.m = m;
    p.d = d;
    p.reg = reg;
    p.maxIter = maxIter;
    p.tol = tol;
    p.wantGrad = grad;
    p.cancel = cancel;
    cuda::LazySinkhornCudaResult<T> r;
    r.f = f.as<double>();
    r.g = g.as<double>();
    r.gradX = static_cast<T*>(gradX.devicePtr());
    r.gradY = static_cast<T*>(gradY.devicePtr());
    OT_NAPI_TRY(cuda::lazySinkhornCuda(p, r));
    value = r.value;
    valueLinear = r.valueLinear;
    err = r.err;
    nIter = r.nIter;
    status = r.status;
    return Status::Ok;
  }

  Status execute() {
    BufferPtr hx, hy, ha, hb;
    const void *px = nullptr, *py = nullptr, *pa = nullptr, *pb = nullptr;
    OT_NAPI_TRY(stage(x, hx, &px));
    OT_NAPI_TRY(stage(y, hy, &py));
    if (a.present) OT_NAPI_TRY(stage(a, ha, &pa));
    if (b.present) OT_NAPI_TRY(stage(b, hb, &pb));
    for (Output* o : {&gradX, &gradY}) OT_NAPI_TRY(o->prepare());
    OT_NAPI_TRY(f64 ? run<double>(px, py, pa, pb) : run<float>(px, py, pa, pb));
    for (Output* o : {&gradX, &gradY}) OT_NAPI_TRY(o->finish());
    return Status::Ok;
  }

  Napi::Value result(Napi::Env env) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("f", f.value(env));
    out.Set("g", g.value(env));
    out.Set("gradX", gradX.value(env));
    out.Set("gradY", gradY.value(env));
    out.Set("value", Napi::Number::New(env, value));
    out.Set("valueLinear", Napi::Number::New(env, valueLinear));
    out.Set("err", Napi::Number::New(env, err));
    out.Set("nIter", Napi::Number::New(env, static_cast<double>(nIter)));
    out.Set("status", Napi::String::New(env, statusName(static_cast<Status>(status))));
    return out;
  }
};

DeviceRegistrar<LazySinkhornCudaJob> lazyJob(kFn);

#endif  // OT_WITH_CUDA

}  // namespace
}  // namespace ot::napi
