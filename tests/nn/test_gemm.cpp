// gemm() and gemm_bf16() against float64 products computed by LibTorch: every transpose
// combination, alpha and beta.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "latentkit/nn/gemm.h"

namespace latentkit {
namespace gemm_test {

// op(t) as stored: a transposed operand is passed in its transposed, contiguous form.
torch::Tensor stored(const torch::Tensor& op_t, bool transpose) {
  return transpose ? op_t.t().contiguous() : op_t.contiguous();
}

// Largest |c - reference| / max|reference| over the four transpose combinations.
double worst_relative_error(bool bf16) {
  torch::manual_seed(3);
  const int64_t m = 37, n = 29, k = 53;
  double worst = 0;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      auto a = torch::randn({m, k}), b = torch::randn({k, n}), c0 = torch::randn({m, n});
      if (bf16) {  // the reference multiplies the same rounded values
        a = a.to(torch::kBFloat16).to(torch::kFloat32);
        b = b.to(torch::kBFloat16).to(torch::kFloat32);
      }
      const float alpha = 0.75f, beta = 0.5f;
      auto reference = alpha * torch::mm(a.to(torch::kFloat64), b.to(torch::kFloat64)) +
                       beta * c0.to(torch::kFloat64);
      auto c = c0.clone();
      if (bf16)
        gemm_bf16(ta, tb, alpha, stored(a, ta).to(torch::kBFloat16),
                  stored(b, tb).to(torch::kBFloat16), beta, c);
      else
        gemm(ta, tb, alpha, stored(a, ta), stored(b, tb), beta, c);
      const double err = (c.to(torch::kFloat64) - reference).abs().max().item<double>() /
                         reference.abs().max().item<double>();
      worst = std::max(worst, err);
    }
  return worst;
}

TEST(Gemm, MatchesFloat64ProductForEveryTransposeAlphaAndBeta) {
  EXPECT_LT(worst_relative_error(false), 1e-5);
}

TEST(Gemm, BetaZeroIgnoresOldContents) {
  auto a = torch::randn({4, 3}), b = torch::randn({3, 5});
  auto c = torch::full({4, 5}, std::numeric_limits<float>::quiet_NaN());
  gemm(false, false, 1.0f, a, b, 0.0f, c);
  EXPECT_TRUE(torch::allclose(c, torch::mm(a, b), 1e-5, 1e-6));
}

TEST(Gemm, RejectsMismatchedShapes) {
  auto a = torch::randn({4, 3}), b = torch::randn({4, 5}), c = torch::empty({4, 5});
  EXPECT_THROW(gemm(false, false, 1.0f, a, b, 0.0f, c), std::exception);
}

TEST(Gemm, Bf16ProductAccumulatesInFloat32) {
  if (!bf16_gemm_available()) GTEST_SKIP() << "no AVX-512 BF16 oneDNN matmul here";
  // Inputs are rounded to bf16 by the caller; the products and sums stay in float32.
  EXPECT_LT(worst_relative_error(true), 1e-5);
}

}  // namespace gemm_test
}  // namespace latentkit
