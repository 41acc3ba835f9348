#include "kernels/gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "kernels/cpu_clones.h"

namespace heatlens {

void f32_gemm_reference(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                        const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                        float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0;
      for (int64_t p = 0; p < k; ++p) {
        float av = trans_a ? a[p * lda + i] : a[i * lda + p];
        float bv = trans_b ? b[j * ldb + p] : b[p * ldb + j];
        sum += static_cast<double>(av) * bv;
      }
      float prior = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
      c[i * ldc + j] = alpha * static_cast<float>(sum) + prior;
    }
  }
}

namespace {

constexpr int64_t kBlockK = 256;  // K per block: an A panel and a B strip stay in L1/L2
constexpr int64_t kTileM = 96;    // rows of C per tile (a multiple of every kernel's mr)
constexpr int64_t kTileN = 256;   // columns of C per tile (a multiple of every kernel's nr)
constexpr int kMaxMr = 12, kMaxNr = 32;
constexpr int64_t kSharedPackLimit = int64_t{1}
                                     << 19;  // floats of B (2 MB) packed once for all tiles

// The portable kernel: plain loops over a 4×16 accumulator that compilers vectorise.
void generic_4x16(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                  bool accumulate) {
  float acc[4][16] = {};
  for (int64_t p = 0; p < kc; ++p) {
    for (int r = 0; r < 4; ++r) {
      const float av = a[r];
      for (int j = 0; j < 16; ++j) acc[r][j] += av * b[j];
    }
    a += 4;
    b += 16;
  }
  for (int r = 0; r < 4; ++r) {
    float* row = c + r * ldc;
    for (int j = 0; j < 16; ++j) row[j] = accumulate ? row[j] + acc[r][j] : acc[r][j];
  }
}

const MicroKernel kGeneric{"generic 4x16", 4, 16, generic_4x16};

int64_t round_up(int64_t x, int64_t to) {
  return (x + to - 1) / to * to;
}
int64_t ceil_div(int64_t x, int64_t y) {
  return (x + y - 1) / y;
}

float* scratch(size_t floats) {
  thread_local std::vector<float> buffer;
  if (buffer.size() < floats) buffer.resize(floats);
  return buffer.data();
}

// Rows p < kc of B (at src, ldb apart) dealt out to `full` whole 32-column strips, one
// fixed-size copy per row and strip. Compiled for the CPU's widest vectors (cpu_clones.h): two
// AVX-512 moves a copy where the baseline build made eight SSE ones, which had made packing
// 1×1 convolutions' inputs 7% of MobileNetV2's forward.
HEATLENS_CPU_CLONES void copy_strips_32(const float* src, int64_t ldb, int64_t kc, int64_t full,
                                        int64_t strip_floats, float* dst) {
  for (int64_t p = 0; p < kc; ++p) {
    const float* row = src + p * ldb;
    float* out = dst + p * 32;
    for (int64_t s = 0; s < full; ++s)
      std::memcpy(out + s * strip_floats, row + s * 32, 32 * sizeof(float));
  }
}

// A row-major matrix (or its transpose) as B.
class MatrixSource : public BSource {
 public:
  MatrixSource(bool trans, const float* b, int64_t ldb) : trans_(trans), b_(b), ldb_(ldb) {}

  void pack(int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr, float* dst) const override {
    if (!trans_) {
      switch (nr) {
        case 32:
          return pack_rows<32>(p0, kc, j0, nc, nr, dst);
        case 16:
          return pack_rows<16>(p0, kc, j0, nc, nr, dst);
        default:
          return pack_rows<0>(p0, kc, j0, nc, nr, dst);
      }
    }
    const int64_t strips = ceil_div(nc, nr);
    for (int64_t s = 0; s < strips; ++s) {
      float* out = dst + s * kc * nr;
      const int64_t cols = std::min<int64_t>(nr, nc - s * nr);
      const int64_t jb = j0 + s * nr;
      if (cols < nr) std::fill(out, out + kc * nr, 0.0f);
      for (int64_t j = 0; j < cols; ++j) {
        const float* src = b_ + (jb + j) * ldb_ + p0;
        for (int64_t p = 0; p < kc; ++p) out[p * nr + j] = src[p];
      }
    }
  }

