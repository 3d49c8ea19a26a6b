// Preprocessor against hand-computed offsets and scales.
#include "latentkit/data/preprocess.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "latentkit/error.h"

using latentkit::Preprocessor;
using latentkit::Scaling;

namespace preprocess_test {
torch::Tensor matrix(std::vector<std::vector<float>> rows) {
  torch::Tensor t = torch::empty({int64_t(rows.size()), int64_t(rows[0].size())});
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t j = 0; j < rows[0].size(); ++j) t[i][j] = rows[i][j];
  return t;
}

TEST(Preprocess, UnitMinMaxPerColumnConstantColumnMapsToZero) {
  // Column 0: min 1, max 3. Column 1 is constant 10: scale falls back to 1, offset 10.
  const auto raw = matrix({{1, 10}, {3, 10}, {2, 10}});
  const auto p = Preprocessor::fit(raw, Scaling::Unit, false);
  EXPECT_FLOAT_EQ(p.offset[0].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(p.scale[0].item<float>(), 2.0f);
  EXPECT_FLOAT_EQ(p.offset[1].item<float>(), 10.0f);
  EXPECT_FLOAT_EQ(p.scale[1].item<float>(), 1.0f);
  const auto x = p.apply(raw);
  const float expected[3][2] = {{0, 0}, {1, 0}, {0.5f, 0}};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 2; ++j) EXPECT_FLOAT_EQ(x[i][j].item<float>(), expected[i][j]);
}

TEST(Preprocess, UnitForImagesDividesByPixelLevels) {
  const auto raw = matrix({{0, 255, 51}, {0, 0, 102}});
  const auto p = Preprocessor::fit(raw, Scaling::Unit, false, 255.0);
  const auto x = p.apply(raw);
  const float expected[2][3] = {{0, 1, 0.2f}, {0, 0, 0.4f}};
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_FLOAT_EQ(x[i][j].item<float>(), expected[i][j]);
}

TEST(Preprocess, StandardizeUsesMeanAndPopulationStd) {
  // Column 0: 1, 2, 3, 4 -> mean 2.5, population std sqrt(1.25). Column 1 constant -> std 1.
  const auto raw = matrix({{1, 7}, {2, 7}, {3, 7}, {4, 7}});
  const auto p = Preprocessor::fit(raw, Scaling::Standardize, false);
  const double sd = std::sqrt(1.25);
  const auto x = p.apply(raw);
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(x[i][0].item<float>(), (i + 1 - 2.5) / sd, 1e-6);
    EXPECT_FLOAT_EQ(x[i][1].item<float>(), 0.0f);
  }
  EXPECT_FLOAT_EQ(p.scale[1].item<float>(), 1.0f);
}

TEST(Preprocess, NoneIsIdentity) {
  const auto raw = matrix({{-3, 5.5f}});
  const auto x = Preprocessor::fit(raw, Scaling::None, false).apply(raw);
  EXPECT_EQ(x[0][0].item<float>(), -3.0f);
  EXPECT_EQ(x[0][1].item<float>(), 5.5f);
}

TEST(Preprocess, InvertUndoesApply) {
  torch::manual_seed(3);
  const auto raw = torch::randn({50, 4}) * 20 + 7;
  for (Scaling s : {Scaling::None, Scaling::Unit, Scaling::Standardize}) {
    const auto p = Preprocessor::fit(raw, s, false);
    EXPECT_TRUE(torch::allclose(p.invert(p.apply(raw)), raw, 1e-5, 1e-4))
        << latentkit::to_string(s);
  }
}

TEST(Preprocess, BinarizeDrawsZerosAndOnesWithMeanP) {
  torch::manual_seed(0);
  auto p = Preprocessor::fit(torch::zeros({1, 50}), Scaling::Unit, true, 255.0);
  const auto x = torch::full({1000, 50}, 0.3f);
  const auto b = p.training_view(x);
  EXPECT_TRUE(torch::logical_or(b == 0, b == 1).all().item<bool>());
  // 50000 Bernoulli(0.3) draws: the std of the mean is ~0.002.
  EXPECT_NEAR(b.mean().item<double>(), 0.3, 0.01);
  // Fresh draws each call.
  EXPECT_FALSE(torch::equal(b, p.training_view(x)));
  p.binarize = false;
  EXPECT_TRUE(torch::equal(p.training_view(x), x));
}

TEST(Preprocess, JsonAndNames) {
  Preprocessor p;
  p.scaling = Scaling::Standardize;
  p.binarize = true;
  EXPECT_EQ(p.to_json(), nlohmann::json::parse(R"({"scaling": "standardize", "binarize": true})"));
  const auto q =
      Preprocessor::from_json(nlohmann::json::parse(R"({"scaling": "none", "binarize": false})"));
  EXPECT_EQ(q.scaling, Scaling::None);
  EXPECT_FALSE(q.binarize);
  EXPECT_EQ(latentkit::parse_scaling("unit"), Scaling::Unit);
  EXPECT_EQ(latentkit::to_string(Scaling::Unit), "unit");
  try {
    latentkit::parse_scaling("zscore");
    FAIL() << "expected an InputError";
  } catch (const latentkit::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown scaling 'zscore'"), std::string::npos)
        << e.what();
  }
}

}  // namespace preprocess_test
