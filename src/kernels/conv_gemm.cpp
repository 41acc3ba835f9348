#include "kernels/conv_gemm.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "kernels/elementwise.h"
#include "kernels/phase_layout.h"
#include "kernels/winograd.h"

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

// The im2col matrix read from a PhaseLayout copy: packing a strip is one fixed-size copy per
// row, with no bounds to check (the copy holds the zero padding). The extra columns of each
// extended output row are computed and dropped (conv_gemm_phases).
class PhaseRowSource : public BSource {
 public:
  // compact: B's columns are the output positions themselves, not the extended rows' (one
  // image with rows of at least a strip: a strip is then at most a few runs).
  PhaseRowSource(const float* copy, const ConvGeometry& g, const PhaseLayout& layout,
                 bool compact = false)
      : copy_(copy),
        g_(g),
        layout_(layout),
        compact_(compact),
        image_cols_(g.out_h * (compact ? g.out_w : layout.wq)) {}

  static constexpr int64_t kMaxRows = 256;  // gemm.cpp's K block

  void pack(int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr, float* dst) const override {
    HEATLENS_CHECK(kc <= kMaxRows, "phase-row strips hold at most " << kMaxRows << " rows");
    // Offsets of the kc taps, worked out once for all strips.
    int64_t taps[kMaxRows];
    int64_t c = p0 / (g_.k_h * g_.k_w), ki = (p0 / g_.k_w) % g_.k_h, kj = p0 % g_.k_w;
    for (int64_t p = 0; p < kc; ++p) {
      taps[p] = layout_.tap(g_, c, ki, kj);
      if (++kj == g_.k_w) {
        kj = 0;
        if (++ki == g_.k_h) {
          ki = 0;
          ++c;
        }
      }
    }
    if (compact_) {
      if (nr == 32) return pack_compact<32>(taps, kc, j0, nc, nr, dst);
      return pack_compact<0>(taps, kc, j0, nc, nr, dst);
    }
    switch (nr) {
      case 32:
        return pack_strips<32>(taps, kc, j0, nc, nr, dst);
      case 16:
        return pack_strips<16>(taps, kc, j0, nc, nr, dst);
      case 8:
        return pack_strips<8>(taps, kc, j0, nc, nr, dst);
      default:
        return pack_strips<0>(taps, kc, j0, nc, nr, dst);
    }
  }

 private:
  // NR: the strip width when known at compile time (the whole-strip copy is then inlined).
  template <int NR>
  void pack_strips(const int64_t* taps, int64_t kc, int64_t j0, int64_t nc, int nr,
                   float* dst) const {
    const int64_t image_size = layout_.image_size;
    for (int64_t s = 0; s * nr < nc; ++s) {
      float* out = dst + s * kc * nr;
      const int64_t jb = j0 + s * nr, cols = std::min<int64_t>(nr, nc - s * nr);
      const int64_t b = jb / image_cols_, q = jb % image_cols_;
      if (NR != 0 && cols == NR && q + NR <= image_cols_) {
        // The whole strip lies in one image: one copy of NR floats per row.
        const float* src = copy_ + b * image_size + q;
        for (int64_t p = 0; p < kc; ++p)
          std::memcpy(out + p * NR, src + taps[p], NR * sizeof(float));
        continue;
      }
      // Strips that end the matrix or cross from one image to the next: piece by piece.
      for (int64_t p = 0; p < kc; ++p) {
        float* o = out + p * nr;
        for (int64_t j = 0; j < cols;) {
          const int64_t bj = (jb + j) / image_cols_, qj = (jb + j) % image_cols_;
          const int64_t len = std::min(cols - j, image_cols_ - qj);
          std::memcpy(o + j, copy_ + bj * image_size + qj + taps[p],
                      static_cast<size_t>(len) * sizeof(float));
          j += len;
        }
        for (int64_t j = cols; j < nr; ++j) o[j] = 0.0f;
      }
    }
  }

