#include "gpu/context.h"

#include <cstring>

#include "gpu/device.h"

extern "C" {
// src/gpu/gpu_library.js
int heatlens_gpu_can_wait();
int heatlens_gpu_finish(WGPUDevice device, WGPUBuffer staging, size_t bytes, void* dest,
                        char* error, size_t error_capacity);
}

namespace heatlens::gpu {

namespace {

// The first device failure; the backend stays off afterwards.
std::string& failure_message() {
  static std::string message;
  return message;
}

constexpr WGPUBufferUsageFlags kStorageUsage =
    WGPUBufferUsage_Storage | WGPUBufferUsage_CopySrc | WGPUBufferUsage_CopyDst;
constexpr size_t kParamStride = 256;  // minUniformBufferOffsetAlignment
constexpr size_t kParamBytes = 32 * sizeof(uint32_t);

// Pool buckets: powers of two up to 1 MiB, then multiples of 1 MiB (a few percent waste).
size_t bucket(size_t bytes) {
  size_t b = 256;
  while (b < bytes && b < (size_t{1} << 20)) b <<= 1;
  if (b >= bytes) return b;
  const size_t mib = size_t{1} << 20;
  return (bytes + mib - 1) / mib * mib;
}

WGPUBuffer create_buffer(WGPUDevice device, size_t bytes, WGPUBufferUsageFlags usage) {
  WGPUBufferDescriptor desc = {};
  desc.size = bytes;
  desc.usage = usage;
  return wgpuDeviceCreateBuffer(device, &desc);
}

// WGSL shared by every family: the parameter block and the 1-D dispatch index.
const char* kPrelude = R"(
struct Params { v : array<vec4<u32>, 8> }
@group(0) @binding(0) var<uniform> params : Params;
fn P(i : u32) -> u32 { return params.v[i / 4u][i % 4u]; }
fn PF(i : u32) -> f32 { return bitcast<f32>(P(i)); }
fn linear_index(g : vec3<u32>, n : vec3<u32>) -> u32 { return g.y * n.x * 256u + g.x; }
// Offsets into the two operands of output element i under numpy broadcasting, for kernels with
// the binary parameter layout: P 1 rank, 2..7 output dims, 8..13 a strides, 14..19 b strides.
fn broadcast_offsets(i : u32) -> vec2<u32> {
  var rest = i;
  var o = vec2<u32>(0u, 0u);
  for (var d = P(1u); d > 0u; d = d - 1u) {
    let size = P(1u + d);
    let c = rest % size;
    rest = rest / size;
    o = o + c * vec2<u32>(P(7u + d), P(13u + d));
  }
  return o;
}
)";

}  // namespace

BufferBlock::~BufferBlock() {
  if (handle) Context::get().release_block(handle, capacity);
}

Params& Params::u(uint32_t v) {
  HEATLENS_CHECK(n_ < words_.size(), "GPU kernel parameters: more than 32 words");
  words_[n_++] = v;
  return *this;
}

Params& Params::f(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  return u(bits);
}

const std::string& Context::failure() {
  return failure_message();
}

std::string Context::unusable_reason() {
  if (!available()) return "no WebGPU device (the browser has no WebGPU, or no adapter)";
  if (heatlens_gpu_can_wait() == 0)
    return "this browser lacks JavaScript Promise Integration (WebAssembly.Suspending), which "
           "the WebGPU backend needs to wait for the GPU";
  if (!failure().empty()) return "the GPU failed earlier: " + failure();
  return "";
}

bool Context::usable() {
  return unusable_reason().empty();
}

Context& Context::get() {
  static Context* context = new Context();  // never destroyed: blocks return to it at exit
  return *context;
}

Context::Context() {
  HEATLENS_CHECK(
      heatlens_gpu_can_wait() != 0,
      "the WebGPU backend needs JavaScript Promise Integration (WebAssembly.Suspending), "
      "which this browser lacks");
  device_ = device();
  queue_ = wgpuDeviceGetQueue(device_);
}

// Every run is checked: validation and out-of-memory errors of what it records (pipelines,
// buffers, dispatches) come back at its download, not as a silently wrong result.
void Context::open_scope() {
  if (scope_open_) return;
  wgpuDevicePushErrorScope(device_, WGPUErrorFilter_Validation);
  wgpuDevicePushErrorScope(device_, WGPUErrorFilter_OutOfMemory);
  scope_open_ = true;
}

void Context::release_block(WGPUBuffer handle, size_t capacity) {
  released_.emplace(capacity, handle);
}

