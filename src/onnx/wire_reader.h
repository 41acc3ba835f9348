// WireReader: a bounds-checked reader of the protobuf wire format (varints, fixed32/64,
// length-delimited fields). It never reads past its buffer: truncated or garbage input is
// an Error that says what was being read and at which offset.
//
//   WireReader r(bytes, size, "ModelProto");
//   while (r.next()) {
//     if (r.field() == 7 && r.wire_type() == WireType::length_delimited) parse_graph(r.message());
//     else r.skip();
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace heatlens::onnx {

enum class WireType : uint8_t { varint = 0, fixed64 = 1, length_delimited = 2, fixed32 = 5 };

// Deepest message nesting accepted (a graph attribute inside a node inside a graph ...).
constexpr int kMaxNesting = 32;

class WireReader {
 public:
  WireReader(const uint8_t* data, size_t size, std::string what, int depth = 0, size_t base = 0);

  // Advances to the next field; false at the end of the message.
  bool next();
  uint32_t field() const { return field_; }
  WireType wire_type() const { return wire_type_; }

  uint64_t varint();
  int64_t int64() { return static_cast<int64_t>(varint()); }
  int32_t int32() { return static_cast<int32_t>(varint()); }
  float fixed_float();
  double fixed_double();
  std::string string();
  // The bytes of a length-delimited field, without copying.
  std::pair<const uint8_t*, size_t> bytes();
  // A reader over an embedded message; `what` names it in errors.
  WireReader message(const std::string& what);
  // Skips the current field's value whatever its type.
  void skip();

  // Repeated scalars arrive packed (one length-delimited field) or one per field; these
  // append either form.
  void append_int64s(std::vector<int64_t>& out);
  void append_floats(std::vector<float>& out);
  void append_doubles(std::vector<double>& out);

  [[noreturn]] void error(const std::string& message) const;

 private:
  uint64_t raw_varint();
  void need(size_t n, const char* what) const;
  void expect(WireType type, const char* what) const;

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  std::string what_;
  int depth_;
  size_t base_;  // offset of data_ in the whole file, for messages
  uint32_t field_ = 0;
  WireType wire_type_ = WireType::varint;
};

}  // namespace heatlens::onnx
