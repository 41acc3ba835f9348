#include "graph/graph.h"

#include <algorithm>

#include "core/error.h"

namespace heatlens {

int Graph::find_value(const std::string& value_name) const {
  auto it = index_.find(value_name);
  return it == index_.end() ? -1 : it->second;
}

int Graph::require_value(const std::string& value_name) const {
  int id = find_value(value_name);
  HEATLENS_CHECK(id >= 0, "the model has no value named '" << value_name << "'");
  return id;
}

int Graph::add_value(const std::string& value_name) {
  HEATLENS_CHECK(find_value(value_name) < 0, "value '" << value_name << "' is defined twice");
  values.push_back(Value{});
  values.back().name = value_name;
  int id = static_cast<int>(values.size()) - 1;
  index_[value_name] = id;
  return id;
}

int64_t Graph::parameter_count() const {
  int64_t n = 0;
  for (const Value& v : values) {
    if (v.initializer.defined() && v.initializer.dtype() == DType::f32) n += v.initializer.numel();
  }
  return n;
}

void Graph::freeze_input(const std::string& input_name, const Tensor& value) {
  const int id = require_value(input_name);
  auto it = std::find(inputs.begin(), inputs.end(), id);
  HEATLENS_CHECK(it != inputs.end(), "'" << input_name << "' is not a graph input");
  inputs.erase(it);
  Value& v = values[id];
  v.is_graph_input = false;
  v.initializer = value;
  v.declared_dtype = value.dtype();
}

}  // namespace heatlens
