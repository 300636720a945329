// N-API binding of the dense matrix product (Tensor.matmul and its backward, native/cpu/matmul.cc):
// one options object, an async (Promise) twin. Arguments are re-validated here; the caller is
// lib/tensor/matmul.ts.
#include <string>

#include "cpu/matmul.h"
#include "napi/util.h"

namespace ot::napi {
namespace {

constexpr const char* kMatmul = "matmul";

// matmul({ a, b, n, k, m, transA, transB, cancel? }) -> Float32Array | Float64Array [n * m] (a's dtype)
// a is [n, k] ([k, n] when transA), b is [k, m] ([m, k] when transB), both row-major, one dtype.
struct MatmulJob {
  Keeper keeper;
  ArrayView a, b;
  size_t n = 0, k = 0, m = 0;
  bool transA = false, transB = false;
  CancelFlag cancel;
  OutArray c;

  static const char* name() { return kMatmul; }

  static MatmulJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    MatmulJob job;
    const Options o(info, 0, kMatmul);
    job.a = o.floats("a");
    job.b = o.floats("b");
    const bool f64 = job.a.isFloat64;
    requireDtype(env, job.b, f64, kMatmul, "b", "a's");
    job.n = o.dim("n");
    job.k = o.dim("k");
    job.m = o.dim("m");
    requireLength(env, job.a, checkedEntries(env, kMatmul, "a", {job.n, job.k}), kMatmul, "a");
    requireLength(env, job.b, checkedEntries(env, kMatmul, "b", {job.k, job.m}), kMatmul, "b");
    job.transA = o.boolean("transA");
    job.transB = o.boolean("transB");
    job.cancel = o.cancel();
    job.c = OutArray::floats(env, checkedEntries(env, kMatmul, "the product", {job.n, job.m}), f64);
    return job;
  }

  Status execute() {
    return withFloatType(a.isFloat64, [&](auto t) {
      using T = decltype(t);
      cpu::MatmulProblem<T> pb;
      pb.a = a.as<T>();
      pb.b = b.as<T>();
      pb.c = c.as<T>();
      pb.n = n;
      pb.k = k;
      pb.m = m;
      pb.transA = transA;
      pb.transB = transB;
      pb.cancel = cancel;
      return cpu::matmul(pb);
    });
  }

  Napi::Value result(Napi::Env env) { return c.value(env); }
};

void initMatmul(Napi::Env env, Napi::Object exports) { exportJob<MatmulJob>(env, exports, kMatmul); }

Registrar reg(initMatmul);

}  // namespace
}  // namespace ot::napi
