// Batched scoring of perturbed inputs: one engine run per batch, progress per batch.
#include "core/error.h"
#include "explain/perturbation/perturbation.h"

namespace heatlens {

BatchScorer::BatchScorer(ExplainModel& model, const Tensor& x, int64_t batch_size,
                         Progress& progress)
    : model_(model), example_shape_(x.shape()), batch_size_(batch_size), progress_(progress) {
  HEATLENS_CHECK(batch_size >= 1, "batch-size must be at least 1");
}

std::vector<std::vector<float>> BatchScorer::logits(int64_t count, const Build& build) {
  std::vector<std::vector<float>> rows;
  rows.reserve(count);
  const int64_t per = shape_numel(example_shape_);
  for (int64_t start = 0; start < count; start += batch_size_) {
    progress_.check_cancel();
    const int64_t b = std::min(batch_size_, count - start);
    Shape s = example_shape_;
    s[0] = b;
    Tensor batch(s);
    for (int64_t j = 0; j < b; ++j) build(start + j, batch.f32() + j * per);
    const Tensor l = model_.logits(batch);
    const int64_t classes = l.dim(1);
    for (int64_t j = 0; j < b; ++j)
      rows.emplace_back(l.f32() + j * classes, l.f32() + (j + 1) * classes);
    progress_.step(b);
  }
  return rows;
}

std::vector<double> BatchScorer::scores(int64_t count, const Target& t, const Build& build) {
  std::vector<double> out;
  out.reserve(count);
  for (const auto& row : logits(count, build))
    out.push_back(ExplainModel::score(row.data(), static_cast<int64_t>(row.size()), t));
  return out;
}

namespace {

DeviceBatchesFactory& device_factory() {
  static DeviceBatchesFactory factory = nullptr;
  return factory;
}

}  // namespace

void set_device_batches(DeviceBatchesFactory factory) {
  device_factory() = factory;
}

std::unique_ptr<DeviceBatches> device_batches(ExplainModel& m, const Tensor& x, const Tensor& r) {
  if (!device_factory() || !m.has_engine() || !m.engine().backend() || !m.batchable())
    return nullptr;
  return device_factory()(m.engine(), m.head(), x, r);
}

}  // namespace heatlens
