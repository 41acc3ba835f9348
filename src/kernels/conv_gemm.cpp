#include "kernels/conv_gemm.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "kernels/cpu_clones.h"

namespace heatlens {

namespace {

// The im2col matrix of one image, or of several side by side (columns image by image),
// packed strip by strip without being written out.
class Im2colSource : public BSource {
 public:
  struct Run {
    int64_t y, x;    // input position of the run's first column before the kernel offset
    int64_t len, j;  // columns j .. j + len of the strip
    int64_t image;   // offset of the run's image
  };

  Im2colSource(const float* image, const ConvGeometry& g, int64_t image_stride = 0)
      : image_(image), g_(g), image_stride_(image_stride) {}

  static constexpr int kMaxStrip = 32;  // the widest kernel's nr

  void pack(int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr, float* dst) const override {
    HEATLENS_CHECK(nr <= kMaxStrip, "im2col strips are at most " << kMaxStrip << " columns wide");
    const ConvGeometry& g = g_;
    const int64_t plane = g.in_h * g.in_w;
    for (int64_t s = 0; s * nr < nc; ++s) {
      float* out = dst + s * kc * nr;
      const int64_t jb = j0 + s * nr;
      const int64_t cols = std::min<int64_t>(nr, nc - s * nr);
      // The strip's columns as runs along output rows (at most one per column).
      Run runs[kMaxStrip];
      int count = 0;
      const int64_t per_image = g.out_h * g.out_w;
      for (int64_t j = 0; j < cols;) {
        const int64_t b = (jb + j) / per_image, pos = (jb + j) % per_image;
        const int64_t oy = pos / g.out_w, ox = pos % g.out_w;
        const int64_t len = std::min(cols - j, g.out_w - ox);
        runs[count++] = {oy * g.stride_h - g.pad_top, ox * g.stride_w - g.pad_left, len, j,
                         b * image_stride_};
        j += len;
      }
      // Row r of the im2col matrix is (channel c, kernel row ki, kernel column kj).
      int64_t c = p0 / (g.k_h * g.k_w), ki = (p0 / g.k_w) % g.k_h, kj = p0 % g.k_w;
      for (int64_t p = 0; p < kc; ++p) {
        const float* img = image_ + c * plane;  // plus the run's image offset
        const int64_t dy = ki * g.dilation_h, dx = kj * g.dilation_w;
        float* o = out + p * nr;
        for (int q = 0; q < count; ++q) {
          const Run& run = runs[q];
          float* d = o + run.j;
          const int64_t y = run.y + dy;
          if (y < 0 || y >= g.in_h) {
            std::fill(d, d + run.len, 0.0f);
            continue;
          }
          const float* src = img + run.image + y * g.in_w;
          const int64_t x0 = run.x + dx, sw = g.stride_w;  // x of element t: x0 + t·sw
          const IndexRange in = inside_range(x0, sw, g.in_w, run.len);
          const int64_t lo = in.lo, hi = in.hi;
          for (int64_t t = 0; t < lo; ++t) d[t] = 0.0f;
          if (sw == 1) {
            // memcpy: the C library's copy uses the widest vectors the CPU has.
            if (hi > lo) std::memcpy(d + lo, src + x0 + lo, static_cast<size_t>(hi - lo) * 4);
          } else {
            for (int64_t t = lo; t < hi; ++t) d[t] = src[x0 + t * sw];
          }
          for (int64_t t = hi; t < run.len; ++t) d[t] = 0.0f;
        }
        for (int64_t j = cols; j < nr; ++j) o[j] = 0.0f;
        if (++kj == g.k_w) {
          kj = 0;
          if (++ki == g.k_h) {
            ki = 0;
            ++c;
          }
        }
      }
    }
  }

