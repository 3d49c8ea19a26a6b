#include "latentkit/viz/ticks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace latentkit {

Ticks nice_ticks(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (lo > hi) std::swap(lo, hi);
  if (hi - lo <= 1e-12 * std::max(std::abs(lo), std::abs(hi))) {
    const double pad = std::max(1.0, std::abs(lo) / 10.0);
    lo -= pad;
    hi += pad;
  }
  target = std::max(target, 1);
  const double raw = (hi - lo) / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double mantissa = raw / magnitude;
  const double m = mantissa < 1.5 ? 1 : mantissa < 3 ? 2 : mantissa < 7 ? 5 : 10;
  Ticks t;
  t.step = m * magnitude;
  // A relative tolerance keeps 0.30000000000000004 / 0.1 from adding a step.
  const double eps = 1e-9;
  const double first = std::floor(lo / t.step + eps);
  const double last = std::ceil(hi / t.step - eps);
  t.lo = first * t.step;
  t.hi = last * t.step;
  for (double k = first; k <= last + 0.5; k += 1) t.values.push_back(k * t.step);
  return t;
}

std::string tick_label(double value, double step) {
  const int decimals = step > 0 ? std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9))) : 0;
  if (std::abs(value) < step * 1e-6) value = 0.0;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  std::string s = buf;
  if (s.find_first_not_of("-0.") == std::string::npos && s[0] == '-') s.erase(0, 1);
  return s;
}

}  // namespace latentkit
