// Plain gradient methods: the saliency map and Gradient × Input.
#include <cmath>

#include "explain/method.h"

namespace heatlens {

namespace {

// Gradient (sensitivity): ∂f/∂x; postprocess=square is the lecture notes' r_d = (∂f/∂x_d)².
// Simonyan, Vedaldi & Zisserman 2014, "Deep Inside Convolutional Networks"; Samek et al. 2019,
// ch. 14.
Attribution run_gradient(ExplainModel& m, const Tensor& x, const Target& t, const ParamValues& p,
                         Progress& progress) {
  progress.set_total(1);
  Tensor g = m.gradient(x, t).grad.clone();
  progress.step();
  const std::string& post = p.text("postprocess");
  Attribution a;
  a.signed_map = post == "none";
  for (int64_t i = 0; i < g.numel(); ++i) {
    float& v = g.f32()[i];
    if (post == "abs")
      v = std::fabs(v);
    else if (post == "square")
      v = v * v;
  }
  a.relevance = g;
  return a;
}

// Gradient × Input: x ⊙ ∂f/∂x. Shrikumar et al. 2016, "Not Just a Black Box"; Samek et al. 2019,
// ch. 14.
Attribution run_gradient_x_input(ExplainModel& m, const Tensor& x, const Target& t,
                                 const ParamValues&, Progress& progress) {
  progress.set_total(1);
  Tensor g = m.gradient(x, t).grad.clone();
  progress.step();
  for (int64_t i = 0; i < g.numel(); ++i) g.f32()[i] *= x.f32()[i];
  Attribution a;
  a.relevance = g;
  return a;
}

}  // namespace

void register_gradient_methods(std::vector<MethodInfo>& r) {
  r.push_back({"gradient",
               MethodFamily::gradient,
               "gradient",
               "1 forward + 1 backward",
               "Simonyan, Vedaldi & Zisserman 2014, Deep Inside Convolutional Networks; Samek et "
               "al. 2019, ch. 14",
               "the gradient of the target score with respect to the input (sensitivity)",
               {{"postprocess",
                 ParamType::choice,
                 "none",
                 0,
                 0,
                 {"none", "abs", "square"},
                 "none (signed), abs, or square (the sensitivity (∂f/∂x)²)"}},
               run_gradient});
  r.push_back({"gradient-x-input",
               MethodFamily::gradient,
               "gradient",
               "1 forward + 1 backward",
               "Shrikumar et al. 2016, Not Just a Black Box; Samek et al. 2019, ch. 14",
               "input times gradient",
               {},
               run_gradient_x_input});
}

}  // namespace heatlens
