#include "gpu/webgpu_backend.h"

#include "gpu/kernels.h"
#include "gpu/node_kernels.h"

namespace heatlens::gpu {

namespace {

// Every value of a pass by id: on the device, on the host, or both (a CPU node's inputs come
// down, its outputs are made on the host and go up when a GPU node reads them).
struct Values {
  const Plan* plan = nullptr;
  DeviceTensors dev;
  Tensors host;

  Values(const Plan& p, size_t n) : plan(&p), dev(n), host(n) {}

  DeviceTensor device(Context& c, int id) {
    if (dev[id].defined()) return dev[id];
    // Non-float inputs of GPU nodes are constants that configure the op (shapes, axes).
    if (plan->types[id].dtype != DType::f32) return DeviceTensor();
    const Tensor& constant = plan->types[id].constant;
    if (constant.defined()) return dev[id] = c.constant(constant);
    HEATLENS_CHECK(host[id].defined(), "GPU backend: value " << id << " was never computed");
    return dev[id] = c.upload(host[id]);
  }

  // Brings the listed values to the host, in one readback.
  void to_host(Context& c, const std::vector<int>& ids) {
    std::vector<int> wanted;
    DeviceTensors from;
    for (int id : ids) {
      if (id < 0 || host[id].defined()) continue;
      if (plan->types[id].constant.defined()) {
        host[id] = plan->types[id].constant;
      } else if (dev[id].defined()) {
        wanted.push_back(id);
        from.push_back(dev[id]);
      }
    }
    if (from.empty()) return;
    Tensors got = c.download(from);
    for (size_t k = 0; k < wanted.size(); ++k) host[wanted[k]] = std::move(got[k]);
  }

