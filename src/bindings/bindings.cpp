// The Embind surface of the wasm builds: the only place where names are camelCase.
//
// Every call that can fail returns an object with either its result or `error` (a message
// naming the problem), so JavaScript never sees a raw C++ exception pointer.
//
//   const hl = await createHeatlens();
//   hl.version();                    // "0.1.0"
//   hl.parallelSum(1e6, 4);          // {sum: 499999500000, threadsUsed: 2}

#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <mutex>
#include <set>
#include <thread>

#include "core/error.h"
#include "core/thread_pool.h"
#include "core/version.h"
#include "gpu/affine_round_trip.h"
#include "gpu/device.h"

using emscripten::val;

namespace {

val error_object(const std::string& message) {
  val out = val::object();
  out.set("error", message);
  return out;
}

// Sums 0..n-1 on a pool of `threads`, recording how many distinct threads did work: proves
// that the threaded build really runs in parallel.
val parallel_sum(double n, int threads) {
  try {
    heatlens::ThreadPool pool(threads);
    std::mutex mutex;
    std::set<std::thread::id> ids;
    double total = 0;
    pool.parallel_for(
        static_cast<int64_t>(n),
        [&](int64_t begin, int64_t end) {
          double local = 0;
          for (int64_t i = begin; i < end; ++i) local += static_cast<double>(i);
          std::lock_guard<std::mutex> lock(mutex);
          total += local;
          ids.insert(std::this_thread::get_id());
        },
        1024);
    val out = val::object();
    out.set("sum", total);
    out.set("threadsUsed", static_cast<int>(ids.size()));
    out.set("poolThreads", pool.threads());
    return out;
  } catch (const std::exception& e) {
    return error_object(e.what());
  }
}

// Runs out[i] = in[i] * scale + shift on the GPU and calls `callback(result)` with a
// Float32Array or `callback({error})`.
void gpu_affine(val values, float scale, float shift, val callback) {
  try {
    std::vector<float> in = emscripten::vecFromJSArray<float>(values);
    heatlens::gpu::affine_round_trip(
        in, scale, shift, [callback](std::vector<float> out, std::string error) {
          if (!error.empty()) {
            callback(error_object(error));
            return;
          }
          val array = val::global("Float32Array").new_(out.size());
          array.call<void>("set", val(emscripten::typed_memory_view(out.size(), out.data())));
          callback(array);
        });
  } catch (const std::exception& e) {
    callback(error_object(e.what()));
  }
}

}  // namespace

EMSCRIPTEN_BINDINGS(heatlens) {
  emscripten::function(
      "version", +[]() { return std::string(heatlens::version()); });
  emscripten::function("buildDescription", &heatlens::build_description);
  emscripten::function("threadsEnabled", &heatlens::threads_enabled);
  emscripten::function("hardwareThreads", &heatlens::ThreadPool::hardware_threads);
  emscripten::function("parallelSum", &parallel_sum);
  emscripten::function("gpuAvailable", &heatlens::gpu::available);
  emscripten::function("gpuAffine", &gpu_affine);
}
