// Meaningful perturbation: the smallest smooth mask whose blurring deletes the class (deletion
// game) or the smallest region that alone preserves it (preservation game), learnt with Adam.
// Fong & Vedaldi 2017, "Interpretable Explanations of Black Boxes by Meaningful Perturbation";
// Samek et al. (eds.) 2019, Explainable AI, ch. 8, eq. 8.9.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "explain/method.h"
#include "explain/perturbation/perturbation.h"
#include "media/filters.h"

namespace heatlens {

namespace {

// The linear map from a mask of m cells to n pixels along one axis: bilinear upsampling
// (PyTorch's align_corners=False) followed by a Gaussian blur (σ pixels). n×m, row-major.
std::vector<double> upsample_blur_matrix(int64_t n, int64_t m, double sigma) {
  std::vector<double> a(n * m);
  for (int64_t j = 0; j < m; ++j) {
    Tensor unit({1, 1, m, 1});
    unit.f32()[j] = 1.0f;
    Tensor col = resize_bilinear(unit, n, 1);
    if (sigma > 0) col = gaussian_blur(col, sigma);
    for (int64_t i = 0; i < n; ++i) a[i * m + j] = col.f32()[i];
  }
  return a;
}

// out (n1×n2) = A (n1×m1) · mask (m1×m2) · Bᵀ (m2×n2)
std::vector<double> expand(const std::vector<double>& a, const std::vector<double>& mask,
                           const std::vector<double>& b, int64_t n1, int64_t m1, int64_t n2,
                           int64_t m2) {
  std::vector<double> tmp(n1 * m2, 0), out(n1 * n2, 0);
  for (int64_t i = 0; i < n1; ++i)
    for (int64_t k = 0; k < m1; ++k)
      for (int64_t j = 0; j < m2; ++j) tmp[i * m2 + j] += a[i * m1 + k] * mask[k * m2 + j];
  for (int64_t i = 0; i < n1; ++i)
    for (int64_t j = 0; j < n2; ++j)
      for (int64_t k = 0; k < m2; ++k) out[i * n2 + j] += tmp[i * m2 + k] * b[j * m2 + k];
  return out;
}

// The adjoint: grad_mask (m1×m2) = Aᵀ · grad (n1×n2) · B.
std::vector<double> expand_adjoint(const std::vector<double>& a, const std::vector<double>& grad,
                                   const std::vector<double>& b, int64_t n1, int64_t m1, int64_t n2,
                                   int64_t m2) {
  std::vector<double> tmp(n1 * m2, 0), out(m1 * m2, 0);
  for (int64_t i = 0; i < n1; ++i)
    for (int64_t j = 0; j < n2; ++j)
      for (int64_t k = 0; k < m2; ++k) tmp[i * m2 + k] += grad[i * n2 + j] * b[j * m2 + k];
  for (int64_t i = 0; i < n1; ++i)
    for (int64_t k = 0; k < m1; ++k)
      for (int64_t j = 0; j < m2; ++j) out[k * m2 + j] += a[i * m1 + k] * tmp[i * m2 + j];
  return out;
}

// Circular shift of the last two dims by (dy, dx); (−dy, −dx) undoes it exactly.
Tensor roll(const Tensor& x, int64_t dy, int64_t dx) {
  const int64_t h = x.dim(x.rank() - 2), w = x.dim(x.rank() - 1), planes = x.numel() / (h * w);
  Tensor out(x.shape());
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t xx = 0; xx < w; ++xx)
        out.f32()[(p * h + ((y + dy) % h + h) % h) * w + ((xx + dx) % w + w) % w] =
            x.f32()[(p * h + y) * w + xx];
  return out;
}

Attribution run_meaningful_perturbation(ExplainModel& model, const Tensor& x, const Target& t,
                                        const ParamValues& p, Progress& progress) {
  HEATLENS_CHECK(x.rank() == 4, "meaningful-perturbation needs an image input [1, C, H, W], got "
                                    << shape_str(x.shape()));
  const int64_t h = x.dim(2), w = x.dim(3);
  const int64_t mh = std::min(p.integer("mask-size"), h), mw = std::min(p.integer("mask-size"), w);
  const bool deletion = p.text("game") == "deletion";
  const double l1 = p.number("l1"), tv = p.number("tv"), beta = p.number("tv-beta");
  const double lr = p.number("lr");
  const int64_t iterations = p.integer("iterations"), jitter = p.integer("jitter");
  const Tensor blurred = gaussian_blur(x, p.number("blur-sigma"));
  const std::vector<double> ah = upsample_blur_matrix(h, mh, p.number("mask-sigma"));
  const std::vector<double> aw = upsample_blur_matrix(w, mw, p.number("mask-sigma"));
  // The paper plays on the class probability; a saturated softmax has no gradient, so the
  // score is a parameter.
  Target prob = t;
  prob.space = parse_output_space(p.text("score"));
  Rng rng(static_cast<uint64_t>(p.integer("seed")));
  std::vector<double> mask(mh * mw, 0.5), m1(mh * mw, 0), m2(mh * mw, 0);

  progress.set_total(iterations);
  double last_prob = 0;
  for (int64_t it = 1; it <= iterations; ++it) {
    const std::vector<double> up = expand(ah, mask, aw, h, mh, w, mw);
    Tensor perturbed(x.shape());
    for (int64_t i = 0; i < x.numel(); ++i) {
      const double mi = up[i % (h * w)];
      perturbed.f32()[i] = static_cast<float>(x.f32()[i] * mi + blurred.f32()[i] * (1 - mi));
    }
    const int64_t dy = jitter ? static_cast<int64_t>(rng.below(2 * jitter + 1)) - jitter : 0;
    const int64_t dx = jitter ? static_cast<int64_t>(rng.below(2 * jitter + 1)) - jitter : 0;
    ExplainModel::Gradient g = model.gradient(roll(perturbed, dy, dx), prob);
    last_prob = ExplainModel::score(g.logits.f32(), g.logits.dim(1), prob);
    const Tensor grad = roll(g.grad, -dy, -dx);
    std::vector<double> grad_up(h * w, 0);
    for (int64_t i = 0; i < x.numel(); ++i)
      grad_up[i % (h * w)] += grad.f32()[i] * (x.f32()[i] - blurred.f32()[i]);
    std::vector<double> grad_mask = expand_adjoint(ah, grad_up, aw, h, mh, w, mw);
    // Deletion minimises p + λ1‖1 − m‖₁ + λ2 TV; preservation minimises −p + λ1‖m‖₁ + λ2 TV.
    for (int64_t i = 0; i < mh * mw; ++i)
      grad_mask[i] = (deletion ? 1 : -1) * grad_mask[i] + (deletion ? -l1 : l1);
    for (int64_t y = 0; y < mh; ++y) {
      for (int64_t xx = 0; xx < mw; ++xx) {
        const int64_t i = y * mw + xx;
        for (const int64_t j : {y + 1 < mh ? i + mw : -1, xx + 1 < mw ? i + 1 : -1}) {
          if (j < 0) continue;
          const double d = mask[j] - mask[i];
          const double gtv = tv * beta * std::pow(std::fabs(d), beta - 1) *
                             (d > 0   ? 1
                              : d < 0 ? -1
                                      : 0);
          grad_mask[j] += gtv;
          grad_mask[i] -= gtv;
        }
      }
    }
    // Adam (β1 0.9, β2 0.999), then projection onto [0, 1].
    for (int64_t i = 0; i < mh * mw; ++i) {
      m1[i] = 0.9 * m1[i] + 0.1 * grad_mask[i];
      m2[i] = 0.999 * m2[i] + 0.001 * grad_mask[i] * grad_mask[i];
      const double mhat = m1[i] / (1 - std::pow(0.9, it)), vhat = m2[i] / (1 - std::pow(0.999, it));
      mask[i] = std::clamp(mask[i] - lr * mhat / (std::sqrt(vhat) + 1e-8), 0.0, 1.0);
    }
    progress.step();
  }
  const std::vector<double> up = expand(ah, mask, aw, h, mh, w, mw);
  Attribution out;
  out.relevance = Tensor(x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double mi = std::clamp(up[i % (h * w)], 0.0, 1.0);
    out.relevance.f32()[i] = static_cast<float>(deletion ? 1 - mi : mi);
  }
  out.layer_map = Tensor({1, 1, mh, mw});
  for (int64_t i = 0; i < mh * mw; ++i)
    out.layer_map.f32()[i] = static_cast<float>(deletion ? 1 - mask[i] : mask[i]);
  out.signed_map = false;
  out.notes["perturbed-probability"] = std::to_string(last_prob);
  return out;
}

}  // namespace

