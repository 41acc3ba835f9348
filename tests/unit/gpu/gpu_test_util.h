// What the GPU tests share: the relative error they hold the GPU to (max |got − want| over
// max |want|).
#pragma once

#include <catch2/catch.hpp>
#include <cmath>

#include "core/tensor.h"

namespace heatlens::test {

inline double relative_error(const Tensor& got, const Tensor& want) {
  REQUIRE(got.shape() == want.shape());
  double diff = 0, ref = 1e-6;
  for (int64_t i = 0; i < want.numel(); ++i) {
    diff = std::max(diff, static_cast<double>(std::fabs(got.f32()[i] - want.f32()[i])));
    ref = std::max(ref, static_cast<double>(std::fabs(want.f32()[i])));
  }
  return diff / ref;
}

}  // namespace heatlens::test
