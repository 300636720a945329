// N-API bindings of the 1-D exact solvers (POT: ot.wasserstein_1d, ot.emd_1d / emd2_1d):
// wasserstein1d (values and position gradients of the columns of [n, k] samples) and emd1d (one plan,
// dense or as its pieces), each taking one options object and with an async (Promise) twin. Arguments
// are re-validated here; the callers are lib/backend/cpu/oned.ts and, with u a CudaBuffer (routed to
// napi/cuda_oned.cc's Job), lib/backend/cuda/oned.ts.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "cpu/wasserstein1d.h"
#include "napi/sample_weights.h"
#include "napi/util.h"

namespace ot::napi {
namespace {

constexpr const char* kW1d = "wasserstein1d";
constexpr const char* kEmd1d = "emd1d";

// wasserstein1d({ u, v, uWeights?, vWeights?, n, m, k, p, needU, needV, cancel? })
//   -> { value: Float64Array [k], gradU: [n * k] | null, gradV: [m * k] | null }
// u [n, k] and v [m, k] row-major, one dtype; weights [n, k] per column or [n] shared by every column.
struct Wasserstein1dJob {
  Keeper keeper;
  ArrayView u, v, uw, vw;
  size_t n = 0, m = 0, k = 1;
  double p = 1;
  CancelFlag cancel;
  OutArray value, gradU, gradV;
  NaNGuard guard;

  static const char* name() { return kW1d; }

  static Wasserstein1dJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Wasserstein1dJob job;
    const Options o(info, 0, kW1d);
    job.u = o.floats("u");
    job.v = o.floats("v");
    const bool f64 = job.u.isFloat64;
    requireDtype(env, job.v, f64, kW1d, "v", "u's");
    job.n = o.dim("n");
    job.m = o.dim("m");
    job.k = o.dim("k");
    requireLength(env, job.u, checkedEntries(env, kW1d, "u", {job.n, job.k}), kW1d, "u");
    requireLength(env, job.v, checkedEntries(env, kW1d, "v", {job.m, job.k}), kW1d, "v");
    requireFinite(env, job.u, kW1d, "u");
    requireFinite(env, job.v, kW1d, "v");
    job.uw = sampleWeights(env, o, "uWeights", f64, job.n * job.k, kW1d, job.n);
    job.vw = sampleWeights(env, o, "vWeights", f64, job.m * job.k, kW1d, job.m);
    job.p = groundExponent(env, o, kW1d);
    job.cancel = o.cancel();
    job.value = OutArray::floats(env, job.k, true);
    if (o.boolean("needU")) job.gradU = OutArray::floats(env, job.n * job.k, f64);
    if (o.boolean("needV")) job.gradV = OutArray::floats(env, job.m * job.k, f64);
    return job;
  }

  Status execute() {
    const bool f64 = u.isFloat64;
    Status s = withFloatType(f64, [&](auto t) {
      using T = decltype(t);
      cpu::Wasserstein1dProblem<T> pb;
      pb.u = u.as<T>();
      pb.v = v.as<T>();
      pb.uWeights = uw.as<T>();
      pb.vWeights = vw.as<T>();
      // [n] weights with k > 1 columns are shared; with k = 1 both layouts are the same.
      pb.uWeightsShared = uw.data != nullptr && uw.length != n * k;
      pb.vWeightsShared = vw.data != nullptr && vw.length != m * k;
      pb.n = n;
      pb.m = m;
      pb.k = k;
      pb.p = p;
      pb.cancel = cancel;
      cpu::Wasserstein1dResult<T> out;
      out.value = value.as<double>();
      out.gradU = gradU.as<T>();
      out.gradV = gradV.as<T>();
      return cpu::wasserstein1d(pb, out);
    });
    if (s == Status::Ok) {
      // Finite inputs can still overflow |u - v|^p; report it rather than return inf * 0 = NaN.
      guard.scan(value.data, k, true, "the value");
      guard.scan(gradU.data, n * k, f64, "the gradient of u");
      guard.scan(gradV.data, m * k, f64, "the gradient of v");
    }
    return s;
  }

  Napi::Value result(Napi::Env env) {
    guard.check(env, kW1d);
    Napi::Object out = Napi::Object::New(env);
    out.Set("value", value.value(env));
    out.Set("gradU", gradU.value(env));
    out.Set("gradV", gradV.value(env));
    return out;
  }
};

// emd1d({ xA, xB, a?, b?, n, m, p, dense }) (one sort-and-walk, too short to poll a cancel flag)
//   -> { value, plan: [n * m] (xA's dtype) | null, rows / cols: Uint32Array | null, mass: Float64Array | null }
// dense: the n x m plan; otherwise its at most n + m - 1 pieces (row, column, mass), as POT's coo_matrix.
// The masses must agree (to POT's 6 decimals, relative above 1); b is then rescaled to a's total as POT does.
struct Emd1dJob {
  Keeper keeper;
  ArrayView xA, xB, a, b;
  size_t n = 0, m = 0;
  double p = 2;
  bool dense = true;
  OutArray plan;
  std::vector<size_t> rows, cols;
  std::vector<double> mass;
  double value = 0;
  size_t count = 0;

