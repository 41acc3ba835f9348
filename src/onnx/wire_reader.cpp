#include "onnx/wire_reader.h"

#include <cstring>

#include "core/error.h"

namespace heatlens::onnx {

WireReader::WireReader(const uint8_t* data, size_t size, std::string what, int depth, size_t base)
    : data_(data), size_(size), what_(std::move(what)), depth_(depth), base_(base) {
  if (depth_ > kMaxNesting) error("messages nested deeper than " + std::to_string(kMaxNesting));
}

void WireReader::error(const std::string& message) const {
  fail("malformed ONNX file: " + message + " (in " + what_ + " at byte " +
       std::to_string(base_ + pos_) + ")");
}

void WireReader::need(size_t n, const char* what) const {
  if (n > size_ - pos_) error(std::string("truncated ") + what);
}

void WireReader::expect(WireType type, const char* what) const {
  if (wire_type_ != type) {
    error("field " + std::to_string(field_) + " should be " + what + " but has wire type " +
          std::to_string(static_cast<int>(wire_type_)));
  }
}

uint64_t WireReader::raw_varint() {
  uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    need(1, "varint");
    uint8_t b = data_[pos_++];
    value |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return value;
  }
  error("varint longer than 10 bytes");
}

bool WireReader::next() {
  if (pos_ >= size_) return false;
  uint64_t key = raw_varint();
  uint64_t type = key & 7;
  if (type != 0 && type != 1 && type != 2 && type != 5) {
    error("unsupported wire type " + std::to_string(type));
  }
  if ((key >> 3) == 0 || (key >> 3) > 0x1fffffff) error("invalid field number");
  field_ = static_cast<uint32_t>(key >> 3);
  wire_type_ = static_cast<WireType>(type);
  return true;
}

uint64_t WireReader::varint() {
  expect(WireType::varint, "a varint");
  return raw_varint();
}

float WireReader::fixed_float() {
  expect(WireType::fixed32, "a float");
  need(4, "float");
  float v;
  std::memcpy(&v, data_ + pos_, 4);
  pos_ += 4;
  return v;
}

double WireReader::fixed_double() {
  expect(WireType::fixed64, "a double");
  need(8, "double");
  double v;
  std::memcpy(&v, data_ + pos_, 8);
  pos_ += 8;
  return v;
}

std::pair<const uint8_t*, size_t> WireReader::bytes() {
  expect(WireType::length_delimited, "length-delimited");
  uint64_t n = raw_varint();
  if (n > size_ - pos_)
    error("field " + std::to_string(field_) + " claims " + std::to_string(n) + " bytes but only " +
          std::to_string(size_ - pos_) + " remain");
  const uint8_t* p = data_ + pos_;
  pos_ += static_cast<size_t>(n);
  return {p, static_cast<size_t>(n)};
}

std::string WireReader::string() {
  auto [p, n] = bytes();
  return std::string(reinterpret_cast<const char*>(p), n);
}

WireReader WireReader::message(const std::string& what) {
  auto [p, n] = bytes();
  return WireReader(p, n, what, depth_ + 1, base_ + static_cast<size_t>(p - data_));
}

void WireReader::skip() {
  switch (wire_type_) {
    case WireType::varint:
      raw_varint();
      break;
    case WireType::fixed64:
      need(8, "fixed64");
      pos_ += 8;
      break;
    case WireType::fixed32:
      need(4, "fixed32");
      pos_ += 4;
      break;
    case WireType::length_delimited:
      bytes();
      break;
  }
}

void WireReader::append_int64s(std::vector<int64_t>& out) {
  if (wire_type_ == WireType::length_delimited) {
    auto [p, n] = bytes();
    WireReader packed(p, n, what_ + " packed ints", depth_ + 1,
                      base_ + static_cast<size_t>(p - data_));
    while (packed.pos_ < packed.size_) out.push_back(static_cast<int64_t>(packed.raw_varint()));
  } else {
    out.push_back(int64());
  }
}

void WireReader::append_floats(std::vector<float>& out) {
  if (wire_type_ == WireType::length_delimited) {
    auto [p, n] = bytes();
    if (n % 4) error("packed floats of " + std::to_string(n) + " bytes");
    size_t old = out.size();
    out.resize(old + n / 4);
    std::memcpy(out.data() + old, p, n);
  } else {
    out.push_back(fixed_float());
  }
}

void WireReader::append_doubles(std::vector<double>& out) {
  if (wire_type_ == WireType::length_delimited) {
    auto [p, n] = bytes();
    if (n % 8) error("packed doubles of " + std::to_string(n) + " bytes");
    size_t old = out.size();
    out.resize(old + n / 8);
    std::memcpy(out.data() + old, p, n);
  } else {
    out.push_back(fixed_double());
  }
}

}  // namespace heatlens::onnx
