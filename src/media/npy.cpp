#include "media/npy.h"

#include <cstdio>
#include <cstring>

#include "core/error.h"
#include "engine/engine.h"

namespace heatlens {

namespace {

// Value of `key` in the header dict, e.g. 'descr': '<f4' → "'<f4'".
std::string header_field(const std::string& header, const std::string& key,
                         const std::string& what) {
  size_t k = header.find("'" + key + "'");
  HEATLENS_CHECK(k != std::string::npos, what << ": .npy header has no '" << key << "'");
  size_t colon = header.find(':', k);
  HEATLENS_CHECK(colon != std::string::npos, what << ": malformed .npy header");
  size_t start = header.find_first_not_of(' ', colon + 1);
  HEATLENS_CHECK(start != std::string::npos, what << ": malformed .npy header");
  size_t end;
  if (header[start] == '(')
    end = header.find(')', start) + 1;
  else
    end = header.find_first_of(",}", start);
  HEATLENS_CHECK(end != std::string::npos && end > start, what << ": malformed .npy header");
  return header.substr(start, end - start);
}

}  // namespace

Tensor parse_npy(const uint8_t* data, size_t size, const std::string& what) {
  HEATLENS_CHECK(size >= 10 && std::memcmp(data, "\x93NUMPY", 6) == 0,
                 what << " is not a .npy file");
  const int major = data[6];
  size_t header_len, offset;
  if (major == 1) {
    header_len = data[8] | (data[9] << 8);
    offset = 10;
  } else {
    HEATLENS_CHECK(size >= 12, what << ": truncated .npy header");
    header_len =
        data[8] | (data[9] << 8) | (data[10] << 16) | (static_cast<size_t>(data[11]) << 24);
    offset = 12;
  }
  HEATLENS_CHECK(header_len <= size - offset, what << ": truncated .npy header");
  const std::string header(reinterpret_cast<const char*>(data + offset), header_len);
  offset += header_len;
  const std::string descr = header_field(header, "descr", what);
  const std::string order = header_field(header, "fortran_order", what);
  HEATLENS_CHECK(order == "False", what << ": Fortran-ordered arrays are not supported");
  Shape shape;
  const std::string dims = header_field(header, "shape", what);
  for (size_t i = 1; i < dims.size();) {
    size_t j = dims.find_first_of(",)", i);
    std::string tok = dims.substr(i, j - i);
    tok.erase(0, tok.find_first_not_of(' '));
    if (!tok.empty()) {
      HEATLENS_CHECK(tok.find_first_not_of("0123456789") == std::string::npos,
                     what << ": bad dimension '" << tok << "' in .npy shape");
      HEATLENS_CHECK(tok.size() < 12, what << ": dimension too large in .npy shape");
      shape.push_back(std::stoll(tok));
    }
    if (j == std::string::npos) break;
    i = j + 1;
  }
  const int64_t n = shape_numel(shape);
  const size_t avail = size - offset;
  auto need = [&](size_t width) {
    HEATLENS_CHECK(avail >= static_cast<size_t>(n) * width, what << ": .npy data is truncated ("
                                                                 << avail << " bytes for " << n
                                                                 << " values)");
  };
  if (descr == "'<f4'") {
    need(4);
    Tensor t(shape);
    if (n) std::memcpy(t.f32(), data + offset, n * 4);
    return t;
  }
  if (descr == "'<f8'") {
    need(8);
    Tensor t(shape);
    for (int64_t i = 0; i < n; ++i) {
      double v;
      std::memcpy(&v, data + offset + i * 8, 8);
      t.f32()[i] = static_cast<float>(v);
    }
    return t;
  }
  if (descr == "'<i8'") {
    need(8);
    Tensor t(shape, DType::i64);
    if (n) std::memcpy(t.i64(), data + offset, n * 8);
    return t;
  }
  if (descr == "'<i4'") {  // segment maps from NumPy/scikit-image are often int32
    need(4);
    Tensor t(shape, DType::i64);
    for (int64_t i = 0; i < n; ++i) {
      int32_t v;
      std::memcpy(&v, data + offset + i * 4, 4);
      t.i64()[i] = v;
    }
    return t;
  }
  fail(what + ": .npy dtype " + descr + " is not supported (float32, float64, int32 or int64)");
}

Tensor read_npy(const std::string& path) {
  std::vector<uint8_t> bytes = read_file(path, size_t{2} << 30);
  return parse_npy(bytes.data(), bytes.size(), "'" + path + "'");
}

std::vector<uint8_t> encode_npy(const Tensor& t) {
  std::string dims = "(";
  for (int64_t d : t.shape()) dims += std::to_string(d) + ", ";
  if (t.rank() > 1)
    dims.erase(dims.size() - 2);
  else if (t.rank() == 1)
    dims.erase(dims.size() - 1);
  dims += ")";
  const char* descr = t.dtype() == DType::f32 ? "<f4" : "<i8";
  std::string header =
      std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + dims + ", }";
  // Pad so that the data starts at a multiple of 64 bytes, ending the header with '\n'.
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  // Sized once and filled with memcpy (GCC 12 misreads growing inserts as out of bounds).
  std::vector<uint8_t> out(10 + header.size() + t.nbytes());
  const uint8_t magic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  std::memcpy(out.data(), magic, 8);
  out[8] = static_cast<uint8_t>(header.size() & 0xff);
  out[9] = static_cast<uint8_t>(header.size() >> 8);
  std::memcpy(out.data() + 10, header.data(), header.size());
  if (t.nbytes()) {
    const void* p = t.dtype() == DType::f32 ? static_cast<const void*>(t.f32())
                                            : static_cast<const void*>(t.i64());
    std::memcpy(out.data() + 10 + header.size(), p, t.nbytes());
  }
  return out;
}

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  HEATLENS_CHECK(f != nullptr, "cannot write '" << path << "'");
  size_t n = bytes.empty() ? 0 : std::fwrite(bytes.data(), 1, bytes.size(), f);
  bool ok = n == bytes.size() && std::fclose(f) == 0;
  HEATLENS_CHECK(ok, "error writing '" << path << "'");
}

void write_npy(const std::string& path, const Tensor& t) {
  write_file(path, encode_npy(t));
}

}  // namespace heatlens
