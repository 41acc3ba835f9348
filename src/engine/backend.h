// Backend: where the engine's passes run. The CPU backend is the engine itself (every
// operator, src/ops + src/kernels); an accelerator backend (gpu/, the WebGPU one) runs the
// operators it has kernels for and hands each other node to the CPU, counting the transfers.
//
//   engine.set_backend(std::make_shared<gpu::WebGpuBackend>());
//   ForwardResult f = engine.forward({x});       // now on the GPU, falling back per node
//   BackendStats s = engine.backend()->stats();  // nodes run where, bytes moved
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace heatlens {

class Engine;
struct Plan;
struct ForwardOptions;
struct ForwardResult;
struct VjpResult;
struct Tape;

// Counters since the last reset (the page shows them under each explanation).
struct BackendStats {
  int64_t device_nodes = 0;                  // node runs on the accelerator
  int64_t cpu_nodes = 0;                     // node runs handed to the CPU
  std::map<std::string, int64_t> fallbacks;  // by operator type: CPU runs
  int64_t uploads = 0, downloads = 0;        // transfers
  int64_t bytes_up = 0, bytes_down = 0;
  std::string json() const;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // A forward pass of `plan` (the engine's checks on the inputs are done).
  virtual ForwardResult forward(Engine& engine, const std::shared_ptr<const Plan>& plan,
                                const std::vector<Tensor>& inputs,
                                const ForwardOptions& options) = 0;
  // The backward pass of a forward this backend recorded (tape->device set), seeded at named
  // values; no VJP hook (those run on the CPU over host_values()).
  virtual VjpResult vjp(Engine& engine, const Tape& tape,
                        const std::map<std::string, Tensor>& seeds,
                        const std::vector<std::string>& wrt) = 0;
  // The recorded values of a tape, copied to the host (for VJP hooks, which run on the CPU).
  virtual std::vector<Tensor> host_values(const Tape& tape) = 0;
  virtual BackendStats stats() const = 0;
  virtual void reset_stats() = 0;
};

}  // namespace heatlens
