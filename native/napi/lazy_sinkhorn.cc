// N-API binding of the lazy log-domain Sinkhorn between point clouds (POT: ot.solve_sample(lazy=True)):
// lazySinkhorn, one options object, with an async (Promise) twin. Arguments are re-validated here; the
// caller is lib/backend/cpu/lazy.ts.
#include <string>

#include "cpu/lazy_sinkhorn.h"
#include "napi/sample_weights.h"
#include "napi/util.h"

namespace ot::napi {
namespace {

constexpr const char* kFn = "lazySinkhorn";

// lazySinkhorn({ x, y, a?, b?, n, m, d, reg, maxIter, tol, tile (0: auto), grad (boolean), linearGrad?,
//                cancel?, progress? })
//   -> { f: Float64Array [n], g: Float64Array [m], gradX: [n * d] | null, gradY: [m * d] | null,
//        linGradX: [n * d] | null, linGradY: [m * d] | null, lamF: Float64Array [n] | null, lamG: [m] | null,
//        value, valueLinear, err, nIter, status ('converged' | 'max_iter' | 'diverged'),
//        linearGradIter, linearGradConverged }
// linearGrad: also the gradient of valueLinear (cpu/lazy_linear_grad.h); progress: a BigInt64Array slot
// the kernel reports (iteration, error) into at each error check (common/progress.h).
// x [n, d], y [m, d] row-major, one dtype (a, b in it too); the cost is |x_i - y_j|^2, never stored.
struct LazySinkhornJob {
  Keeper keeper;
  ArrayView x, y, a, b;
  size_t n = 0, m = 0, d = 0, maxIter = 0, tile = 0;
  double reg = 1, tol = 0;
  bool grad = false, linearGrad = false;
  CancelFlag cancel;
  ProgressSlot progress;
  OutArray f, g, gradX, gradY, linGradX, linGradY, lamF, lamG;
  cpu::LazySinkhornResult<double> res64;
  cpu::LazySinkhornResult<float> res32;

  static const char* name() { return kFn; }

  static LazySinkhornJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    LazySinkhornJob job;
    const Options o(info, 0, kFn);
    job.x = o.floats("x");
    job.y = o.floats("y");
    const bool f64 = job.x.isFloat64;
    requireDtype(env, job.y, f64, kFn, "y", "x's");
    job.n = o.dim("n");
    job.m = o.dim("m");
    job.d = o.dim("d");
    requireLength(env, job.x, checkedEntries(env, kFn, "x", {job.n, job.d}), kFn, "x");
    requireLength(env, job.y, checkedEntries(env, kFn, "y", {job.m, job.d}), kFn, "y");
    requireFinite(env, job.x, kFn, "x");
    requireFinite(env, job.y, kFn, "y");
    job.a = sampleWeights(env, o, "a", f64, job.n, kFn);
    job.b = sampleWeights(env, o, "b", f64, job.m, kFn);
    job.reg = o.number("reg");
    if (!(job.reg > 0) || !std::isfinite(job.reg)) {
      throwError(env, "ERR_OT_VALUE", std::string(kFn) + ": reg must be a finite number > 0, got " + num(job.reg));
    }
    job.maxIter = static_cast<size_t>(o.integer("maxIter", 1, int64_t(1) << 40));
    job.tol = o.number("tol");
    if (!(job.tol >= 0)) throwError(env, "ERR_OT_VALUE", std::string(kFn) + ": tol must be a number >= 0, got " + num(job.tol));
    job.tile = static_cast<size_t>(o.integer("tile", 0, int64_t(1) << 30));
    job.grad = o.boolean("grad");
    job.linearGrad = o.flag("linearGrad");
    job.f = OutArray::floats(env, job.n, true);
    job.g = OutArray::floats(env, job.m, true);
    if (job.grad) {
      job.gradX = OutArray::floats(env, job.n * job.d, f64);
      job.gradY = OutArray::floats(env, job.m * job.d, f64);
    }
    if (job.linearGrad) {
      job.linGradX = OutArray::floats(env, job.n * job.d, f64);
      job.linGradY = OutArray::floats(env, job.m * job.d, f64);
      job.lamF = OutArray::floats(env, job.n, true);
      job.lamG = OutArray::floats(env, job.m, true);
    }
    job.cancel = o.cancel();
    job.progress = o.progress();
    return job;
  }

  template <typename T>
  Status run(cpu::LazySinkhornResult<T>& out) {
    cpu::LazySinkhornProblem<T> pb;
    pb.x = x.as<T>();
    pb.y = y.as<T>();
    pb.a = a.as<T>();
    pb.b = b.as<T>();
    pb.n = n;
    pb.m = m;
    pb.d = d;
    pb.reg = reg;
    pb.maxIter = maxIter;
    pb.tol = tol;
    pb.tile = tile;
    pb.wantGrad = grad;
    pb.wantLinearGrad = linearGrad;
    pb.cancel = cancel;
    pb.progress = progress;
    out.f = f.as<double>();
    out.g = g.as<double>();
    out.gradX = gradX.as<T>();
    out.gradY = gradY.as<T>();
    out.linGradX = linGradX.as<T>();
    out.linGradY = linGradY.as<T>();
    out.lamF = lamF.as<double>();
    out.lamG = lamG.as<double>();
    return cpu::lazySinkhorn(pb, out);
  }

  Status execute() { return x.isFloat64 ? run(res64) : run(res32); }

  template <typename T>
  Napi::Value fields(Napi::Env env, const cpu::LazySinkhornResult<T>& r) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("f", f.value(env));
    out.Set("g", g.value(env));
    out.Set("gradX", gradX.value(env));
    out.Set("gradY", gradY.value(env));
    out.Set("linGradX", linGradX.value(env));
    out.Set("linGradY", linGradY.value(env));
    out.Set("lamF", lamF.value(env));
    out.Set("lamG", lamG.value(env));
    out.Set("linearGradIter", Napi::Number::New(env, static_cast<double>(r.linearGradIter)));
    out.Set("linearGradConverged", Napi::Boolean::New(env, r.linearGradConverged));
    out.Set("value", Napi::Number::New(env, r.value));
    out.Set("valueLinear", Napi::Number::New(env, r.valueLinear));
    out.Set("err", Napi::Number::New(env, r.err));
    out.Set("nIter", Napi::Number::New(env, static_cast<double>(r.nIter)));
    out.Set("status", Napi::String::New(env, statusName(static_cast<Status>(r.status))));
    return out;
  }

  Napi::Value result(Napi::Env env) { return x.isFloat64 ? fields(env, res64) : fields(env, res32); }
};

void initLazySinkhorn(Napi::Env env, Napi::Object exports) { exportDeviceJob<LazySinkhornJob>(env, exports, kFn, "x"); }

Registrar reg(initLazySinkhorn);

}  // namespace
}  // namespace ot::napi
