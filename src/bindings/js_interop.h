// What the Embind files share: the loaded session (one model per module instance, and the
// recording of an audio model), typed-array conversions, errors as {error} objects, progress
// callbacks and method parameters from JSON.
#pragma once

#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/progress.h"
#include "engine/engine.h"
#include "explain/explain_model.h"
#include "graph/graph.h"
#include "media/audio_windows.h"
#include "media/model_card.h"

namespace heatlens::bindings {

using emscripten::val;

struct Session {
  std::unique_ptr<Engine> engine;
  std::unique_ptr<ExplainModel> model;
  ModelCard card;
  std::optional<AudioWindows> audio;    // the recording prepared by prepareAudio
  std::optional<Value> input;           // the model's input as declared (also when unsupported)
  std::vector<Tensor> external_inputs;  // batches sent to ONNX Runtime (explainExternal)
};
inline Session session;
// The backend chosen with setBackend (null: the CPU); models loaded later use it too.
inline std::shared_ptr<Backend> chosen_backend;

// Calls that may wait for the GPU run through the promising export (gpu_bindings.cpp): JS
// stores one with `defer(name, args)`; each binding file registers its GPU-backed functions.
using DeferrableFn = std::function<val(const val& args)>;
void register_deferrable(const std::string& name, DeferrableFn fn);

template <class... A, size_t... I>
val call_unpacked(val (*f)(A...), const val& args, std::index_sequence<I...>) {
  return f(args[I].template as<std::decay_t<A>>()...);
}
template <class... A>
void deferrable(const std::string& name, val (*f)(A...)) {
  register_deferrable(name, [f](const val& args) {
    return call_unpacked(f, args, std::index_sequence_for<A...>{});
  });
}

inline val error_object(const std::string& message) {
  val out = val::object();
  out.set("error", message);
  return out;
}

inline std::vector<uint8_t> bytes_of(const val& array) {
  const size_t n = array["length"].as<size_t>();
  std::vector<uint8_t> out(n);
  val(emscripten::typed_memory_view(n, out.data())).call<void>("set", array);
  return out;
}

inline Tensor tensor_of(const val& array, const val& shape_js) {
  Shape shape;
  const size_t rank = shape_js["length"].as<size_t>();
  // Numbers cross as doubles: Embind here has no 64-bit integer type.
  for (size_t i = 0; i < rank; ++i) shape.push_back(static_cast<int64_t>(shape_js[i].as<double>()));
  Tensor t(shape);
  const double length = array["length"].as<double>();
  HEATLENS_CHECK(length == static_cast<double>(t.numel()),
                 "input has " << length << " values for shape " << shape_str(shape));
  val(emscripten::typed_memory_view(static_cast<size_t>(t.numel()), t.f32()))
      .call<void>("set", array);
  return t;
}

inline val float_array(const float* p, size_t n) {
  val out = val::global("Float32Array").new_(n);
  out.call<void>("set", val(emscripten::typed_memory_view(n, p)));
  return out;
}

inline val shape_array(const Shape& shape) {
  val out = val::array();
  for (int64_t d : shape) out.call<void>("push", static_cast<double>(d));
  return out;
}

// {data: Float32Array, shape: [...]}
inline val tensor_object(const Tensor& t) {
  val out = val::object();
  out.set("data", float_array(t.f32(), static_cast<size_t>(t.numel())));
  out.set("shape", shape_array(t.shape()));
  return out;
}

inline Session& loaded() {
  HEATLENS_CHECK(session.model != nullptr, "no supported model is loaded");
  return session;
}

// Progress reported to a JS callback `progress(done, total)` (if one is given).
inline Progress js_progress(val progress_js) {
  return Progress(
      [progress_js](int64_t done, int64_t total) {
        if (!progress_js.isUndefined())
          progress_js(static_cast<double>(done), static_cast<double>(total));
      },
      nullptr);
}

// Method parameters from a JSON object (values as strings, numbers or booleans).
inline std::map<std::string, std::string> params_of(const std::string& params_json) {
  std::map<std::string, std::string> params;
  const nlohmann::json given =
      params_json.empty() ? nlohmann::json::object() : nlohmann::json::parse(params_json);
  HEATLENS_CHECK(given.is_object(), "parameters must be a JSON object");
  for (auto it = given.begin(); it != given.end(); ++it)
    params[it.key()] = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
  return params;
}

}  // namespace heatlens::bindings