size_t Context::pooled_bytes() const {
  size_t total = 0;
  for (const auto& [capacity, handle] : free_) total += capacity;
  for (const auto& [capacity, handle] : released_) total += capacity;
  return total;
}

DeviceTensor Context::alloc(const Shape& shape, bool for_upload) {
  open_scope();
  DeviceTensor t;
  t.shape = shape;
  const size_t cap = bucket(std::max<size_t>(t.bytes(), 4));
  auto block = std::make_shared<BufferBlock>();
  auto it = free_.find(cap);
  auto recent = released_.find(cap);
  if (it != free_.end()) {
    block->handle = it->second;
    free_.erase(it);
  } else if (!for_upload && recent != released_.end()) {
    // Safe for a dispatch's output: it runs after every recorded reader of the old contents.
    block->handle = recent->second;
    released_.erase(recent);
  } else {
    block->handle = create_buffer(device_, cap, kStorageUsage);
    HEATLENS_CHECK(block->handle != nullptr, "WebGPU could not allocate " << cap << " bytes");
  }
  block->capacity = cap;
  t.block = std::move(block);
  return t;
}

DeviceTensor Context::upload(const Tensor& host) {
  HEATLENS_CHECK(host.dtype() == DType::f32, "the GPU backend holds float tensors only");
  DeviceTensor t = alloc(host.shape(), true);
  if (host.numel() > 0) wgpuQueueWriteBuffer(queue_, t.block->handle, 0, host.f32(), t.bytes());
  ++uploads;
  bytes_up += static_cast<int64_t>(t.bytes());
  return t;
}

DeviceTensor Context::constant(const Tensor& host) {
  return derived(host, 0, [&] { return host; });
}

DeviceTensor Context::derived(const Tensor& source, int tag, const std::function<Tensor()>& make) {
  // Keyed by the storage, which the cache keeps alive so that the address is not reused.
  const std::pair<const void*, int> key{source.f32(), tag};
  auto it = constants_.find(key);
  if (it != constants_.end() && it->second.first.shape() == source.shape())
    return it->second.second;
  DeviceTensor t = upload(make());
  constants_[key] = {source, t};
  return t;
}

DeviceTensor Context::zeros(int64_t n) {
  if (!zeros_.defined() || zeros_.numel() < n) zeros_ = upload(Tensor({std::max<int64_t>(n, 1)}));
  return zeros_;
}

Groups Context::groups_1d(int64_t n) {
  const int64_t groups = (std::max<int64_t>(n, 1) + 255) / 256;
  if (groups <= 65535) return {static_cast<uint32_t>(groups), 1, 1};
  return {65535, static_cast<uint32_t>((groups + 65534) / 65535), 1};
}

const Context::Pipeline& Context::pipeline(const Kernel& k) {
  const std::string key = k.family + "/" + k.entry + "/" + k.constants;
  auto it = pipelines_.find(key);
  if (it != pipelines_.end()) return it->second;
  const std::string source = k.constants + kPrelude + wgsl_source(k.family);
  WGPUShaderModuleWGSLDescriptor wgsl = {};
  wgsl.chain.sType = WGPUSType_ShaderModuleWGSLDescriptor;
  wgsl.source = source.c_str();
  WGPUShaderModuleDescriptor module_desc = {};
  module_desc.nextInChain = &wgsl.chain;
  WGPUShaderModule module = wgpuDeviceCreateShaderModule(device_, &module_desc);
  WGPUComputePipelineDescriptor desc = {};
  desc.compute.module = module;
  desc.compute.entryPoint = k.entry.c_str();
  Pipeline p;
  p.pipeline = wgpuDeviceCreateComputePipeline(device_, &desc);
  wgpuShaderModuleRelease(module);
  HEATLENS_CHECK(p.pipeline != nullptr, "WebGPU rejected the pipeline " << key);
  p.layout = wgpuComputePipelineGetBindGroupLayout(p.pipeline, 0);
  return pipelines_[key] = p;
}

void Context::dispatch(const Kernel& kernel, const std::vector<const DeviceTensor*>& tensors,
                       const Params& params, Groups groups) {
  open_scope();
  Recorded r;
  r.pipeline = pipeline(kernel);
  for (const DeviceTensor* t : tensors) {
    HEATLENS_CHECK(t && t->defined(), "GPU kernel " << kernel.family << "/" << kernel.entry
                                                    << ": a tensor argument is missing");
    r.buffers.emplace_back(t->block->handle, std::max<size_t>(t->bytes(), 4));
  }
  r.params = params.words();
  r.groups = groups;
  recorded_.push_back(std::move(r));
}