 private:
  // Row by row of B, each row's nc columns dealt out to the strips: the reads run along a row
  // (a strip at a time, they jumped from row to row, a stream per row, more than the hardware
  // prefetcher follows). NR: the strip width when known at compile time (whole strips are then
  // one inlined copy).
  template <int NR>
  void pack_rows(int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr, float* dst) const {
    const int64_t full = nc / nr, strips = ceil_div(nc, nr), tail = nc - full * nr;
    if constexpr (NR == 32) copy_strips_32(b_ + p0 * ldb_ + j0, ldb_, kc, full, kc * nr, dst);
    for (int64_t p = 0; p < kc; ++p) {
      const float* src = b_ + (p0 + p) * ldb_ + j0;
      float* out = dst + p * nr;
      if constexpr (NR != 32) {
        for (int64_t s = 0; s < full; ++s) {
          if (NR != 0)
            std::memcpy(out + s * kc * nr, src + s * nr, NR * sizeof(float));
          else
            std::memcpy(out + s * kc * nr, src + s * nr, static_cast<size_t>(nr) * sizeof(float));
        }
      }
      if (full < strips) {
        float* o = out + full * kc * nr;
        std::memcpy(o, src + full * nr, static_cast<size_t>(tail) * sizeof(float));
        std::fill(o + tail, o + nr, 0.0f);
      }
    }
  }

