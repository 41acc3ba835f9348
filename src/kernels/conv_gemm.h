// Convolution as a packed GEMM: W[out_c, C·kh·kw] · im2col(x), where the im2col matrix is
// never written out; its strips are packed straight from the image (implicit im2col), in one
// of two ways. Usually the image is first copied with its zero padding, split by stride phase,
// so that each row of a strip is one contiguous copy (output rows are extended by the kernel's
// reach and the extra columns dropped). Where that extension would add more than 1/8 to the
// work (small maps in a batch, large dilations), the strips are gathered from the image itself
// run by run with bounds. The weights are packed once per weight tensor (PackedWeights) and
// reused by every call. Bias and an activation are applied to each output tile as it completes.
//
// conv_reference (im2col + f32_gemm_reference) is what both kernels are tested against
// (tests/unit/kernels_test.cpp).
#pragma once

#include <memory>
#include <mutex>

#include "core/tensor.h"
#include "kernels/gemm.h"
#include "kernels/im2col.h"

namespace heatlens {

// The weights of a grouped convolution, [out_c, C/group, kh, kw], packed per group.
struct PackedConvWeights {
  std::vector<PackedA> groups;
};

// How PackedWeights packs each group's block W [out_c / group, C/group · kh · kw]:
//   forward     W itself, for conv_gemm;
//   transposed  Wᵀ, for conv_input_gradient_packed;
//   flipped     W', [C/group, out_c/group · kh · kw] with W'[c][o, kh−1−i, kw−1−j] = W[o][c][i, j]:
//               the filter of the convolution that is the input gradient (flips_input_gradient);
//   winograd    U = G·W·Gᵀ, the 16 transformed filters of a 3×3 layer (winograd_weights, one
//               group), for winograd_conv;
//   winograd_flipped  the same of W' (one group): the input gradient by winograd_conv over dy
//               (flipped_geometry), for LRP's kept transposes.
enum class WeightLayout { forward, transposed, flipped, winograd, winograd_flipped };

// Caches the packings of the last few weight tensors a convolution ran with (its own, and in
// LRP the rule-modified ones, which LRP keeps too); packs on a miss, dropping the least
// recently used. Thread-safe.
class PackedWeights {
 public:
  static constexpr size_t kEntries = 3;
  explicit PackedWeights(WeightLayout layout = WeightLayout::forward) : layout_(layout) {}
  std::shared_ptr<const PackedConvWeights> get(const Tensor& weights, int64_t groups,
                                               const ExecContext* ctx = nullptr);

 private:
  struct Entry {
    Tensor source;  // held, so its storage cannot be reused by another tensor while cached
    std::shared_ptr<const PackedConvWeights> packed;
  };
  WeightLayout layout_;
  std::mutex mutex_;
  std::vector<Entry> entries_;  // most recently used first
};

// How the im2col strips are packed (above); tests force each way.
enum class ConvPath { automatic, phases, runs };

// One image of one group: out[og, out_h·out_w] = act(W_g · im2col(image) + bias).
void conv_gemm(const PackedA& weights, const float* image, const ConvGeometry& g, const float* bias,
               const Activation& act, float* out, const ExecContext* ctx,
               ConvPath path = ConvPath::automatic);

// `count` images at once (image b at images + b·image_stride, output at out + b·out_stride):
// one GEMM with all their columns, so small feature maps fill the kernel's tiles.
void conv_gemm_batch(const PackedA& weights, const float* images, int64_t count,
                     int64_t image_stride, const ConvGeometry& g, const float* bias,
                     const Activation& act, float* out, int64_t out_stride, const ExecContext* ctx,
                     ConvPath path = ConvPath::automatic);

// The input gradient of conv_gemm for one image of one group: dx += Wᵀ·dy moved back to the
// input positions (col2im), or dx = Wᵀ·dy for a pointwise kernel. Wᵀ is packed per call,
// `block_floats` at a time: a block of input channels is packed, multiplied and scattered
// before the next, so neither a whole packed Wᵀ nor a whole column matrix is ever held (ResNet's
// 512-channel 3×3 layers would hold 9 MiB of each). Tests make the blocks small.
// An input layer (fewer than 8 channels) whose column matrix exceeds `band_floats` packs its
// whole Wᵀ and runs by bands of output rows, as conv_input_gradient_packed does.
void conv_input_gradient(const float* weights, int64_t out_channels, const float* dy,
                         const ConvGeometry& g, float* dx, const ExecContext* ctx,
                         int64_t block_floats = int64_t{1} << 19,
                         int64_t band_floats = int64_t{1} << 18);

// The same with the whole Wᵀ packed beforehand (WeightLayout::transposed); dx is accumulated
// into (col2im) or, pointwise, written. For an image of few channels (an input layer), a column
// matrix over `band_floats` is made and scattered a band of output rows at a time
// (input_gradient_band_rows), a band per thread; tests make the bands small.
// `act` (with no bias) is applied to dx as it is made where dx is written (pointwise), after
// col2im otherwise; one that reads at the output's positions needs act.output set.
void conv_input_gradient_packed(const PackedA& weights_t, const float* dy, const ConvGeometry& g,
                                float* dx, const Activation& act, const ExecContext* ctx,
                                int64_t band_floats = int64_t{1} << 18);
// Output rows per band for a Wᵀ of m rows: as many as fit `band_floats` of columns, and at least
// enough that bands two apart scatter to disjoint rows of dx.
int64_t input_gradient_band_rows(const ConvGeometry& g, int64_t m, int64_t band_floats);

// Whether the input gradient of this convolution is itself a convolution of dy that
// conv_input_gradient_flipped can run: stride 1, dilation 1, a kernel wider than one pixel, and
// pads of at most the kernel's reach on every side (then dy needs kh−1−pad of padding).
bool flips_input_gradient(const ConvGeometry& g);
// The convolution of dy that is the input gradient, when flips_input_gradient: dy's map in, x's
// out, padded by kh−1−pad_top above and kw−1−pad_left on the left; channels = out_channels.
ConvGeometry flipped_geometry(const ConvGeometry& g, int64_t out_channels);
// dx = the convolution of dy (padded) with the flipped filter (WeightLayout::flipped), run as a
// forward conv_gemm: no column matrix and no col2im. dx is written, not accumulated into.
// `act` is applied as conv_gemm applies it.
void conv_input_gradient_flipped(const PackedA& weights_flipped, const float* dy,
                                 const ConvGeometry& g, float* dx, const Activation& act,
                                 const ExecContext* ctx);

// Depthwise convolution (one input channel per group, any channel multiplier of 1):
// out[c] = act(w[c] ⋆ image[c] + bias[c]) for `channels` planes, split over planes.
void depthwise_conv(const float* image, const float* weights, const float* bias,
                    const ConvGeometry& g, int64_t channels, const Activation& act, float* out,
                    const ExecContext* ctx);

// The input gradient of depthwise_conv: dx[c] = Σ taps w[c]·dy[c] moved back to the input
// positions (the adjoint, so ⟨dy, conv(x)⟩ = ⟨dx, x⟩; tests check exactly that).
// `act` (LRP's scale) is applied to each row or plane of dx as it is made.
void depthwise_conv_backward(const float* dy, const float* weights, const ConvGeometry& g,
                             int64_t channels, float* dx, const ExecContext* ctx,
                             const Activation& act = Activation{});

// One image, `out_channels` filters over g.channels input channels, the plain way.
void conv_reference(const float* weights, int64_t out_channels, const float* image,
                    const ConvGeometry& g, const float* bias, const Activation& act, float* out);

}  // namespace heatlens
