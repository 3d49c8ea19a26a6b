// Linear and spherical paths against their closed forms, written out element by element.
#include "latentkit/viz/interpolation.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "latentkit/error.h"

namespace interpolation_test {

using latentkit::linear_path;
using latentkit::slerp_path;

std::vector<double> row_of(const torch::Tensor& path, int64_t k) {
  const torch::Tensor r = path[k].to(torch::kFloat64).contiguous();
  return std::vector<double>(r.data_ptr<double>(), r.data_ptr<double>() + r.numel());
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

TEST(InterpolationTest, LinearPathIsTheHandFormula) {
  const std::vector<double> a{1, 2, 3}, b{4, 0, -1};
  const auto path = linear_path(torch::tensor(a, torch::kFloat64), torch::tensor(b, torch::kFloat64), 4);
  ASSERT_EQ(path.sizes(), (std::vector<int64_t>{4, 3}));
  for (int64_t k = 0; k < 4; ++k)
    for (int64_t j = 0; j < 3; ++j)
      EXPECT_NEAR(path[k][j].item<double>(), a[j] + (k / 3.0) * (b[j] - a[j]), 1e-15) << k << "," << j;
  EXPECT_EQ(linear_path(torch::ones({3}), torch::zeros({3}), 2).scalar_type(), torch::kFloat32);
}

TEST(InterpolationTest, SlerpKeepsUnitNormsAndTakesEqualAngularSteps) {
  torch::manual_seed(0);
  const torch::Tensor a = torch::randn({6}, torch::kFloat64), b = torch::randn({6}, torch::kFloat64);
  const torch::Tensor ua = a / a.norm(), ub = b / b.norm();
  const int64_t steps = 7;
  const torch::Tensor path = slerp_path(ua, ub, steps);
  ASSERT_EQ(path.sizes(), (std::vector<int64_t>{steps, 6}));
  const std::vector<double> first = row_of(path, 0), last = row_of(path, steps - 1);
  const double omega = std::acos(dot(row_of(ua.unsqueeze(0), 0), row_of(ub.unsqueeze(0), 0)));
  for (int64_t j = 0; j < 6; ++j) {
    EXPECT_NEAR(first[j], ua[j].item<double>(), 1e-12);
    EXPECT_NEAR(last[j], ub[j].item<double>(), 1e-12);
  }
  for (int64_t k = 0; k < steps; ++k) {
    const std::vector<double> r = row_of(path, k);
    EXPECT_NEAR(std::sqrt(dot(r, r)), 1.0, 1e-12) << k;
    // The angle from the start grows by Ω / (steps - 1) per step.
    EXPECT_NEAR(std::acos(std::clamp(dot(r, first), -1.0, 1.0)), k * omega / (steps - 1), 1e-7) << k;
    if (k) {
      const std::vector<double> prev = row_of(path, k - 1);
      EXPECT_NEAR(std::acos(std::clamp(dot(r, prev), -1.0, 1.0)), omega / (steps - 1), 1e-7) << k;
    }
  }
}

TEST(InterpolationTest, SlerpOfUnequalVectorsIsTheClosedForm) {
  const std::vector<double> a{3, 0, 1}, b{-1, 2, 2};
  const int64_t steps = 5;
  const auto path = slerp_path(torch::tensor(a, torch::kFloat64), torch::tensor(b, torch::kFloat64), steps);
  const double omega = std::acos(dot(a, b) / std::sqrt(dot(a, a) * dot(b, b)));
  for (int64_t k = 0; k < steps; ++k) {
    const double t = k / (steps - 1.0);
    for (int64_t j = 0; j < 3; ++j) {
      const double expected = (std::sin((1 - t) * omega) * a[j] + std::sin(t * omega) * b[j]) / std::sin(omega);
      EXPECT_NEAR(path[k][j].item<double>(), expected, 1e-12) << k << "," << j;
    }
  }
}

TEST(InterpolationTest, SlerpFallsBackToLinearForParallelOrZeroCodes) {
  const torch::Tensor a = torch::tensor({1.0, 2.0, -1.0}, torch::kFloat64);
  EXPECT_TRUE(torch::allclose(slerp_path(a, 3 * a, 4), linear_path(a, 3 * a, 4)));
  EXPECT_TRUE(torch::allclose(slerp_path(a, -a, 4), linear_path(a, -a, 4)));
  EXPECT_TRUE(torch::allclose(slerp_path(torch::zeros({3}, torch::kFloat64), a, 3),
                              linear_path(torch::zeros({3}, torch::kFloat64), a, 3)));
  const torch::Tensor f = torch::tensor({1.0f, 0.0f});
  EXPECT_EQ(slerp_path(f, torch::tensor({0.0f, 1.0f}), 3).scalar_type(), torch::kFloat32);
}

TEST(InterpolationTest, RefusesBadArguments) {
  EXPECT_THROW(linear_path(torch::ones({3}), torch::ones({3}), 1), latentkit::InputError);
  EXPECT_THROW(slerp_path(torch::ones({3}), torch::ones({4}), 5), latentkit::InputError);
  EXPECT_THROW(slerp_path(torch::ones({2, 3}), torch::ones({2, 3}), 5), latentkit::InputError);
}

}  // namespace interpolation_test
