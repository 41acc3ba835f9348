#include "engine/engine.h"

#include <chrono>
#include <cstdio>
#include <utility>

#include "core/denormals.h"
#include "core/error.h"
#include "kernels/elementwise.h"
#include "onnx/onnx_model.h"

namespace heatlens {

std::vector<uint8_t> read_file(const std::string& path, size_t max_bytes) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  HEATLENS_CHECK(f != nullptr, "cannot open '" << path << "'");
  std::vector<uint8_t> data;
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    if (data.size() + n > max_bytes) {
      std::fclose(f);
      fail("'" + path + "' is larger than the limit of " + std::to_string(max_bytes) + " bytes");
    }
    data.insert(data.end(), buf, buf + n);
  }
  bool bad = std::ferror(f) != 0;
  std::fclose(f);
  HEATLENS_CHECK(!bad, "error reading '" << path << "'");
  return data;
}

Engine::Engine(Graph graph, int threads)
    : graph_(std::make_shared<Graph>(std::move(graph))),
      pool_(std::make_unique<ThreadPool>(threads)) {
  // Validate now (shapes, attribute values) with every free dimension set to 1, so that a
  // broken model fails at load time, not at the first explanation.
  std::vector<Shape> shapes;
  std::vector<DType> dtypes;
  for (int id : graph_->inputs) {
    const Value& v = graph_->values[id];
    HEATLENS_CHECK(v.has_declared_shape, "input '" << v.name << "' declares no shape");
    Shape s = v.declared_shape;
    for (auto& d : s) {
      if (d < 0) d = 1;
    }
    shapes.push_back(s);
    dtypes.push_back(v.declared_dtype);
  }
  plan(shapes, dtypes);
}

Engine Engine::load_bytes(const uint8_t* data, size_t size, int threads) {
  return Engine(onnx::import_model(onnx::parse_model(data, size)), threads);
}

Engine Engine::load_file(const std::string& path, int threads) {
  std::vector<uint8_t> bytes = read_file(path, onnx::kMaxModelBytes);
  onnx::ModelProto model = onnx::parse_model(bytes.data(), bytes.size());
  std::vector<uint8_t>().swap(bytes);  // the file's bytes are in `model` now
  return Engine(onnx::import_model(std::move(model)), threads);
}

std::shared_ptr<const Plan> Engine::plan(const std::vector<Shape>& shapes,
                                         const std::vector<DType>& dtypes) {
  std::lock_guard<std::mutex> lock(plans_mutex_);
  auto it = plans_.find(shapes);
  if (it != plans_.end()) return it->second;
  auto p = std::make_shared<const Plan>(make_plan(*graph_, shapes, dtypes));
  plans_[shapes] = p;
  return p;
}

ForwardResult Engine::forward(const Tensors& inputs, const ForwardOptions& options) {
  const Graph& g = *graph_;
  HEATLENS_CHECK(inputs.size() == g.inputs.size(),
                 "the model takes " << g.inputs.size() << " input(s), got " << inputs.size());
  std::vector<Shape> shapes;
  std::vector<DType> dtypes;
  for (size_t i = 0; i < inputs.size(); ++i) {
    HEATLENS_CHECK(inputs[i].defined(), "input '" << g.values[g.inputs[i]].name << "' is empty");
    shapes.push_back(inputs[i].shape());
    dtypes.push_back(inputs[i].dtype());
  }
  std::shared_ptr<const Plan> p = plan(shapes, dtypes);
  if (backend_) return backend_->forward(*this, p, inputs, options);
  return forward_on_cpu(p, inputs, options);
}

Tensor Engine::derived_constant(const std::string& key, const std::function<Tensor()>& make) const {
  std::lock_guard<std::mutex> lock(derived_mutex_);
  auto it = derived_.find(key);
  if (it == derived_.end()) it = derived_.emplace(key, make()).first;
  return it->second;
}

size_t Engine::derived_constant_count() const {
  std::lock_guard<std::mutex> lock(derived_mutex_);
  return derived_.size();
}

