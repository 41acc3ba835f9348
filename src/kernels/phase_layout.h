// The stride-phase copy of an image that the convolution, depthwise and pooling kernels read.
//
// With stride s, padded row y' is split by y' mod s_h (and columns by x' mod s_w) into phases,
// keeping only the residues some tap reads. Tap (ki, kj) then reads phase ((ki·dh) mod sh,
// (kj·dw) mod sw) at row oy + ki·dh / sh, column ox + kj·dw / sw: a stride-1 read. With every
// output row extended to the phase width wq, tap t of all of a channel's outputs is one
// contiguous stretch of the copy, at tap(t) + q for extended position q = oy·wq + ox: kernels
// run one flat loop per tap with no bounds to check (the copy holds the padding: zeros for a
// convolution, −∞ for max pooling), then keep the first out_w columns of each row.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/im2col.h"

namespace heatlens {

struct PhaseLayout {
  int64_t hq = 0, wq = 0, plane = 0;  // one phase of one channel: hq × wq
  int64_t row_phases = 0, col_phases = 0;
  std::vector<int64_t> row_phase, col_phase;  // residue → phase index, −1 when no tap reads it
  int64_t image_size = 0;                     // phases × channels × plane
  int64_t tail = 0;  // floats the last taps of the last extended row read past the images

  explicit PhaseLayout(const ConvGeometry& g);

  // Writes the input's part of phase `phase` of one input channel: its row y is input row
  // y·sh + rh − pad_top, its column u input column u·sw + rw − pad_left. The rest of the plane,
  // the padding, is left as it is: callers fill a buffer once for all its planes.
  void copy_plane(const float* channel, const ConvGeometry& g, int64_t phase, float* dst) const;

  // The reverse of copy_plane: the input's part of a phase plane goes back to the input
  // positions it was copied from (a gradient; every input position is in at most one plane).
  void return_plane(const float* src, const ConvGeometry& g, int64_t phase, float* channel) const;

  // Offset of tap (c, ki, kj) in an image's copy.
  int64_t tap(const ConvGeometry& g, int64_t c, int64_t ki, int64_t kj) const {
    const int64_t dy = ki * g.dilation_h, dx = kj * g.dilation_w;
    const int64_t phase = row_phase[dy % g.stride_h] * col_phases + col_phase[dx % g.stride_w];
    return (phase * g.channels + c) * plane + dy / g.stride_h * wq + dx / g.stride_w;
  }

  // The offsets of every tap of channel 0, row-major over (ki, kj).
  std::vector<int64_t> tap_offsets(const ConvGeometry& g) const;
};

// Keeps the first out_w of every wq columns: rows of extended outputs to a compact plane.
void compact_rows(const float* extended, int64_t rows, int64_t wq, int64_t out_w, float* out);

}  // namespace heatlens
