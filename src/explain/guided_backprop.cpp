// Modified-backward gradient methods: Guided Backpropagation and DeconvNet. Only ReLU nodes
// change their backward pass (as in Captum); every other operator keeps its true gradient.
#include "explain/method.h"

namespace heatlens {

namespace {

// Guided backprop: at a ReLU, pass dy only where both x > 0 and dy > 0.
// Springenberg et al. 2015, "Striving for Simplicity: The All Convolutional Net".
// DeconvNet: at a ReLU, pass max(dy, 0) whatever x was.
// Zeiler & Fergus 2014, "Visualizing and Understanding Convolutional Networks".
VjpHook relu_hook(bool guided) {
  return [guided](const Node& node, const VjpArgs& a, Tensors& grad_in) {
    if (node.op_type != "Relu") return false;
    const Tensor& g = a.grad_outputs[0];
    Tensor d(g.shape());
    const float* x = a.inputs[0].f32();
    for (int64_t i = 0; i < d.numel(); ++i) {
      const float v = g.f32()[i] > 0 ? g.f32()[i] : 0.0f;
      d.f32()[i] = guided ? (x[i] > 0 ? v : 0.0f) : v;
    }
    grad_in = {d};
    return true;
  };
}

Attribution run_modified(ExplainModel& m, const Tensor& x, const Target& t, Progress& progress,
                         bool guided) {
  progress.set_total(1);
  Attribution a;
  a.relevance = m.gradient(x, t, {}, {}, relu_hook(guided)).grad;
  progress.step();
  return a;
}

}  // namespace

// Guided backpropagation of the target score (used by Guided Grad-CAM too).
Tensor guided_backprop_map(ExplainModel& m, const Tensor& x, const Target& t) {
  return m.gradient(x, t, {}, {}, relu_hook(true)).grad;
}

void register_guided_backprop(std::vector<MethodInfo>& r) {
  r.push_back(
      {"guided-backprop",
       MethodFamily::gradient,
       "gradient",
       "1 forward + 1 backward",
       "Springenberg et al. 2015, Striving for Simplicity: The All Convolutional Net",
       "the gradient with ReLUs passing only positive signal where their input was positive",
       {},
       [](ExplainModel& m, const Tensor& x, const Target& t, const ParamValues&, Progress& p) {
         return run_modified(m, x, t, p, true);
       }});
  r.push_back({"deconvnet",
               MethodFamily::gradient,
               "gradient",
               "1 forward + 1 backward",
               "Zeiler & Fergus 2014, Visualizing and Understanding Convolutional Networks",
               "the gradient with ReLUs passing the positive part of the signal",
               {},
               [](ExplainModel& m, const Tensor& x, const Target& t, const ParamValues&,
                  Progress& p) { return run_modified(m, x, t, p, false); }});
}

}  // namespace heatlens