std::vector<bool> kept_values(const Graph& g, const Plan& p, const ForwardOptions& options) {
  std::vector<bool> keep(g.values.size(), false);
  for (int id : g.outputs) keep[id] = true;
  for (const std::string& name : options.capture) keep[g.require_value(name)] = true;
  if (options.record && options.keep_all) {
    keep.assign(g.values.size(), true);
  } else if (options.record && !options.keep_values.empty()) {
    HEATLENS_CHECK(options.keep_values.size() == g.values.size(),
                   "keep_values has " << options.keep_values.size() << " entries for "
                                      << g.values.size() << " values");
    for (size_t i = 0; i < keep.size(); ++i) keep[i] = keep[i] || options.keep_values[i];
  } else if (options.record) {
    // Only what the backward of a differentiable node reads for the gradients it will compute.
    const std::vector<bool> differentiable = differentiable_values(g, p);
    std::vector<bool> need;
    for (int n : p.steps) {
      const Node& node = g.nodes[n];
      need.clear();
      for (int id : node.inputs) need.push_back(id >= 0 && differentiable[id]);
      for (size_t k = 0; k < node.inputs.size(); ++k) {
        if (node.inputs[k] >= 0 && node.op->vjp_uses_input(static_cast<int>(k), need))
          keep[node.inputs[k]] = true;
      }
      for (size_t k = 0; k < node.outputs.size(); ++k) {
        if (node.outputs[k] >= 0 && node.op->vjp_uses_output(static_cast<int>(k)))
          keep[node.outputs[k]] = true;
      }
    }
  }
  return keep;
}

namespace {

// ForwardOptions::plain_gradient: a fused Relu's gradient reads its output instead of its
// input, a fused SiLU's its input without the sigmoid (the backward recomputes it). Values the
// caller captures stay.
void keep_for_plain_gradient(const Plan& p, const std::vector<int>& captured_ids,
                             std::vector<bool>& keep) {
  std::vector<bool> captured(keep.size(), false);
  for (int id : captured_ids) captured[id] = true;
  for (const Fusion& f : p.fusions) {
    if (f.activation.kind == Activation::Kind::relu) {
      const int x = f.intermediates[0];
      if (keep[x] && !captured[x]) {
        keep[x] = false;
        keep[f.result] = true;
      }
    } else if (f.activation.kind == Activation::Kind::silu) {
      const int sig = f.intermediates[1];
      if (keep[sig] && !captured[sig]) keep[sig] = false;
    }
  }
}

// Per step, whether none of the node's outputs reaches a winner-takes-all node's input, on any
// path: exact ties there (max pooling's winners) come from exactly repeated values upstream.
std::vector<bool> tie_free_steps(const Graph& g, const Plan& p) {
  std::vector<bool> reaches(g.values.size(), false), free(p.steps.size(), true);
  for (size_t s = p.steps.size(); s-- > 0;) {
    const Node& node = g.nodes[p.steps[s]];
    bool reached = node.info && node.info->lrp_role == LrpRole::winner_takes_all;
    for (int id : node.outputs) reached = reached || (id >= 0 && reaches[id]);
    free[s] = !reached;
    for (int id : node.inputs) {
      if (id >= 0 && reached) reaches[id] = true;
    }
  }
  return free;
}

// A value with a slot in a Concat's output (engine/concat_slots.h) is that slice of it; the
// whole is made with its first part, itself a slice where that Concat's output has a slot in
// another. Undefined: the value has its own storage.
Tensor concat_slice_of(const Plan& p, Tensors& values, int id) {
  if (id < 0 || p.concat_slots[id].concat < 0) return Tensor();
  const int whole_id = p.concat_slots[id].concat;
  Tensor& whole = values[whole_id];
  if (!whole.defined()) whole = concat_slice_of(p, values, whole_id);
  if (!whole.defined()) whole = Tensor::uninitialized(p.types[whole_id].shape);
  return whole.view(p.concat_slots[id].offset, p.types[id].shape);
}

}  // namespace