 private:
  const float* image_;
  ConvGeometry g_;
  int64_t image_stride_;
};

}  // namespace

std::shared_ptr<const PackedConvWeights> PackedWeights::get(const Tensor& weights, int64_t groups,
                                                            const ExecContext* ctx) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].source.f32() == weights.f32() &&
        entries_[i].source.shape() == weights.shape()) {
      std::rotate(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(i),
                  entries_.begin() + static_cast<std::ptrdiff_t>(i) + 1);
      return entries_.front().packed;
    }
  }
  auto packed = std::make_shared<PackedConvWeights>();
  // Each group's block is [rows = out_c / groups, cols = C/groups · kh · kw], row-major.
  const int64_t rows = weights.dim(0) / groups, cols = weights.numel() / weights.dim(0);
  for (int64_t gi = 0; gi < groups; ++gi) {
    packed->groups.push_back(pack_a(gemm_kernel(), false, rows, cols, 1.0f,
                                    weights.f32() + gi * rows * cols, cols, ctx));
  }
  if (entries_.size() == kEntries) entries_.pop_back();
  entries_.insert(entries_.begin(), Entry{weights, packed});
  return packed;
}

void conv_gemm(const PackedA& weights, const float* image, const ConvGeometry& g, const float* bias,
               const Activation& act, float* out, const ExecContext* ctx) {
  const int64_t cols = g.out_h * g.out_w;
  const Epilogue epilogue{bias, act};
  if (is_pointwise(g)) {
    f32_gemm_packed(weights, cols, false, image, cols, 0.0f, out, cols, epilogue, ctx);
  } else {
    f32_gemm_packed(weights, cols, Im2colSource(image, g), 0.0f, out, cols, epilogue, ctx);
  }
}

namespace {

// One output row of a K×K, stride-S, undilated depthwise filter over the columns [ox0, ox1)
// whose taps all lie inside the image; rows[ki] is the input row of tap row ki (a zero row
// where it falls outside). K and S are constants, so the taps unroll and the loop vectorises.
template <int K, int S>
void depthwise_row(const float* const* rows, const float* w, int64_t off, int64_t ox0, int64_t ox1,
                   float* out) {
  for (int64_t ox = ox0; ox < ox1; ++ox) {
    float acc = out[ox];
    const int64_t x = ox * S + off;
    for (int ki = 0; ki < K; ++ki)
      for (int kj = 0; kj < K; ++kj) acc += w[ki * K + kj] * rows[ki][x + kj];
    out[ox] = acc;
  }
}

// The four rows networks use, each compiled for the CPU's widest vectors (cpu_clones.h).
HEATLENS_CPU_CLONES void depthwise_row_3s1(const float* const* rows, const float* w, int64_t off,
                                           int64_t ox0, int64_t ox1, float* out) {
  depthwise_row<3, 1>(rows, w, off, ox0, ox1, out);
}
HEATLENS_CPU_CLONES void depthwise_row_3s2(const float* const* rows, const float* w, int64_t off,
                                           int64_t ox0, int64_t ox1, float* out) {
  depthwise_row<3, 2>(rows, w, off, ox0, ox1, out);
}
HEATLENS_CPU_CLONES void depthwise_row_5s1(const float* const* rows, const float* w, int64_t off,
                                           int64_t ox0, int64_t ox1, float* out) {
  depthwise_row<5, 1>(rows, w, off, ox0, ox1, out);
}
HEATLENS_CPU_CLONES void depthwise_row_5s2(const float* const* rows, const float* w, int64_t off,
                                           int64_t ox0, int64_t ox1, float* out) {
  depthwise_row<5, 2>(rows, w, off, ox0, ox1, out);
}

using DepthwiseRow = void (*)(const float* const*, const float*, int64_t, int64_t, int64_t, float*);

DepthwiseRow depthwise_row_for(const ConvGeometry& g) {
  if (g.k_h != g.k_w || g.dilation_h != 1 || g.dilation_w != 1 || g.stride_w != g.stride_h)
    return nullptr;
  if (g.k_h == 3 && g.stride_w == 1) return depthwise_row_3s1;
  if (g.k_h == 3 && g.stride_w == 2) return depthwise_row_3s2;
  if (g.k_h == 5 && g.stride_w == 1) return depthwise_row_5s1;
  if (g.k_h == 5 && g.stride_w == 2) return depthwise_row_5s2;
  return nullptr;
}

// The same row for any geometry, one tap at a time with bounds (borders, other shapes).
void depthwise_row_general(const float* img, const float* w, const ConvGeometry& g, int64_t oy,
                           int64_t ox0, int64_t ox1, float* row) {
  for (int64_t ki = 0; ki < g.k_h; ++ki) {
    const int64_t iy = oy * g.stride_h - g.pad_top + ki * g.dilation_h;
    if (iy < 0 || iy >= g.in_h) continue;
    const float* src = img + iy * g.in_w;
    for (int64_t kj = 0; kj < g.k_w; ++kj) {
      const float wv = w[ki * g.k_w + kj];
      const int64_t off = kj * g.dilation_w - g.pad_left;  // x = ox·stride + off
      // Output columns whose input column lies inside the image.
      const IndexRange in = inside_range(off, g.stride_w, g.in_w, g.out_w);
      const int64_t lo = std::max(ox0, in.lo), hi = std::min(ox1, in.hi);
      if (g.stride_w == 1) {
        for (int64_t ox = lo; ox < hi; ++ox) row[ox] += wv * src[ox + off];
      } else {
        for (int64_t ox = lo; ox < hi; ++ox) row[ox] += wv * src[ox * g.stride_w + off];
      }
    }
  }
}

// A few columns [ox0, ox1) of an output row, each summed over its taps with bounds checks:
// the borders beside the unrolled interior (the taps are added in the same order as above).
void depthwise_columns(const float* img, const float* w, const ConvGeometry& g, int64_t oy,
                       int64_t ox0, int64_t ox1, float* row) {
  for (int64_t ox = ox0; ox < ox1; ++ox) {
    float acc = row[ox];
    for (int64_t ki = 0; ki < g.k_h; ++ki) {
      const int64_t iy = oy * g.stride_h - g.pad_top + ki * g.dilation_h;
      if (iy < 0 || iy >= g.in_h) continue;
      const float* src = img + iy * g.in_w;
      for (int64_t kj = 0; kj < g.k_w; ++kj) {
        const int64_t ix = ox * g.stride_w - g.pad_left + kj * g.dilation_w;
        if (ix >= 0 && ix < g.in_w) acc += w[ki * g.k_w + kj] * src[ix];
      }
    }
    row[ox] = acc;
  }
}

}  // namespace

