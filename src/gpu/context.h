// The WebGPU context of the GPU backend: tensors on the device, a buffer pool, a pipeline cache
// keyed by shader variant, dispatch recording, and readback.
//
// Dispatches are recorded, not submitted one by one: a run is one command buffer, flushed when
// a result must come back to the host. Readback waits through JSPI (gpu_library.js): C++
// pauses, the worker's event loop keeps going, the page's main thread is never involved.
//
//   Context& c = Context::get();
//   DeviceTensor x = c.upload(host_x);
//   DeviceTensor y = c.alloc(x.shape);
//   c.dispatch({"unary", "forward", "const KIND: u32 = 1u;"}, {&x, &y}, params, c.groups_1d(n));
//   Tensor out = c.download(y);                     // flushes, then waits for the GPU
#pragma once

#include <webgpu/webgpu.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"

namespace heatlens::gpu {

// A failure of the device itself (lost, out of memory, a rejected pipeline): the caller gives
// up on the GPU and runs on the CPU.
class GpuError : public Error {
 public:
  using Error::Error;
};

// One pooled storage buffer; returned to the pool when the last DeviceTensor lets go of it.
struct BufferBlock {
  WGPUBuffer handle = nullptr;
  size_t capacity = 0;  // bytes
  ~BufferBlock();
};

// A float tensor on the device. Views (Reshape, Flatten) share the block.
struct DeviceTensor {
  Shape shape;
  std::shared_ptr<BufferBlock> block;
  int64_t numel() const { return shape_numel(shape); }
  size_t bytes() const { return static_cast<size_t>(numel()) * sizeof(float); }
  bool defined() const { return block != nullptr; }
};

// A shader variant: the family's .wgsl (src/gpu/wgsl/), its entry point, and WGSL constant
// declarations injected before the source. Pipelines are cached by all three.
struct Kernel {
  std::string family, entry, constants;
};

// Up to 32 32-bit parameters per dispatch (shapes, strides, scalars), read in WGSL with P(i)
// and PF(i).
class Params {
 public:
  Params& u(uint32_t v);
  Params& i(int64_t v) { return u(static_cast<uint32_t>(v)); }
  Params& f(float v);
  const std::array<uint32_t, 32>& words() const { return words_; }

 private:
  std::array<uint32_t, 32> words_{};
  size_t n_ = 0;
};

struct Groups {
  uint32_t x = 1, y = 1, z = 1;
};

class Context {
 public:
  // The context of the page's device (gpu/device.h); throws when WebGPU cannot be used.
  static Context& get();
  // Whether the module can wait for the GPU (JSPI), has a device, and the device has not
  // failed; why not otherwise.
  static bool usable();
  static std::string unusable_reason();
  // The first device failure (lost, out of memory, validation), empty while there was none.
  static const std::string& failure();

  DeviceTensor alloc(const Shape& shape) { return alloc(shape, false); }
  DeviceTensor upload(const Tensor& t);
  // Model constants: uploaded once and kept while the host tensor's storage lives.
  DeviceTensor constant(const Tensor& t);
  // A tensor computed from a model constant (folded BatchNorm coefficients), made and uploaded
  // once per (constant, tag).
  DeviceTensor derived(const Tensor& source, int tag, const std::function<Tensor()>& make);
  // Drops the cached model constants (a new model was loaded): their buffers go to the pool.
  void forget_constants() { constants_.clear(); }
  // Zero-filled buffer of at least n floats (bound where a kernel's optional input is absent).
  DeviceTensor zeros(int64_t n);

  void dispatch(const Kernel& kernel, const std::vector<const DeviceTensor*>& tensors,
                const Params& params, Groups groups);
  // Workgroups for n invocations of a 256-wide 1-D kernel (2-D grid beyond 65535 groups).
  static Groups groups_1d(int64_t n);

  // Copies device tensors to the host: submits what is recorded, waits for the GPU.
  std::vector<Tensor> download(const std::vector<DeviceTensor>& tensors);
  Tensor download(const DeviceTensor& t) { return download(std::vector<DeviceTensor>{t})[0]; }

  // Transfers since the last reset_counters().
  int64_t uploads = 0, downloads = 0, bytes_up = 0, bytes_down = 0;
  void reset_counters() { uploads = downloads = bytes_up = bytes_down = 0; }

  // Buffers held by the pool (for tests and the page's diagnostics).
  size_t pooled_bytes() const;
  void release_block(WGPUBuffer handle, size_t capacity);

 private:
  Context();
  struct Pipeline {
    WGPUComputePipeline pipeline = nullptr;
    WGPUBindGroupLayout layout = nullptr;
  };
  struct Recorded {
    Pipeline pipeline;
    std::vector<std::pair<WGPUBuffer, size_t>> buffers;  // binding 1.. (handle, bytes)
    std::array<uint32_t, 32> params;
    Groups groups;
  };
  const Pipeline& pipeline(const Kernel& kernel);
  void open_scope();
  // An upload's buffer must not be one freed since the last submit: writeBuffer runs before
  // the recorded dispatches that may still read the old contents.
  DeviceTensor alloc(const Shape& shape, bool for_upload);
  // Encodes and submits what is recorded, plus copies into staging; returns the staging bytes.
  void submit(const std::vector<DeviceTensor>& reads, WGPUBuffer staging);

  WGPUDevice device_ = nullptr;
  WGPUQueue queue_ = nullptr;
  std::map<std::string, Pipeline> pipelines_;
  std::multimap<size_t, WGPUBuffer> free_;      // by capacity, free since the last submit
  std::multimap<size_t, WGPUBuffer> released_;  // freed while dispatches are being recorded
  std::vector<Recorded> recorded_;
  std::map<std::pair<const void*, int>, std::pair<Tensor, DeviceTensor>> constants_;
  DeviceTensor zeros_;
  bool scope_open_ = false;
};

}  // namespace heatlens::gpu