  // Column q is output (q / out_w, q % out_w), read from row q / out_w of the copy's wq-wide
  // rows: a strip is a run per output row it touches. NR: the strip width when known at compile
  // time (a strip inside one row is then one inlined copy per row).
  template <int NR>
  void pack_compact(const int64_t* taps, int64_t kc, int64_t j0, int64_t nc, int nr,
                    float* dst) const {
    constexpr int kMaxRuns = 64;
    HEATLENS_CHECK(nr <= kMaxRuns, "strips of " << nr << " columns are too wide");
    const int64_t ow = g_.out_w, wq = layout_.wq;
    for (int64_t s = 0; s * nr < nc; ++s) {
      float* out = dst + s * kc * nr;
      const int64_t jb = j0 + s * nr, cols = std::min<int64_t>(nr, nc - s * nr);
      int64_t at[kMaxRuns], from[kMaxRuns], len[kMaxRuns];  // strip column, copy offset, length
      int runs = 0;
      for (int64_t j = 0; j < cols; ++runs) {
        const int64_t y = (jb + j) / ow, x = (jb + j) % ow, n = std::min(cols - j, ow - x);
        at[runs] = j;
        from[runs] = y * wq + x;
        len[runs] = n;
        j += n;
      }
      if (NR != 0 && runs == 1 && cols == NR) {
        // The strip lies in one output row: one inlined copy of NR floats per row.
        for (int64_t p = 0; p < kc; ++p)
          std::memcpy(out + p * NR, copy_ + from[0] + taps[p], NR * sizeof(float));
        continue;
      }
      for (int64_t p = 0; p < kc; ++p) {
        float* o = out + p * nr;
        for (int r = 0; r < runs; ++r)
          std::memcpy(o + at[r], copy_ + from[r] + taps[p],
                      static_cast<size_t>(len[r]) * sizeof(float));
        for (int64_t j = cols; j < nr; ++j) o[j] = 0.0f;
      }
    }
  }

  const float* copy_;
  ConvGeometry g_;
  const PhaseLayout& layout_;
  bool compact_;
  int64_t image_cols_;
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
  std::vector<float> flipped;
  for (int64_t gi = 0; gi < groups; ++gi) {
    const float* w = weights.f32() + gi * rows * cols;
    switch (layout_) {
      case WeightLayout::forward:
        packed->groups.push_back(pack_a(gemm_kernel(), false, rows, cols, 1.0f, w, cols, ctx));
        break;
      case WeightLayout::transposed:
        packed->groups.push_back(pack_a(gemm_kernel(), true, cols, rows, 1.0f, w, cols, ctx));
        break;
      case WeightLayout::flipped:
      case WeightLayout::winograd_flipped: {
        // Reversing both kernel axes of a row-major [kh, kw] block reverses its taps.
        const int64_t channels = weights.dim(1), taps = cols / channels;
        flipped.resize(static_cast<size_t>(rows * cols));
        for (int64_t o = 0; o < rows; ++o)
          for (int64_t c = 0; c < channels; ++c)
            for (int64_t q = 0; q < taps; ++q)
              flipped[static_cast<size_t>((c * rows + o) * taps + taps - 1 - q)] =
                  w[(o * channels + c) * taps + q];
        if (layout_ == WeightLayout::flipped) {
          packed->groups.push_back(pack_a(gemm_kernel(), false, channels, rows * taps, 1.0f,
                                          flipped.data(), rows * taps, ctx));
          break;
        }
        HEATLENS_CHECK(groups == 1 && taps == 9, "Winograd filters are 3×3, one group");
        *packed = winograd_weights(flipped.data(), channels, rows, ctx);
        break;
      }
      case WeightLayout::winograd:
        HEATLENS_CHECK(groups == 1 && cols == weights.dim(1) * 9,
                       "Winograd filters are 3×3, one group");
        *packed = winograd_weights(w, rows, weights.dim(1), ctx);
        break;
    }
  }
  if (entries_.size() == kEntries) entries_.pop_back();
  entries_.insert(entries_.begin(), Entry{weights, packed});
  return packed;
}

// From this many channels up col2im splits evenly over the threads and the whole GEMM's column
// matrix is smaller than a stem's: bands measured 15-20% slower there (ResNet's stride-2 3×3
// layers, 2 threads) but 14-24% faster on stems of 3 channels (7×7 and 3×3, stride 2).
constexpr int64_t kWholeInputGradientChannels = 8;

