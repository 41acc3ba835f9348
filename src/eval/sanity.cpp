// Sanity checks: a map that survives randomising the model's parameters (Adebayo et al. 2018)
// or changes when the input is shifted and the shift absorbed by the model (book ch. 14) does
// not explain the model.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "core/rng.h"
#include "eval/metric.h"
#include "ops/op.h"

namespace heatlens {

namespace {

std::vector<double> ranks(const std::vector<double>& v) {
  std::vector<int64_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    for (size_t k = i; k <= j; ++k) r[order[k]] = (i + j) / 2.0;  // ties share their mean rank
    i = j + 1;
  }
  return r;
}

}  // namespace

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  return pearson(ranks(a), ranks(b));
}

// SSIM of two maps scaled to [0, 1] by their largest |value|, 7×7 uniform windows (valid
// positions), C1 = 0.01², C2 = 0.03² (Wang et al. 2004).
double ssim(const std::vector<double>& a_in, const std::vector<double>& b_in, int64_t h,
            int64_t w) {
  auto scaled = [](std::vector<double> v) {
    double top = 0;
    for (double x : v) top = std::max(top, std::fabs(x));
    for (double& x : v) x = top > 0 ? std::fabs(x) / top : 0.0;
    return v;
  };
  const std::vector<double> a = scaled(a_in), b = scaled(b_in);
  const int64_t win = std::min<int64_t>({7, h, w});
  const double c1 = 1e-4, c2 = 9e-4, n = static_cast<double>(win * win);
  double total = 0;
  int64_t count = 0;
  for (int64_t y = 0; y + win <= h; ++y) {
    for (int64_t x = 0; x + win <= w; ++x) {
      double ma = 0, mb = 0, va = 0, vb = 0, cov = 0;
      for (int64_t dy = 0; dy < win; ++dy)
        for (int64_t dx = 0; dx < win; ++dx) {
          ma += a[(y + dy) * w + x + dx] / n;
          mb += b[(y + dy) * w + x + dx] / n;
        }
      for (int64_t dy = 0; dy < win; ++dy)
        for (int64_t dx = 0; dx < win; ++dx) {
          const double da = a[(y + dy) * w + x + dx] - ma, db = b[(y + dy) * w + x + dx] - mb;
          va += da * da / (n - 1);
          vb += db * db / (n - 1);
          cov += da * db / (n - 1);
        }
      total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
      ++count;
    }
  }
  return count ? total / count : 1.0;
}

// The model with a constant added to its input and taken off again by a Sub node in front, so
// that g(x + c) = f(x) exactly.
Graph with_input_shift(const Graph& original, float shift) {
  Graph g = original;
  HEATLENS_CHECK(g.inputs.size() == 1, "input-shift needs a single-input model");
  const int old_input = g.inputs[0];
  const int shifted = g.add_value(g.values[old_input].name + "__shifted");
  const int constant = g.add_value(g.values[old_input].name + "__shift");
  Value& in = g.values[shifted];
  const Value& old = g.values[old_input];
  in.is_graph_input = true;
  in.declared_dtype = old.declared_dtype;
  in.has_declared_shape = old.has_declared_shape;
  in.declared_shape = old.declared_shape;
  in.dim_params = old.dim_params;
  Tensor c({1});
  c.f32()[0] = shift;
  g.values[constant].initializer = c;
  for (Value& v : g.values)
    if (v.producer >= 0) ++v.producer;
  g.values[old_input].is_graph_input = false;
  g.values[old_input].producer = 0;
  Node sub;
  sub.op_type = "Sub";
  sub.label = "node 'input shift' (Sub)";
  sub.inputs = {shifted, constant};
  sub.outputs = {old_input};
  const OpInfo* info = op_registry().find("Sub");
  NodeAttributes attrs({}, sub.label);
  OpBuildContext ctx{attrs, g.opset, 2, 1, sub.label};
  std::unique_ptr<Op> op = info->factory(ctx);
  op->set_label(sub.label);
  sub.op = std::move(op);
  sub.info = info;
  g.nodes.insert(g.nodes.begin(), std::move(sub));
  g.inputs = {shifted};
  return g;
}