void register_meaningful_perturbation(std::vector<MethodInfo>& r) {
  std::vector<ParamSpec> params = {
      {"game",
       ParamType::choice,
       "deletion",
       0,
       0,
       {"deletion", "preservation"},
       "deletion: the smallest region whose blurring removes the class (result 1 − m); "
       "preservation: the smallest region that alone keeps it (result m)"},
      {"score",
       ParamType::choice,
       "prob",
       0,
       0,
       {"prob", "logprob", "logit"},
       "the score the game drives: the class probability (the paper), its log, or the logit"},
      {"blur-sigma", ParamType::number, "10", 0.1, 1000, {}, "σ0 of the blurred image in pixels"},
      {"l1", ParamType::number, "1e-4", 0, 1e6, {}, "λ1, weight of the mask's L1 norm"},
      {"tv", ParamType::number, "1e-2", 0, 1e6, {}, "λ2, weight of the total variation"},
      {"tv-beta", ParamType::number, "3", 1, 10, {}, "β, exponent of the total variation"},
      {"lr", ParamType::number, "0.1", 1e-6, 10, {}, "Adam learning rate"},
      {"iterations", ParamType::integer, "300", 1, 100000, {}, "optimisation steps"},
      {"mask-size", ParamType::integer, "28", 1, 4096, {}, "side of the learnt mask grid"},
      {"mask-sigma",
       ParamType::number,
       "5",
       0,
       1000,
       {},
       "σm in pixels of the Gaussian that smooths the upsampled mask"},
      {"jitter", ParamType::integer, "4", 0, 64, {}, "τ: random shift of up to τ pixels per step"},
      {"seed", ParamType::integer, "0", 0, 2147483647, {}, "random seed (jitter)"},
  };
  r.push_back(
      {"meaningful-perturbation", MethodFamily::perturbation, "gradient",
       "1 forward + 1 backward per iteration",
       "Fong & Vedaldi 2017, \"Interpretable Explanations of Black Boxes by Meaningful "
       "Perturbation\"; Samek et al. 2019, ch. 8",
       "a smooth mask learnt so that blurring it deletes (or keeping it preserves) the class",
       params, run_meaningful_perturbation});
}

}  // namespace heatlens