  bool trans_;
  const float* b_;
  int64_t ldb_;
};

struct GemmJob {
  const PackedA* a;
  int64_t n;
  const BSource* b;
  float beta;
  float* c;
  int64_t ldc;
  const Epilogue* epilogue;
  const float* shared_b = nullptr;  // all of B packed (block p0 at p0·np), or null
  int64_t np = 0;                   // columns of B rounded up to whole strips
};

void run_tile(const GemmJob& job, int64_t i0, int64_t mc, int64_t j0, int64_t nc) {
  const MicroKernel& kern = *job.a->kernel;
  const int mr = kern.mr, nr = kern.nr;
  const int64_t m = job.a->m, k = job.a->k, mp = round_up(m, mr);
  const int64_t strips = ceil_div(nc, nr);
  float* c = job.c;
  const int64_t ldc = job.ldc;
  if (job.beta != 0.0f && job.beta != 1.0f) {
    for (int64_t i = i0; i < i0 + mc; ++i)
      for (int64_t j = j0; j < j0 + nc; ++j) c[i * ldc + j] *= job.beta;
  }
  if (k == 0 && job.beta == 0.0f) {
    for (int64_t i = i0; i < i0 + mc; ++i) std::fill(c + i * ldc + j0, c + i * ldc + j0 + nc, 0.f);
  }
  float* local_b =
      job.shared_b ? nullptr : scratch(static_cast<size_t>(std::min(k, kBlockK) * strips * nr));
  for (int64_t p0 = 0; p0 < k; p0 += kBlockK) {
    const int64_t kc = std::min(kBlockK, k - p0);
    const float* bp;
    if (job.shared_b) {
      bp = job.shared_b + p0 * job.np + (j0 / nr) * kc * nr;
    } else {
      job.b->pack(p0, kc, j0, nc, nr, local_b);
      bp = local_b;
    }
    const float* ablock = job.a->data.get() + p0 * mp;
    const bool accumulate = p0 > 0 || job.beta != 0.0f;
    // Row blocks of kTileM keep A's panels in L2 while the packed B block is reused.
    for (int64_t ib = i0; ib < i0 + mc; ib += kTileM) {
      const int64_t ie = std::min(i0 + mc, ib + kTileM);
      for (int64_t s = 0; s < strips; ++s) {
        const int64_t jj = j0 + s * nr;
        const int64_t cols = std::min<int64_t>(nr, j0 + nc - jj);
        const float* bs = bp + s * kc * nr;
        for (int64_t ii = ib; ii < ie; ii += mr) {
          const int64_t rows = std::min<int64_t>(mr, ie - ii);
          const float* ap = ablock + (ii / mr) * kc * mr;
          float* cp = c + ii * ldc + jj;
          const bool partial = rows < mr && kern.run_rows;  // only the panel's own rows
          if (cols < nr && kern.run_edge) {
            kern.run_edge(static_cast<int>(rows), static_cast<int>(cols), kc, ap, bs, cp, ldc,
                          accumulate);
            continue;
          }
          if (cols == nr && (rows == mr || partial)) {
            if (partial)
              kern.run_rows(static_cast<int>(rows), kc, ap, bs, cp, ldc, accumulate);
            else
              kern.run(kc, ap, bs, cp, ldc, accumulate);
            continue;
          }
          // Edge tile: run the kernel on a copy and keep the valid part.
          float tmp[kMaxMr * kMaxNr] = {};
          if (accumulate) {
            for (int64_t r = 0; r < rows; ++r)
              for (int64_t j = 0; j < cols; ++j) tmp[r * nr + j] = cp[r * ldc + j];
          }
          if (partial)
            kern.run_rows(static_cast<int>(rows), kc, ap, bs, tmp, nr, accumulate);
          else
            kern.run(kc, ap, bs, tmp, nr, accumulate);
          for (int64_t r = 0; r < rows; ++r)
            for (int64_t j = 0; j < cols; ++j) cp[r * ldc + j] = tmp[r * nr + j];
        }
      }
    }
  }
  const Epilogue& ep = *job.epilogue;
  if (ep.row_bias || !ep.activation.none()) {
    for (int64_t i = i0; i < i0 + mc; ++i)
      apply_bias_activation(c + i * ldc + j0, nc, ep.row_bias ? ep.row_bias[i] : 0.0f,
                            ep.activation);
  }
}

// Share q of `shares` equal shares of C's blocks of one strip × one row panel, taken strip by
// strip (a strip's panels top to bottom): at most a part of a strip, whole strips in tiles of
// at most kTileN columns, and a part of a strip. Blocks cost about the same (a last strip costs
// a whole one with more than half a strip's columns, half one otherwise, as 196 = 6 × 32 + 4
// does; a last panel only its own rows), so the shares differ by about a block.
void run_share(const GemmJob& job, int64_t q, int64_t shares) {
  const int mr = job.a->kernel->mr, nr = job.a->kernel->nr;
  const int64_t m = job.a->m, n = job.n;
  const int64_t panels = ceil_div(m, mr), blocks = ceil_div(n, nr) * panels;
  int64_t u = q * blocks / shares;
  const int64_t end = (q + 1) * blocks / shares;
  while (u < end) {
    const int64_t s = u / panels, p = u % panels;
    if (p != 0 || end - u < panels) {
      const int64_t pe = std::min(panels, p + (end - u));
      run_tile(job, p * mr, std::min(m, pe * mr) - p * mr, s * nr,
               std::min<int64_t>(nr, n - s * nr));
      u += pe - p;
      continue;
    }
    const int64_t s1 = std::min(end / panels, s + kTileN / nr);
    run_tile(job, 0, m, s * nr, std::min(n, s1 * nr) - s * nr);
    u = s1 * panels;
  }
}

// out[r] = x · rows[r·ld : r·ld + k] for the R rows of one block, each with sixteen partial
// sums (one AVX-512 vector, two AVX2 ones, when its caller is cloned).
template <int R>
inline __attribute__((always_inline)) void dot_block(const float* __restrict x,
                                                     const float* __restrict rows, int64_t ld,
                                                     int64_t k, float* __restrict out) {
  constexpr int kLanes = 16;
  const int64_t kv = k / kLanes * kLanes;
  float s[R][kLanes] = {};
  for (int64_t p = 0; p < kv; p += kLanes)
    for (int r = 0; r < R; ++r)
      for (int l = 0; l < kLanes; ++l) s[r][l] += x[p + l] * rows[r * ld + p + l];
  for (int r = 0; r < R; ++r) {
    float t = 0;
    for (int64_t p = kv; p < k; ++p) t += x[p] * rows[r * ld + p];
    for (int l = 0; l < kLanes; ++l) t += s[r][l];
    out[r] = t;
  }
}

// out[j] = x · rows[j·ld : j·ld + k] for j < count, four rows at a time: a batch of one through
// a fully connected layer reads its whole weight matrix once, and four streams keep more of it
// in flight than one.
HEATLENS_CPU_CLONES void dot_rows(const float* __restrict x, const float* __restrict rows,
                                  int64_t ld, int64_t k, int64_t count, float* __restrict out) {
  int64_t j = 0;
  for (; j + 4 <= count; j += 4) dot_block<4>(x, rows + j * ld, ld, k, out + j);
  for (; j < count; ++j) dot_block<1>(x, rows + j * ld, ld, k, out + j);
}

// acc[j] += Σ_p x[p]·rows[p·ld + j] for j < count, row after row: the input gradient of a batch
// of one through a fully connected layer. Compiled for the CPU's widest vectors
// (cpu_clones.h): in the baseline build MobileNetV2's classifier took 0.41 ms here at 1 thread
// (its 5 MB of weights), twice what its forward's dot products take.
HEATLENS_CPU_CLONES void add_scaled_rows(const float* __restrict x, const float* __restrict rows,
                                         int64_t ld, int64_t k, int64_t count,
                                         float* __restrict acc) {
  for (int64_t p = 0; p < k; ++p) {
    const float xv = x[p];
    const float* row = rows + p * ld;
    for (int64_t j = 0; j < count; ++j) acc[j] += xv * row[j];
  }
}

// Few rows (a batch of one through a fully connected layer): dot products and row updates
// without packing, split over columns.
void gemm_few_rows(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                   const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                   int64_t ldc, const ExecContext* ctx) {
  auto body = [&](int64_t j0, int64_t j1) {
    std::vector<float> arow(static_cast<size_t>(k)), acc(static_cast<size_t>(j1 - j0));
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t p = 0; p < k; ++p) arow[p] = trans_a ? a[p * lda + i] : a[i * lda + p];
      if (trans_b) {
        dot_rows(arow.data(), b + j0 * ldb, ldb, k, j1 - j0, acc.data());
      } else {
        std::fill(acc.begin(), acc.end(), 0.0f);
        add_scaled_rows(arow.data(), b + j0, ldb, k, j1 - j0, acc.data());
      }
      float* ci = c + i * ldc;
      for (int64_t j = j0; j < j1; ++j)
        ci[j] = alpha * acc[j - j0] + (beta == 0.0f ? 0.0f : beta * ci[j]);
    }
  };
  if (ctx && m * n * k > (int64_t{1} << 16))
    ctx->parallel_for(n, body, std::max<int64_t>(16, (int64_t{1} << 14) / std::max<int64_t>(1, k)));
  else
    body(0, n);
}

