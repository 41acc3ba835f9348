// Weighted linear regression for the surrogate methods (LIME, Kernel SHAP): ridge with an
// unpenalised intercept, and feature selection along the Lasso path (K-Lasso). Dense and
// small (features ≤ a few hundred), solved in double precision.
#pragma once

#include <cstdint>
#include <vector>

namespace heatlens {

struct LinearFit {
  std::vector<double> coef;
  double intercept = 0;
  double r2 = 0;  // weighted coefficient of determination
};

// Minimises Σ_i w_i (y_i − b − x_i·β)² + α‖β‖² over the columns in `use` (all if empty; the
// others get 0). x is n×d, row-major.
LinearFit weighted_ridge(const std::vector<double>& x, int64_t n, int64_t d,
                         const std::vector<double>& y, const std::vector<double>& w, double alpha,
                         const std::vector<int64_t>& use = {});

// The largest set of at most k features active on the weighted Lasso path (coordinate descent
// over a decreasing λ grid, warm-started), as LIME's "lasso_path" feature selection.
std::vector<int64_t> lasso_path_select(const std::vector<double>& x, int64_t n, int64_t d,
                                       const std::vector<double>& y, const std::vector<double>& w,
                                       int64_t k);

// Solves the symmetric positive definite system A z = b (A d×d row-major) by Cholesky;
// a tiny ridge is added if A is singular.
std::vector<double> solve_spd(std::vector<double> a, std::vector<double> b, int64_t d);

}  // namespace heatlens
