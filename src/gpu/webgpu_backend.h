// WebGpuBackend: the engine's forward and backward passes on WebGPU (engine/backend.h).
//
// Values stay on the GPU from node to node; weights are uploaded once per model. A node without
// a GPU kernel (gpu/node_kernels.h) runs on the CPU: its inputs come back to the host, its
// outputs go up again, and BackendStats counts both the node and the transfers. Only the
// outputs (and captured values, and the gradients asked for) are read back at the end.
//
//   engine.set_backend(std::make_shared<gpu::WebGpuBackend>());
#pragma once

#include "engine/engine.h"
#include "gpu/node_kernels.h"

namespace heatlens::gpu {

class WebGpuBackend : public Backend {
 public:
  std::string name() const override { return "webgpu"; }
  ForwardResult forward(Engine& engine, const std::shared_ptr<const Plan>& plan,
                        const Tensors& inputs, const ForwardOptions& options) override;
  // The same with the inputs already on the device (batches made by a kernel).
  ForwardResult forward(Engine& engine, const std::shared_ptr<const Plan>& plan,
                        const DeviceTensors& inputs, const ForwardOptions& options);
  VjpResult vjp(Engine& engine, const Tape& tape, const std::map<std::string, Tensor>& seeds,
                const std::vector<std::string>& wrt) override;
  Tensors host_values(const Tape& tape) override;
  BackendStats stats() const override;

  // For passes that walk a recorded forward themselves (the LRP pass, gpu/device_lrp.cpp):
  // one node's input gradients on the GPU, or on the CPU when it has no kernel (counted);
  DeviceTensors node_vjp(Engine& engine, const Tape& tape, const Node& node,
                         const DeviceTensors& grad_out, const std::vector<bool>& need);
  // a recorded value on the device, and host copies of some (one readback);
  DeviceTensor device_value(const Tape& tape, int id);
  Tensors host_copies(const Tape& tape, const std::vector<int>& ids);
  // a node run by such a pass, on the device or handed to the CPU.
  void count_node(const std::string& op_type, bool on_device);
  void reset_stats() override;

 private:
  ForwardResult run_forward(Engine& engine, const std::shared_ptr<const Plan>& plan,
                            const Tensors& host_inputs, const DeviceTensors& device_inputs,
                            const ForwardOptions& options);
  BackendStats stats_;
};

}  // namespace heatlens::gpu