  static const char* name() { return kEmd1d; }

  static Emd1dJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Emd1dJob job;
    const Options o(info, 0, kEmd1d);
    job.xA = o.floats("xA");
    job.xB = o.floats("xB");
    const bool f64 = job.xA.isFloat64;
    requireDtype(env, job.xB, f64, kEmd1d, "xB", "xA's");
    job.n = o.dim("n");
    job.m = o.dim("m");
    requireLength(env, job.xA, job.n, kEmd1d, "xA");
    requireLength(env, job.xB, job.m, kEmd1d, "xB");
    requireFinite(env, job.xA, kEmd1d, "xA");
    requireFinite(env, job.xB, kEmd1d, "xB");
    job.a = sampleWeights(env, o, "a", f64, job.n, kEmd1d);
    job.b = sampleWeights(env, o, "b", f64, job.m, kEmd1d);
    const double sa = weightTotal(job.a), sb = weightTotal(job.b);
    if (std::fabs(sa - sb) >= 1.5e-6 * std::max(1.0, std::max(sa, sb)))
      throwError(env, "ERR_OT_VALUE",
                 std::string(kEmd1d) + ": a and b must have the same total mass, got " + num(sa) + " and " + num(sb));
    if (!(sa > 0)) throwError(env, "ERR_OT_VALUE", std::string(kEmd1d) + ": a and b must have a positive total mass, got " + num(sa));
    job.p = groundExponent(env, o, kEmd1d);
    job.dense = o.boolean("dense");
    if (job.dense) {
      job.plan = OutArray::floats(env, checkedEntries(env, kEmd1d, "the plan", {job.n, job.m}), f64);
    } else if (job.n + job.m > kMaxTypedArrayLength) {
      throwError(env, "ERR_OT_SHAPE", std::string(kEmd1d) + ": the sparse plan indexes at most 2^32 atoms per side");
    }
    return job;
  }

  Status execute() {
    if (!dense) {
      rows.resize(n + m);
      cols.resize(n + m);
      mass.resize(n + m);
    }
    return withFloatType(xA.isFloat64, [&](auto t) {
      using T = decltype(t);
      cpu::Emd1dProblem<T> pb;
      pb.xA = xA.as<T>();
      pb.xB = xB.as<T>();
      pb.a = a.as<T>();
      pb.b = b.as<T>();
      pb.n = n;
      pb.m = m;
      pb.p = p;
      cpu::Emd1dResult<T> out;
      out.plan = plan.as<T>();
      if (!dense) {
        out.rows = rows.data();
        out.cols = cols.data();
        out.mass = mass.data();
      }
      const Status s = cpu::emd1d(pb, out);
      value = out.value;
      count = out.count;
      return s;
    });
  }

  Napi::Value result(Napi::Env env) {
    if (std::isnan(value))
      throwError(env, "ERR_OT_VALUE", std::string(kEmd1d) + ": the cost overflowed (|xA - xB|^p is not finite)");
    Napi::Object out = Napi::Object::New(env);
    out.Set("value", Napi::Number::New(env, value));
    out.Set("plan", plan.value(env));
    if (dense) {
      out.Set("rows", env.Null());
      out.Set("cols", env.Null());
      out.Set("mass", env.Null());
      return out;
    }
    Napi::Uint32Array r = Napi::Uint32Array::New(env, count), c = Napi::Uint32Array::New(env, count);
    Napi::Float64Array w = Napi::Float64Array::New(env, count);
    for (size_t i = 0; i < count; ++i) {
      r[i] = static_cast<uint32_t>(rows[i]);
      c[i] = static_cast<uint32_t>(cols[i]);
      w[i] = mass[i];
    }
    out.Set("rows", r);
    out.Set("cols", c);
    out.Set("mass", w);
    return out;
  }
};

void initWasserstein1d(Napi::Env env, Napi::Object exports) {
  // A CudaBuffer u runs the CUDA Job of napi/cuda_oned.cc; emd1d has none.
  exportDeviceJob<Wasserstein1dJob>(env, exports, "wasserstein1d", "u");
  exportJob<Emd1dJob>(env, exports, "emd1d");
}

Registrar reg(initWasserstein1d);

}  // namespace
}  // namespace ot::napi