ForwardResult Engine::forward_on_cpu(const std::shared_ptr<const Plan>& p, const Tensors& inputs,
                                     const ForwardOptions& options) {
  const Graph& g = *graph_;
  FlushDenormals flush;
  const bool plain =
      options.record && options.plain_gradient && !options.keep_all && options.keep_values.empty();
  std::vector<int> captured_ids;
  for (const std::string& name : options.capture) captured_ids.push_back(g.require_value(name));
  std::vector<bool> keep = kept_values(g, *p, options);
  if (plain) keep_for_plain_gradient(*p, captured_ids, keep);

  Tensors values(g.values.size()), saved(options.record ? g.values.size() : 0);
  for (size_t i = 0; i < g.values.size(); ++i) {
    if (p->types[i].constant.defined()) values[i] = p->types[i].constant;
  }
  for (size_t i = 0; i < inputs.size(); ++i) values[g.inputs[i]] = inputs[i];

  // Release activations nobody needs any more (forward-only runs keep almost nothing).
  auto release_inputs = [&](const Node& node, size_t step) {
    for (int id : node.inputs) {
      if (id >= 0 && p->last_use[id] == static_cast<int>(step) && !keep[id] &&
          !p->types[id].constant.defined()) {
        values[id] = Tensor();
      }
    }
  };
  ExecContext ctx{pool_.get()};
  // Recorded runs (gradients, LRP, inspectors) compute as their backward passes expect: no
  // transformed weight copies (ExecContext::transformed_weights).
  ctx.transformed_weights = !options.record;
  std::call_once(*p->prepared, [&] {
    for (int n : p->steps) g.nodes[n].op->prepare(node_input_types(g.nodes[n], *p), ctx);
  });
  if (options.record && !options.keep_all && options.keep_values.empty() &&
      keeps_transposed_weights(*p)) {
    // A gradient will follow (LRP, which chooses what it keeps, multiplies by rule-modified
    // weights instead): its kept packings are made now, before this run's activations.
    std::call_once(*p->prepared_backward, [&] {
      ExecContext keeping = ctx;
      keeping.keep_transposed_weights = true;
      for (int n : p->steps) g.nodes[n].op->prepare(node_input_types(g.nodes[n], *p), keeping);
    });
  }
  auto concat_slice = [&](int id) { return concat_slice_of(*p, values, id); };
  // Moves a value just made into its slice when the op did not write it there.
  auto place = [&](int id) {
    Tensor slice = concat_slice(id);
    if (!slice.defined() || values[id].f32() == slice.f32()) return;
    copy_floats(values[id].f32(), slice.numel(), slice.f32(), &ctx);
    values[id] = std::move(slice);
  };
  std::vector<bool> absorbed(p->steps.size(), false);
  const std::vector<bool> tie_free = options.record && options.transforms_where_tie_free
                                         ? tie_free_steps(g, *p)
                                         : std::vector<bool>();
  for (size_t s = 0; s < p->steps.size(); ++s) {
    const Node& node = g.nodes[p->steps[s]];
    if (!tie_free.empty()) ctx.transformed_weights = tie_free[s];
    if (absorbed[s] || p->concat_in_place[s]) {
      // A Concat in place has its output whole already: each part was written into it.
      release_inputs(node, s);
      continue;
    }
    Tensors in;
    in.reserve(node.inputs.size());
    for (int id : node.inputs) in.push_back(id >= 0 ? values[id] : Tensor());
    const auto t0 = options.op_times ? std::chrono::steady_clock::now()
                                     : std::chrono::steady_clock::time_point();
    // Fuse the activation that follows when nothing needs the value before it; in forward-only
    // runs, a residual Add and its activation into the convolution before it.
    const bool residual = !options.record && p->residual_fusions[s].addend >= 0;
    const Fusion& fusion = residual ? p->residual_fusions[s] : p->fusions[s];
    const bool chosen_keep = options.record && !options.keep_all && !options.keep_values.empty();
    bool fuse =
        (!options.record || chosen_keep || plain) && (residual || !fusion.activation.none());
    for (int id : fusion.intermediates) fuse = fuse && !keep[id];
    Activation activation = fusion.activation;
    if (residual) activation.addend = values[fusion.addend].f32();
    // A plain gradient's SiLU keeps the convolution's output and applies the SiLU to it in one
    // pass, with no sigmoid tensor.
    const bool silu_after = plain && fusion.activation.kind == Activation::Kind::silu &&
                            keep[fusion.intermediates[0]] && !keep[fusion.intermediates[1]];
    const int made = fuse ? fusion.result : node.outputs.size() == 1 ? node.outputs[0] : -1;
    ctx.output = concat_slice(made);
    ctx.output_by_channels = made >= 0 && p->read_by_channel[made];
    // What the op keeps for its backward (Tape::saved): not in a plain gradient's forward, whose
    // memory is budgeted (ResNet-18's peak had come within 1% of its bound).
    Tensor kept_for_backward;
    const bool keeps = options.record && !plain;
    Tensors out = fuse    ? node.op->forward_fused(in, ctx, activation)
                  : keeps ? node.op->forward_recorded(in, ctx, kept_for_backward)
                          : node.op->forward(in, ctx);
    if (kept_for_backward.defined() && !node.outputs.empty() && node.outputs[0] >= 0)
      saved[node.outputs[0]] = std::move(kept_for_backward);
    ctx.output = Tensor();
    ctx.output_by_channels = false;
    if (options.op_times) {
      (*options.op_times)[node.op_type] +=
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    }
    if (fuse) {
      HEATLENS_CHECK(out.size() == 1 && out[0].shape() == p->types[fusion.result].shape,
                     node.label << ": fused output has the wrong shape");
      values[fusion.result] = std::move(out[0]);
      place(fusion.result);
      for (int step : fusion.absorbed) absorbed[step] = true;
      release_inputs(node, s);
      continue;
    }
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      int id = node.outputs[k];
      if (id < 0) continue;
      HEATLENS_CHECK(k < out.size() && out[k].defined(),
                     node.label << ": output " << k << " missing");
      HEATLENS_CHECK(out[k].shape() == p->types[id].shape,
                     node.label << ": computed shape " << shape_str(out[k].shape())
                                << " differs from the inferred " << shape_str(p->types[id].shape));
      values[id] = std::move(out[k]);
      place(id);
    }
    if (silu_after) {
      const Tensor& pre = values[fusion.intermediates[0]];
      Tensor y = concat_slice(fusion.result);
      if (!y.defined()) y = Tensor::uninitialized(pre.shape());
      apply_activation(pre.f32(), pre.numel(), fusion.activation, y.f32(), &ctx);
      values[fusion.result] = std::move(y);
      for (int step : fusion.absorbed) absorbed[step] = true;
    }
    release_inputs(node, s);
  }

  ForwardResult result;
  for (int id : g.outputs) result.outputs.push_back(values[id]);
  for (size_t i = 0; i < captured_ids.size(); ++i)
    result.captured[options.capture[i]] = values[captured_ids[i]];
  if (options.record) {
    auto tape = std::make_shared<Tape>();
    tape->plan = p;
    tape->plain_gradient = plain;
    for (size_t i = 0; i < values.size(); ++i) {
      // Constants stay: they live in the plan anyway, and VJP hooks (DeepLIFT, LRP) read them.
      if (!keep[i] && !p->types[i].constant.defined()) values[i] = Tensor();
    }
    tape->values = std::move(values);
    tape->saved = std::move(saved);
    result.tape = std::move(tape);
  }
  return result;
}

