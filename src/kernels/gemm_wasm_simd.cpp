// The WebAssembly SIMD128 micro-kernel: a 4×8 tile of C in eight v128 accumulators. A 6×8 tile
// (twelve accumulators, two B vectors and a broadcast: 15 registers) is too many for V8 on x64,
// which has 16 XMM registers and keeps one for itself: it ran ResNet-18 in 154 ms under node
// where this one takes 104. SIMD128 has no fused multiply-add outside relaxed-simd, so it is a
// multiply and an add.
#include "kernels/micro_kernel.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

namespace heatlens {

#if defined(__wasm_simd128__)

namespace {

#define HEATLENS_ROW(r)                                        \
  {                                                            \
    const v128_t av = wasm_v128_load32_splat(a + (r));         \
    c##r##0 = wasm_f32x4_add(c##r##0, wasm_f32x4_mul(av, b0)); \
    c##r##1 = wasm_f32x4_add(c##r##1, wasm_f32x4_mul(av, b1)); \
  }

void kernel_4x8(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                bool accumulate) {
  v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  v128_t c30 = c00, c31 = c00;
  for (int64_t p = 0; p < kc; ++p) {
    const v128_t b0 = wasm_v128_load(b);
    const v128_t b1 = wasm_v128_load(b + 4);
    HEATLENS_ROW(0)
    HEATLENS_ROW(1)
    HEATLENS_ROW(2)
    HEATLENS_ROW(3)
    a += 4;
    b += 8;
  }
  v128_t acc[4][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}};
  for (int r = 0; r < 4; ++r) {
    float* row = c + r * ldc;
    if (accumulate) {
      acc[r][0] = wasm_f32x4_add(acc[r][0], wasm_v128_load(row));
      acc[r][1] = wasm_f32x4_add(acc[r][1], wasm_v128_load(row + 4));
    }
    wasm_v128_store(row, acc[r][0]);
    wasm_v128_store(row + 4, acc[r][1]);
  }
}

#undef HEATLENS_ROW

const MicroKernel kWasmSimd{"wasm-simd128 4x8", 4, 8, kernel_4x8};

}  // namespace

const MicroKernel* wasm_simd_kernel() {
  return &kWasmSimd;
}

#else

const MicroKernel* wasm_simd_kernel() {
  return nullptr;
}

#endif

}  // namespace heatlens