int64_t input_gradient_band_rows(const ConvGeometry& g, int64_t m, int64_t band_floats) {
  // A band's scatter reaches (k_h − 1)·dilation rows below its last row's first input row; the
  // band two on starts (rows + 1)·stride rows below that row.
  const int64_t reach = (g.k_h - 1) * g.dilation_h;
  const int64_t fewest = std::max<int64_t>(1, (reach + g.stride_h) / g.stride_h - 1);
  return std::max(fewest, band_floats / std::max<int64_t>(1, m * g.out_w));
}

namespace {

// Whether an input gradient with a Wᵀ of m rows runs by bands (input_gradient_by_bands).
bool by_bands(const ConvGeometry& g, int64_t m, int64_t band_floats) {
  return !is_pointwise(g) && g.channels < kWholeInputGradientChannels &&
         m * g.out_h * g.out_w > band_floats;
}

// dx += col2im(Wᵀ·dy) by bands of output rows. An input layer's column matrix (a ResNet stem's
// is 7 MiB) went out to memory and came back for col2im, which splits over channels: three. By
// bands instead, each band's columns are made and scattered on one thread while in its cache.
// Bands two apart touch disjoint rows of dx, so the even bands run, then the odd ones.
void input_gradient_by_bands(const PackedA& weights_t, const float* dy, const ConvGeometry& g,
                             float* dx, const ExecContext* ctx, int64_t band_floats) {
  const int64_t cols = g.out_h * g.out_w;
  // At least eight bands where the map allows, so that each round has work for every thread.
  const int64_t rows =
      std::min(input_gradient_band_rows(g, weights_t.m, band_floats),
               std::max(input_gradient_band_rows(g, weights_t.m, 1), (g.out_h + 7) / 8));
  const int64_t bands = (g.out_h + rows - 1) / rows;
  const auto band = [&](int64_t b) {
    const int64_t oy0 = b * rows, n = std::min(rows, g.out_h - oy0) * g.out_w;
    // Not kept between calls (a gradient's peak would carry it): the heap hands the same block
    // back band after band. Overwritten by the GEMM (beta = 0), so left uninitialised.
    std::unique_ptr<float[]> col(new float[static_cast<size_t>(weights_t.m * n)]);
    f32_gemm_packed(weights_t, n, false, dy + oy0 * g.out_w, cols, 0.0f, col.get(), n, Epilogue{},
                    nullptr);
    ConvGeometry part = g;  // the band as a convolution of its own, shifted up by oy0 rows
    part.out_h = n / g.out_w;
    part.pad_top = g.pad_top - oy0 * g.stride_h;
    col2im(col.get(), part, dx, nullptr);
  };
  for (int64_t parity = 0; parity < 2; ++parity) {
    const int64_t count = (bands - parity + 1) / 2;
    const auto body = [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) band(2 * i + parity);
    };
    if (ctx)
      ctx->parallel_for(count, body);
    else
      body(0, count);
  }
}

}  // namespace

