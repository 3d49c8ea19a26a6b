// Nice ticks on hand-worked ranges, and their invariants on many ranges.
#include "latentkit/viz/ticks.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace ticks_test {

using latentkit::nice_ticks;
using latentkit::tick_label;

void expect_ticks(const latentkit::Ticks& t, double lo, double hi, double step, size_t count) {
  EXPECT_NEAR(t.lo, lo, 1e-12 * std::max(1.0, std::abs(lo)));
  EXPECT_NEAR(t.hi, hi, 1e-12 * std::max(1.0, std::abs(hi)));
  EXPECT_NEAR(t.step, step, 1e-15 + 1e-12 * step);
  ASSERT_EQ(t.values.size(), count);
  for (size_t i = 0; i < count; ++i) EXPECT_NEAR(t.values[i], lo + i * step, 1e-9 * step);
}

TEST(NiceTicksTest, HandCases) {
  expect_ticks(nice_ticks(0, 10, 5), 0, 10, 2, 6);          // 10/5 = 2 -> 2
  expect_ticks(nice_ticks(0, 1, 5), 0, 1, 0.2, 6);          // 0.2 -> 2e-1
  expect_ticks(nice_ticks(-3.2, 2.9, 5), -4, 3, 1, 8);      // 6.1/5 = 1.22 -> 1
  expect_ticks(nice_ticks(237, 289, 5), 230, 290, 10, 7);   // 52/5 = 10.4 -> 10
  expect_ticks(nice_ticks(0.0013, 0.0087, 4), 0, 0.01, 0.002, 6);  // 0.00185 -> 2e-3
  expect_ticks(nice_ticks(250, 263, 3), 250, 265, 5, 4);    // 4.33 -> 5
  expect_ticks(nice_ticks(0, 35, 5), 0, 40, 10, 5);         // 7 -> 10
  expect_ticks(nice_ticks(0, 0.30000000000000004, 3), 0, 0.3, 0.1, 4);  // no spurious step
  expect_ticks(nice_ticks(5, 5, 4), 4, 6, 0.5, 5);          // empty range widened to 5 ± 1
  expect_ticks(nice_ticks(10, -10, 4), -10, 10, 5, 5);      // swapped
  expect_ticks(nice_ticks(NAN, 1, 5), 0, 1, 0.2, 6);        // non-finite -> [0, 1]
}

TEST(NiceTicksTest, StepsAreOneTwoOrFiveAndCoverTheData) {
  std::mt19937 gen(3);
  std::uniform_real_distribution<double> exponent(-6, 6), unit(-1, 1);
  for (int i = 0; i < 2000; ++i) {
    const double scale = std::pow(10.0, exponent(gen));
    const double a = unit(gen) * scale, b = unit(gen) * scale;
    const latentkit::Ticks t = nice_ticks(std::min(a, b), std::max(a, b), 5);
    const double mantissa = t.step / std::pow(10.0, std::floor(std::log10(t.step) + 1e-9));
    EXPECT_TRUE(std::abs(mantissa - 1) < 1e-9 || std::abs(mantissa - 2) < 1e-9 ||
                std::abs(mantissa - 5) < 1e-9 || std::abs(mantissa - 10) < 1e-9) << mantissa;
    EXPECT_LE(t.lo, std::min(a, b));
    EXPECT_GE(t.hi, std::max(a, b));
    const double intervals = (t.hi - t.lo) / t.step;
    EXPECT_GE(intervals, 2 - 1e-9);
    EXPECT_LE(intervals, 12 + 1e-9);
  }
}

TEST(NiceTicksTest, LabelsHaveTheDecimalsTheStepNeeds) {
  EXPECT_EQ(tick_label(0.25, 0.05), "0.25");
  EXPECT_EQ(tick_label(0.2, 0.2), "0.2");
  EXPECT_EQ(tick_label(1000, 500), "1000");
  EXPECT_EQ(tick_label(-3, 1), "-3");
  EXPECT_EQ(tick_label(-1e-17, 0.1), "0.0");
  EXPECT_EQ(tick_label(2.5e-3, 5e-4), "0.0025");
  EXPECT_EQ(tick_label(0.30000000000000004, 0.1), "0.3");
}

}  // namespace ticks_test
