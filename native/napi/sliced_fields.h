// The result object of slicedWasserstein, shared by its CPU Job (napi/sliced.cc) and its CUDA Job
// (napi/cuda_oned.cc): the same fields on both devices, the arrays as each device's outputs.
#pragma once
#include <napi.h>

#include <cstddef>

namespace ot::napi {

template <class Projected, class Grad>
Napi::Object slicedFields(Napi::Env env, double value, double maxValue, size_t argMax, Projected& projected, Grad& gradS,
                          Grad& gradT) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("value", Napi::Number::New(env, value));
  out.Set("maxValue", Napi::Number::New(env, maxValue));
  out.Set("argMax", Napi::Number::New(env, static_cast<double>(argMax)));
  out.Set("projected", projected.value(env));
  out.Set("gradS", gradS.value(env));
  out.Set("gradT", gradT.value(env));
  return out;
}

}  // namespace ot::napi