void Context::submit(const std::vector<DeviceTensor>& reads, WGPUBuffer staging) {
  WGPUBuffer param_buffer = nullptr;
  std::vector<WGPUBindGroup> groups;
  WGPUCommandEncoder encoder = wgpuDeviceCreateCommandEncoder(device_, nullptr);
  if (!recorded_.empty()) {
    std::vector<uint8_t> param_bytes(recorded_.size() * kParamStride);
    for (size_t i = 0; i < recorded_.size(); ++i)
      std::memcpy(param_bytes.data() + i * kParamStride, recorded_[i].params.data(), kParamBytes);
    param_buffer = create_buffer(device_, param_bytes.size(),
                                 WGPUBufferUsage_Uniform | WGPUBufferUsage_CopyDst);
    wgpuQueueWriteBuffer(queue_, param_buffer, 0, param_bytes.data(), param_bytes.size());
    WGPUComputePassEncoder pass = wgpuCommandEncoderBeginComputePass(encoder, nullptr);
    for (size_t i = 0; i < recorded_.size(); ++i) {
      const Recorded& r = recorded_[i];
      std::vector<WGPUBindGroupEntry> entries(r.buffers.size() + 1);
      entries[0].binding = 0;
      entries[0].buffer = param_buffer;
      entries[0].offset = i * kParamStride;
      entries[0].size = kParamBytes;
      for (size_t b = 0; b < r.buffers.size(); ++b) {
        entries[b + 1].binding = static_cast<uint32_t>(b + 1);
        entries[b + 1].buffer = r.buffers[b].first;
        entries[b + 1].size = r.buffers[b].second;
      }
      WGPUBindGroupDescriptor desc = {};
      desc.layout = r.pipeline.layout;
      desc.entryCount = entries.size();
      desc.entries = entries.data();
      WGPUBindGroup group = wgpuDeviceCreateBindGroup(device_, &desc);
      groups.push_back(group);
      wgpuComputePassEncoderSetPipeline(pass, r.pipeline.pipeline);
      wgpuComputePassEncoderSetBindGroup(pass, 0, group, 0, nullptr);
      wgpuComputePassEncoderDispatch(pass, r.groups.x, r.groups.y, r.groups.z);
    }
    wgpuComputePassEncoderEnd(pass);
    wgpuComputePassEncoderRelease(pass);
    recorded_.clear();
  }
  size_t offset = 0;
  for (const DeviceTensor& t : reads) {
    if (t.bytes() > 0)
      wgpuCommandEncoderCopyBufferToBuffer(encoder, t.block->handle, 0, staging, offset, t.bytes());
    offset += t.bytes();
  }
  WGPUCommandBuffer commands = wgpuCommandEncoderFinish(encoder, nullptr);
  wgpuQueueSubmit(queue_, 1, &commands);
  free_.merge(released_);  // their readers are submitted: later uploads may reuse them
  wgpuCommandBufferRelease(commands);
  wgpuCommandEncoderRelease(encoder);
  for (WGPUBindGroup g : groups) wgpuBindGroupRelease(g);
  if (param_buffer) {
    wgpuBufferDestroy(param_buffer);  // after the submit: WebGPU keeps it alive until done
    wgpuBufferRelease(param_buffer);
  }
}

std::vector<Tensor> Context::download(const std::vector<DeviceTensor>& tensors) {
  size_t total = 0;
  for (const DeviceTensor& t : tensors) total += t.bytes();
  WGPUBuffer staging =
      total ? create_buffer(device_, total, WGPUBufferUsage_MapRead | WGPUBufferUsage_CopyDst)
            : nullptr;
  open_scope();
  submit(tensors, staging);
  scope_open_ = false;  // heatlens_gpu_finish pops it
  std::vector<uint8_t> bytes(total);
  char error[512] = {0};
  const int status =
      heatlens_gpu_finish(device_, staging, total, bytes.data(), error, sizeof error);
  if (staging) {
    wgpuBufferDestroy(staging);
    wgpuBufferRelease(staging);
  }
  if (status != 0) {
    if (failure_message().empty()) failure_message() = error;
    throw GpuError(error);
  }
  std::vector<Tensor> out;
  size_t offset = 0;
  for (const DeviceTensor& t : tensors) {
    Tensor h = Tensor::uninitialized(t.shape);
    if (t.bytes()) std::memcpy(h.f32(), bytes.data() + offset, t.bytes());
    offset += t.bytes();
    out.push_back(std::move(h));
    ++downloads;
    bytes_down += static_cast<int64_t>(t.bytes());
  }
  return out;
}

}  // namespace heatlens::gpu
