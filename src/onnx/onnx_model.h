// The parts of ONNX's protobuf messages heatlens reads, decoded from the wire format.
//
// Field numbers follow onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto,
// TensorProto, ValueInfoProto). Unknown fields are skipped, as protobuf requires; things we
// cannot honour (external data, sparse initializers, unsupported dtypes) are Errors that name
// the tensor or node.
//
//   onnx::ModelProto m = onnx::parse_model(bytes.data(), bytes.size());
//   for (const onnx::NodeProto& n : m.graph.nodes) std::puts(n.op_type.c_str());
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace heatlens::onnx {

// TensorProto.DataType values.
enum class DataType : int32_t {
  undefined = 0,
  float32 = 1,
  uint8 = 2,
  int8 = 3,
  uint16 = 4,
  int16 = 5,
  int32 = 6,
  int64 = 7,
  string = 8,
  boolean = 9,
  float16 = 10,
  float64 = 11,
  uint32 = 12,
  uint64 = 13,
  complex64 = 14,
  complex128 = 15,
  bfloat16 = 16,
};
const char* data_type_name(int32_t data_type);

// Limits that keep a hostile or broken file from exhausting memory.
constexpr size_t kMaxModelBytes = size_t{2} << 30;
constexpr size_t kMaxNodes = 200000;

struct TensorProto {
  std::string name;
  std::vector<int64_t> dims;
  int32_t data_type = 0;
  // Exactly one of these carries the values (raw_data is the common case).
  std::string raw_data;
  std::vector<float> float_data;
  std::vector<int64_t> int64_data;  // also holds int32_data and other varint-coded types
  std::vector<double> double_data;
  bool has_int32_data = false;
  bool external = false;
  size_t string_count = 0;
};

// Converts to a heatlens Tensor: float32 stays float32; int64 and int32 become int64.
// Other dtypes are an Error naming the tensor and its dtype.
Tensor to_tensor(const TensorProto& t);

struct GraphProto;

struct AttributeProto {
  enum Type : int32_t {
    undefined = 0,
    kFloat = 1,
    kInt = 2,
    kString = 3,
    kTensor = 4,
    kGraph = 5,
    kFloats = 6,
    kInts = 7,
    kStrings = 8,
    kTensors = 9,
    kGraphs = 10,
    kSparseTensor = 11,
    kSparseTensors = 12,
    kTypeProto = 13,
    kTypeProtos = 14,
  };
  std::string name;
  int32_t type = undefined;
  float f = 0;
  int64_t i = 0;
  std::string s;
  std::shared_ptr<TensorProto> t;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  size_t graph_count = 0;  // subgraphs are recognised (to refuse them), not decoded
  std::string ref_attr_name;
};
const char* attribute_type_name(int32_t type);

struct Dimension {
  int64_t value = -1;  // -1 when symbolic or unknown
  std::string param;   // e.g. "batch_size"
};

struct ValueInfoProto {
  std::string name;
  int32_t elem_type = 0;
  bool has_shape = false;
  std::vector<Dimension> shape;
  bool is_tensor = true;  // false for sequence/map/optional types
};

struct NodeProto {
  std::string name;
  std::string op_type;
  std::string domain;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::vector<AttributeProto> attributes;
};

struct GraphProto {
  std::string name;
  std::vector<NodeProto> nodes;
  std::vector<TensorProto> initializers;
  std::vector<ValueInfoProto> inputs;
  std::vector<ValueInfoProto> outputs;
  std::vector<ValueInfoProto> value_info;
  size_t sparse_initializer_count = 0;
};

struct OperatorSetId {
  std::string domain;  // "" or "ai.onnx" for the default domain
  int64_t version = 0;
};

struct ModelProto {
  int64_t ir_version = 0;
  std::vector<OperatorSetId> opset_imports;
  std::string producer_name;
  std::string producer_version;
  int64_t model_version = 0;
  std::string doc_string;
  GraphProto graph;
  bool has_graph = false;
  std::map<std::string, std::string> metadata_props;
  size_t function_count = 0;

  // Opset of the default ONNX domain (0 when none is imported).
  int64_t default_opset() const;
};

ModelProto parse_model(const uint8_t* data, size_t size);
// A standalone TensorProto, as in the ONNX node tests' input_*.pb / output_*.pb files.
TensorProto parse_tensor(const uint8_t* data, size_t size);

}  // namespace heatlens::onnx