const MicroKernel& select_kernel() {
  const char* forced = std::getenv("HEATLENS_GEMM_KERNEL");
  if (forced && std::string(forced) == "generic") return kGeneric;
  if (const MicroKernel* k = avx512_kernel(); k && !(forced && std::string(forced) == "avx2"))
    return *k;
  if (const MicroKernel* k = avx2_kernel()) return *k;
  if (const MicroKernel* k = wasm_simd_kernel()) return *k;
  return kGeneric;
}

}  // namespace

const MicroKernel& gemm_kernel() {
  static const MicroKernel& chosen = select_kernel();
  return chosen;
}

std::vector<const MicroKernel*> gemm_kernels() {
  std::vector<const MicroKernel*> all = {&gemm_kernel()};
  for (const MicroKernel* k : {avx512_kernel(), avx2_kernel(), wasm_simd_kernel(), &kGeneric}) {
    if (k && std::find(all.begin(), all.end(), k) == all.end()) all.push_back(k);
  }
  return all;
}

namespace {

// Panels [q0, q1) of a transposed A (stored k × m, ld apart) for K block p0 of kc rows, read
// row by row: each row's stretch under these panels is read once, contiguously, and dealt out
// to them (panel q's row p at dst + q·kc·mr + p·mr). Panel by panel, every row had been a
// separate 48-byte read from another page. MR: the panel height when known at compile time
// (a whole panel's row is then one inlined copy).
template <int MR>
inline __attribute__((always_inline)) void transposed_rows(const float* a, int64_t ld, int64_t m,
                                                           int mr, int64_t q0, int64_t q1,
                                                           int64_t p0, int64_t kc, float alpha,
                                                           float* dst) {
  for (int64_t p = 0; p < kc; ++p) {
    const float* row = a + (p0 + p) * ld;
    for (int64_t q = q0; q < q1; ++q) {
      float* d = dst + q * kc * mr + p * mr;
      const float* src = row + q * mr;
      const int64_t rows = std::min<int64_t>(mr, m - q * mr);
      if (MR != 0 && rows == MR && alpha == 1.0f) {
        std::memcpy(d, src, MR * sizeof(float));
        continue;
      }
      for (int64_t r = 0; r < rows; ++r) d[r] = alpha * src[r];
      for (int64_t r = rows; r < mr; ++r) d[r] = 0.0f;
    }
  }
}

// Compiled for the CPU's widest vectors (cpu_clones.h), for the micro-kernels' panel heights.
HEATLENS_CPU_CLONES void pack_transposed_rows(const float* a, int64_t ld, int64_t m, int mr,
                                              int64_t q0, int64_t q1, int64_t p0, int64_t kc,
                                              float alpha, float* dst) {
  switch (mr) {
    case 12:
      return transposed_rows<12>(a, ld, m, mr, q0, q1, p0, kc, alpha, dst);
    case 6:
      return transposed_rows<6>(a, ld, m, mr, q0, q1, p0, kc, alpha, dst);
    case 4:
      return transposed_rows<4>(a, ld, m, mr, q0, q1, p0, kc, alpha, dst);
    default:
      return transposed_rows<0>(a, ld, m, mr, q0, q1, p0, kc, alpha, dst);
  }
}

}  // namespace

