#include "explain/explain_model.h"

#include <cmath>
#include <cstring>

#include "core/error.h"
#include "explain/canonizer.h"

namespace heatlens {

OutputSpace parse_output_space(const std::string& s) {
  if (s == "logit") return OutputSpace::logit;
  if (s == "prob") return OutputSpace::prob;
  if (s == "logprob") return OutputSpace::logprob;
  fail("output must be logit, prob or logprob, got '" + s + "'");
}

const char* output_space_name(OutputSpace s) {
  switch (s) {
    case OutputSpace::logit:
      return "logit";
    case OutputSpace::prob:
      return "prob";
    case OutputSpace::logprob:
      return "logprob";
  }
  return "logit";
}

ExplainModel::ExplainModel(Engine& engine, ModelCard card)
    : engine_(&engine), card_(std::move(card)), head_(find_output_head(engine.graph())) {
  HEATLENS_CHECK(
      engine.graph().inputs.size() == 1,
      "heatlens explains models with one input; this one has " << engine.graph().inputs.size());
}

ExplainModel::ExplainModel(ExternalForward forward, ModelCard card)
    : external_(std::move(forward)), card_(std::move(card)) {}

Engine& ExplainModel::engine() {
  HEATLENS_CHECK(engine_ != nullptr,
                 "this method needs gradients or the model's layers, which heatlens cannot "
                 "compute for a model with unsupported operators; forward-only methods "
                 "(occlusion, rise, lime, kernel-shap, shapley-sampling) run through ONNX "
                 "Runtime");
  return *engine_;
}

const Graph& ExplainModel::graph() const {
  HEATLENS_CHECK(engine_ != nullptr, "a model run through ONNX Runtime has no heatlens graph");
  return engine_->graph();
}

Engine& ExplainModel::canonized_engine() {
  if (!canonized_)
    canonized_ = std::make_unique<Engine>(fold_batch_norm(engine().graph()), engine_->threads());
  // LRP runs where the model's passes run (the backend may change after the first LRP).
  if (canonized_->backend() != engine_->backend())
    canonized_->set_backend(engine_->shared_backend());
  return *canonized_;
}

Tensor stack_batch(const std::vector<Tensor>& parts) {
  Shape s = parts[0].shape();
  const int64_t per = parts[0].numel();
  s[0] = static_cast<int64_t>(parts.size());
  Tensor out(s);
  for (size_t k = 0; k < parts.size(); ++k)
    std::memcpy(out.f32() + k * per, parts[k].f32(), per * sizeof(float));
  return out;
}

bool ExplainModel::batchable() const {
  if (!engine_) return true;  // the external runner splits batches itself where it must
  const Value& in = engine_->graph().values[engine_->graph().inputs[0]];
  return !in.has_declared_shape || in.declared_shape.empty() || in.declared_shape[0] != 1;
}

Tensor ExplainModel::logits(const Tensor& x) {
  if (x.dim(0) > 1 && !batchable()) {
    std::vector<Tensor> rows;
    for (int64_t b = 0; b < x.dim(0); ++b) rows.push_back(logits(batch_item(x, b)));
    return stack_batch(rows);
  }
  Tensor l;
  if (external_) {
    l = external_(x);
  } else {
    ForwardOptions opts;
    if (!head_.final_activation.empty()) opts.capture.push_back(head_.logits);
    ForwardResult r = engine_->forward({x}, opts);
    l = head_.final_activation.empty() ? r.outputs[0] : r.captured.at(head_.logits);
  }
  passes_ += x.dim(0);
  HEATLENS_CHECK(l.rank() == 2 && l.dim(0) == x.dim(0),
                 "the model's output has shape " << shape_str(l.shape())
                                                 << "; a classifier's is [batch, classes]");
  return l;
}

Target ExplainModel::resolve_target(const Tensor& l, const TargetSpec& spec) {
  const int64_t classes = l.dim(1);
  Target t;
  t.space = spec.space;
  if (spec.class_index >= 0) {
    HEATLENS_CHECK(spec.class_index < classes, "target class " << spec.class_index
                                                               << " is out of range (the model has "
                                                               << classes << " classes)");
    t.class_index = spec.class_index;
  } else {
    const float* row = l.f32();
    int64_t best = 0;
    for (int64_t c = 1; c < classes; ++c) {
      if (row[c] > row[best]) best = c;
    }
    t.class_index = best;
  }
  return t;
}

double ExplainModel::score(const float* row, int64_t classes, const Target& t) {
  if (t.space == OutputSpace::logit) return row[t.class_index];
  double mx = row[0];
  for (int64_t c = 1; c < classes; ++c) mx = std::max<double>(mx, row[c]);
  double sum = 0;
  for (int64_t c = 0; c < classes; ++c) sum += std::exp(row[c] - mx);
  const double logp = row[t.class_index] - mx - std::log(sum);
  return t.space == OutputSpace::prob ? std::exp(logp) : logp;
}

void ExplainModel::score_seed(const Tensor& l, const Target& t, Tensor& seed) {
  const int64_t n = l.dim(0), classes = l.dim(1);
  HEATLENS_CHECK(t.class_index < classes, "target class " << t.class_index << " is out of range");
  for (int64_t b = 0; b < n; ++b) {
    const float* row = l.f32() + b * classes;
    float* s = seed.f32() + b * classes;
    if (t.space == OutputSpace::logit) {
      s[t.class_index] = 1.0f;
      continue;
    }
    double mx = row[0];
    for (int64_t c = 1; c < classes; ++c) mx = std::max<double>(mx, row[c]);
    double sum = 0;
    for (int64_t c = 0; c < classes; ++c) sum += std::exp(row[c] - mx);
    const double pc = std::exp(row[t.class_index] - mx) / sum;
    for (int64_t c = 0; c < classes; ++c) {
      const double pj = std::exp(row[c] - mx) / sum;
      const double d = (c == t.class_index ? 1.0 : 0.0) - pj;  // ∂ log p_c / ∂ logit_j
      s[c] = static_cast<float>(t.space == OutputSpace::prob ? pc * d : d);
    }
  }
}

ExplainModel::Gradient ExplainModel::gradient(const Tensor& x, const Target& t,
                                              const std::vector<std::string>& capture,
                                              const std::vector<std::string>& wrt,
                                              const VjpHook& hook) {
  return gradient_seeded(
      x, [&](const Tensor& l, Tensor& seed, int64_t) { score_seed(l, t, seed); }, capture, wrt,
      hook);
}

ExplainModel::Gradient ExplainModel::gradient_seeded(const Tensor& x, const SeedFn& seed_fn,
                                                     const std::vector<std::string>& capture,
                                                     const std::vector<std::string>& wrt,
                                                     const VjpHook& hook) {
  if (x.dim(0) > 1 && !batchable()) {
    // A model exported with a fixed batch of 1 runs its examples one at a time.
    std::vector<Gradient> parts;
    for (int64_t b = 0; b < x.dim(0); ++b) {
      parts.push_back(gradient_seeded(
          batch_item(x, b), [&](const Tensor& l, Tensor& seed, int64_t) { seed_fn(l, seed, b); },
          capture, wrt, hook));
    }
    Gradient out;
    std::vector<Tensor> grads, logits;
    for (const Gradient& p : parts) {
      grads.push_back(p.grad);
      logits.push_back(p.logits);
    }
    out.grad = stack_batch(grads);
    out.logits = stack_batch(logits);
    for (auto it = parts[0].captured.begin(); it != parts[0].captured.end(); ++it) {
      std::vector<Tensor> v;
      for (const Gradient& p : parts) v.push_back(p.captured.at(it->first));
      out.captured[it->first] = stack_batch(v);
    }
    for (auto it = parts[0].value_grads.begin(); it != parts[0].value_grads.end(); ++it) {
      std::vector<Tensor> v;
      for (const Gradient& p : parts) v.push_back(p.value_grads.at(it->first));
      out.value_grads[it->first] = stack_batch(v);
    }
    return out;
  }
  ForwardOptions opts;
  opts.record = true;
  // Without a hook or named gradients the backward is a plain one: activations fuse in the
  // recorded forward too (ForwardOptions::plain_gradient).
  opts.plain_gradient = !hook && wrt.empty();
  opts.capture = capture;
  if (!head_.final_activation.empty()) opts.capture.push_back(head_.logits);
  ForwardResult fwd = engine().forward({x}, opts);
  Tensor l = head_.final_activation.empty() ? fwd.outputs[0] : fwd.captured.at(head_.logits);
  HEATLENS_CHECK(l.rank() == 2, "the model's output has shape "
                                    << shape_str(l.shape())
                                    << "; a classifier's is [batch, classes]");
  // Seed at the logits (d score / d logits for each example, or the caller's vector).
  Tensor seed(l.shape());
  seed_fn(l, seed, 0);
  VjpResult g = engine().vjp_from(fwd, {{head_.logits, seed}}, wrt, hook);
  passes_ += 2 * l.dim(0);  // one forward and one backward per example
  Gradient out;
  out.grad = g.input_grads[0];
  out.logits = l;
  out.captured = fwd.captured;
  out.value_grads = g.value_grads;
  return out;
}

Tensor batch_item(const Tensor& batch, int64_t n) {
  Shape s = batch.shape();
  const int64_t per = batch.numel() / s[0];
  s[0] = 1;
  Tensor out(s);
  std::memcpy(out.f32(), batch.f32() + n * per, per * sizeof(float));
  return out;
}

Tensor repeat_batch(const Tensor& x, int64_t times) {
  Shape s = x.shape();
  s[0] *= times;
  Tensor out(s);
  for (int64_t k = 0; k < times; ++k)
    std::memcpy(out.f32() + k * x.numel(), x.f32(), x.numel() * sizeof(float));
  return out;
}

}  // namespace heatlens