void conv_input_gradient(const float* weights, int64_t out_channels, const float* dy,
                         const ConvGeometry& g, float* dx, const ExecContext* ctx,
                         int64_t block_floats, int64_t band_floats) {
  const int64_t taps = g.k_h * g.k_w, kdim = g.channels * taps, cols = g.out_h * g.out_w;
  const bool pointwise = is_pointwise(g);
  if (by_bands(g, kdim, band_floats)) {
    // An input layer: its whole Wᵀ is small (a ResNet stem's 147 × 64), its column matrix not.
    const PackedA wt = pack_a(gemm_kernel(), true, kdim, out_channels, 1.0f, weights, kdim, ctx);
    input_gradient_by_bands(wt, dy, g, dx, ctx, band_floats);
    return;
  }
  if (pointwise && cols == 1) {
    // A 1×1 map (squeeze-and-excitation): dxᵀ = dyᵀ·W, row updates of W with nothing packed.
    f32_gemm(false, false, 1, kdim, out_channels, 1.0f, dy, out_channels, weights, kdim, 0.0f, dx,
             kdim, ctx);
    return;
  }
  // Whole channels per block, so that each block's col2im writes its own planes of dx.
  const int64_t per_channel = taps * (out_channels + (pointwise ? 0 : cols));
  const int64_t block = std::clamp<int64_t>(block_floats / std::max<int64_t>(per_channel, 1), 1,
                                            std::max<int64_t>(g.channels, 1));
  // Overwritten by each block's GEMM (beta = 0), so left uninitialised.
  std::unique_ptr<float[]> col(pointwise ? nullptr
                                         : new float[static_cast<size_t>(block * taps * cols)]);
  const int64_t plane = g.in_h * g.in_w;
  for (int64_t c0 = 0; c0 < g.channels; c0 += block) {
    const int64_t channels = std::min(block, g.channels - c0), rows = channels * taps;
    // Rows r of Wᵀ are columns c0·taps + r of W [out_channels, kdim].
    const PackedA wt =
        pack_a(gemm_kernel(), true, rows, out_channels, 1.0f, weights + c0 * taps, kdim, ctx);
    if (pointwise) {
      f32_gemm_packed(wt, cols, false, dy, cols, 0.0f, dx + c0 * plane, cols, Epilogue{}, ctx);
      continue;
    }
    f32_gemm_packed(wt, cols, false, dy, cols, 0.0f, col.get(), cols, Epilogue{}, ctx);
    ConvGeometry part = g;
    part.channels = channels;
    col2im(col.get(), part, dx + c0 * plane, ctx);
  }
}

void conv_input_gradient_packed(const PackedA& weights_t, const float* dy, const ConvGeometry& g,
                                float* dx, const Activation& act, const ExecContext* ctx,
                                int64_t band_floats) {
  const int64_t cols = g.out_h * g.out_w;
  if (is_pointwise(g)) {
    f32_gemm_packed(weights_t, cols, false, dy, cols, 0.0f, dx, cols, Epilogue{nullptr, act}, ctx);
    return;
  }
  if (by_bands(g, weights_t.m, band_floats)) {
    input_gradient_by_bands(weights_t, dy, g, dx, ctx, band_floats);
  } else {
    // Overwritten by the GEMM (beta = 0), so left uninitialised.
    std::unique_ptr<float[]> col(new float[static_cast<size_t>(weights_t.m * cols)]);
    f32_gemm_packed(weights_t, cols, false, dy, cols, 0.0f, col.get(), cols, Epilogue{}, ctx);
    col2im(col.get(), g, dx, ctx);
  }
  // After col2im, over all of dx.
  if (!act.none()) apply_in_place(dx, g.channels * g.in_h * g.in_w, act, ctx);
}

bool flips_input_gradient(const ConvGeometry& g) {
  // The pads after the image, as the output size implies them at stride 1.
  const int64_t pad_bottom = g.out_h - g.in_h + g.k_h - 1 - g.pad_top;
  const int64_t pad_right = g.out_w - g.in_w + g.k_w - 1 - g.pad_left;
  return g.stride_h == 1 && g.stride_w == 1 && g.dilation_h == 1 && g.dilation_w == 1 &&
         g.k_h * g.k_w > 1 && g.pad_top >= 0 && g.pad_top < g.k_h && g.pad_left >= 0 &&
         g.pad_left < g.k_w && pad_bottom >= 0 && pad_bottom < g.k_h && pad_right >= 0 &&
         pad_right < g.k_w;
}

void conv_input_gradient_flipped(const PackedA& weights_flipped, const float* dy,
                                 const ConvGeometry& g, float* dx, const Activation& act,
                                 const ExecContext* ctx) {
  HEATLENS_CHECK(flips_input_gradient(g), "conv_input_gradient_flipped: unsupported geometry");
  conv_gemm(weights_flipped, dy, flipped_geometry(g, weights_flipped.k / (g.k_h * g.k_w)), nullptr,
            act, dx, ctx);
}

