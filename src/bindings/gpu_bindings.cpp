// The WebGPU surface: choosing the backend, its counters, and GPU-backed calls.
//
// C++ waits for the GPU through JSPI (src/gpu/gpu_library.js), which can pause only wasm
// frames entered through a WebAssembly.promising export. So a GPU-backed call is stored with
// `defer(name, args)`, run by the export heatlens_run_deferred (wrapped by the worker, see
// web/js/engine-jspi.js), and its result taken with `takeDeferred()`. When the GPU fails
// during a call (device lost, out of memory), the call runs again on the CPU and its result
// says so in `gpuFallback`.
//
//   engine.setBackend('webgpu');
//   engine.defer('explain', [x, shape, 'saliency', '{}', -1, 'logit', cb]);
//   await runDeferred();  const r = engine.takeDeferred();

#include <emscripten/emscripten.h>

#include <map>
#include <optional>

#include "bindings/js_interop.h"
#include "gpu/context.h"
#include "gpu/device_batches.h"
#include "gpu/device_lrp.h"
#include "gpu/webgpu_backend.h"

using emscripten::val;

namespace heatlens::bindings {

namespace {

std::map<std::string, DeferrableFn>& deferrables() {
  static std::map<std::string, DeferrableFn> table;
  return table;
}

struct Deferred {
  DeferrableFn fn;
  val args;
};
std::optional<Deferred> pending;
std::optional<val> finished;

void use_backend(std::shared_ptr<Backend> backend) {
  chosen_backend = std::move(backend);
  if (session.engine) session.engine->set_backend(chosen_backend);
}

val set_backend(std::string name) {
  try {
    if (name == "cpu") {
      use_backend(nullptr);
    } else if (name == "webgpu") {
      HEATLENS_CHECK(gpu::Context::usable(),
                     "WebGPU backend unavailable: " << gpu::Context::unusable_reason());
      use_backend(std::make_shared<gpu::WebGpuBackend>());
    } else {
      fail("unknown backend '" + name + "' (cpu or webgpu)");
    }
    val out = val::object();
    out.set("backend", name);
    return out;
  } catch (const std::exception& e) {
    return error_object(e.what());
  }
}

// {backend, gpuUsable, gpuReason, stats (JSON of BackendStats, webgpu only)}.
val backend_info() {
  val out = val::object();
  out.set("backend", chosen_backend ? chosen_backend->name() : std::string("cpu"));
  out.set("gpuUsable", gpu::Context::usable());
  out.set("gpuReason", gpu::Context::unusable_reason());
  out.set("stats", chosen_backend ? chosen_backend->stats().json() : std::string("{}"));
  return out;
}

void reset_backend_stats() {
  if (chosen_backend) chosen_backend->reset_stats();
}

val defer(std::string name, val args) {
  auto it = deferrables().find(name);
  if (it == deferrables().end()) return error_object("'" + name + "' cannot run on the GPU");
  pending = Deferred{it->second, args};
  finished.reset();
  val out = val::object();
  out.set("deferred", name);
  return out;
}

val take_deferred() {
  if (!finished) return error_object("no deferred call has finished");
  val out = *finished;
  finished.reset();
  return out;
}

}  // namespace

void register_deferrable(const std::string& name, DeferrableFn fn) {
  deferrables()[name] = std::move(fn);
}

}  // namespace heatlens::bindings

extern "C" EMSCRIPTEN_KEEPALIVE void heatlens_run_deferred() {
  using namespace heatlens;
  using namespace heatlens::bindings;
  if (!pending) {
    finished = error_object("no call was deferred");
    return;
  }
  Deferred call = std::move(*pending);
  pending.reset();
  const bool failed_before = !gpu::Context::failure().empty();
  val result = call.fn(call.args);
  if (chosen_backend && !failed_before && !gpu::Context::failure().empty()) {
    // The device failed during the call: the CPU runs it again, and the page says why.
    use_backend(nullptr);
    result = call.fn(call.args);
    if (result.typeOf().as<std::string>() == "object")
      result.set("gpuFallback",
                 "WebGPU failed (" + gpu::Context::failure() + "); this ran on the CPU instead");
  }
  finished = result;
}

EMSCRIPTEN_BINDINGS(heatlens_gpu) {
  using namespace heatlens::bindings;
  // LRP under the WebGPU backend propagates relevance on the GPU.
  heatlens::set_device_relevance(&heatlens::gpu::device_relevance_pass);
  // Perturbation methods make their masks on the GPU.
  heatlens::set_device_batches(&heatlens::gpu::webgpu_batches);
  emscripten::function("setBackend", &set_backend);
  emscripten::function("backendInfo", &backend_info);
  emscripten::function("resetBackendStats", &reset_backend_stats);
  emscripten::function("defer", &defer);
  emscripten::function("takeDeferred", &take_deferred);
  emscripten::function(
      "deferredRunner",
      +[]() { return static_cast<double>(reinterpret_cast<uintptr_t>(&heatlens_run_deferred)); });
}
