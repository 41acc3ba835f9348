// Class activation maps from a convolutional layer: Grad-CAM, Grad-CAM++ and Guided Grad-CAM.
#include <cmath>

#include "core/error.h"
#include "explain/method.h"
#include "media/filters.h"

namespace heatlens {

Tensor guided_backprop_map(ExplainModel& m, const Tensor& x, const Target& t);

namespace {

// The layer Grad-CAM looks at: the parameter, else the model card's, else the last value
// with a spatial extent (rank 4, more than one position) before the global pooling.
std::string choose_layer(ExplainModel& m, const Tensor& x, const std::string& requested) {
  const Graph& g = m.graph();
  auto plan = m.engine().plan({x.shape()}, {x.dtype()});
  auto usable = [&](int id) {
    const ValueType& t = plan->types[id];
    return t.dtype == DType::f32 && t.shape.size() == 4 && t.shape[2] * t.shape[3] > 1 &&
           !t.constant.defined();
  };
  if (!requested.empty()) {
    const int id = g.require_value(requested);
    HEATLENS_CHECK(usable(id),
                   "layer '" << requested << "' has shape " << shape_str(plan->types[id].shape)
                             << "; Grad-CAM needs a [N, C, H, W] activation with H·W > 1");
    return requested;
  }
  if (!m.card().gradcam_layer.empty()) return choose_layer(m, x, m.card().gradcam_layer);
  std::string last;
  for (int step : plan->steps) {
    for (int id : g.nodes[step].outputs) {
      if (id >= 0 && usable(id)) last = g.values[id].name;
    }
  }
  HEATLENS_CHECK(!last.empty(),
                 "the model has no convolutional activation for Grad-CAM (no [N, C, H, W] value "
                 "with H·W > 1)");
  return last;
}

enum class CamKind { grad_cam, grad_cam_pp, guided };

// Grad-CAM: ReLU(Σ_k α_k A_k) with α_k the spatial mean of ∂y/∂A_k.
// Selvaraju et al. 2017, "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based
// Localization". Grad-CAM++: α_kij = g²/(2g² + Σ_ab A_kab·g³), w_k = Σ_ij α_kij·ReLU(g_kij).
// Chattopadhay et al. 2018, "Grad-CAM++: Generalized Gradient-Based Visual Explanations".
Attribution run_cam(ExplainModel& m, const Tensor& x, const Target& t, const ParamValues& p,
                    Progress& progress, CamKind kind) {
  HEATLENS_CHECK(x.rank() == 4,
                 "Grad-CAM needs an image-like input [N, C, H, W], got " << shape_str(x.shape()));
  const std::string layer = choose_layer(m, x, p.text("layer"));
  progress.set_total(kind == CamKind::guided ? 2 : 1);
  ExplainModel::Gradient g = m.gradient(x, t, {layer}, {layer});
  progress.step();
  const Tensor& act = g.captured.at(layer);
  const Tensor& grad = g.value_grads.at(layer);
  const int64_t channels = act.dim(1), h = act.dim(2), w = act.dim(3), hw = h * w;
  std::vector<double> weight(channels, 0.0);
  for (int64_t c = 0; c < channels; ++c) {
    const float* a = act.f32() + c * hw;
    const float* d = grad.f32() + c * hw;
    if (kind == CamKind::grad_cam_pp) {
      double sum_a = 0;
      for (int64_t i = 0; i < hw; ++i) sum_a += a[i];
      for (int64_t i = 0; i < hw; ++i) {
        const double g2 = static_cast<double>(d[i]) * d[i], g3 = g2 * d[i];
        const double denom = 2 * g2 + sum_a * g3;
        const double alpha = denom != 0 ? g2 / denom : 0.0;
        weight[c] += alpha * std::max(0.0f, d[i]);
      }
    } else {
      for (int64_t i = 0; i < hw; ++i) weight[c] += d[i];
      weight[c] /= static_cast<double>(hw);
    }
  }
  Tensor cam({1, 1, h, w});
  for (int64_t i = 0; i < hw; ++i) {
    double v = 0;
    for (int64_t c = 0; c < channels; ++c) v += weight[c] * act.f32()[c * hw + i];
    cam.f32()[i] = static_cast<float>(std::max(0.0, v));
  }
  Tensor up = resize_bilinear(cam, x.dim(2), x.dim(3));
  Attribution out;
  out.layer_map = cam;
  out.relevance = Tensor(x.shape());
  const int64_t in_channels = x.dim(1), in_hw = x.dim(2) * x.dim(3);
  Tensor guided;
  if (kind == CamKind::guided) {
    guided = guided_backprop_map(m, x, t);
    progress.step();
  }
  for (int64_t c = 0; c < in_channels; ++c) {
    for (int64_t i = 0; i < in_hw; ++i) {
      // Spread over channels so that the channel sum (what is drawn) is the map itself.
      const float v = up.f32()[i];
      out.relevance.f32()[c * in_hw + i] =
          kind == CamKind::guided ? v * guided.f32()[c * in_hw + i] : v / in_channels;
    }
  }
  out.signed_map = kind == CamKind::guided;
  out.notes["layer"] = layer;
  return out;
}

std::vector<ParamSpec> cam_params() {
  return {{"layer",
           ParamType::text,
           "",
           0,
           0,
           {},
           "activation to explain (value name); default: the model card's, else the last spatial "
           "activation"}};
}

}  // namespace

void register_grad_cam(std::vector<MethodInfo>& r) {
  r.push_back({"grad-cam", MethodFamily::gradient, "layers", "1 forward + 1 backward",
               "Selvaraju et al. 2017, Grad-CAM: Visual Explanations from Deep Networks via "
               "Gradient-based Localization",
               "a layer's activations weighted by their average gradient, upsampled to the input",
               cam_params(),
               [](ExplainModel& m, const Tensor& x, const Target& t, const ParamValues& p,
                  Progress& pr) { return run_cam(m, x, t, p, pr, CamKind::grad_cam); }});
  r.push_back({"grad-cam-plus-plus", MethodFamily::gradient, "layers", "1 forward + 1 backward",
               "Chattopadhay et al. 2018, Grad-CAM++: Generalized Gradient-Based Visual "
               "Explanations for Deep CNNs",
               "Grad-CAM with pixel-wise weights from higher-order gradient terms", cam_params(),
               [](ExplainModel& m, const Tensor& x, const Target& t, const ParamValues& p,
                  Progress& pr) { return run_cam(m, x, t, p, pr, CamKind::grad_cam_pp); }});
  r.push_back({"guided-grad-cam", MethodFamily::gradient, "layers", "2 × (1 forward + 1 backward)",
               "Selvaraju et al. 2017, Grad-CAM (Guided Grad-CAM)",
               "guided backpropagation multiplied by the upsampled Grad-CAM map", cam_params(),
               [](ExplainModel& m, const Tensor& x, const Target& t, const ParamValues& p,
                  Progress& pr) { return run_cam(m, x, t, p, pr, CamKind::guided); }});
}

}  // namespace heatlens
