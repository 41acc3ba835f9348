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

namespace heatlens::gpu {

class WebGpuBackend : public Backend {
 public:
  std::string name() const override { return "webgpu"; }
  ForwardResult forward(Engine& engine, const std::shared_ptr<const Plan>& plan,
                        const Tensors& inputs, const ForwardOptions& options) override;
  VjpResult vjp(Engine& engine, const Tape& tape, const std::map<std::string, Tensor>& seeds,
                const std::vector<std::string>& wrt) override;
  Tensors host_values(const Tape& tape) override;
  BackendStats stats() const override;
  void reset_stats() override;

 private:
  BackendStats stats_;
};

}  // namespace heatlens::gpu
