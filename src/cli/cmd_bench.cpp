// heatlens bench MODEL [--method forward|gradient|lrp] [--batch N] [--threads N] [--iters N]
//   [--json]: times a model on random inputs (median over iterations after a warm-up) and
//   reports the peak resident memory; heatlens bench --gemm M,N,K [--threads N] reports the
//   blocked GEMM's GFLOP/s (A packed once, as a layer's weights are); heatlens bench --peak
//   [--threads N] the machine's AVX2 FMA peak;
//   --profile adds milliseconds per operator type to a forward run. tests/bench/run.mjs compares
//   these with ONNX Runtime and PyTorch.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/rng.h"
#include "explain/method.h"
#include "kernels/gemm.h"

namespace heatlens::cli {

namespace {

double now_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A "Key:  N kB" line of a /proc file in MiB (Linux), or 0 where /proc is missing: the peak
// resident set size (status, VmHWM) and anonymous memory in huge pages (smaps_rollup,
// AnonHugePages).
double proc_mib(const char* file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stod(line.substr(key.size() + 1)) / 1024.0;
  }
  return 0;
}

template <class F>
std::vector<double> time_runs(int64_t iters, F run) {
  run();  // warm-up (plans, packed buffers, caches)
  std::vector<double> ms;
  for (int64_t i = 0; i < iters; ++i) {
    const double t0 = now_ms();
    run();
    ms.push_back(now_ms() - t0);
  }
  std::sort(ms.begin(), ms.end());
  return ms;
}

}  // namespace

int cmd_bench(int argc, char** argv) {
  Args args(argc, argv, 2,
            {{"--method", true},
             {"--batch", true},
             {"--threads", true},
             {"--iters", true},
             {"--json", false},
             {"--gemm", true},
             {"--profile", false},
             {"--peak", false}});
  const int threads = static_cast<int>(args.get_int("--threads", 0));
  const int64_t iters = args.get_int("--iters", 10);
  if (iters < 1) throw UsageError{"--iters must be at least 1"};
  nlohmann::json out;
  std::vector<double> ms;
  if (args.has("--peak")) {
    // FMA throughput of this machine on `threads` threads at once, at the widest vectors the
    // GEMM uses (its ceiling).
    if (!avx2_kernel()) throw UsageError{"--peak measures AVX2+FMA, which this build or CPU lacks"};
    const bool wide = avx512_kernel() != nullptr;
    ThreadPool pool(threads);
    const int64_t per_thread = 20000000;
    float sink = 0;
    std::mutex sink_mutex;
    ms = time_runs(iters, [&] {
      pool.parallel_for(pool.threads(), [&](int64_t b, int64_t e) {
        for (int64_t t = b; t < e; ++t) {
          const float v = wide ? avx512_fma_probe(per_thread) : avx2_fma_probe(per_thread);
          std::lock_guard<std::mutex> lock(sink_mutex);
          sink += v;
        }
      });
    });
    const double flops = (wide ? 384.0 : 192.0) * per_thread * pool.threads();
    out = {{"peak", wide ? "avx512f" : "avx2-fma"},
           {"threads", pool.threads()},
           {"median_ms", ms[ms.size() / 2]},
           {"gflops", flops / (ms.front() * 1e6)},
           {"checksum", sink}};
  } else if (args.has("--gemm")) {
    std::vector<float> dims = args.get_floats("--gemm");
    if (dims.size() != 3) throw UsageError{"--gemm M,N,K"};
    const int64_t m = static_cast<int64_t>(dims[0]), n = static_cast<int64_t>(dims[1]),
                  k = static_cast<int64_t>(dims[2]);
    std::vector<float> a(static_cast<size_t>(m * k), 0.5f), b(static_cast<size_t>(k * n), 0.25f),
        c(static_cast<size_t>(m * n));
    ThreadPool pool(threads);
    ExecContext ctx{&pool};
    // A is packed once, as a layer's weights are; each run packs B and multiplies.
    const PackedA packed = pack_a(gemm_kernel(), false, m, k, 1.0f, a.data(), k, &ctx);
    ms = time_runs(iters, [&] {
      f32_gemm_packed(packed, n, false, b.data(), n, 0.0f, c.data(), n, Epilogue{}, &ctx);
    });
    out = {{"gemm", {m, n, k}},
           {"kernel", gemm_kernel().name},
           {"threads", pool.threads()},
           {"median_ms", ms[ms.size() / 2]},
           {"gflops", 2.0 * m * n * k / (ms[ms.size() / 2] * 1e6)}};
  } else {
    if (args.positional().size() != 1)
      throw UsageError{
          "usage: heatlens bench MODEL.onnx [--method forward|gradient|lrp] [--batch N]"};
    const std::string method = args.get("--method", "forward");
    const int64_t batch = args.get_int("--batch", 1);
    Engine engine = Engine::load_file(args.positional()[0], threads);
    const Value& in = engine.graph().values[engine.graph().inputs[0]];
    if (!in.has_declared_shape) throw UsageError{"the model's input declares no shape"};
    Shape shape = in.declared_shape;
    for (size_t i = 0; i < shape.size(); ++i)
      shape[i] = shape[i] < 0 ? (i == 0 ? batch : 1) : shape[i];
    Tensor x(shape);
    Rng rng(1);
    for (int64_t i = 0; i < x.numel(); ++i) x.f32()[i] = static_cast<float>(rng.normal());
    ExplainModel model(engine, ModelCard{});
    Target target;
    std::map<std::string, double> op_times;
    if (method == "forward") {
      ForwardOptions options;
      if (args.has("--profile")) options.op_times = &op_times;
      ms = time_runs(iters, [&] { engine.forward({x}, options); });
    } else if (method == "gradient") {
      ms = time_runs(iters, [&] { model.gradient(x, target); });
    } else if (method == "lrp") {
      if (shape[0] != 1) throw UsageError{"--method lrp runs one example (--batch 1)"};
      Progress quiet;
      const MethodInfo& lrp = find_method("lrp");
      const ParamValues params = ParamValues::resolve(lrp.params, {});
      ms = time_runs(iters, [&] { lrp.run(model, x, target, params, quiet); });
    } else {
      throw UsageError{"--method must be forward, gradient or lrp"};
    }
    const double activation_bytes =
        static_cast<double>(engine.plan({shape}, {DType::f32})->activation_bytes);
    out = {{"model", args.positional()[0]},
           {"method", method},
           {"batch", shape[0]},
           {"threads", engine.threads()},
           {"activations_mib", activation_bytes / (1 << 20)},
           {"median_ms", ms[ms.size() / 2]},
           {"min_ms", ms.front()},
           {"peak_rss_mib", proc_mib("/proc/self/status", "VmHWM")},
           {"huge_pages_mib", proc_mib("/proc/self/smaps_rollup", "AnonHugePages")},
           {"parameters_mib", engine.graph().parameter_count() * 4.0 / (1 << 20)}};
    if (!op_times.empty()) {
      // Per operator type, milliseconds per run (warm-up included in the average).
      for (auto it = op_times.begin(); it != op_times.end(); ++it)
        out["op_ms"][it->first] = it->second / static_cast<double>(iters + 1);
    }
  }
  out["iters"] = iters;
  if (args.has("--json")) {
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("%s\n", out.dump(2).c_str());
  }
  return 0;
}

}  // namespace heatlens::cli
