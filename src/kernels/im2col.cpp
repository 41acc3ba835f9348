#include "kernels/im2col.h"

#include <algorithm>

#include "kernels/cpu_clones.h"

namespace heatlens {

void im2col(const float* image, const ConvGeometry& g, float* col, const ExecContext* ctx) {
  const int64_t rows = g.channels * g.k_h * g.k_w;
  const int64_t cols = g.out_h * g.out_w;
  auto body = [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t c = r / (g.k_h * g.k_w);
      const int64_t i = (r / g.k_w) % g.k_h;
      const int64_t j = r % g.k_w;
      const float* img = image + c * g.in_h * g.in_w;
      float* dst = col + r * cols;
      for (int64_t oy = 0; oy < g.out_h; ++oy) {
        const int64_t y = oy * g.stride_h - g.pad_top + i * g.dilation_h;
        float* out = dst + oy * g.out_w;
        if (y < 0 || y >= g.in_h) {
          std::fill(out, out + g.out_w, 0.0f);
          continue;
        }
        const float* src = img + y * g.in_w;
        const int64_t x0 = j * g.dilation_w - g.pad_left;
        if (x0 >= 0 && x0 + (g.out_w - 1) * g.stride_w < g.in_w) {
          // The whole row inside the image: no bounds test per pixel.
          if (g.stride_w == 1) {
            std::copy(src + x0, src + x0 + g.out_w, out);
          } else {
            for (int64_t ox = 0; ox < g.out_w; ++ox) out[ox] = src[ox * g.stride_w + x0];
          }
          continue;
        }
        for (int64_t ox = 0; ox < g.out_w; ++ox) {
          const int64_t x = ox * g.stride_w + x0;
          out[ox] = (x >= 0 && x < g.in_w) ? src[x] : 0.0f;
        }
      }
    }
  };
  if (ctx)
    ctx->parallel_for(rows, body, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, cols)));
  else
    body(0, rows);
}

namespace {

// d[2t] += a[t] and d[2t + 1] += b[t]: two neighbouring taps of a stride-2 kernel row, whose
// columns interleave in the image, added as one contiguous run (the vectoriser interleaves a
// and b with shuffles) where each alone was a scalar add every other element.
HEATLENS_CPU_CLONES void add_interleaved(float* __restrict d, const float* __restrict a,
                                         const float* __restrict b, int64_t n) {
  for (int64_t t = 0; t < n; ++t) {
    d[2 * t] += a[t];
    d[2 * t + 1] += b[t];
  }
}

// One channel's taps j0 (and j0 + 1 when `pair`) of kernel row i, stride-2 columns.
void col2im_taps(const float* col, const ConvGeometry& g, int64_t c, int64_t i, int64_t j0,
                 bool pair, float* img) {
  const int64_t cols = g.out_h * g.out_w, per_channel = g.k_h * g.k_w;
  const int64_t y0 = i * g.dilation_h - g.pad_top;
  const IndexRange ys = inside_range(y0, g.stride_h, g.in_h, g.out_h);
  const int64_t x0 = j0 * g.dilation_w - g.pad_left;
  const IndexRange a = inside_range(x0, 2, g.in_w, g.out_w);
  // Tap j0 + 1 reads one column right of tap j0: inside from no later and up to no later
  // (b.lo ≤ a.lo, b.hi ≤ a.hi), so it may stand alone on the left and tap j0 on the right.
  const IndexRange b = pair ? inside_range(x0 + 1, 2, g.in_w, g.out_w) : IndexRange{0, 0};
  const float* src_a = col + (c * per_channel + i * g.k_w + j0) * cols;
  const float* src_b = src_a + cols;
  for (int64_t oy = ys.lo; oy < ys.hi; ++oy) {
    float* row = img + (oy * g.stride_h + y0) * g.in_w;  // tap j0 of output column t: x0 + 2t
    const float* sa = src_a + oy * g.out_w;
    const float* sb = src_b + oy * g.out_w;
    for (int64_t t = b.lo; t < std::min(a.lo, b.hi); ++t) row[x0 + 2 * t + 1] += sb[t];
    if (b.hi > a.lo) add_interleaved(row + x0 + 2 * a.lo, sa + a.lo, sb + a.lo, b.hi - a.lo);
    for (int64_t t = std::max(a.lo, b.hi); t < a.hi; ++t) row[x0 + 2 * t] += sa[t];
  }
}

}  // namespace

void col2im(const float* col, const ConvGeometry& g, float* image, const ExecContext* ctx) {
  const int64_t cols = g.out_h * g.out_w;
  const int64_t per_channel = g.k_h * g.k_w;
  // Undilated stride-2 columns: neighbouring taps of a kernel row in pairs (col2im_taps).
  const bool pairs = g.stride_w == 2 && g.dilation_w == 1;
  // Each channel's rows write only that channel, so channels run in parallel. A tap's output
  // rows and columns that land inside the image form one range each, found once per tap, so
  // the inner loop is a plain (stride 1: contiguous, vectorised) add with no bounds test.
  auto body = [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      float* img = image + c * g.in_h * g.in_w;
      if (pairs) {
        // Each image element still takes its taps' additions in the order of the taps.
        for (int64_t i = 0; i < g.k_h; ++i)
          for (int64_t j = 0; j < g.k_w; j += 2) col2im_taps(col, g, c, i, j, j + 1 < g.k_w, img);
        continue;
      }
      for (int64_t q = 0; q < per_channel; ++q) {
        const int64_t i = q / g.k_w, j = q % g.k_w;
        const int64_t y0 = i * g.dilation_h - g.pad_top, x0 = j * g.dilation_w - g.pad_left;
        const IndexRange ys = inside_range(y0, g.stride_h, g.in_h, g.out_h);
        const IndexRange xs = inside_range(x0, g.stride_w, g.in_w, g.out_w);
        const int64_t n = xs.hi - xs.lo;
        if (n <= 0) continue;
        const float* src = col + (c * per_channel + q) * cols + xs.lo;
        for (int64_t oy = ys.lo; oy < ys.hi; ++oy) {
          float* dst = img + (oy * g.stride_h + y0) * g.in_w + xs.lo * g.stride_w + x0;
          const float* s = src + oy * g.out_w;
          if (g.stride_w == 1) {
            for (int64_t t = 0; t < n; ++t) dst[t] += s[t];
          } else {
            for (int64_t t = 0; t < n; ++t) dst[t * g.stride_w] += s[t];
          }
        }
      }
    }
  };
  if (ctx)
    ctx->parallel_for(g.channels, body);
  else
    body(0, g.channels);
}

void col2im_reference(const float* col, const ConvGeometry& g, float* image) {
  const int64_t cols = g.out_h * g.out_w, per_channel = g.k_h * g.k_w;
  for (int64_t c = 0; c < g.channels; ++c) {
    for (int64_t q = 0; q < per_channel; ++q) {
      const int64_t i = q / g.k_w, j = q % g.k_w;
      for (int64_t oy = 0; oy < g.out_h; ++oy) {
        for (int64_t ox = 0; ox < g.out_w; ++ox) {
          const int64_t y = oy * g.stride_h - g.pad_top + i * g.dilation_h;
          const int64_t x = ox * g.stride_w - g.pad_left + j * g.dilation_w;
          if (y >= 0 && y < g.in_h && x >= 0 && x < g.in_w)
            image[(c * g.in_h + y) * g.in_w + x] +=
                col[(c * per_channel + q) * cols + oy * g.out_w + ox];
        }
      }
    }
  }
}

}  // namespace heatlens
