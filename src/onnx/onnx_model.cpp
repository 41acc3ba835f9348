#include "onnx/onnx_model.h"

#include <cstring>

#include "core/error.h"
#include "onnx/wire_reader.h"

namespace heatlens::onnx {

const char* data_type_name(int32_t data_type) {
  static const char* names[] = {"undefined",  "float32", "uint8",  "int8",   "uint16",
                                "int16",      "int32",   "int64",  "string", "bool",
                                "float16",    "float64", "uint32", "uint64", "complex64",
                                "complex128", "bfloat16"};
  if (data_type >= 0 && data_type <= 16) return names[data_type];
  return "unknown";
}

const char* attribute_type_name(int32_t type) {
  static const char* names[] = {"undefined",      "float",      "int",        "string",
                                "tensor",         "graph",      "floats",     "ints",
                                "strings",        "tensors",    "graphs",     "sparse_tensor",
                                "sparse_tensors", "type_proto", "type_protos"};
  if (type >= 0 && type <= 14) return names[type];
  return "unknown";
}

int64_t ModelProto::default_opset() const {
  for (const OperatorSetId& o : opset_imports) {
    if (o.domain.empty() || o.domain == "ai.onnx") return o.version;
  }
  return 0;
}

namespace {

TensorProto read_tensor(WireReader r) {
  TensorProto t;
  while (r.next()) {
    switch (r.field()) {
      case 1:
        r.append_int64s(t.dims);
        break;
      case 2:
        t.data_type = r.int32();
        break;
      case 4:
        r.append_floats(t.float_data);
        break;
      case 5:
        t.has_int32_data = true;
        r.append_int64s(t.int64_data);
        break;
      case 6:
        ++t.string_count;
        r.skip();
        break;
      case 7:
        r.append_int64s(t.int64_data);
        break;
      case 8:
        t.name = r.string();
        break;
      case 9:
        t.raw_data = r.string();
        break;
      case 10:
        r.append_doubles(t.double_data);
        break;
      case 13:  // external_data entries
        t.external = true;
        r.skip();
        break;
      case 14:
        if (r.int32() == 1) t.external = true;
        break;
      default:
        r.skip();
    }
  }
  for (int64_t d : t.dims) {
    if (d < 0) r.error("tensor '" + t.name + "' has a negative dimension");
  }
  return t;
}

Dimension read_dimension(WireReader r) {
  Dimension d;
  while (r.next()) {
    if (r.field() == 1)
      d.value = r.int64();
    else if (r.field() == 2)
      d.param = r.string();
    else
      r.skip();
  }
  return d;
}

void read_tensor_type(WireReader r, ValueInfoProto& v) {
  while (r.next()) {
    if (r.field() == 1) {
      v.elem_type = r.int32();
    } else if (r.field() == 2) {
      v.has_shape = true;
      WireReader shape = r.message("TensorShapeProto");
      while (shape.next()) {
        if (shape.field() == 1)
          v.shape.push_back(read_dimension(shape.message("Dimension")));
        else
          shape.skip();
      }
    } else {
      r.skip();
    }
  }
}

ValueInfoProto read_value_info(WireReader r) {
  ValueInfoProto v;
  while (r.next()) {
    if (r.field() == 1) {
      v.name = r.string();
    } else if (r.field() == 2) {
      WireReader type = r.message("TypeProto");
      while (type.next()) {
        if (type.field() == 1) {
          read_tensor_type(type.message("TypeProto.Tensor"), v);
        } else if (type.field() == 4 || type.field() == 5 || type.field() == 8 ||
                   type.field() == 9) {
          v.is_tensor = false;
          type.skip();
        } else {
          type.skip();
        }
      }
    } else {
      r.skip();
    }
  }
  return v;
}

AttributeProto read_attribute(WireReader r) {
  AttributeProto a;
  while (r.next()) {
    switch (r.field()) {
      case 1:
        a.name = r.string();
        break;
      case 2:
        a.f = r.fixed_float();
        break;
      case 3:
        a.i = r.int64();
        break;
      case 4:
        a.s = r.string();
        break;
      case 5:
        a.t = std::make_shared<TensorProto>(read_tensor(r.message("AttributeProto.t")));
        break;
      case 6:
      case 11:
        ++a.graph_count;
        r.skip();
        break;
      case 7:
        r.append_floats(a.floats);
        break;
      case 8:
        r.append_int64s(a.ints);
        break;
      case 9:
        a.strings.push_back(r.string());
        break;
      case 20:
        a.type = r.int32();
        break;
      case 21:
        a.ref_attr_name = r.string();
        break;
      default:
        r.skip();
    }
  }
  return a;
}

NodeProto read_node(WireReader r) {
  NodeProto n;
  while (r.next()) {
    switch (r.field()) {
      case 1:
        n.inputs.push_back(r.string());
        break;
      case 2:
        n.outputs.push_back(r.string());
        break;
      case 3:
        n.name = r.string();
        break;
      case 4:
        n.op_type = r.string();
        break;
      case 5:
        n.attributes.push_back(read_attribute(r.message("AttributeProto")));
        break;
      case 7:
        n.domain = r.string();
        break;
      default:
        r.skip();
    }
  }
  return n;
}

GraphProto read_graph(WireReader r) {
  GraphProto g;
  while (r.next()) {
    switch (r.field()) {
      case 1:
        if (g.nodes.size() >= kMaxNodes) {
          r.error("more than " + std::to_string(kMaxNodes) + " nodes");
        }
        g.nodes.push_back(read_node(r.message("NodeProto")));
        break;
      case 2:
        g.name = r.string();
        break;
      case 5:
        g.initializers.push_back(read_tensor(r.message("TensorProto")));
        break;
      case 11:
        g.inputs.push_back(read_value_info(r.message("ValueInfoProto")));
        break;
      case 12:
        g.outputs.push_back(read_value_info(r.message("ValueInfoProto")));
        break;
      case 13:
        g.value_info.push_back(read_value_info(r.message("ValueInfoProto")));
        break;
      case 15:
        ++g.sparse_initializer_count;
        r.skip();
        break;
      default:
        r.skip();
    }
  }
  return g;
}

}  // namespace

ModelProto parse_model(const uint8_t* data, size_t size) {
  HEATLENS_CHECK(size <= kMaxModelBytes,
                 "model file of " << size << " bytes exceeds the limit of " << kMaxModelBytes);
  HEATLENS_CHECK(size > 0, "model file is empty");
  ModelProto m;
  WireReader r(data, size, "ModelProto");
  while (r.next()) {
    switch (r.field()) {
      case 1:
        m.ir_version = r.int64();
        break;
      case 2:
        m.producer_name = r.string();
        break;
      case 3:
        m.producer_version = r.string();
        break;
      case 5:
        m.model_version = r.int64();
        break;
      case 6:
        m.doc_string = r.string();
        break;
      case 7:
        m.graph = read_graph(r.message("GraphProto"));
        m.has_graph = true;
        break;
      case 8: {
        OperatorSetId o;
        WireReader s = r.message("OperatorSetIdProto");
        while (s.next()) {
          if (s.field() == 1)
            o.domain = s.string();
          else if (s.field() == 2)
            o.version = s.int64();
          else
            s.skip();
        }
        m.opset_imports.push_back(o);
        break;
      }
      case 14: {
        std::string key, value;
        WireReader s = r.message("StringStringEntryProto");
        while (s.next()) {
          if (s.field() == 1)
            key = s.string();
          else if (s.field() == 2)
            value = s.string();
          else
            s.skip();
        }
        m.metadata_props[key] = value;
        break;
      }
      case 25:
        ++m.function_count;
        r.skip();
        break;
      default:
        r.skip();
    }
  }
  HEATLENS_CHECK(m.has_graph, "not an ONNX model: no graph found (is this an .onnx file?)");
  HEATLENS_CHECK(m.ir_version > 0, "not an ONNX model: no IR version (is this an .onnx file?)");
  return m;
}

TensorProto parse_tensor(const uint8_t* data, size_t size) {
  return read_tensor(WireReader(data, size, "TensorProto"));
}

Tensor to_tensor(const TensorProto& t) {
  const std::string label = "tensor '" + t.name + "'";
  HEATLENS_CHECK(!t.external, label
                                  << " stores its data in an external file, which heatlens "
                                     "does not read; re-export the model with the weights inside");
  Shape shape(t.dims.begin(), t.dims.end());
  const int64_t n = shape_numel(shape);
  const auto type = static_cast<DataType>(t.data_type);
  auto count_check = [&](size_t have, const char* field) {
    HEATLENS_CHECK(static_cast<int64_t>(have) == n, label << " of shape " << shape_str(shape)
                                                          << " has " << have << " values in "
                                                          << field);
  };
  if (type == DataType::float32) {
    Tensor out(shape, DType::f32);
    if (!t.raw_data.empty() || t.float_data.empty()) {
      count_check(t.raw_data.size() / 4, "raw_data");
      HEATLENS_CHECK(t.raw_data.size() % 4 == 0,
                     label << " raw_data is not a whole number of floats");
      if (n) std::memcpy(out.f32(), t.raw_data.data(), t.raw_data.size());
    } else {
      count_check(t.float_data.size(), "float_data");
      std::memcpy(out.f32(), t.float_data.data(), t.float_data.size() * 4);
    }
    return out;
  }
  if (type == DataType::int64 || type == DataType::int32) {
    Tensor out(shape, DType::i64);
    int64_t* dst = n ? out.i64() : nullptr;
    if (!t.raw_data.empty() || t.int64_data.empty()) {
      size_t width = type == DataType::int64 ? 8 : 4;
      HEATLENS_CHECK(t.raw_data.size() % width == 0, label << " raw_data has a partial element");
      count_check(t.raw_data.size() / width, "raw_data");
      for (int64_t i = 0; i < n; ++i) {
        if (width == 8) {
          std::memcpy(&dst[i], t.raw_data.data() + i * 8, 8);
        } else {
          int32_t v;
          std::memcpy(&v, t.raw_data.data() + i * 4, 4);
          dst[i] = v;
        }
      }
    } else {
      count_check(t.int64_data.size(), type == DataType::int64 ? "int64_data" : "int32_data");
      for (int64_t i = 0; i < n; ++i) {
        dst[i] = type == DataType::int32 ? static_cast<int32_t>(t.int64_data[i]) : t.int64_data[i];
      }
    }
    return out;
  }
  fail(label + " has dtype " + data_type_name(t.data_type) +
       ", which heatlens does not support (float32, int64 and int32 only)");
}

}  // namespace heatlens::onnx