ConvGeometry flipped_geometry(const ConvGeometry& g, int64_t out_channels) {
  // dx[c, y, x] = Σ W[o, c, i, j] · dy[o, y + pad_top − i, x + pad_left − j]; with i' = kh−1−i
  // that is a convolution of dy padded by kh−1−pad_top (above) and kw−1−pad_left (left).
  ConvGeometry t;
  t.channels = out_channels;
  t.in_h = g.out_h;
  t.in_w = g.out_w;
  t.out_h = g.in_h;
  t.out_w = g.in_w;
  t.k_h = g.k_h;
  t.k_w = g.k_w;
  t.pad_top = g.k_h - 1 - g.pad_top;
  t.pad_left = g.k_w - 1 - g.pad_left;
  return t;
}

namespace {

// Whether conv_gemm_phases suits this convolution of `count` images: its extended rows may
// add at most 1/8 to the kernel's columns (rounded up to its strips). Small maps in a batch
// and large dilations would add more; they take Im2colSource.
bool uses_phases(const ConvGeometry& g, int64_t count, int nr, ConvPath path) {
  if (is_pointwise(g) || path == ConvPath::runs) return false;  // pointwise: the image is B
  if (path == ConvPath::phases) return true;
  const int64_t wq = g.out_w + (g.k_w - 1) * g.dilation_w / g.stride_w;
  const auto strips = [nr](int64_t n) { return (n + nr - 1) / nr; };
  return strips(count * g.out_h * wq) * 8 <= strips(count * g.out_h * g.out_w) * 9;
}

// conv_gemm_batch over a PhaseLayout copy of the images: the copy is made (with its zero
// padding), the GEMM runs over the extended rows (PhaseRowSource), and each output row's first
// out_w columns are moved to their place. One image whose output rows are at least a strip
// wide is packed by the output's own columns instead, and the GEMM writes the output directly:
// no extended result and no second pass over it (SqueezeNet's first layer, ResNet's stem).
// The copies are small beside the packing they save: a strip row was several bounds-checked
// runs (Im2colSource), it is one copy here.
void conv_gemm_phases(const PackedA& weights, const float* images, int64_t count,
                      int64_t image_stride, const ConvGeometry& g, const float* bias,
                      const Activation& act, float* out, int64_t out_stride,
                      const ExecContext* ctx) {
  const PhaseLayout layout(g);
  const int64_t wq = layout.wq;
  // Reused from call to call, as the GEMM's own scratch (a fresh buffer would be page-faulted
  // in on every layer).
  thread_local std::vector<float> copy, wide;
  const size_t copy_size = static_cast<size_t>(count * layout.image_size + layout.tail);
  if (copy.size() < copy_size) copy.resize(copy_size);
  float* phases = copy.data();
  std::fill(phases + count * layout.image_size, phases + copy_size, 0.0f);
  // Each plane is zeroed and then given its part of the input (copy_plane).
  const int64_t planes_per_image = layout.image_size / layout.plane;
  auto copy_planes = [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t b = i / planes_per_image, rest = i % planes_per_image;
      float* plane = phases + i * layout.plane;
      std::fill(plane, plane + layout.plane, 0.0f);
      layout.copy_plane(images + b * image_stride + rest % g.channels * g.in_h * g.in_w, g,
                        rest / g.channels, plane);
    }
  };
  const int64_t planes = count * planes_per_image;
  if (ctx)
    ctx->parallel_for(planes, copy_planes,
                      std::max<int64_t>(1, 16384 / std::max<int64_t>(1, layout.plane)));
  else
    copy_planes(0, planes);