void conv_gemm_batch(const PackedA& weights, const float* images, int64_t count,
                     int64_t image_stride, const ConvGeometry& g, const float* bias,
                     const Activation& act, float* out, int64_t out_stride,
                     const ExecContext* ctx) {
  const int64_t cols = g.out_h * g.out_w, rows = weights.m;
  // One GEMM with every image's columns side by side, then each image's block moved to its
  // place in the NCHW output.
  // The wide result is reused from call to call (a fresh buffer would be page-faulted in).
  thread_local std::vector<float> wide;
  const size_t size = static_cast<size_t>(rows * count * cols);
  if (wide.size() < size) wide.resize(size);
  f32_gemm_packed(weights, count * cols, Im2colSource(images, g, image_stride), 0.0f, wide.data(),
                  count * cols, Epilogue{bias, act}, ctx);
  const float* result = wide.data();
  auto scatter = [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      for (int64_t o = 0; o < rows; ++o) {
        const float* src = result + o * count * cols + b * cols;
        std::copy(src, src + cols, out + b * out_stride + o * cols);
      }
    }
  };
  if (ctx)
    ctx->parallel_for(count, scatter);
  else
    scatter(0, count);
}

void depthwise_conv(const float* image, const float* weights, const float* bias,
                    const ConvGeometry& g, int64_t channels, const Activation& act, float* out,
                    const ExecContext* ctx) {
  const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  const DepthwiseRow fast = depthwise_row_for(g);
  // Columns where every tap of a row is inside the image: x = ox·s − pad_left + kj, kj < K.
  int64_t inner0 = g.out_w, inner1 = g.out_w;
  if (fast) {
    inner0 = std::min(g.out_w, (g.pad_left + g.stride_w - 1) / g.stride_w);
    const int64_t last = g.in_w - g.k_w + g.pad_left;  // largest ox·s allowed
    inner1 = last < 0 ? 0 : std::min(g.out_w, last / g.stride_w + 1);
    if (inner1 < inner0) inner1 = inner0;
  }
  const std::vector<float> zero_row(static_cast<size_t>(g.in_w), 0.0f);
  auto body = [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const float* img = image + c * in_plane;
      const float* w = weights + c * g.k_h * g.k_w;
      float* y = out + c * out_plane;
      std::fill(y, y + out_plane, bias ? bias[c] : 0.0f);
      for (int64_t oy = 0; oy < g.out_h; ++oy) {
        float* row = y + oy * g.out_w;
        if (!fast) {
          depthwise_row_general(img, w, g, oy, 0, g.out_w, row);
          continue;
        }
        const float* rows[5];
        for (int64_t ki = 0; ki < g.k_h; ++ki) {
          const int64_t iy = oy * g.stride_h - g.pad_top + ki;
          rows[ki] = iy >= 0 && iy < g.in_h ? img + iy * g.in_w : zero_row.data();
        }
        depthwise_columns(img, w, g, oy, 0, inner0, row);
        fast(rows, w, -g.pad_left, inner0, inner1, row);
        depthwise_columns(img, w, g, oy, inner1, g.out_w, row);
      }
      if (!act.none()) apply_bias_activation(y, out_plane, 0.0f, act);
    }
  };
  if (ctx)
    ctx->parallel_for(channels, body,
                      std::max<int64_t>(1, 16384 / std::max<int64_t>(1, out_plane)));
  else
    body(0, channels);
}

