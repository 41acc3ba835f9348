// NumPy .npy files: the exact-tensor format of the CLI (inputs, relevance maps, baselines).
//
// Reads float32 and int64 arrays (little-endian, C order; float64 is converted to float32),
// writes float32. Malformed headers, Fortran order or other dtypes are Errors that say so.
//
//   Tensor x = read_npy("input.npy");
//   write_npy("relevance.npy", r);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace heatlens {

Tensor parse_npy(const uint8_t* data, size_t size, const std::string& what = "npy data");
Tensor read_npy(const std::string& path);
std::vector<uint8_t> encode_npy(const Tensor& t);
void write_npy(const std::string& path, const Tensor& t);

// Writes bytes to a file; throws naming the path on failure.
void write_file(const std::string& path, const std::vector<uint8_t>& bytes);

}  // namespace heatlens
