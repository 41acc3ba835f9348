#include "core/tensor.h"

#include <cstdlib>
#include <cstring>
#include <limits>

#include "core/error.h"

namespace heatlens {

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return "float32";
    case DType::i64:
      return "int64";
  }
  return "unknown";
}

size_t dtype_size(DType dtype) {
  return dtype == DType::f32 ? 4 : 8;
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    HEATLENS_CHECK(d >= 0, "negative dimension in shape " << shape_str(shape));
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d / 8) {
      fail("shape " + shape_str(shape) + " is too large");
    }
    n *= d;
  }
  return n;
}

std::string shape_str(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

namespace {

std::shared_ptr<void> allocate(int64_t bytes, bool zeroed) {
  HEATLENS_CHECK(bytes <= kMaxTensorBytes, "tensor of " << bytes << " bytes exceeds the limit of "
                                                        << kMaxTensorBytes << " bytes");
  // aligned_alloc needs a size that is a multiple of the alignment, and a non-zero one.
  size_t rounded = static_cast<size_t>((bytes + 63) / 64 * 64);
  if (rounded == 0) rounded = 64;
  void* p = std::aligned_alloc(64, rounded);
  HEATLENS_CHECK(p != nullptr, "out of memory allocating a tensor of " << bytes << " bytes");
  if (zeroed) std::memset(p, 0, rounded);
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}

}  // namespace

Tensor::Tensor(Shape shape, DType dtype) : shape_(std::move(shape)), dtype_(dtype) {
  numel_ = shape_numel(shape_);
  storage_ = allocate(numel_ * static_cast<int64_t>(dtype_size(dtype_)), true);
}

Tensor Tensor::uninitialized(Shape shape, DType dtype) {
  Tensor t;
  t.shape_ = std::move(shape);
  t.dtype_ = dtype;
  t.numel_ = shape_numel(t.shape_);
  t.storage_ = allocate(t.numel_ * static_cast<int64_t>(dtype_size(dtype)), false);
  return t;
}

Tensor Tensor::from_f32(Shape shape, const std::vector<float>& values) {
  Tensor t(std::move(shape), DType::f32);
  HEATLENS_CHECK(static_cast<int64_t>(values.size()) == t.numel(),
                 values.size() << " values do not fill shape " << shape_str(t.shape()));
  if (!values.empty()) std::memcpy(t.f32(), values.data(), values.size() * sizeof(float));
  return t;
}

Tensor Tensor::from_i64(Shape shape, const std::vector<int64_t>& values) {
  Tensor t(std::move(shape), DType::i64);
  HEATLENS_CHECK(static_cast<int64_t>(values.size()) == t.numel(),
                 values.size() << " values do not fill shape " << shape_str(t.shape()));
  if (!values.empty()) std::memcpy(t.i64(), values.data(), values.size() * sizeof(int64_t));
  return t;
}

int64_t Tensor::dim(int axis) const {
  int r = rank();
  int a = axis < 0 ? axis + r : axis;
  HEATLENS_CHECK(a >= 0 && a < r,
                 "axis " << axis << " out of range for shape " << shape_str(shape_));
  return shape_[static_cast<size_t>(a)];
}

void Tensor::wrong_dtype(DType wanted) const {
  fail(std::string("expected a ") + dtype_name(wanted) + " tensor, got " +
       (defined() ? dtype_name(dtype_) : "none"));
}

Tensor Tensor::reshaped(Shape shape) const {
  int64_t n = shape_numel(shape);
  HEATLENS_CHECK(n == numel_, "cannot reshape " << shape_str(shape_) << " to " << shape_str(shape));
  Tensor view = *this;
  view.shape_ = std::move(shape);
  return view;
}

Tensor Tensor::view(int64_t offset, Shape shape) const {
  const int64_t n = shape_numel(shape);
  HEATLENS_CHECK(
      defined() && offset >= 0 && offset + n <= numel_,
      "no view of " << shape_str(shape) << " at element " << offset << " of " << shape_str(shape_));
  Tensor v = *this;
  // Aliasing: v owns the whole storage and points into it.
  v.storage_ =
      std::shared_ptr<void>(storage_, static_cast<char*>(storage_.get()) +
                                          offset * static_cast<int64_t>(dtype_size(dtype_)));
  v.shape_ = std::move(shape);
  v.numel_ = n;
  return v;
}

Tensor Tensor::clone() const {
  if (!defined()) return Tensor();
  Tensor copy = uninitialized(shape_, dtype_);  // every byte is copied over
  if (nbytes()) std::memcpy(copy.storage_.get(), storage_.get(), nbytes());
  return copy;
}

std::vector<float> Tensor::to_f32_vector() const {
  const float* p = f32();
  return std::vector<float>(p, p + numel_);
}

std::vector<int64_t> Tensor::to_i64_vector() const {
  const int64_t* p = i64();
  return std::vector<int64_t>(p, p + numel_);
}

Tensor Tensor::as_f32() const {
  if (dtype_ == DType::f32) return *this;
  Tensor out(shape_, DType::f32);
  const int64_t* src = i64();
  float* dst = out.f32();
  for (int64_t i = 0; i < numel_; ++i) dst[i] = static_cast<float>(src[i]);
  return out;
}

}  // namespace heatlens
