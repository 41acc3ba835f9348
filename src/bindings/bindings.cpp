// The Embind surface of the wasm builds: the only place where names are camelCase.
//
// One model is loaded per module instance (the page runs the module in a worker). Calls that
// can fail return an object with `error` (a message naming the problem) instead of throwing a
// raw C++ exception into JavaScript; structured results cross the boundary as JSON strings
// and tensors as Float32Array copies.
//
//   const hl = await createHeatlens();
//   const info = JSON.parse(hl.loadModel(bytes, cardJson));
//   const r = hl.explain(x, [1, 1, 28, 28], 'lrp', '{"composite":"epsilon-plus"}', -1, 'logit',
//   cb);

#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "bindings/js_interop.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "core/version.h"
#include "eval/evaluate.h"
#include "explain/method.h"
#include "explain/method_json.h"
#include "gpu/affine_round_trip.h"
#include "gpu/context.h"
#include "gpu/device.h"
#include "media/image.h"
#include "onnx/import.h"
#include "render/heatmap.h"

using emscripten::val;

namespace heatlens {
namespace {

using bindings::bytes_of;
using bindings::error_object;
using bindings::float_array;
using bindings::js_progress;
using bindings::loaded;
using bindings::params_of;
using bindings::Session;
using bindings::session;
using bindings::tensor_of;

std::string value_shape(const Value& v) {
  if (!v.has_declared_shape) return "?";
  nlohmann::json dims = nlohmann::json::array();
  for (size_t i = 0; i < v.declared_shape.size(); ++i) {
    if (v.declared_shape[i] >= 0)
      dims.push_back(v.declared_shape[i]);
    else
      dims.push_back(v.dim_params[i].empty() ? "?" : v.dim_params[i]);
  }
  return dims.dump();
}

// Loads a model (ONNX bytes) and its card (JSON text, may be empty). Returns JSON with the
// inputs, outputs, operators and every unsupported node; `supported` is false when gradient
// and propagation methods cannot run on it.
val load_model(val bytes_js, std::string card_json) {
  try {
    session = Session{};
    // The previous model's weights leave the GPU with it.
    if (gpu::Context::usable()) gpu::Context::get().forget_constants();
    std::vector<uint8_t> bytes = bytes_of(bytes_js);
    onnx::ModelProto proto = onnx::parse_model(bytes.data(), bytes.size());
    std::vector<uint8_t>().swap(bytes);  // the weights are in `proto` now
    std::vector<onnx::ImportIssue> issues;
    Graph graph = onnx::import_model(std::move(proto), false, &issues);
    nlohmann::json info;
    info["opset"] = graph.opset;
    info["producer"] = graph.producer;
    info["parameters"] = graph.parameter_count();
    info["nodes"] = graph.nodes.size();
    for (int id : graph.inputs) {
      info["inputs"].push_back({{"name", graph.values[id].name},
                                {"shape", nlohmann::json::parse(value_shape(graph.values[id]))}});
    }
    for (int id : graph.outputs) info["outputs"].push_back({{"name", graph.values[id].name}});
    info["unsupported"] = nlohmann::json::array();
    for (const auto& issue : issues) {
      info["unsupported"].push_back(
          {{"node", issue.node}, {"op_type", issue.op_type}, {"message", issue.message}});
    }
    session.card = card_json.empty() ? ModelCard{} : parse_model_card(card_json, "card.json");
    if (graph.inputs.size() == 1) session.input = graph.values[graph.inputs[0]];
    if (issues.empty()) {
      session.engine = std::make_unique<Engine>(std::move(graph));
      session.engine->set_backend(bindings::chosen_backend);
      session.model = std::make_unique<ExplainModel>(*session.engine, session.card);
    }
    info["supported"] = issues.empty();
    info["labels"] = session.card.labels;
    val out = val::object();
    out.set("json", info.dump());
    return out;
  } catch (const std::exception& e) {
    session = Session{};
    return error_object(e.what());
  }
}

// Engine preprocessing of a decoded image (RGBA pixels from a canvas): resize, channel
// conversion and normalisation as the card says, else to the model's declared input size.
val preprocess_pixels(val rgba_js, int width, int height) {
  try {
    Session& s = session;
    HEATLENS_CHECK(s.input.has_value(), "no model with one input is loaded");
    std::vector<uint8_t> rgba = bytes_of(rgba_js);
    HEATLENS_CHECK(rgba.size() == static_cast<size_t>(width) * height * 4,
                   "pixel data does not match " << width << "×" << height);
    Image img;
    img.width = width;
    img.height = height;
    img.channels = 3;
    img.pixels.resize(static_cast<size_t>(width) * height * 3);
    for (size_t i = 0; i < static_cast<size_t>(width) * height; ++i) {
      const float a = rgba[i * 4 + 3] / 255.0f;  // transparent pixels read as black
      for (int c = 0; c < 3; ++c)
        img.pixels[i * 3 + c] = static_cast<uint8_t>(rgba[i * 4 + c] * a + 0.5f);
    }
    ImagePreprocessing p = s.card.image;
    const Value& in = *s.input;
    if (in.has_declared_shape && in.declared_shape.size() == 4) {
      if (in.declared_shape[1] > 0) p.channels = static_cast<int>(in.declared_shape[1]);
      if (!p.height && in.declared_shape[2] > 0) p.height = in.declared_shape[2];
      if (!p.width && in.declared_shape[3] > 0) p.width = in.declared_shape[3];
    }
    return bindings::tensor_object(preprocess_image(img, p));
  } catch (const std::exception& e) {
    return error_object(e.what());
  }
}

val predict(val data, val shape) {
  try {
    Session& s = loaded();
    Tensor logits = s.model->logits(tensor_of(data, shape));
    Tensor probs = softmax_rows(logits);
    val out = val::object();
    out.set("logits", float_array(logits.f32(), static_cast<size_t>(logits.numel())));
    out.set("probs", float_array(probs.f32(), static_cast<size_t>(probs.numel())));
    return out;
  } catch (const std::exception& e) {
    return error_object(e.what());
  }
}

// The model's first output as it is (after any final Softmax), for comparisons with other runtimes.
val forward_output(val data, val shape) {
  try {
    Session& s = loaded();
    Tensor y = s.engine->forward({tensor_of(data, shape)}).outputs[0];
    val out = val::object();
    out.set("output", float_array(y.f32(), static_cast<size_t>(y.numel())));
    return out;
  } catch (const std::exception& e) {
    return error_object(e.what());
  }
}

// Runs a method; `progress(done, total)` is called after each batch of passes.
val explain_input(val data, val shape, std::string method, std::string params_json, int target,
                  std::string output, val progress_js) {
  try {
    Session& s = loaded();
    const std::map<std::string, std::string> params = params_of(params_json);
    TargetSpec spec;
    spec.class_index = target;
    spec.space = parse_output_space(output);
    Progress progress = js_progress(progress_js);
    Attribution a = explain(*s.model, tensor_of(data, shape), method, spec, params, progress);
    val out = val::object();
    out.set("relevance", float_array(a.relevance.f32(), static_cast<size_t>(a.relevance.numel())));
    if (a.layer_map.defined())
      out.set("layerMap", float_array(a.layer_map.f32(), static_cast<size_t>(a.layer_map.numel())));
    out.set("json", attribution_json(a, s.card).dump());
    return out;
  } catch (const std::exception& e) {
    return error_object(e.what());
  }
}

// Scores each method (a "name:k=v" spec) with each metric on one input: the method × metric
// table and every record with its curve. box: [x0, y0, x1, y1] in input pixels, or null.
val evaluate(val data, val shape, std::string methods_json, std::string metrics_json,
             std::string box_json, int target, std::string output, val progress_js) {
  try {
    Session& s = loaded();
    const EvalPlan plan =
        parse_plan(nlohmann::json::parse(methods_json).get<std::vector<std::string>>(),
                   nlohmann::json::parse(metrics_json).get<std::vector<std::string>>());
    const Tensor x = tensor_of(data, shape);
    std::optional<std::vector<uint8_t>> box;
    const nlohmann::json b = box_json.empty() ? nlohmann::json() : nlohmann::json::parse(box_json);
    if (!b.is_null()) {
      HEATLENS_CHECK(b.is_array() && b.size() == 4, "the box must be [x0, y0, x1, y1]");
      const auto plane = plane_size(x);
      const int64_t h = plane.first, w = plane.second;
      const auto v = b.get<std::vector<double>>();
      const int64_t x0 = std::max<int64_t>(0, static_cast<int64_t>(v[0]));
      const int64_t y0 = std::max<int64_t>(0, static_cast<int64_t>(v[1]));
      const int64_t x1 = std::min<int64_t>(w, static_cast<int64_t>(v[2]));
      const int64_t y1 = std::min<int64_t>(h, static_cast<int64_t>(v[3]));
      HEATLENS_CHECK(x1 > x0 && y1 > y0,
                     "the box is empty inside the " << h << "×" << w << " input");
      box = std::vector<uint8_t>(h * w, 0);
      for (int64_t y = y0; y < y1; ++y)
        for (int64_t xx = x0; xx < x1; ++xx) (*box)[y * w + xx] = 1;
    }
    TargetSpec spec;
    spec.class_index = target;
    spec.space = parse_output_space(output);
    Progress progress = js_progress(progress_js);
    progress.set_total(static_cast<int64_t>(plan.methods.size() * (1 + plan.metrics.size())));
    const auto records = evaluate_input(*s.model, x, 0, box, plan, spec, progress);
    val out = val::object();
    out.set("json", nlohmann::json({{"table", table_json(summarise(plan, records))},
                                    {"records", records_json(records)}})
                        .dump());
    return out;
  } catch (const std::exception& e) {
    return error_object(e.what());
  }
}

std::string metrics_json() {
  return metric_registry_json().dump();
}

// RGBA pixels of a relevance map ([1, C, H, W]) with the book's conventions.
// `overlay`: transparent where relevance is zero, for drawing over the input.
val render(val data, val shape, bool signed_map, std::string colormap, bool overlay) {
  try {
    Tensor r = tensor_of(data, shape);
    Image img = render_heatmap(r, signed_map, find_colormap(colormap), overlay);
    val out = val::object();
    val pixels = val::global("Uint8ClampedArray").new_(img.pixels.size());
    pixels.call<void>("set",
                      val(emscripten::typed_memory_view(img.pixels.size(), img.pixels.data())));
    out.set("pixels", pixels);
    out.set("width", img.width);
    out.set("height", img.height);
    return out;
  } catch (const std::exception& e) {
    return error_object(e.what());
  }
}

std::string methods_json() {
  return registry_json().dump();
}

std::string colormaps_json() {
  nlohmann::json j = nlohmann::json::array();
  for (const Colormap& m : colormaps()) j.push_back({{"name", m.name}, {"diverging", m.diverging}});
  return j.dump();
}

// Sums 0..n-1 on a pool of `threads`, recording how many distinct threads did work: proves
// that the threaded build really runs in parallel.
val parallel_sum(double n, int threads) {
  try {
    ThreadPool pool(threads);
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
    gpu::affine_round_trip(in, scale, shift, [callback](std::vector<float> out, std::string error) {
      if (!error.empty()) {
        callback(error_object(error));
        return;
      }
      callback(float_array(out.data(), out.size()));
    });
  } catch (const std::exception& e) {
    callback(error_object(e.what()));
  }
}

}  // namespace
}  // namespace heatlens

EMSCRIPTEN_BINDINGS(heatlens) {
  using namespace heatlens;
  emscripten::function(
      "version", +[]() { return std::string(heatlens::version()); });
  emscripten::function("buildDescription", &build_description);
  emscripten::function("threadsEnabled", &threads_enabled);
  emscripten::function("hardwareThreads", &ThreadPool::hardware_threads);
  emscripten::function("parallelSum", &parallel_sum);
  emscripten::function("gpuAvailable", &gpu::available);
  emscripten::function("gpuAffine", &gpu_affine);
  emscripten::function("loadModel", &load_model);
  emscripten::function("preprocessImage", &preprocess_pixels);
  emscripten::function("predict", &predict);
  emscripten::function("forwardOutput", &forward_output);
  emscripten::function("explain", &explain_input);
  emscripten::function("render", &render);
  emscripten::function("methods", &methods_json);
  emscripten::function("evaluate", &evaluate);
  emscripten::function("metrics", &metrics_json);
  emscripten::function("colormaps", &colormaps_json);
  bindings::deferrable("predict", &predict);
  bindings::deferrable("forwardOutput", &forward_output);
  bindings::deferrable("explain", &explain_input);
  bindings::deferrable("evaluate", &evaluate);
}
