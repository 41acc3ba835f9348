#include "explain/perturbation/regression.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace heatlens {

std::vector<double> solve_spd(std::vector<double> a, std::vector<double> b, int64_t d) {
  double scale = 0;
  for (int64_t i = 0; i < d; ++i) scale = std::max(scale, std::fabs(a[i * d + i]));
  const std::vector<double> original = a;
  for (double jitter = 0;; jitter = jitter == 0 ? 1e-12 * std::max(scale, 1.0) : jitter * 100) {
    a = original;
    for (int64_t i = 0; i < d; ++i) a[i * d + i] += jitter;
    bool ok = true;
    for (int64_t j = 0; j < d && ok; ++j) {
      double s = a[j * d + j];
      for (int64_t k = 0; k < j; ++k) s -= a[j * d + k] * a[j * d + k];
      if (!(s > 0)) {
        ok = false;
        break;
      }
      a[j * d + j] = std::sqrt(s);
      for (int64_t i = j + 1; i < d; ++i) {
        double t = a[i * d + j];
        for (int64_t k = 0; k < j; ++k) t -= a[i * d + k] * a[j * d + k];
        a[i * d + j] = t / a[j * d + j];
      }
    }
    if (!ok) {
      HEATLENS_CHECK(jitter < 1e6 * std::max(scale, 1.0), "regression system is degenerate");
      continue;
    }
    std::vector<double> z(b);
    for (int64_t i = 0; i < d; ++i) {
      for (int64_t k = 0; k < i; ++k) z[i] -= a[i * d + k] * z[k];
      z[i] /= a[i * d + i];
    }
    for (int64_t i = d - 1; i >= 0; --i) {
      for (int64_t k = i + 1; k < d; ++k) z[i] -= a[k * d + i] * z[k];
      z[i] /= a[i * d + i];
    }
    return z;
  }
}

LinearFit weighted_ridge(const std::vector<double>& x, int64_t n, int64_t d,
                         const std::vector<double>& y, const std::vector<double>& w, double alpha,
                         const std::vector<int64_t>& use_in) {
  std::vector<int64_t> use = use_in;
  if (use.empty())
    for (int64_t j = 0; j < d; ++j) use.push_back(j);
  const int64_t m = static_cast<int64_t>(use.size());
  double wsum = 0, ymean = 0;
  std::vector<double> xmean(m, 0);
  for (int64_t i = 0; i < n; ++i) {
    wsum += w[i];
    ymean += w[i] * y[i];
    for (int64_t j = 0; j < m; ++j) xmean[j] += w[i] * x[i * d + use[j]];
  }
  HEATLENS_CHECK(wsum > 0, "regression weights sum to zero");
  ymean /= wsum;
  for (double& v : xmean) v /= wsum;
  // Normal equations of the centred problem: (Xcᵀ W Xc + αI) β = Xcᵀ W yc.
  std::vector<double> a(m * m, 0), b(m, 0), row(m);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < m; ++j) row[j] = x[i * d + use[j]] - xmean[j];
    const double yc = y[i] - ymean;
    for (int64_t j = 0; j < m; ++j) {
      b[j] += w[i] * row[j] * yc;
      for (int64_t k = 0; k <= j; ++k) a[j * m + k] += w[i] * row[j] * row[k];
    }
  }
  for (int64_t j = 0; j < m; ++j) {
    a[j * m + j] += alpha;
    for (int64_t k = 0; k < j; ++k) a[k * m + j] = a[j * m + k];
  }
  const std::vector<double> beta = m > 0 ? solve_spd(a, b, m) : std::vector<double>{};
  LinearFit fit;
  fit.coef.assign(d, 0.0);
  fit.intercept = ymean;
  for (int64_t j = 0; j < m; ++j) {
    fit.coef[use[j]] = beta[j];
    fit.intercept -= beta[j] * xmean[j];
  }
  double ss_res = 0, ss_tot = 0;
  for (int64_t i = 0; i < n; ++i) {
    double pred = fit.intercept;
    for (int64_t j = 0; j < m; ++j) pred += beta[j] * x[i * d + use[j]];
    ss_res += w[i] * (y[i] - pred) * (y[i] - pred);
    ss_tot += w[i] * (y[i] - ymean) * (y[i] - ymean);
  }
  fit.r2 = ss_tot > 0 ? 1.0 - ss_res / ss_tot : 1.0;
  return fit;
}

std::vector<int64_t> lasso_path_select(const std::vector<double>& x, int64_t n, int64_t d,
                                       const std::vector<double>& y, const std::vector<double>& w,
                                       int64_t k) {
  if (k >= d) {
    std::vector<int64_t> all(d);
    for (int64_t j = 0; j < d; ++j) all[j] = j;
    return all;
  }
  // Weighted, centred data: rows scaled by √w (as LIME does before its lars_path).
  double wsum = 0, ymean = 0;
  std::vector<double> xmean(d, 0);
  for (int64_t i = 0; i < n; ++i) {
    wsum += w[i];
    ymean += w[i] * y[i];
    for (int64_t j = 0; j < d; ++j) xmean[j] += w[i] * x[i * d + j];
  }
  ymean /= wsum;
  for (double& v : xmean) v /= wsum;
  std::vector<double> xc(n * d), yc(n), norm2(d, 0);
  for (int64_t i = 0; i < n; ++i) {
    const double s = std::sqrt(w[i]);
    yc[i] = s * (y[i] - ymean);
    for (int64_t j = 0; j < d; ++j) {
      xc[i * d + j] = s * (x[i * d + j] - xmean[j]);
      norm2[j] += xc[i * d + j] * xc[i * d + j];
    }
  }
  double lambda_max = 0;
  for (int64_t j = 0; j < d; ++j) {
    double c = 0;
    for (int64_t i = 0; i < n; ++i) c += xc[i * d + j] * yc[i];
    lambda_max = std::max(lambda_max, std::fabs(c));
  }
  std::vector<double> beta(d, 0), residual(yc);
  std::vector<int64_t> best;
  const int steps = 100;
  for (int s = 0; s < steps && lambda_max > 0; ++s) {
    // λ from λ_max down to λ_max·1e-4 (geometric); minimise ½‖r‖² + λ‖β‖₁.
    const double lambda = lambda_max * std::pow(1e-4, static_cast<double>(s) / (steps - 1));
    for (int sweep = 0; sweep < 1000; ++sweep) {
      double change = 0;
      for (int64_t j = 0; j < d; ++j) {
        if (norm2[j] <= 0) continue;
        double rho = 0;
        for (int64_t i = 0; i < n; ++i) rho += xc[i * d + j] * residual[i];
        rho += norm2[j] * beta[j];
        const double updated = (rho > lambda    ? rho - lambda
                                : rho < -lambda ? rho + lambda
                                                : 0.0) /
                               norm2[j];
        const double delta = updated - beta[j];
        if (delta != 0) {
          for (int64_t i = 0; i < n; ++i) residual[i] -= delta * xc[i * d + j];
          beta[j] = updated;
          change = std::max(change, std::fabs(delta) * std::sqrt(norm2[j]));
        }
      }
      if (change < 1e-9 * (1 + lambda_max)) break;
    }
    std::vector<int64_t> active;
    for (int64_t j = 0; j < d; ++j)
      if (beta[j] != 0) active.push_back(j);
    if (static_cast<int64_t>(active.size()) > k) break;
    best = active;
  }
  return best;
}

}  // namespace heatlens
