#include "media/resample.h"

#include <cmath>
#include <numeric>

#include "core/error.h"

namespace heatlens {

namespace {

// Zeroth-order modified Bessel function of the first kind (series), for the Kaiser window.
double bessel_i0(double x) {
  double sum = 1, term = 1;
  for (int k = 1; k < 64; ++k) {
    term *= (x / (2 * k)) * (x / (2 * k));
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return sum;
}

}  // namespace

std::vector<float> resample(const std::vector<float>& x, int from_rate, int to_rate) {
  HEATLENS_CHECK(from_rate > 0 && to_rate > 0, "sample rates must be positive");
  if (from_rate == to_rate || x.empty()) return x;
  const int64_t g = std::gcd(from_rate, to_rate);
  const int64_t up = to_rate / g, down = from_rate / g;  // output n reads input at n·down/up
  HEATLENS_CHECK(up <= 100000, "resampling " << from_rate << " → " << to_rate
                                             << " Hz needs too many filter phases");
  const double pi = 3.14159265358979323846;
  const double cutoff =
      0.9 * std::min(1.0, static_cast<double>(to_rate) / from_rate);  // × input Nyquist
  const int crossings = 48;
  const int64_t half =
      static_cast<int64_t>(std::ceil(crossings / cutoff));  // taps per side, input samples
  const double beta = 8.6, norm = bessel_i0(beta);
  // taps[phase][j]: weight of input sample (base − half + 1 + j) for output phase `phase`.
  const int64_t width = 2 * half;
  std::vector<float> taps(up * width);
  for (int64_t phase = 0; phase < up; ++phase) {
    const double frac = static_cast<double>(phase) / up;  // position between input samples
    for (int64_t j = 0; j < width; ++j) {
      const double t = static_cast<double>(j - half + 1) - frac;  // distance in input samples
      const double r = t / half;
      if (std::fabs(r) >= 1) continue;
      const double arg = pi * cutoff * t;
      const double sinc = std::fabs(arg) < 1e-12 ? 1.0 : std::sin(arg) / arg;
      taps[phase * width + j] =
          static_cast<float>(cutoff * sinc * bessel_i0(beta * std::sqrt(1 - r * r)) / norm);
    }
  }
  const int64_t n_in = static_cast<int64_t>(x.size());
  const int64_t n_out = (n_in * up + down - 1) / down;
  std::vector<float> y(n_out);
  for (int64_t n = 0; n < n_out; ++n) {
    const int64_t pos = n * down;
    const int64_t base = pos / up, phase = pos % up;
    const float* w = &taps[phase * width];
    double acc = 0;
    const int64_t first = base - half + 1;
    for (int64_t j = 0; j < width; ++j) {
      const int64_t k = first + j;
      if (k >= 0 && k < n_in) acc += static_cast<double>(w[j]) * x[k];
    }
    y[n] = static_cast<float>(acc);
  }
  return y;
}

}  // namespace heatlens