namespace {

// The sum of two gradients of one value, in one vectorised pass over the pool (this had been a
// zeroed clone, a copy and a serial add: 7% of EfficientNet-B0's gradient).
Tensor add_tensors(const Tensor& a, const Tensor& b, const ExecContext& ctx) {
  Tensor out = Tensor::uninitialized(a.shape());
  binary_blocks(
      BinaryKind::add, [](float u, float v) { return u + v; }, a.f32(), 1, b.f32(), 1, out.f32(),
      out.numel(), &ctx);
  return out;
}

}  // namespace

VjpResult Engine::vjp(const ForwardResult& forward, const Tensors& output_seeds,
                      const std::vector<std::string>& wrt) {
  const Graph& g = *graph_;
  HEATLENS_CHECK(output_seeds.size() == g.outputs.size(), "vjp needs one seed per model output ("
                                                              << g.outputs.size() << "), got "
                                                              << output_seeds.size());
  std::map<std::string, Tensor> seeds;
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    if (output_seeds[k].defined()) seeds[g.values[g.outputs[k]].name] = output_seeds[k];
  }
  return vjp_from(forward, seeds, wrt);
}

VjpResult Engine::vjp_from(const ForwardResult& forward, const std::map<std::string, Tensor>& seeds,
                           const std::vector<std::string>& wrt, const VjpHook& hook) {
  HEATLENS_CHECK(forward.tape, "vjp needs a forward pass run with record = true");
  const Tape& tape = *forward.tape;
  HEATLENS_CHECK(!hook || !tape.plain_gradient,
                 "a forward recorded for a plain gradient cannot be differentiated with a hook");
  if (tape.backend) {
    if (!hook) return tape.backend->vjp(*this, tape, seeds, wrt);
    // Hooks (DeepLIFT, guided backprop, LRP rules) work on host tensors.
    return vjp_on_cpu(*tape.plan, tape.backend->host_values(tape), Tensors(), seeds, wrt, hook);
  }
  return vjp_on_cpu(*tape.plan, tape.values, tape.saved, seeds, wrt, hook);
}