  if (count == 1 && g.out_w >= weights.kernel->nr) {
    // Straight into the output: B's columns are the output's, each strip a run or two.
    const int64_t cols = g.out_h * g.out_w;
    f32_gemm_packed(weights, cols, PhaseRowSource(phases, g, layout, true), 0.0f, out, cols,
                    Epilogue{bias, act}, ctx);
    return;
  }
  const int64_t image_cols = g.out_h * wq, n = count * image_cols, rows = weights.m;
  const size_t wide_size = static_cast<size_t>(rows * n);
  if (wide.size() < wide_size) wide.resize(wide_size);
  // An activation reading another tensor at the output's positions runs after the copy.
  const bool after = act.reads_at_output();
  f32_gemm_packed(weights, n, PhaseRowSource(phases, g, layout), 0.0f, wide.data(), n,
                  after ? Epilogue{bias, Activation{}} : Epilogue{bias, act}, ctx);
  const float* result = wide.data();
  auto compact = [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t b = i / rows, o = i % rows;
      const float* src = result + o * n + b * image_cols;
      float* dst = out + b * out_stride + o * g.out_h * g.out_w;
      for (int64_t y = 0; y < g.out_h; ++y)
        std::memcpy(dst + y * g.out_w, src + y * wq, static_cast<size_t>(g.out_w) * sizeof(float));
      if (after) apply_bias_activation(dst, g.out_h * g.out_w, 0.0f, act);
    }
  };
  if (ctx)
    ctx->parallel_for(count * rows, compact,
                      std::max<int64_t>(1, 16384 / std::max<int64_t>(1, image_cols)));
  else
    compact(0, count * rows);
}

}  // namespace

void conv_gemm(const PackedA& weights, const float* image, const ConvGeometry& g, const float* bias,
               const Activation& act, float* out, const ExecContext* ctx, ConvPath path) {
  const int64_t cols = g.out_h * g.out_w;
  const Epilogue epilogue{bias, act};
  if (is_pointwise(g)) {
    f32_gemm_packed(weights, cols, false, image, cols, 0.0f, out, cols, epilogue, ctx);
  } else if (path == ConvPath::automatic && g.k_h == 1 && g.k_w == 1 && g.pad_top == 0 &&
             g.pad_left == 0) {
    // A strided 1×1 layer (ResNet's downsampling) reads one pixel in stride² of the image: its
    // im2col matrix is those pixels, multiplied as a pointwise layer's, where the stride phases
    // had copied the whole image and compacted the result.
    std::unique_ptr<float[]> picked(new float[static_cast<size_t>(g.channels * cols)]);
    im2col(image, g, picked.get(), ctx);
    f32_gemm_packed(weights, cols, false, picked.get(), cols, 0.0f, out, cols, epilogue, ctx);
  } else if (uses_phases(g, 1, weights.kernel->nr, path)) {
    conv_gemm_phases(weights, image, 1, 0, g, bias, act, out, 0, ctx);
  } else {
    f32_gemm_packed(weights, cols, Im2colSource(image, g), 0.0f, out, cols, epilogue, ctx);
  }
}

void conv_gemm_batch(const PackedA& weights, const float* images, int64_t count,
                     int64_t image_stride, const ConvGeometry& g, const float* bias,
                     const Activation& act, float* out, int64_t out_stride, const ExecContext* ctx,
                     ConvPath path) {
  if (uses_phases(g, count, weights.kernel->nr, path)) {
    conv_gemm_phases(weights, images, count, image_stride, g, bias, act, out, out_stride, ctx);
    return;
  }
  const int64_t cols = g.out_h * g.out_w, rows = weights.m;
  // One GEMM with every image's columns side by side, then each image's block moved to its
  // place in the NCHW output.
  // The wide result is reused from call to call (a fresh buffer would be page-faulted in).
  thread_local std::vector<float> wide;
  const size_t size = static_cast<size_t>(rows * count * cols);
  if (wide.size() < size) wide.resize(size);
  // An activation reading another tensor at the output's positions runs after the copy.
  const bool after = act.reads_at_output();
  f32_gemm_packed(weights, count * cols, Im2colSource(images, g, image_stride), 0.0f, wide.data(),
                  count * cols, after ? Epilogue{bias, Activation{}} : Epilogue{bias, act}, ctx);
  const float* result = wide.data();
  auto scatter = [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      for (int64_t o = 0; o < rows; ++o) {
        const float* src = result + o * count * cols + b * cols;
        float* dst = out + b * out_stride + o * cols;
        std::copy(src, src + cols, dst);
        if (after) apply_bias_activation(dst, cols, 0.0f, act);
      }
    }
  };
  if (ctx)
    ctx->parallel_for(count, scatter);
  else
    scatter(0, count);
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