namespace {

// One channel of depthwise_conv_backward (compiled for the CPU's widest vectors).
HEATLENS_CPU_CLONES void depthwise_backward_plane(const float* d, const float* w,
                                                  const ConvGeometry& g, const IndexRange* columns,
                                                  float* img) {
  std::fill(img, img + g.in_h * g.in_w, 0.0f);
  for (int64_t oy = 0; oy < g.out_h; ++oy) {
    const float* row = d + oy * g.out_w;
    for (int64_t ki = 0; ki < g.k_h; ++ki) {
      const int64_t iy = oy * g.stride_h - g.pad_top + ki * g.dilation_h;
      if (iy < 0 || iy >= g.in_h) continue;
      float* dst = img + iy * g.in_w;
      for (int64_t kj = 0; kj < g.k_w; ++kj) {
        const float wv = w[ki * g.k_w + kj];
        const int64_t off = kj * g.dilation_w - g.pad_left;
        const int64_t lo = columns[kj].lo, hi = columns[kj].hi;
        if (g.stride_w == 1) {
          for (int64_t ox = lo; ox < hi; ++ox) dst[ox + off] += wv * row[ox];
        } else {
          for (int64_t ox = lo; ox < hi; ++ox) dst[ox * g.stride_w + off] += wv * row[ox];
        }
      }
    }
  }
}

}  // namespace

void depthwise_conv_backward(const float* dy, const float* weights, const ConvGeometry& g,
                             int64_t channels, float* dx, const ExecContext* ctx) {
  const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  // The output columns whose input column is inside the image depend on the tap column only.
  std::vector<IndexRange> columns;
  for (int64_t kj = 0; kj < g.k_w; ++kj)
    columns.push_back(inside_range(kj * g.dilation_w - g.pad_left, g.stride_w, g.in_w, g.out_w));
  auto body = [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      depthwise_backward_plane(dy + c * out_plane, weights + c * g.k_h * g.k_w, g, columns.data(),
                               dx + c * in_plane);
    }
  };
  if (ctx)
    ctx->parallel_for(channels, body, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, in_plane)));
  else
    body(0, channels);
}

void conv_reference(const float* weights, int64_t out_channels, const float* image,
                    const ConvGeometry& g, const float* bias, const Activation& act, float* out) {
  const int64_t kdim = g.channels * g.k_h * g.k_w, cols = g.out_h * g.out_w;
  std::vector<float> col(static_cast<size_t>(kdim * cols));
  im2col(image, g, col.data(), nullptr);
  f32_gemm_reference(false, false, out_channels, cols, kdim, 1.0f, weights, kdim, col.data(), cols,
                     0.0f, out, cols);
  for (int64_t o = 0; o < out_channels; ++o)
    apply_bias_activation(out + o * cols, cols, bias ? bias[o] : 0.0f, act);
}

}  // namespace heatlens
