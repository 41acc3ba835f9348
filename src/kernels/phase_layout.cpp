#include "kernels/phase_layout.h"

#include <algorithm>
#include <cstring>

#include "kernels/cpu_clones.h"

namespace heatlens {

namespace {

// dst[u] = src[u·stride] for u < n: a row of a phase copy (compiled for the CPU's widest
// vectors; stride 2 is its own loop so that it vectorises with permutes).
HEATLENS_CPU_CLONES void gather_row(const float* __restrict src, int64_t stride, int64_t n,
                                    float* __restrict dst) {
  if (stride == 1) {
    std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
  } else if (stride == 2) {
    for (int64_t u = 0; u < n; ++u) dst[u] = src[2 * u];
  } else {
    for (int64_t u = 0; u < n; ++u) dst[u] = src[u * stride];
  }
}

// dst[u·stride] = src[u] for u < n: gather_row's reverse.
HEATLENS_CPU_CLONES void scatter_row(const float* __restrict src, int64_t stride, int64_t n,
                                     float* __restrict dst) {
  if (stride == 1) {
    std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
  } else if (stride == 2) {
    for (int64_t u = 0; u < n; ++u) dst[2 * u] = src[u];
  } else {
    for (int64_t u = 0; u < n; ++u) dst[u * stride] = src[u];
  }
}

int64_t residue_of(const std::vector<int64_t>& index, int64_t phase) {
  return std::find(index.begin(), index.end(), phase) - index.begin();
}

// residue → phase index for k taps `dilation` apart read with `stride`; count: the phases.
std::vector<int64_t> residues(int64_t k, int64_t dilation, int64_t stride, int64_t& count) {
  std::vector<int64_t> index(static_cast<size_t>(stride), -1);
  count = 0;
  for (int64_t i = 0; i < k; ++i) {
    int64_t& slot = index[static_cast<size_t>(i * dilation % stride)];
    if (slot < 0) slot = count++;
  }
  return index;
}

}  // namespace

PhaseLayout::PhaseLayout(const ConvGeometry& g) {
  hq = g.out_h + (g.k_h - 1) * g.dilation_h / g.stride_h;
  wq = g.out_w + (g.k_w - 1) * g.dilation_w / g.stride_w;
  plane = hq * wq;
  row_phase = residues(g.k_h, g.dilation_h, g.stride_h, row_phases);
  col_phase = residues(g.k_w, g.dilation_w, g.stride_w, col_phases);
  image_size = row_phases * col_phases * g.channels * plane;
  tail = (g.k_w - 1) * g.dilation_w / g.stride_w;
}

void PhaseLayout::copy_plane(const float* channel, const ConvGeometry& g, int64_t phase,
                             float* dst) const {
  const int64_t rh = residue_of(row_phase, phase / col_phases);
  const int64_t rw = residue_of(col_phase, phase % col_phases);
  const int64_t x0 = rw - g.pad_left;  // column u is input column x0 + u·sw
  const IndexRange inside = inside_range(x0, g.stride_w, g.in_w, wq);
  const IndexRange rows = inside_range(rh - g.pad_top, g.stride_h, g.in_h, hq);
  for (int64_t y = rows.lo; y < rows.hi; ++y) {
    const float* row = channel + (y * g.stride_h + rh - g.pad_top) * g.in_w;
    gather_row(row + (x0 + inside.lo * g.stride_w), g.stride_w, inside.hi - inside.lo,
               dst + y * wq + inside.lo);
  }
}

void PhaseLayout::return_plane(const float* src, const ConvGeometry& g, int64_t phase,
                               float* channel) const {
  const int64_t rh = residue_of(row_phase, phase / col_phases);
  const int64_t rw = residue_of(col_phase, phase % col_phases);
  const int64_t x0 = rw - g.pad_left;
  const IndexRange inside = inside_range(x0, g.stride_w, g.in_w, wq);
  const IndexRange rows = inside_range(rh - g.pad_top, g.stride_h, g.in_h, hq);
  for (int64_t y = rows.lo; y < rows.hi; ++y) {
    float* row = channel + (y * g.stride_h + rh - g.pad_top) * g.in_w;
    scatter_row(src + y * wq + inside.lo, g.stride_w, inside.hi - inside.lo,
                row + (x0 + inside.lo * g.stride_w));
  }
}

std::vector<int64_t> PhaseLayout::tap_offsets(const ConvGeometry& g) const {
  std::vector<int64_t> offsets;
  for (int64_t ki = 0; ki < g.k_h; ++ki)
    for (int64_t kj = 0; kj < g.k_w; ++kj) offsets.push_back(tap(g, 0, ki, kj));
  return offsets;
}

void compact_rows(const float* extended, int64_t rows, int64_t wq, int64_t out_w, float* out) {
  for (int64_t y = 0; y < rows; ++y)
    std::memcpy(out + y * out_w, extended + y * wq, static_cast<size_t>(out_w) * sizeof(float));
}

}  // namespace heatlens
