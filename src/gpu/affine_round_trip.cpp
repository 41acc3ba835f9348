#include "gpu/affine_round_trip.h"

#include <cstring>
#include <memory>

#include "core/error.h"
#include "gpu/device.h"

namespace heatlens::gpu {

namespace {

struct PendingReadback {
  WGPUBuffer src, dst, params, staging;
  size_t bytes;
  size_t count;
  RoundTripDone done;
};

void release(PendingReadback* p) {
  wgpuBufferDestroy(p->src);
  wgpuBufferDestroy(p->dst);
  wgpuBufferDestroy(p->params);
  wgpuBufferDestroy(p->staging);
  wgpuBufferRelease(p->src);
  wgpuBufferRelease(p->dst);
  wgpuBufferRelease(p->params);
  wgpuBufferRelease(p->staging);
}

void on_mapped(WGPUBufferMapAsyncStatus status, void* userdata) {
  std::unique_ptr<PendingReadback> p(static_cast<PendingReadback*>(userdata));
  std::vector<float> out;
  std::string error;
  if (status == WGPUBufferMapAsyncStatus_Success) {
    const void* mapped = wgpuBufferGetConstMappedRange(p->staging, 0, p->bytes);
    if (mapped) {
      out.resize(p->count);
      std::memcpy(out.data(), mapped, p->count * sizeof(float));
    } else {
      error = "WebGPU readback: mapped range unavailable";
    }
    wgpuBufferUnmap(p->staging);
  } else {
    error = "WebGPU readback failed with map status " + std::to_string(static_cast<int>(status));
  }
  release(p.get());
  p->done(std::move(out), std::move(error));
}

WGPUBuffer make_buffer(WGPUDevice dev, size_t bytes, WGPUBufferUsageFlags usage) {
  WGPUBufferDescriptor desc = {};
  desc.size = bytes;
  desc.usage = usage;
  return wgpuDeviceCreateBuffer(dev, &desc);
}

}  // namespace

void affine_round_trip(const std::vector<float>& values, float scale, float shift,
                       RoundTripDone done) {
  HEATLENS_CHECK(!values.empty(), "affine_round_trip needs at least one value");
  WGPUDevice dev = device();
  WGPUQueue queue = wgpuDeviceGetQueue(dev);
  // Storage buffers must be a multiple of 4 bytes and non-empty; f32 already is.
  const size_t bytes = values.size() * sizeof(float);

  auto* p = new PendingReadback{};
  p->bytes = bytes;
  p->count = values.size();
  p->done = std::move(done);
  p->src = make_buffer(dev, bytes, WGPUBufferUsage_Storage | WGPUBufferUsage_CopyDst);
  p->dst = make_buffer(dev, bytes, WGPUBufferUsage_Storage | WGPUBufferUsage_CopySrc);
  p->params = make_buffer(dev, 16, WGPUBufferUsage_Uniform | WGPUBufferUsage_CopyDst);
  p->staging = make_buffer(dev, bytes, WGPUBufferUsage_MapRead | WGPUBufferUsage_CopyDst);

  struct {
    float scale, shift;
    uint32_t count, pad;
  } params = {scale, shift, static_cast<uint32_t>(values.size()), 0};
  wgpuQueueWriteBuffer(queue, p->src, 0, values.data(), bytes);
  wgpuQueueWriteBuffer(queue, p->params, 0, &params, sizeof(params));

  WGPUShaderModuleWGSLDescriptor wgsl = {};
  wgsl.chain.sType = WGPUSType_ShaderModuleWGSLDescriptor;
  wgsl.source = wgsl_source("affine");
  WGPUShaderModuleDescriptor module_desc = {};
  module_desc.nextInChain = &wgsl.chain;
  WGPUShaderModule module = wgpuDeviceCreateShaderModule(dev, &module_desc);

  WGPUComputePipelineDescriptor pipeline_desc = {};
  pipeline_desc.compute.module = module;
  pipeline_desc.compute.entryPoint = "main";
  WGPUComputePipeline pipeline = wgpuDeviceCreateComputePipeline(dev, &pipeline_desc);

  WGPUBindGroupEntry entries[3] = {};
  entries[0].binding = 0;
  entries[0].buffer = p->src;
  entries[0].size = bytes;
  entries[1].binding = 1;
  entries[1].buffer = p->dst;
  entries[1].size = bytes;
  entries[2].binding = 2;
  entries[2].buffer = p->params;
  entries[2].size = 16;
  WGPUBindGroupDescriptor bind_desc = {};
  bind_desc.layout = wgpuComputePipelineGetBindGroupLayout(pipeline, 0);
  bind_desc.entryCount = 3;
  bind_desc.entries = entries;
  WGPUBindGroup bind_group = wgpuDeviceCreateBindGroup(dev, &bind_desc);

  WGPUCommandEncoder encoder = wgpuDeviceCreateCommandEncoder(dev, nullptr);
  WGPUComputePassEncoder pass = wgpuCommandEncoderBeginComputePass(encoder, nullptr);
  wgpuComputePassEncoderSetPipeline(pass, pipeline);
  wgpuComputePassEncoderSetBindGroup(pass, 0, bind_group, 0, nullptr);
  wgpuComputePassEncoderDispatch(pass, static_cast<uint32_t>((values.size() + 63) / 64), 1, 1);
  wgpuComputePassEncoderEnd(pass);
  wgpuCommandEncoderCopyBufferToBuffer(encoder, p->dst, 0, p->staging, 0, bytes);
  WGPUCommandBuffer commands = wgpuCommandEncoderFinish(encoder, nullptr);
  wgpuQueueSubmit(queue, 1, &commands);

  wgpuCommandBufferRelease(commands);
  wgpuComputePassEncoderRelease(pass);
  wgpuCommandEncoderRelease(encoder);
  wgpuBindGroupRelease(bind_group);
  wgpuBindGroupLayoutRelease(bind_desc.layout);
  wgpuComputePipelineRelease(pipeline);
  wgpuShaderModuleRelease(module);
  wgpuQueueRelease(queue);

  wgpuBufferMapAsync(p->staging, WGPUMapMode_Read, 0, bytes, on_mapped, p);
}

}  // namespace heatlens::gpu