PackedA pack_a(const MicroKernel& kernel, bool trans_a, int64_t m, int64_t k, float alpha,
               const float* a, int64_t lda, const ExecContext* ctx) {
  PackedA packed;
  packed.kernel = &kernel;
  packed.m = m;
  packed.k = k;
  const int mr = kernel.mr;
  const int64_t mp = round_up(m, mr), panels = mp / mr;
  // Every element is written below except the padding rows of the last panel, zeroed here.
  packed.data.reset(new float[static_cast<size_t>(std::max<int64_t>(mp * k, 1))]);
  float* data = packed.data.get();
  // Panel q of K block p0 holds rows [q·mr, q·mr + mr) × columns [p0, p0 + kc), column-major.
  auto pack_panels = [&](int64_t q0, int64_t q1) {
    for (int64_t p0 = 0; p0 < k; p0 += kBlockK) {
      const int64_t kc = std::min(kBlockK, k - p0);
      if (trans_a) {
        pack_transposed_rows(a, lda, m, mr, q0, q1, p0, kc, alpha, data + p0 * mp);
        continue;
      }
      for (int64_t q = q0; q < q1; ++q) {
        float* dst = data + p0 * mp + q * kc * mr;
        const int64_t i0 = q * mr, rows = std::min<int64_t>(mr, m - i0);
        for (int64_t r = 0; r < rows; ++r) {
          const float* src = a + (i0 + r) * lda + p0;
          for (int64_t p = 0; p < kc; ++p) dst[p * mr + r] = alpha * src[p];
        }
        for (int64_t r = rows; r < mr; ++r) {
          for (int64_t p = 0; p < kc; ++p) dst[p * mr + r] = 0.0f;
        }
      }
    }
  };
  if (ctx && mp * k >= (int64_t{1} << 16))
    ctx->parallel_for(panels, pack_panels, 1);
  else
    pack_panels(0, panels);
  return packed;
}

