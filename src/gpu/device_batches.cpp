#include "gpu/device_batches.h"

#include "gpu/webgpu_backend.h"

namespace heatlens::gpu {

namespace {

class WebGpuBatches : public DeviceBatches {
 public:
  WebGpuBatches(Engine& engine, WebGpuBackend& backend, const OutputHead& head, const Tensor& x,
                const Tensor& r)
      : engine_(engine), backend_(backend), head_(head), example_(x.shape()), c_(Context::get()) {
    x_ = c_.upload(x);
    if (r.defined()) r_ = c_.upload(r);
  }

  Tensor rise(const std::vector<float>& grids, int64_t n, const RiseGeometry& geo) override {
    HEATLENS_CHECK(r_.defined(), "RISE on the GPU needs the replacement tensor");
    const int64_t e = shape_numel(example_);
    HEATLENS_CHECK(static_cast<int64_t>(grids.size()) == n * (geo.gh * geo.gw + 2),
                   "RISE on the GPU: " << grids.size() << " grid values for " << n << " masks");
    Tensor host_grids({static_cast<int64_t>(grids.size())});
    std::copy(grids.begin(), grids.end(), host_grids.f32());
    const DeviceTensor g = c_.upload(host_grids);
    const DeviceTensor inputs = c_.alloc(batch_shape(n));
    masks_ = c_.alloc({n, geo.h * geo.w});
    Params p;
    p.i(n * e).i(e).i(geo.h).i(geo.w).i(geo.gh).i(geo.gw).i(geo.uh).i(geo.uw);
    c_.dispatch({"rise_masks", "rise", ""}, {&x_, &r_, &g, &inputs, &masks_}, p,
                Context::groups_1d(n * e));
    plane_ = geo.h * geo.w;
    return logits(inputs);
  }

  void accumulate(const std::vector<float>& weights) override {
    HEATLENS_CHECK(masks_.defined() && static_cast<int64_t>(weights.size()) == masks_.shape[0],
                   "RISE on the GPU: weights for " << weights.size() << " masks");
    if (!sums_.defined()) sums_ = c_.upload(Tensor({2 * plane_}));
    Tensor w({static_cast<int64_t>(weights.size())});
    std::copy(weights.begin(), weights.end(), w.f32());
    const DeviceTensor dw = c_.upload(w);
    c_.dispatch({"mask_sums", "accumulate", ""}, {&masks_, &dw, &sums_},
                Params().i(plane_).i(masks_.shape[0]), Context::groups_1d(plane_));
  }

  std::vector<float> sums() override {
    if (!sums_.defined()) return std::vector<float>(2 * plane_, 0.0f);
    const Tensor t = c_.download(sums_);
    return std::vector<float>(t.f32(), t.f32() + t.numel());
  }

  Tensor occlusion(int64_t first, int64_t n, const Windows& win) override {
    const int64_t e = shape_numel(example_);
    const DeviceTensor inputs = c_.alloc(batch_shape(n));
    Params p;
    p.i(n * e).i(e).i(win.h).i(win.w).i(win.kh).i(win.kw).i(win.sh).i(win.sw).i(win.nx);
    p.i(first).f(win.baseline);
    c_.dispatch({"occlusion", "occlude", ""}, {&x_, &inputs}, p, Context::groups_1d(n * e));
    return logits(inputs);
  }

 private:
  Shape batch_shape(int64_t n) const {
    Shape s = example_;
    s[0] = n;
    return s;
  }

  // The model's logits for a batch already on the device (ExplainModel::logits on the host).
  Tensor logits(const DeviceTensor& batch) {
    ForwardOptions options;
    if (!head_.final_activation.empty()) options.capture.push_back(head_.logits);
    const ForwardResult r =
        backend_.forward(engine_, engine_.plan({batch.shape}, {DType::f32}), {batch}, options);
    Tensor l = head_.final_activation.empty() ? r.outputs[0] : r.captured.at(head_.logits);
    HEATLENS_CHECK(l.rank() == 2 && l.dim(0) == batch.shape[0],
                   "the model's output has shape " << shape_str(l.shape())
                                                   << "; a classifier's is [batch, classes]");
    return l;
  }

  Engine& engine_;
  WebGpuBackend& backend_;
  const OutputHead& head_;
  Shape example_;
  Context& c_;
  DeviceTensor x_, r_, masks_, sums_;
  int64_t plane_ = 0;
};

}  // namespace

std::unique_ptr<DeviceBatches> webgpu_batches(Engine& engine, const OutputHead& head,
                                              const Tensor& x, const Tensor& r) {
  Backend* backend = engine.backend();
  if (!backend || backend->name() != "webgpu") return nullptr;
  HEATLENS_CHECK(x.rank() >= 2 && x.dim(0) == 1 && (!r.defined() || r.shape() == x.shape()),
                 "GPU batches need one example [1, ...] and a replacement of its shape");
  return std::make_unique<WebGpuBatches>(engine, *static_cast<WebGpuBackend*>(backend), head, x, r);
}

}  // namespace heatlens::gpu
