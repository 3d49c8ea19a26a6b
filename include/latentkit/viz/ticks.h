#pragma once
// "Nice" axis ticks: steps of 1, 2 or 5 times a power of ten, on an axis range widened outward
// to whole steps, so that tick labels are short round numbers.
#include <string>
#include <vector>

namespace latentkit {

struct Ticks {
  double lo = 0, hi = 1;       // the axis range: multiples of step covering the data range
  double step = 0.2;
  std::vector<double> values;  // lo, lo + step, ..., hi
};

// Ticks for data in [lo, hi] with about `target` intervals: step = m·10^k with m in {1, 2, 5}
// the choice nearest to (hi - lo) / target (thresholds 1.5, 3 and 7 on the mantissa). An empty
// range (lo == hi) is widened to lo ± 1 (or ± |lo|/10 when larger); non-finite bounds give
// [0, 1]. lo > hi is swapped.
Ticks nice_ticks(double lo, double hi, int target = 5);

// A tick value printed with as many decimals as `step` needs ("0.25", "-3", "1000"); never "-0".
std::string tick_label(double value, double step);

}  // namespace latentkit
