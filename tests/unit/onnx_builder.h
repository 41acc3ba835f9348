// OnnxBuilder: writes small ONNX models in the protobuf wire format, so unit tests can build
// single-operator models (any attributes, initializers, shapes) without Python.
//
//   OnnxBuilder b(13);
//   b.input("x", {1, 3, 8, 8});
//   b.initializer("w", Tensor::from_f32({4, 3, 3, 3}, w));
//   b.node("Conv", {"x", "w"}, {"y"}, {OnnxBuilder::ints("pads", {1, 1, 1, 1})});
//   b.output("y");
//   Engine e = Engine::load_bytes(b.bytes().data(), b.bytes().size());
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace heatlens::test {

class Wire {
 public:
  void varint(uint64_t v) {
    while (v >= 0x80) {
      out.push_back(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<uint8_t>(v));
  }
  void key(uint32_t field, uint32_t type) { varint((static_cast<uint64_t>(field) << 3) | type); }
  void int_field(uint32_t field, int64_t v) {
    key(field, 0);
    varint(static_cast<uint64_t>(v));
  }
  void float_field(uint32_t field, float v) {
    key(field, 5);
    uint8_t b[4];
    std::memcpy(b, &v, 4);
    out.insert(out.end(), b, b + 4);
  }
  void bytes_field(uint32_t field, const std::string& s) {
    key(field, 2);
    varint(s.size());
    out.insert(out.end(), s.begin(), s.end());
  }
  void message(uint32_t field, const Wire& m) {
    bytes_field(field, std::string(m.out.begin(), m.out.end()));
  }
  std::vector<uint8_t> out;
};

inline Wire tensor_proto(const std::string& name, const Tensor& t) {
  Wire w;
  for (int64_t d : t.shape()) w.int_field(1, d);
  w.int_field(2, t.dtype() == DType::f32 ? 1 : 7);
  w.bytes_field(8, name);
  const char* p = t.dtype() == DType::f32 ? reinterpret_cast<const char*>(t.f32())
                                          : reinterpret_cast<const char*>(t.i64());
  w.bytes_field(9, std::string(p, t.nbytes()));
  return w;
}

class OnnxBuilder {
 public:
  struct Attr {
    Wire wire;
  };
  static Attr int_attr(const std::string& name, int64_t v) {
    Attr a;
    a.wire.bytes_field(1, name);
    a.wire.int_field(20, 2);
    a.wire.int_field(3, v);
    return a;
  }
  static Attr float_attr(const std::string& name, float v) {
    Attr a;
    a.wire.bytes_field(1, name);
    a.wire.int_field(20, 1);
    a.wire.float_field(2, v);
    return a;
  }
  static Attr string_attr(const std::string& name, const std::string& v) {
    Attr a;
    a.wire.bytes_field(1, name);
    a.wire.int_field(20, 3);
    a.wire.bytes_field(4, v);
    return a;
  }
  static Attr ints(const std::string& name, const std::vector<int64_t>& v) {
    Attr a;
    a.wire.bytes_field(1, name);
    a.wire.int_field(20, 7);
    for (int64_t x : v) a.wire.int_field(8, x);
    return a;
  }
  static Attr floats(const std::string& name, const std::vector<float>& v) {
    Attr a;
    a.wire.bytes_field(1, name);
    a.wire.int_field(20, 6);
    for (float x : v) a.wire.float_field(7, x);
    return a;
  }

  explicit OnnxBuilder(int64_t opset = 13) : opset_(opset) {}

  // dims < 0 are symbolic ("batch").
  void input(const std::string& name, const std::vector<int64_t>& dims, int elem_type = 1) {
    graph_.message(11, value_info(name, dims, elem_type));
  }
  void output(const std::string& name) {
    Wire v;
    v.bytes_field(1, name);
    graph_.message(12, v);
  }
  void initializer(const std::string& name, const Tensor& t) {
    graph_.message(5, tensor_proto(name, t));
  }
  void node(const std::string& op, const std::vector<std::string>& inputs,
            const std::vector<std::string>& outputs, const std::vector<Attr>& attrs = {},
            const std::string& name = "") {
    Wire n;
    for (const auto& i : inputs) n.bytes_field(1, i);
    for (const auto& o : outputs) n.bytes_field(2, o);
    n.bytes_field(3, name.empty() ? op + "_" + std::to_string(++count_) : name);
    n.bytes_field(4, op);
    for (const Attr& a : attrs) n.message(5, a.wire);
    graph_.message(1, n);
  }

  std::vector<uint8_t> bytes() const {
    Wire m;
    m.int_field(1, 8);
    m.bytes_field(2, "heatlens-tests");
    Wire g = graph_;
    g.bytes_field(2, "test_graph");
    m.message(7, g);
    Wire o;
    o.bytes_field(1, "");
    o.int_field(2, opset_);
    m.message(8, o);
    return m.out;
  }

 private:
  static Wire value_info(const std::string& name, const std::vector<int64_t>& dims, int elem_type) {
    Wire shape;
    for (int64_t d : dims) {
      Wire dim;
      if (d >= 0)
        dim.int_field(1, d);
      else
        dim.bytes_field(2, "batch");
      shape.message(1, dim);
    }
    Wire tensor_type;
    tensor_type.int_field(1, elem_type);
    tensor_type.message(2, shape);
    Wire type;
    type.message(1, tensor_type);
    Wire v;
    v.bytes_field(1, name);
    v.message(2, type);
    return v;
  }

  int64_t opset_;
  Wire graph_;
  int count_ = 0;
};

}  // namespace heatlens::test
