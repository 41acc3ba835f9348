// heatlens onnx-test DIR: runs one ONNX backend node test (model.onnx and
// test_data_set_*/input_*.pb, output_*.pb), compares with the backend tests' tolerance
// (|a − b| ≤ atol + rtol·|b|, rtol = 1e-3, atol = 1e-7), prints PASS/FAIL with the largest
// error, and exits 0 (pass) or 1 (fail).
#include <dirent.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "engine/engine.h"

namespace heatlens::cli {

namespace {

std::vector<std::string> list_dir(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (!d) return names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.compare(0, prefix.size(), prefix) == 0) names.push_back(n);
  }
  closedir(d);
  // input_10.pb sorts after input_9.pb: order by the number.
  std::sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
    return std::atoi(a.c_str() + prefix.size()) < std::atoi(b.c_str() + prefix.size());
  });
  return names;
}

Tensor read_tensor_pb(const std::string& path) {
  std::vector<uint8_t> bytes = read_file(path, size_t{1} << 30);
  return onnx::to_tensor(onnx::parse_tensor(bytes.data(), bytes.size()));
}

// Node tests feed parameters such as shapes, axes, pads, bounds or scales as graph inputs;
// heatlens needs those constant at plan time (a model exported by PyTorch has them as
// initializers or folded shape arithmetic). An input used only in such parameter positions
// is therefore frozen to the test's value; data inputs stay real inputs.
bool parameter_only(const Graph& g, int value) {
  static const char* kParameterOps[] = {
      "Clip",      "Pad",   "Resize",    "Upsample",   "Slice",     "Reshape", "Squeeze",
      "Unsqueeze", "Split", "ReduceSum", "ReduceMean", "ReduceMax", "Dropout"};
  bool used = false;
  for (const Node& n : g.nodes) {
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      if (n.inputs[k] != value) continue;
      bool parameter_op = false;
      for (const char* op : kParameterOps) parameter_op = parameter_op || n.op_type == op;
      if (k == 0 || !parameter_op) return false;
      used = true;
    }
  }
  return used;
}

}  // namespace

int cmd_onnx_test(int argc, char** argv) {
  Args args(argc, argv, 2, {{"--rtol", true}, {"--atol", true}});
  if (args.positional().size() != 1) throw UsageError{"usage: heatlens onnx-test DIR"};
  std::string dir = args.positional()[0];
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  const std::string name = dir.substr(dir.find_last_of('/') + 1);
  const double rtol = args.has("--rtol") ? std::stod(args.get("--rtol")) : 1e-3;
  const double atol = args.has("--atol") ? std::stod(args.get("--atol")) : 1e-7;
  try {
    std::vector<std::string> sets = list_dir(dir, "test_data_set_");
    if (sets.empty()) throw Error("no test_data_set_* folders");
    std::vector<uint8_t> bytes = read_file(dir + "/model.onnx", onnx::kMaxModelBytes);
    Graph graph = onnx::import_model(onnx::parse_model(bytes.data(), bytes.size()));
    // Parameter inputs take the first data set's values (the node tests have one set).
    std::vector<bool> frozen(graph.inputs.size(), false);
    {
      const std::string sd = dir + "/" + sets[0];
      std::vector<std::string> in_files = list_dir(sd, "input_");
      const std::vector<int> inputs = graph.inputs;
      for (size_t i = 0; i < inputs.size() && i < in_files.size(); ++i) {
        if (parameter_only(graph, inputs[i])) {
          graph.freeze_input(graph.values[inputs[i]].name, read_tensor_pb(sd + "/" + in_files[i]));
          frozen[i] = true;
        }
      }
    }
    Engine engine(std::move(graph), 1);
    const Graph& g = engine.graph();
    double max_err = 0;
    for (const std::string& set : sets) {
      const std::string sd = dir + "/" + set;
      std::vector<std::string> in_files = list_dir(sd, "input_"),
                               out_files = list_dir(sd, "output_");
      Tensors inputs;
      for (size_t i = 0; i < in_files.size(); ++i) {
        if (i >= frozen.size() || !frozen[i])
          inputs.push_back(read_tensor_pb(sd + "/" + in_files[i]));
      }
      if (inputs.size() != g.inputs.size()) {
        throw Error(set + " has " + std::to_string(inputs.size()) + " inputs, the model takes " +
                    std::to_string(g.inputs.size()));
      }
      ForwardResult r = engine.forward(inputs);
      if (out_files.size() != r.outputs.size()) throw Error(set + ": output count differs");
      for (size_t k = 0; k < out_files.size(); ++k) {
        Tensor expected = read_tensor_pb(sd + "/" + out_files[k]);
        const Tensor& got = r.outputs[k];
        if (expected.shape() != got.shape()) {
          throw Error(set + " output " + std::to_string(k) + ": shape " + shape_str(got.shape()) +
                      ", expected " + shape_str(expected.shape()));
        }
        if (expected.dtype() != got.dtype())
          throw Error(set + " output " + std::to_string(k) + ": dtype differs");
        Tensor e = expected.as_f32(), o = got.as_f32();
        for (int64_t i = 0; i < e.numel(); ++i) {
          const double a = o.f32()[i], b = e.f32()[i];
          if (std::isnan(a) && std::isnan(b)) continue;
          const double err = std::fabs(a - b);
          if (std::isinf(b) && a == b) continue;
          max_err = std::max(max_err, err);
          if (!(err <= atol + rtol * std::fabs(b))) {
            std::printf(
                "FAIL %s: %s output %zu element %lld is %.8g, expected %.8g (max error %.3g)\n",
                name.c_str(), set.c_str(), k, static_cast<long long>(i), a, b, err);
            return 1;
          }
        }
      }
    }
    std::printf("PASS %s (max error %.3g)\n", name.c_str(), max_err);
    return 0;
  } catch (const Error& e) {
    std::printf("FAIL %s: %s\n", name.c_str(), e.what());
    return 1;
  }
}

}  // namespace heatlens::cli