std::vector<bool> differentiable_values(const Graph& g, const Plan& p) {
  std::vector<bool> differentiable(g.values.size(), false);
  for (int id : g.inputs) differentiable[id] = p.types[id].dtype == DType::f32;
  for (int n : p.steps) {
    const Node& node = g.nodes[n];
    bool any = false;
    for (int id : node.inputs) any = any || (id >= 0 && differentiable[id]);
    for (int id : node.outputs) {
      if (id >= 0) differentiable[id] = any && p.types[id].dtype == DType::f32;
    }
  }
  return differentiable;
}

int seeded_value(const Graph& g, const Plan& p, const std::string& name, const Tensor& seed) {
  const int id = g.require_value(name);
  HEATLENS_CHECK(seed.shape() == p.types[id].shape,
                 "seed for '" << name << "' has shape " << shape_str(seed.shape()) << ", expected "
                              << shape_str(p.types[id].shape));
  return id;
}

bool gradient_needs(const Node& node, const std::vector<bool>& differentiable,
                    std::vector<bool>& need) {
  need.clear();
  bool any = false;
  for (int id : node.inputs) {
    need.push_back(id >= 0 && differentiable[id]);
    any = any || need.back();
  }
  HEATLENS_CHECK(!any || node.info->vjp, node.label << " has no gradient, so gradient-based "
                                                       "methods cannot explain this model");
  return any;
}

bool Engine::keeps_transposed_weights(const Plan& p) const {
  return transposed_weights_ == TransposedWeights::keep ||
         (transposed_weights_ == TransposedWeights::automatic &&
          graph_->parameter_count() * int64_t{sizeof(float)} <= p.activation_bytes / 2);
}