namespace {

Attribution rerun(EvalInput& in, ExplainModel& model, const Tensor& x) {
  TargetSpec spec;
  spec.class_index = in.attribution.target.class_index;
  spec.space = in.attribution.target.space;
  Progress inner({}, in.progress.cancel_flag());
  return explain(model, x, in.attribution.method, spec, in.method_params, inner);
}

// Cascading randomisation from the top layer down: Spearman rank correlation and SSIM of each
// map with the original. Adebayo et al. 2018, "Sanity Checks for Saliency Maps".
MetricResult randomisation(EvalInput& in, const ParamValues& p) {
  const Graph& original = in.model.graph();
  // Layers with learnt weights, top first.
  std::vector<int> layers;
  for (size_t n = 0; n < original.nodes.size(); ++n) {
    const Node& node = original.nodes[n];
    const std::string& op = node.op_type;
    if ((op == "Conv" || op == "ConvTranspose" || op == "Gemm" || op == "MatMul") &&
        node.inputs.size() >= 2 && node.inputs[1] >= 0 &&
        original.values[node.inputs[1]].initializer.defined())
      layers.push_back(static_cast<int>(n));
  }
  HEATLENS_CHECK(!layers.empty(), "randomisation: the model has no layer with learnt weights");
  std::reverse(layers.begin(), layers.end());
  const int64_t count = std::min<int64_t>(p.integer("layers"), static_cast<int64_t>(layers.size()));
  const std::vector<double> base = spatial_relevance(in.attribution.relevance);
  const auto plane = plane_size(in.x);
  const int64_t h = plane.first, w = plane.second;
  Rng rng(static_cast<uint64_t>(p.integer("seed")));
  Graph g = original;
  MetricResult r;
  r.curve_x = "layers randomised";
  r.curve_y = "Spearman";
  in.progress.add_total(count);
  double sum = 0;
  for (int64_t k = 0; k < count; ++k) {
    for (int id : g.nodes[layers[k]].inputs) {
      if (id < 0 || !g.values[id].initializer.defined() ||
          g.values[id].initializer.dtype() != DType::f32)
        continue;
      Tensor t = g.values[id].initializer.clone();
      double mean = 0, var = 0;
      for (int64_t i = 0; i < t.numel(); ++i) mean += t.f32()[i] / t.numel();
      for (int64_t i = 0; i < t.numel(); ++i)
        var += (t.f32()[i] - mean) * (t.f32()[i] - mean) / t.numel();
      const double sd = var > 0 ? std::sqrt(var) : 0.01;
      for (int64_t i = 0; i < t.numel(); ++i) t.f32()[i] = static_cast<float>(sd * rng.normal());
      g.values[id].initializer = t;
    }
    Engine engine(g, in.model.engine().threads());
    ExplainModel randomised(engine, in.model.card());
    const std::vector<double> map = spatial_relevance(rerun(in, randomised, in.x).relevance);
    const double rho = spearman(base, map);
    r.curve_x_values.push_back(static_cast<double>(k + 1));
    r.curve_y_values.push_back(rho);
    r.extras["ssim_" + std::to_string(k + 1)] = ssim(base, map, h, w);
    sum += rho;
    in.progress.step();
  }
  r.value = sum / static_cast<double>(count);
  r.extras["spearman_last"] = r.curve_y_values.back();
  return r;
}

// Input-shift invariance: explain g at x + c where g(x + c) = f(x); the relative change of the
// map (0: invariant). Kindermans et al. 2019, "The (Un)reliability of Saliency Methods";
// Samek et al. 2019, ch. 14.
MetricResult input_shift(EvalInput& in, const ParamValues& p) {
  const float shift = static_cast<float>(p.number("shift"));
  Engine engine(with_input_shift(in.model.graph(), shift), in.model.engine().threads());
  ExplainModel shifted(engine, in.model.card());
  Tensor moved = in.x.clone();
  for (int64_t i = 0; i < moved.numel(); ++i) moved.f32()[i] += shift;
  in.progress.add_total(1);
  const Attribution a = rerun(in, shifted, moved);
  in.progress.step();
  double diff = 0, norm = 0;
  for (int64_t i = 0; i < moved.numel(); ++i) {
    const double d = a.relevance.f32()[i] - in.attribution.relevance.f32()[i];
    diff += d * d;
    norm +=
        static_cast<double>(in.attribution.relevance.f32()[i]) * in.attribution.relevance.f32()[i];
  }
  MetricResult r;
  r.value = norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
  return r;
}

}  // namespace

void register_sanity_checks(std::vector<MetricInfo>& r) {
  r.push_back({"randomisation",
               "sanity",
               "method",
               false,
               "Adebayo et al. 2018, \"Sanity Checks for Saliency Maps\" (cascading model "
               "parameter randomisation)",
               "mean Spearman rank correlation of the map with itself as layers are randomised "
               "from the top (low: the map depends on the parameters); SSIM per layer in extras",
               {{"layers", ParamType::integer, "100", 1, 100000, {}, "most layers to randomise"},
                {"seed", ParamType::integer, "0", 0, 2147483647, {}, "random seed"}},
               randomisation});
  r.push_back(
      {"input-shift",
       "sanity",
       "method",
       false,
       "Kindermans et al. 2019, \"The (Un)reliability of Saliency Methods\"; Samek et al. "
       "2019, ch. 14",
       "relative change of the map when the input is shifted by a constant that the model "
       "absorbs (0: invariant)",
       {{"shift", ParamType::number, "1", -1e6, 1e6, {}, "constant added to every input value"}},
       input_shift});
}

}  // namespace heatlens
