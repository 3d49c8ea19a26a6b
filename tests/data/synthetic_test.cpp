// Synthetic sets: determinism, shapes, and the geometry each one promises.
#include "latentkit/data/synthetic.h"

#include <gtest/gtest.h>

#include <cmath>

#include "latentkit/error.h"

using latentkit::make_synthetic;

TEST(Synthetic, SameSeedSameDrawDifferentSeedDifferent) {
  for (const auto& name : latentkit::synthetic_names()) {
    torch::Tensor la, lb, lc;
    const auto a = make_synthetic(name, 500, 42, &la);
    const auto b = make_synthetic(name, 500, 42, &lb);
    const auto c = make_synthetic(name, 500, 43, &lc);
    EXPECT_TRUE(torch::equal(a, b)) << name;
    EXPECT_TRUE(torch::equal(la, lb)) << name;
    EXPECT_FALSE(torch::equal(a, c)) << name;
    ASSERT_EQ(a.sizes(), (std::vector<int64_t>{500, 2})) << name;
    ASSERT_EQ(a.scalar_type(), torch::kFloat32);
    ASSERT_EQ(la.sizes(), (std::vector<int64_t>{500}));
    ASSERT_EQ(la.scalar_type(), torch::kInt64);
    EXPECT_TRUE(torch::isfinite(a).all().item<bool>()) << name;
  }
}

TEST(Synthetic, LeavesTheGlobalGeneratorAlone) {
  torch::manual_seed(5);
  const auto before = torch::rand({4});
  torch::manual_seed(5);
  make_synthetic("moons", 100, 1);
  EXPECT_TRUE(torch::equal(before, torch::rand({4})));
}

TEST(Synthetic, MoonsLieNearTwoHalfCircles) {
  torch::Tensor labels;
  const auto x = make_synthetic("moons", 4000, 7, &labels);
  int64_t count[2] = {0, 0};
  double dev_sum = 0;
  for (int64_t i = 0; i < x.size(0); ++i) {
    const double px = x[i][0].item<double>(), py = x[i][1].item<double>();
    const int64_t c = labels[i].item<int64_t>();
    ASSERT_TRUE(c == 0 || c == 1);
    ++count[c];
    // Upper moon: unit circle about (0, 0), y >= 0. Lower moon: unit circle about (1, 0.5), y <=
    // 0.5.
    const double cx = c == 0 ? 0.0 : 1.0, cy = c == 0 ? 0.0 : 0.5;
    const double dev = std::fabs(std::hypot(px - cx, py - cy) - 1.0);
    dev_sum += dev;
    EXPECT_LT(dev, 0.3) << "point " << i;  // 6 sigma of the 0.05 noise
    if (c == 0)
      EXPECT_GT(py, -0.3);
    else
      EXPECT_LT(py, 0.8);
  }
  EXPECT_LT(dev_sum / double(x.size(0)), 0.08);
  EXPECT_GT(count[0], 1800);  // about half each
  EXPECT_GT(count[1], 1800);
}

TEST(Synthetic, RingsGaussiansAndCheckerboardGeometry) {
  torch::Tensor labels;
  auto x = make_synthetic("rings", 2000, 1, &labels);
  for (int64_t i = 0; i < x.size(0); ++i) {
    const int64_t c = labels[i].item<int64_t>();
    ASSERT_TRUE(c >= 0 && c < 4);
    EXPECT_NEAR(std::hypot(x[i][0].item<double>(), x[i][1].item<double>()), 0.75 * double(c + 1),
                0.5);
  }
  x = make_synthetic("8gaussians", 2000, 1, &labels);
  for (int64_t i = 0; i < x.size(0); ++i) {
    const int64_t c = labels[i].item<int64_t>();
    ASSERT_TRUE(c >= 0 && c < 8);
    const double a = M_PI / 4 * double(c);
    EXPECT_LT(std::hypot(x[i][0].item<double>() - 2 * std::cos(a),
                         x[i][1].item<double>() - 2 * std::sin(a)),
              1.0);
  }
  x = make_synthetic("checkerboard", 2000, 1, &labels);
  for (int64_t i = 0; i < x.size(0); ++i) {
    const double px = x[i][0].item<double>(), py = x[i][1].item<double>();
    ASSERT_TRUE(px >= -2 && px <= 2 && py >= -2 && py <= 2);
    // Dark squares only: the cell indices sum to an even number.
    EXPECT_EQ((int64_t(std::floor(px)) + int64_t(std::floor(py)) + 4) % 2, 0) << px << ", " << py;
    EXPECT_TRUE(labels[i].item<int64_t>() >= 0 && labels[i].item<int64_t>() < 8);
  }
}

TEST(Synthetic, RejectsUnknownNameAndBadSize) {
  try {
    make_synthetic("spirals", 10, 1);
    FAIL() << "expected an InputError";
  } catch (const latentkit::InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("spirals"), std::string::npos) << msg;
    EXPECT_NE(msg.find("moons, rings, 8gaussians, checkerboard"), std::string::npos) << msg;
  }
  EXPECT_THROW(make_synthetic("moons", 0, 1), latentkit::InputError);
}