void f32_gemm_packed(const PackedA& a, int64_t n, bool trans_b, const float* b, int64_t ldb,
                     float beta, float* c, int64_t ldc, const Epilogue& epilogue,
                     const ExecContext* ctx) {
  f32_gemm_packed(a, n, MatrixSource(trans_b, b, ldb), beta, c, ldc, epilogue, ctx);
}

void f32_gemm_packed(const PackedA& a, int64_t n, const BSource& b, float beta, float* c,
                     int64_t ldc, const Epilogue& epilogue, const ExecContext* ctx) {
  const int64_t m = a.m, k = a.k;
  if (m <= 0 || n <= 0) return;
  const int mr = a.kernel->mr, nr = a.kernel->nr;
  const int threads = ctx && ctx->pool ? ctx->pool->threads() : 1;
  const bool parallel = threads > 1 && m * n * std::max<int64_t>(k, 1) >= (int64_t{1} << 17);
  // A tile is a block of whole strips of columns and all rows (B packed once per K block,
  // BLIS' order), at most kTileN columns wide. With enough strips, threads share them evenly:
  // the tile count is a multiple of the thread count and tiles differ by one strip at most (a
  // ragged last tile had kept one thread busy while the other waited). With few (small maps)
  // and more rows than columns, rows are split instead, one tile per thread: narrow column
  // tiles would have threads writing the same cache lines wherever a row ends inside one, and
  // every row tile reads all of B (from L3, for the deep layers), so more of them than threads
  // only repeat that.
  const int64_t strips = ceil_div(n, nr);
  GemmJob job{&a, n, &b, beta, c, ldc, &epilogue};
  // Rows (output channels) split over the threads, a row tile each, where the output's readers
  // take it channel by channel (ExecContext::output_by_channels) and the rows make one tile
  // per thread of two panels or more. (More rows than columns are split by rows below.)
  const int64_t channel_tile = round_up(ceil_div(m, threads), mr);
  const bool by_channels = parallel && ctx->output_by_channels && m < n && m >= 2 * threads * mr &&
                           ceil_div(m, channel_tile) == threads;
  // A few strips that do not divide among the threads (7 for a 14 × 14 map) with fewer rows
  // than columns: each thread takes an equal share of the (strip, row panel) blocks
  // (run_share), cutting one strip across its rows where shares meet. Whole strips per
  // thread had given one thread 4 strips to the other's 3 (a 96 × 196 × 576 product: 88 and
  // 117 µs).
  if (parallel && !by_channels && strips >= threads && strips < 4 * threads && m < n &&
      strips % threads != 0) {
    const int64_t shares = threads;
    auto run_shares = [&](int64_t q0, int64_t q1) {
      for (int64_t q = q0; q < q1; ++q) run_share(job, q, shares);
    };
    ctx->parallel_for(shares, run_shares, 1);
    return;
  }
  int64_t nt = ceil_div(strips, kTileN / nr);
  int64_t tile_m = m;
  if (by_channels) {
    // Row tile q's column tiles are tiles q·nt … (q + 1)·nt − 1 (below), thread q's share when
    // none is stolen. Each packs B itself: packed once for all, each thread would read the
    // half that the other packed.
    tile_m = channel_tile;
  } else {
    if (parallel && strips >= 4 * threads) nt = round_up(nt, threads);
    // Fewer rows than columns (1×1 convolutions narrowing a small map: 384 → 64 on 14 × 14): A
    // is the smaller operand, so each thread reads all of it and packs only its own columns of
    // B (split by rows, each had read the B the other packed, from the other core: 0.082 →
    // 0.063 ms at 2 threads).
    if (parallel && nt < threads && strips >= threads && m < n) nt = threads;
    if (parallel && nt < threads) {
      const int64_t want_m = ceil_div(threads, nt);
      tile_m = std::max<int64_t>(mr, round_up(ceil_div(m, want_m), mr));
    }
  }
  const int64_t mt = ceil_div(m, tile_m);
  // When several row tiles share a column tile and B is small, pack B once for all of them.
  // Left uninitialised: the packing writes every float (strips are zero-padded), and zeroing
  // it first had cost as much as half the work of a 96 × 196 × 576 product on two threads.
  std::unique_ptr<float[]> shared;
  const int64_t np = round_up(n, nr);
  if (mt > 1 && k > 0 && np * k <= kSharedPackLimit && !by_channels) {
    shared.reset(new float[static_cast<size_t>(np * k)]);
    // Items are (K block, strip), strips fastest; each run of a block's strips is one pack.
    // Split over both, since a few strips (deep layers' small maps) over many K blocks had left
    // the packing to one thread.
    auto pack = [&](int64_t w0, int64_t w1) {
      for (int64_t w = w0; w < w1;) {
        const int64_t block = w / strips, s0 = w % strips;
        const int64_t s1 = std::min(strips, s0 + (w1 - w));
        const int64_t p0 = block * kBlockK, kc = std::min(kBlockK, k - p0);
        const int64_t j0 = s0 * nr, nc = std::min(n, s1 * nr) - j0;
        b.pack(p0, kc, j0, nc, nr, shared.get() + p0 * np + s0 * kc * nr);
        w += s1 - s0;
      }
    };
    const int64_t items = ceil_div(k, kBlockK) * strips;
    if (parallel)
      ctx->parallel_for(items, pack, 4);
    else
      pack(0, items);
    job.shared_b = shared.get();
    job.np = np;
  }
  auto tiles = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t it = by_channels ? t / nt : t % mt, jt = by_channels ? t % nt : t / mt;
      const int64_t i0 = it * tile_m;
      const int64_t j0 = jt * strips / nt * nr, j1 = std::min(n, (jt + 1) * strips / nt * nr);
      run_tile(job, i0, std::min(tile_m, m - i0), j0, j1 - j0);
    }
  };
  if (parallel)
    ctx->parallel_for(mt * nt, tiles, 1);
  else
    tiles(0, mt * nt);
}

void f32_gemm_with(const MicroKernel& kernel, bool trans_a, bool trans_b, int64_t m, int64_t n,
                   int64_t k, float alpha, const float* a, int64_t lda, const float* b, int64_t ldb,
                   float beta, float* c, int64_t ldc, const ExecContext* ctx) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.0f) {
    for (int64_t i = 0; i < m; ++i) {
      float* ci = c + i * ldc;
      for (int64_t j = 0; j < n; ++j) ci[j] = beta == 0.0f ? 0.0f : beta * ci[j];
    }
    return;
  }
  const PackedA packed = pack_a(kernel, trans_a, m, k, alpha, a, lda, ctx);
  f32_gemm_packed(packed, n, trans_b, b, ldb, beta, c, ldc, Epilogue{}, ctx);
}

void f32_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
              const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
              int64_t ldc, const ExecContext* ctx) {
  if (m > 0 && m <= 2 && k > 0 && alpha != 0.0f) {
    gemm_few_rows(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ctx);
    return;
  }
  f32_gemm_with(gemm_kernel(), trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ctx);
}

}  // namespace heatlens
