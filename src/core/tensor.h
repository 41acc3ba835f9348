// Tensor: a contiguous, row-major (NCHW for images) array of float32 or int64.
//
// Storage is reference counted and 64-byte aligned (for SIMD kernels); copying a Tensor is
// cheap and shares the data; `clone()` makes a deep copy. `reshaped()` is a view with a new
// shape over the same data.
//
//   heatlens::Tensor x({1, 3, 32, 32});          // zero-filled float32
//   x.f32()[0] = 1.0f;
//   heatlens::Tensor flat = x.reshaped({1, 3072}); // shares x's data
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace heatlens {

enum class DType : uint8_t { f32, i64 };

const char* dtype_name(DType dtype);
size_t dtype_size(DType dtype);

using Shape = std::vector<int64_t>;

// Number of elements; throws on negative dimensions or overflow past the tensor size limit.
int64_t shape_numel(const Shape& shape);
// "[1, 3, 32, 32]"
std::string shape_str(const Shape& shape);

// Largest tensor the engine will allocate (bytes); larger requests are an Error, not a crash.
constexpr int64_t kMaxTensorBytes = int64_t{2} << 30;

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(Shape shape, DType dtype = DType::f32);  // zero-filled

  // Not filled: for kernels that write every element (saves a pass over memory).
  static Tensor uninitialized(Shape shape, DType dtype = DType::f32);
  static Tensor from_f32(Shape shape, const std::vector<float>& values);
  static Tensor from_i64(Shape shape, const std::vector<int64_t>& values);
  static Tensor scalar(float value) { return from_f32({}, {value}); }

  bool defined() const { return storage_ != nullptr; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  // Dimension `axis`; negative axes count from the end.
  int64_t dim(int axis) const;
  int64_t numel() const { return numel_; }
  size_t nbytes() const { return static_cast<size_t>(numel_) * dtype_size(dtype_); }

  // Typed access; throws when the dtype does not match. Inline: kernels call these in loops.
  float* f32() {
    if (dtype_ != DType::f32 || !storage_) wrong_dtype(DType::f32);
    return static_cast<float*>(storage_.get());
  }
  const float* f32() const { return const_cast<Tensor*>(this)->f32(); }
  int64_t* i64() {
    if (dtype_ != DType::i64 || !storage_) wrong_dtype(DType::i64);
    return static_cast<int64_t*>(storage_.get());
  }
  const int64_t* i64() const { return const_cast<Tensor*>(this)->i64(); }

  // A view with another shape of the same number of elements (shares storage).
  Tensor reshaped(Shape shape) const;
  // A view of `shape` over this tensor's elements from `offset` on (shares storage).
  Tensor view(int64_t offset, Shape shape) const;
  // A deep copy.
  Tensor clone() const;
  // Values as a vector (for tests and small tensors).
  std::vector<float> to_f32_vector() const;
  std::vector<int64_t> to_i64_vector() const;
  // Float copy of an i64 tensor or the tensor itself when already f32.
  Tensor as_f32() const;

 private:
  [[noreturn]] void wrong_dtype(DType wanted) const;

  Shape shape_;
  DType dtype_ = DType::f32;
  int64_t numel_ = 0;
  std::shared_ptr<void> storage_;
};

}  // namespace heatlens