  void release(int id) {
    dev[id] = DeviceTensor();
    host[id] = Tensor();
  }
};

}  // namespace

ForwardResult WebGpuBackend::forward(Engine& engine, const std::shared_ptr<const Plan>& plan,
                                     const Tensors& inputs, const ForwardOptions& options) {
  return run_forward(engine, plan, inputs, {}, options);
}

ForwardResult WebGpuBackend::forward(Engine& engine, const std::shared_ptr<const Plan>& plan,
                                     const DeviceTensors& inputs, const ForwardOptions& options) {
  return run_forward(engine, plan, {}, inputs, options);
}

ForwardResult WebGpuBackend::run_forward(Engine& engine, const std::shared_ptr<const Plan>& plan,
                                         const Tensors& host_inputs,
                                         const DeviceTensors& device_inputs,
                                         const ForwardOptions& options) {
  const Graph& g = engine.graph();
  const Plan& p = *plan;
  Context& c = Context::get();
  const std::vector<bool> keep = kept_values(g, p, options);
  auto values = std::make_shared<Values>(p, g.values.size());
  Values& v = *values;
  for (size_t i = 0; i < host_inputs.size(); ++i) v.host[g.inputs[i]] = host_inputs[i];
  for (size_t i = 0; i < device_inputs.size(); ++i) {
    HEATLENS_CHECK(device_inputs[i].shape == p.types[g.inputs[i]].shape,
                   "GPU forward: input " << i << " has shape " << shape_str(device_inputs[i].shape)
                                         << ", the plan " << shape_str(p.types[g.inputs[i]].shape));
    v.dev[g.inputs[i]] = device_inputs[i];
  }
  const ExecContext ctx = engine.exec_context();

  std::vector<bool> absorbed(p.steps.size(), false);
  auto release_inputs = [&](const Node& node, size_t step) {
    for (int id : node.inputs) {
      if (id >= 0 && p.last_use[id] == static_cast<int>(step) && !keep[id] &&
          !p.types[id].constant.defined())
        v.release(id);
    }
  };
  for (size_t s = 0; s < p.steps.size(); ++s) {
    const Node& node = g.nodes[p.steps[s]];
    if (absorbed[s]) {
      release_inputs(node, s);
      continue;
    }
    const std::vector<ValueType> in_types = node_input_types(node, p);
    const std::vector<ValueType> out_types = node_output_types(node, p);
    OpDesc desc;
    if (gpu_forward_supported(node, in_types, out_types, desc)) {
      DeviceTensors in;
      for (int id : node.inputs) in.push_back(id >= 0 ? v.device(c, id) : DeviceTensor());
      // Fuse the activation after a convolution when nothing needs the value before it.
      const Fusion& fusion = p.fusions[s];
      bool fuse = !options.record && desc.kind == OpKind::conv && !fusion.activation.none();
      for (int id : fusion.intermediates) fuse = fuse && !keep[id];
      DeviceTensors out = gpu_forward(c, node, desc, in_types, out_types[0].shape, in,
                                      fuse ? fusion.activation : Activation());
      ++stats_.device_nodes;
      if (fuse) {
        v.dev[fusion.result] = out[0];
        for (int step : fusion.absorbed) absorbed[step] = true;
      } else {
        v.dev[node.outputs[0]] = out[0];
      }
    } else {
      v.to_host(c, node.inputs);
      Tensors in;
      for (int id : node.inputs) in.push_back(id >= 0 ? v.host[id] : Tensor());
      Tensors out = node.op->forward(in, ctx);
      ++stats_.cpu_nodes;
      ++stats_.fallbacks[node.op_type];
      for (size_t k = 0; k < node.outputs.size(); ++k) {
        const int id = node.outputs[k];
        if (id < 0) continue;
        HEATLENS_CHECK(k < out.size() && out[k].shape() == p.types[id].shape,
                       node.label << ": output " << k << " missing or of the wrong shape");
        v.host[id] = std::move(out[k]);
      }
    }
    release_inputs(node, s);
  }

  std::vector<int> wanted(g.outputs.begin(), g.outputs.end());
  for (const std::string& name : options.capture) wanted.push_back(g.require_value(name));
  v.to_host(c, wanted);
  ForwardResult result;
  for (int id : g.outputs) result.outputs.push_back(v.host[id]);
  for (const std::string& name : options.capture)
    result.captured[name] = v.host[g.require_value(name)];
  if (options.record) {
    for (size_t i = 0; i < g.values.size(); ++i) {
      if (!keep[i]) v.release(static_cast<int>(i));
    }
    auto tape = std::make_shared<Tape>();
    tape->plan = plan;
    tape->backend = this;
    tape->device_values = values;
    result.tape = std::move(tape);
  }
  return result;
}

VjpResult WebGpuBackend::vjp(Engine& engine, const Tape& tape,
                             const std::map<std::string, Tensor>& seeds,
                             const std::vector<std::string>& wrt) {
  const Graph& g = engine.graph();
  const Plan& p = *tape.plan;
  Context& c = Context::get();
  const std::vector<bool> differentiable = differentiable_values(g, p);

  DeviceTensors grads(g.values.size());
  auto accumulate = [&](int id, const DeviceTensor& grad) {
    grads[id] =
        grads[id].defined() ? binary(c, BinaryKind::add, grads[id], grad, p.types[id].shape) : grad;
  };
  for (const auto& [name, seed] : seeds) {
    const int id = seeded_value(g, p, name, seed);
    if (differentiable[id]) accumulate(id, c.upload(seed));
  }

  for (size_t s = p.steps.size(); s-- > 0;) {
    const Node& node = g.nodes[p.steps[s]];
    bool has_grad = false;
    for (int id : node.outputs) has_grad = has_grad || (id >= 0 && grads[id].defined());
    if (!has_grad) continue;
    std::vector<bool> need;
    if (!gradient_needs(node, differentiable, need)) continue;
    DeviceTensors grad_out;
    for (int id : node.outputs) grad_out.push_back(id >= 0 ? grads[id] : DeviceTensor());
    const DeviceTensors grad_in = node_vjp(engine, tape, node, grad_out, need);
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      if (!need[k] || k >= grad_in.size() || !grad_in[k].defined()) continue;
      HEATLENS_CHECK(grad_in[k].shape == p.types[node.inputs[k]].shape,
                     node.label << ": gradient for input " << k << " has shape "
                                << shape_str(grad_in[k].shape));
      accumulate(node.inputs[k], grad_in[k]);
    }
  }

  // One readback for every gradient asked for.
  std::vector<int> ids;
  for (int id : g.inputs) ids.push_back(id);
  for (const std::string& name : wrt) {
    const int id = g.require_value(name);
    HEATLENS_CHECK(p.types[id].dtype == DType::f32, "value '" << name << "' is not float");
    ids.push_back(id);
  }
  DeviceTensors from;
  std::vector<size_t> slots;
  for (size_t k = 0; k < ids.size(); ++k) {
    if (p.types[ids[k]].dtype == DType::f32 && grads[ids[k]].defined()) {
      from.push_back(grads[ids[k]]);
      slots.push_back(k);
    }
  }
  Tensors got = c.download(from);
  Tensors host(ids.size());
  for (size_t k = 0; k < slots.size(); ++k) host[slots[k]] = std::move(got[k]);
  VjpResult result;
  for (size_t k = 0; k < ids.size(); ++k) {
    const int id = ids[k];
    Tensor t;
    if (p.types[id].dtype == DType::f32)
      t = host[k].defined() ? host[k] : Tensor(p.types[id].shape);
    if (k < g.inputs.size())
      result.input_grads.push_back(t);
    else
      result.value_grads[wrt[k - g.inputs.size()]] = t;
  }
  return result;
}