VjpResult Engine::vjp_on_cpu(const Plan& p, const Tensors& values, const Tensors& saved,
                             const std::map<std::string, Tensor>& seeds,
                             const std::vector<std::string>& wrt, const VjpHook& hook) {
  const Graph& g = *graph_;
  FlushDenormals flush;
  const std::vector<bool> differentiable = differentiable_values(g, p);

  ExecContext ctx{pool_.get()};
  ctx.keep_transposed_weights = keeps_transposed_weights(p);
  ctx.transformed_weights = false;
  Tensors grads(g.values.size());
  auto accumulate = [&](int id, Tensor grad) {
    if (!grads[id].defined())
      grads[id] = std::move(grad);
    else
      grads[id] = add_tensors(grads[id], grad, ctx);
  };
  for (const auto& [name, seed] : seeds) {
    const int id = seeded_value(g, p, name, seed);
    if (differentiable[id]) accumulate(id, seed);
  }

  std::vector<bool> returned(g.values.size(), false);
  for (int id : g.inputs) returned[id] = true;
  for (const std::string& name : wrt) returned[g.require_value(name)] = true;

  // SiLU written as Mul(x, Sigmoid(x)) (engine/fusion.h): without a hook (which may change
  // either node's rule), its gradient is one pass at the Mul, and the Sigmoid gets none.
  std::vector<const Fusion*> silu_at(p.steps.size(), nullptr);
  // A Relu fused in a plain gradient's forward (ForwardOptions::plain_gradient) kept its output
  // only: its gradient passes where that is positive, as where its input is.
  std::vector<const Fusion*> relu_at(p.steps.size(), nullptr);
  if (!hook) {
    for (const Fusion& f : p.fusions) {
      if (f.activation.kind == Activation::Kind::silu && !returned[f.intermediates[1]])
        silu_at[f.absorbed[1]] = &f;
      if (f.activation.kind == Activation::Kind::relu && !values[f.intermediates[0]].defined() &&
          values[f.result].defined())
        relu_at[f.absorbed[0]] = &f;
    }
  }

  for (size_t s = p.steps.size(); s-- > 0;) {
    const Node& node = g.nodes[p.steps[s]];
    if (const Fusion* f = silu_at[s]) {
      const int x = f->intermediates[0], sig = f->intermediates[1];
      const Tensor& g_out = grads[f->result];
      if (g_out.defined() && differentiable[x] && values[x].defined()) {
        // Without a recorded sigmoid (a plain gradient's forward), silu_grad recomputes it.
        Tensor dx = Tensor::uninitialized(p.types[x].shape);
        silu_grad(g_out.f32(), values[x].f32(), values[sig].defined() ? values[sig].f32() : nullptr,
                  dx.numel(), dx.f32(), &ctx);
        accumulate(x, std::move(dx));
        if (!returned[f->result]) grads[f->result] = Tensor();
        continue;
      }
    }
    if (const Fusion* f = relu_at[s]) {
      const int x = f->intermediates[0];
      const Tensor& g_out = grads[f->result];
      if (g_out.defined() && differentiable[x]) {
        Tensor dx = Tensor::uninitialized(p.types[x].shape);
        unary_grad(UnaryKind::relu, values[f->result].f32(), g_out.f32(), dx.f32(), dx.numel(),
                   &ctx);
        accumulate(x, std::move(dx));
      }
      if (!returned[f->result]) grads[f->result] = Tensor();
      continue;
    }
    bool has_grad = false;
    Tensors grad_out;
    for (int id : node.outputs) {
      grad_out.push_back(id >= 0 ? grads[id] : Tensor());
      has_grad = has_grad || (id >= 0 && grads[id].defined());
    }
    if (!has_grad) continue;
    std::vector<bool> need;
    if (!gradient_needs(node, differentiable, need)) continue;
    const std::vector<ValueType> in_types = node_input_types(node, p);
    Tensors in, out;
    for (int id : node.inputs) in.push_back(id >= 0 ? values[id] : Tensor());
    for (int id : node.outputs) out.push_back(id >= 0 ? values[id] : Tensor());
    VjpArgs args{in_types, in, out, grad_out, need, ctx};
    args.saved = saved_for(saved, node);
    Tensors grad_in;
    if (!hook || !hook(node, args, grad_in)) grad_in = node.op->vjp(args);
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      if (!need[k] || k >= grad_in.size() || !grad_in[k].defined()) continue;
      HEATLENS_CHECK(grad_in[k].shape() == p.types[node.inputs[k]].shape,
                     node.label << ": gradient for input " << k << " has shape "
                                << shape_str(grad_in[k].shape()));
      accumulate(node.inputs[k], std::move(grad_in[k]));
    }
    // Each value has one producer: past it, its gradient is needed only if asked for.
    for (int id : node.outputs) {
      if (id >= 0 && !returned[id]) grads[id] = Tensor();
    }
  }

  VjpResult result;
  for (int id : g.inputs) {
    if (p.types[id].dtype != DType::f32) {
      result.input_grads.push_back(Tensor());
    } else {
      result.input_grads.push_back(grads[id].defined() ? grads[id] : Tensor(p.types[id].shape));
    }
  }
  for (const std::string& name : wrt) {
    int id = g.require_value(name);
    HEATLENS_CHECK(p.types[id].dtype == DType::f32, "value '" << name << "' is not float");
    result.value_grads[name] = grads[id].defined() ? grads[id] : Tensor(p.types[id].shape);
  }
  return result;
}

}  // namespace heatlens
