// N-API binding of the optimiser updates (common/optim.h): optimStep updates every parameter of an
// ot.optim optimiser in one call, so a small optimisation step pays one boundary crossing and runs
// compiled code from its first call (no dependence on the JS engine warming up a per-element loop).
#include <string>

#include "common/optim.h"
#include "napi/util.h"

namespace ot::napi {
namespace {

constexpr const char* kFn = "step";
constexpr uint32_t kStride = 5;  // x, g, s1, s2, s3 per parameter

// optimStep({ rule: 'adam' | 'sgd', hyper: Float64Array, tensors: [x, g, s1, s2, s3, ...], steps: Float64Array })
//   hyper (Adam): lr, beta1, beta2, eps, weightDecay, amsgrad, maximize
//   hyper (SGD):  lr, momentum, dampening, weightDecay, nesterov, maximize
//   steps[k]: parameter k's update count including this one. x is updated in place, with the state.
struct OptimStepJob {
  Keeper keeper;
  optim::Config cfg;
  struct Item {
    ArrayView x, g, s1, s2, s3;
    double step;
  };
  std::vector<Item> items;

  static const char* name() { return kFn; }

  static optim::Config config(Napi::Env env, const std::string& rule, const ArrayView& h) {
    requireLength(env, h, 7, kFn, "hyper");
    if (!h.isFloat64) throwError(env, "ERR_OT_DTYPE", std::string(kFn) + ": hyper must be a Float64Array");
    requireFinite(env, h, kFn, "hyper");
    const double* p = h.as<double>();
    optim::Config c;
    if (rule == "adam") {
      c.rule = optim::Rule::Adam;
      c.adam = {p[0], p[1], p[2], p[3], p[4], p[5] != 0, p[6] != 0};
    } else if (rule == "sgd") {
      c.rule = optim::Rule::Sgd;
      c.sgd = {p[0], p[1], p[2], p[3], p[4] != 0, p[5] != 0};
    } else {
      throwError(env, "ERR_OT_ARG", std::string(kFn) + ": rule must be 'adam' or 'sgd', got '" + rule + "'");
    }
    return c;
  }

  static OptimStepJob parse(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const Options o(info, 0, kFn);
    OptimStepJob job;
    job.cfg = config(env, o.string("rule"), o.floats("hyper"));
    const Napi::Value list = o.value("tensors");
    if (!list.IsArray()) throwError(env, "ERR_OT_ARG", std::string(kFn) + ": tensors must be an Array, got " + typeName(list));
    const Napi::Array arr = list.As<Napi::Array>();
    const ArrayView steps = o.floats("steps");
    if (!steps.isFloat64) throwError(env, "ERR_OT_DTYPE", std::string(kFn) + ": steps must be a Float64Array");
    if (arr.Length() != steps.length * kStride)
      throwError(env, "ERR_OT_SHAPE", std::string(kFn) + ": tensors has " + std::to_string(arr.Length()) + " entries, expected " +
                                          std::to_string(steps.length * kStride) + " (5 per parameter)");
    const bool adam = job.cfg.rule == optim::Rule::Adam;
    // Which state arrays the rule reads: Adam's two moments (and the maximum with amsgrad), SGD's buffer with momentum.
    const bool need[3] = {adam || job.cfg.sgd.momentum != 0, adam, adam && job.cfg.adam.amsgrad};
    job.items.resize(steps.length);
    for (size_t k = 0; k < steps.length; ++k) {
      Item& it = job.items[k];
      const std::string at = "params[" + std::to_string(k) + "]";
      it.x = floatValue(arr.Get(uint32_t(k * kStride)), kFn, "a parameter", env);
      it.g = floatValue(arr.Get(uint32_t(k * kStride + 1)), kFn, "a gradient", env);
      requireLength(env, it.g, it.x.length, kFn, (at + ".grad").c_str());
      requireDtype(env, it.g, it.x.isFloat64, kFn, (at + ".grad").c_str(), "the parameter's");
      ArrayView* s[3] = {&it.s1, &it.s2, &it.s3};
      for (int j = 0; j < 3; ++j) {
        if (!need[j]) continue;
        *s[j] = floatValue(arr.Get(uint32_t(k * kStride + 2 + j)), kFn, "an optimiser state", env);
        requireLength(env, *s[j], it.x.length, kFn, (at + "'s state").c_str());
        requireDtype(env, *s[j], it.x.isFloat64, kFn, (at + "'s state").c_str(), "the parameter's");
      }
      it.step = steps.as<double>()[k];
      if (!(it.step >= 1) || it.step != static_cast<double>(static_cast<int64_t>(it.step)))
        throwError(env, "ERR_OT_VALUE", std::string(kFn) + ": steps[" + std::to_string(k) + "] must be an integer >= 1, got " + num(it.step));
    }
    return job;
  }

  Status execute() {
    for (const Item& it : items) {
      withFloatType(it.x.isFloat64, [&](auto t) {
        using T = decltype(t);
        optim::Param<T> p;
        p.x = it.x.as<T>();
        p.g = it.g.as<T>();
        p.s1 = it.s1.as<T>();
        p.s2 = it.s2.as<T>();
        p.s3 = it.s3.as<T>();
        p.len = it.x.length;
        p.step = it.step;
        optim::update(cfg, p);
        return 0;
      });
    }
    return Status::Ok;
  }

  Napi::Value result(Napi::Env env) { return env.Undefined(); }
};

void initOptim(Napi::Env env, Napi::Object exports) {
  // Synchronous only: an update of a few parameters is far shorter than a trip to the thread pool.
  exports.Set("optimStep", Napi::Function::New(env, runSync<OptimStepJob>, "optimStep"));
}

ot::napi::Registrar reg(initOptim);

}  // namespace
}  // namespace ot::napi
