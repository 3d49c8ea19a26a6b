// FusedMlp's hand-written passes against autograd on the same Sequential, and the fused output
// layers against LibTorch's losses and their autograd gradients.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "latentkit/nn/blocks.h"
#include "latentkit/nn/fused_mlp.h"

namespace latentkit {
namespace fused_mlp_test {

namespace F = torch::nn::functional;

// Largest |a - b| relative to max |b|.
double relative_error(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>() / std::max(b.abs().max().item<double>(), 1e-30);
}

struct AutogradResult {
  torch::Tensor out, dx;
  std::vector<torch::Tensor> grads;
};

// Autograd's output, d(scale * sum(dy . out))/dparams and d(sum(dy . out))/dx.
AutogradResult autograd_pass(torch::nn::Sequential& mlp, const torch::Tensor& x,
                             const torch::Tensor& dy, float scale) {
  for (auto& p : mlp->parameters()) p.mutable_grad() = torch::Tensor();
  auto xr = x.clone().requires_grad_();
  auto out = mlp->forward(xr);
  (out * dy).sum().backward();
  AutogradResult r{out.detach(), xr.grad(), {}};
  for (auto& p : mlp->parameters()) r.grads.push_back(p.grad() * scale);
  return r;
}

TEST(FusedMlp, SupportsOnlyReluMlpsOfFloat32Parameters) {
  EXPECT_TRUE(FusedMlp::supports(make_mlp(6, {5, 4}, 3, "relu")));
  EXPECT_TRUE(FusedMlp::supports(make_mlp(6, {}, 3, "relu")));
  EXPECT_FALSE(FusedMlp::supports(make_mlp(6, {5}, 3, "tanh")));
  EXPECT_FALSE(FusedMlp::supports(make_mlp(6, {5}, 3, "relu", /*dropout=*/0.2)));
  auto doubles = make_mlp(6, {5}, 3, "relu");
  doubles->to(torch::kFloat64);
  EXPECT_FALSE(FusedMlp::supports(doubles));
}

TEST(FusedMlp, ForwardAndBackwardEqualAutograd) {
  torch::manual_seed(11);
  auto mlp = make_mlp(13, {17, 9}, 7, "relu");
  auto x = torch::randn({10, 13}), dy = torch::randn({10, 7});
  const float scale = 0.25f;
  const AutogradResult ref = autograd_pass(mlp, x, dy, scale);

  FusedMlp fused(mlp);
  const torch::Tensor out = fused.forward(x).clone();
  EXPECT_LT(relative_error(out, ref.out), 1e-5);
  torch::Tensor dx;
  fused.backward(dy, scale, &dx);
  EXPECT_LT(relative_error(dx, ref.dx), 1e-5);
  const auto params = mlp->named_parameters();
  ASSERT_EQ(params.size(), ref.grads.size());
  for (size_t i = 0; i < params.size(); ++i)
    EXPECT_LT(relative_error(params[i].value().grad(), ref.grads[i]), 1e-5) << params[i].key();
  // The ReLUs cut something: otherwise the masks would go untested.
  torch::NoGradGuard no_grad;
  auto pre_activation = mlp->ptr(0)->as<torch::nn::Linear>()->forward(x);
  EXPECT_GT((pre_activation < 0).sum().item<int64_t>(), 0);
}

TEST(FusedMlp, FewRowsForwardEqualsModules) {
  torch::manual_seed(15);
  auto mlp = make_mlp(300, {257}, 33, "relu");  // wide enough to split across threads
  torch::NoGradGuard no_grad;
  for (int64_t rows : {1, 2, 4}) {
    auto x = torch::randn({rows, 300});
    FusedMlp fused(mlp);
    EXPECT_LT(relative_error(fused.forward(x), mlp->forward(x)), 1e-5) << rows;
  }
}

TEST(FusedOutputLayers, SquaredErrorRowsWithAndWithoutSigmoid) {
  auto out = torch::randn({3, 9}) * 4, x = torch::rand({3, 9});
  EXPECT_LT(relative_error(squared_error_rows(out, x, true), (torch::sigmoid(out) - x).pow(2).sum(1)), 1e-5);
  EXPECT_LT(relative_error(squared_error_rows(out, x, false), (out - x).pow(2).sum(1)), 1e-5);
}

TEST(FusedMlp, BackwardOverwritesStaleGradients) {
  torch::manual_seed(12);
  auto mlp = make_mlp(5, {4}, 3, "relu");
  auto x = torch::randn({6, 5}), dy = torch::randn({6, 3});
  const AutogradResult ref = autograd_pass(mlp, x, dy, 1.0f);
  for (auto& p : mlp->parameters()) p.mutable_grad() = torch::full_like(p, 1e6);
  FusedMlp fused(mlp);
  fused.forward(x);
  fused.backward(dy, 1.0f);
  const auto params = mlp->parameters();
  for (size_t i = 0; i < params.size(); ++i)
    EXPECT_LT(relative_error(params[i].grad(), ref.grads[i]), 1e-5);
}

TEST(FusedMlp, Bf16PassesStayCloseToFloat32) {
  if (!bf16_gemm_available()) GTEST_SKIP() << "no AVX-512 BF16 oneDNN matmul here";
  torch::manual_seed(13);
  auto mlp = make_mlp(64, {48}, 32, "relu");
  auto x = torch::randn({16, 64}), dy = torch::randn({16, 32});
  const AutogradResult ref = autograd_pass(mlp, x, dy, 1.0f);
  FusedMlp fused(mlp, GemmPrecision::kBFloat16);
  EXPECT_LT(relative_error(fused.forward(x), ref.out), 2e-2);
  torch::Tensor dx;
  fused.backward(dy, 1.0f, &dx);
  EXPECT_LT(relative_error(dx, ref.dx), 2e-2);
  const auto params = mlp->parameters();
  for (size_t i = 0; i < params.size(); ++i)
    EXPECT_LT(relative_error(params[i].grad(), ref.grads[i]), 2e-2);
  // ... and it did round: bf16 keeps 8 significant bits, so the output is not float32's.
  EXPECT_GT(relative_error(fused.forward(x), ref.out), 1e-6);
}

TEST(FusedOutputLayers, BernoulliMatchesBceWithLogitsAndItsGradient) {
  torch::manual_seed(14);
  auto logits = (torch::randn({8, 11}) * 6).requires_grad_();  // some saturate
  auto x = torch::rand({8, 11});
  auto bce = F::binary_cross_entropy_with_logits(
      logits, x, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kSum));
  bce.backward();
  auto grad = torch::empty({8, 11});
  const double nll = bernoulli_nll_and_grad(logits.detach(), x, grad);
  EXPECT_NEAR(nll, bce.item<double>(), 1e-5 * bce.item<double>());
  EXPECT_LT(relative_error(grad, logits.grad()), 1e-6);
}

TEST(FusedOutputLayers, SquaredErrorAndResidual) {
  auto out = torch::randn({5, 7}), x = torch::randn({5, 7});
  auto residual = torch::empty({5, 7});
  const double se = squared_error_and_residual(out, x, residual);
  EXPECT_NEAR(se, (out.to(torch::kFloat64) - x.to(torch::kFloat64)).pow(2).sum().item<double>(), 1e-4);
  EXPECT_TRUE(torch::equal(residual, out - x));
}

}  // namespace fused_mlp_test
}  // namespace latentkit