DeviceTensors WebGpuBackend::node_vjp(Engine& engine, const Tape& tape, const Node& node,
                                      const DeviceTensors& grad_out,
                                      const std::vector<bool>& need) {
  const Plan& p = *tape.plan;
  Context& c = Context::get();
  Values& v = *std::static_pointer_cast<Values>(tape.device_values);
  const ExecContext ctx = engine.exec_context();
  const std::vector<ValueType> in_types = node_input_types(node, p);
  OpDesc desc;
  DeviceTensors grad_in;
  if (gpu_forward_supported(node, in_types, node_output_types(node, p), desc) &&
      gpu_backward_supported(node, desc, in_types, need)) {
    DeviceTensors in, out;
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      const int id = node.inputs[k];
      const bool saved = id >= 0 && node.op->vjp_uses_input(static_cast<int>(k), need);
      in.push_back(saved ? v.device(c, id) : DeviceTensor());
    }
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      const int id = node.outputs[k];
      const bool saved = id >= 0 && node.op->vjp_uses_output(static_cast<int>(k));
      out.push_back(saved ? v.device(c, id) : DeviceTensor());
    }
    const int y = node.outputs[0];
    const DeviceTensor dy =
        grad_out[0].defined() ? grad_out[0] : c.upload(Tensor(p.types[y].shape));
    grad_in = gpu_backward(c, node, desc, in_types, in, out, dy, need);
    ++stats_.device_nodes;
  } else {
    // The CPU computes this node's gradients from host copies.
    std::vector<int> ids;
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      if (node.op->vjp_uses_input(static_cast<int>(k), need)) ids.push_back(node.inputs[k]);
    }
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      if (node.op->vjp_uses_output(static_cast<int>(k))) ids.push_back(node.outputs[k]);
    }
    v.to_host(c, ids);
    Tensors in, out, host_grad_out;
    for (int id : node.inputs) in.push_back(id >= 0 ? v.host[id] : Tensor());
    for (int id : node.outputs) out.push_back(id >= 0 ? v.host[id] : Tensor());
    DeviceTensors dev_grads;
    std::vector<size_t> slots;
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      const int id = node.outputs[k];
      host_grad_out.push_back(Tensor());
      if (id >= 0 && grad_out[k].defined()) {
        dev_grads.push_back(grad_out[k]);
        slots.push_back(k);
      }
    }
    Tensors got = c.download(dev_grads);
    for (size_t k = 0; k < slots.size(); ++k) host_grad_out[slots[k]] = std::move(got[k]);
    const VjpArgs args{in_types, in, out, host_grad_out, need, ctx};
    Tensors host_grads = node.op->vjp(args);
    ++stats_.cpu_nodes;
    ++stats_.fallbacks[node.op_type + " (gradient)"];
    grad_in.resize(node.inputs.size());
    for (size_t k = 0; k < node.inputs.size() && k < host_grads.size(); ++k) {
      if (need[k] && host_grads[k].defined()) grad_in[k] = c.upload(host_grads[k]);
    }
  }
  return grad_in;
}

DeviceTensor WebGpuBackend::device_value(const Tape& tape, int id) {
  return std::static_pointer_cast<Values>(tape.device_values)->device(Context::get(), id);
}

Tensors WebGpuBackend::host_copies(const Tape& tape, const std::vector<int>& ids) {
  Values& v = *std::static_pointer_cast<Values>(tape.device_values);
  v.to_host(Context::get(), ids);
  Tensors out;
  for (int id : ids) out.push_back(id >= 0 ? v.host[id] : Tensor());
  return out;
}

void WebGpuBackend::count_node(const std::string& op_type, bool on_device) {
  if (on_device) {
    ++stats_.device_nodes;
  } else {
    ++stats_.cpu_nodes;
    ++stats_.fallbacks[op_type];
  }
}

Tensors WebGpuBackend::host_values(const Tape& tape) {
  Values& v = *std::static_pointer_cast<Values>(tape.device_values);
  std::vector<int> all;
  for (size_t i = 0; i < v.dev.size(); ++i) all.push_back(static_cast<int>(i));
  v.to_host(Context::get(), all);
  return v.host;
}

BackendStats WebGpuBackend::stats() const {
  BackendStats s = stats_;
  const Context& c = Context::get();
  s.uploads = c.uploads;
  s.downloads = c.downloads;
  s.bytes_up = c.bytes_up;
  s.bytes_down = c.bytes_down;
  return s;
}

void WebGpuBackend::reset_stats() {
  stats_ = BackendStats();
  Context::get().reset_counters();
}

}  // namespace heatlens::gpu
