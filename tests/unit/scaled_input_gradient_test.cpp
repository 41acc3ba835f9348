// A convolution's scaled input gradient (Op::scaled_input_gradient: LRP's x ⊙ Wᵀs, multiplied
// as the kernels write Wᵀs) must equal its input gradient multiplied apart, bit for bit, on
// every path the input gradient takes.
#include <catch2/catch.hpp>

#include "core/thread_pool.h"
#include "engine/engine.h"
#include "explain/host_tensor_math.h"
#include "test_models.h"

using heatlens::Engine;
using heatlens::Tensor;
using heatlens::test::load;
using heatlens::test::random_tensor;

TEST_CASE("a convolution's scaled input gradient equals its input gradient times the factor",
          "[explain][lrp]") {
  struct Case {
    const char* what;
    heatlens::Shape x, w;
    int64_t group, stride, dilation, pad;
    bool kept, winograd;
  };
  const Case cases[] = {
      {"pointwise, kept Wᵀ (the GEMM's epilogue)",
       {1, 6, 9, 7},
       {5, 6, 1, 1},
       1,
       1,
       1,
       0,
       true,
       false},
      {"pointwise, a batch", {2, 6, 9, 7}, {5, 6, 1, 1}, 1, 1, 1, 0, true, false},
      {"3×3, flipped filter", {1, 4, 11, 10}, {6, 4, 3, 3}, 1, 1, 1, 1, true, false},
      {"3×3, flipped filter by Winograd", {1, 32, 14, 13}, {32, 32, 3, 3}, 1, 1, 1, 1, true, true},
      {"3×3 stride 2, kept Wᵀ and col2im", {1, 4, 11, 10}, {6, 4, 3, 3}, 1, 2, 1, 1, true, false},
      {"an input layer by bands", {1, 3, 230, 226}, {4, 3, 3, 3}, 1, 2, 1, 1, true, false},
      {"3×3, Wᵀ packed per call", {1, 4, 11, 10}, {6, 4, 3, 3}, 1, 1, 1, 1, false, false},
      {"pointwise, Wᵀ packed per call", {1, 6, 9, 7}, {5, 6, 1, 1}, 1, 1, 1, 0, false, false},
      {"two groups", {2, 6, 9, 8}, {4, 3, 3, 3}, 2, 1, 1, 1, true, false},
      {"depthwise, stride 1", {1, 5, 20, 21}, {5, 1, 3, 3}, 5, 1, 1, 1, true, false},
      {"depthwise, stride 2 (half rows)", {2, 5, 20, 21}, {5, 1, 5, 5}, 5, 2, 1, 2, true, false},
      {"depthwise, dilated", {1, 5, 20, 21}, {5, 1, 3, 3}, 5, 1, 2, 2, true, false}};
  heatlens::ThreadPool pool(2);
  for (const Case& c : cases) {
    INFO(c.what);
    Engine e = load(heatlens::test::conv_model(c.x, random_tensor(c.w, 81), Tensor(), c.group,
                                               c.stride, c.dilation, c.pad));
    const heatlens::Node& conv = e.graph().nodes[0];
    heatlens::ExecContext ctx;
    ctx.pool = &pool;
    ctx.keep_transposed_weights = c.kept;
    ctx.transformed_weights = c.winograd;
    const Tensor x = random_tensor(c.x, 82), w = random_tensor(c.w, 81);
    const Tensor y = conv.op->forward({x, w}, ctx)[0];
    const heatlens::Tensors in = {x, w}, outputs(1), dy = {random_tensor(y.shape(), 83)};
    const std::vector<heatlens::ValueType> types = {{heatlens::DType::f32, c.x, Tensor()},
                                                    {heatlens::DType::f32, c.w, Tensor()}};
    const std::vector<bool> need = {true, false};
    const heatlens::VjpArgs args{types, in, outputs, dy, need, ctx};
    const Tensor factor = random_tensor(c.x, 84);
    const Tensor want = heatlens::multiply(factor, conv.op->vjp(args)[0], ctx);
    const Tensor got = conv.op->scaled_input_gradient(args, 0, factor);
    REQUIRE(got.shape() == want.shape());
    int64_t differ = 0;
    for (int64_t i = 0; i < want.numel(); ++i) differ += got.f32()[i] != want.f32()[i];
    CHECK(differ == 0);
    // Only the data input's gradient is scaled; a factor of another shape is refused.
    CHECK_FALSE(conv.op->scaled_input_gradient(args, 1, w).defined());
    CHECK_THROWS_WITH(conv.op->scaled_input_gradient(args, 0, w),
                      Catch::Contains("a factor shaped"));
  }
}
