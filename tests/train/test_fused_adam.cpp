// FusedAdam against torch::optim::Adam: the same parameters after many steps on the same
// gradients (with and without weight decay, float32 and float64), the same serialised state,
// and a checkpoint of one continuing in the other.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sstream>

#include "latentkit/train/fused_adam.h"

namespace latentkit {
namespace fused_adam_test {

// Runs `steps` updates of each optimizer on copies of the same parameters, with gradients drawn
// from a fixed stream (some large, some tiny, so the denominator's eps matters), and returns the
// largest absolute difference of the parameters. The parameters move by up to lr * steps = 0.6.
double max_abs_difference(torch::ScalarType dtype, double weight_decay, int steps) {
  torch::manual_seed(7);
  std::vector<torch::Tensor> a, b;
  for (auto shape : {std::vector<int64_t>{37, 11}, std::vector<int64_t>{11}, std::vector<int64_t>{3, 5, 7}}) {
    auto init = torch::randn(shape, torch::TensorOptions().dtype(dtype));
    a.push_back(init.clone().requires_grad_());
    b.push_back(init.clone().requires_grad_());
  }
  auto opts = torch::optim::AdamOptions(3e-3).weight_decay(weight_decay).eps(1e-8);
  torch::optim::Adam reference(a, opts);
  FusedAdam fused(b, opts);
  for (int s = 0; s < steps; ++s) {
    for (size_t i = 0; i < a.size(); ++i) {
      auto g = torch::randn(a[i].sizes(), torch::TensorOptions().dtype(dtype)) *
               (s % 3 == 0 ? 1e-9 : 1.0);
      a[i].mutable_grad() = g.clone();
      b[i].mutable_grad() = g.clone();
    }
    reference.step();
    fused.step();
  }
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    auto diff = (a[i] - b[i]).abs();
    worst = std::max(worst, diff.max().item<double>());
  }
  return worst;
}

TEST(FusedAdam, MatchesTorchAdamInFloat64) {
  EXPECT_LT(max_abs_difference(torch::kFloat64, 0.0, 200), 1e-13);
  EXPECT_LT(max_abs_difference(torch::kFloat64, 0.01, 200), 1e-13);
}

TEST(FusedAdam, MatchesTorchAdamInFloat32) {
  // float32 rounding differs in the last bits per step (sqrt(v) * 1/sqrt(bc2) against
  // sqrt(v) / sqrt(bc2)); 200 steps leave them below 1e-5 of a movement of up to 0.6.
  EXPECT_LT(max_abs_difference(torch::kFloat32, 0.0, 200), 1e-5);
  EXPECT_LT(max_abs_difference(torch::kFloat32, 0.01, 200), 1e-5);
}

TEST(FusedAdam, StateSerialisesLikeAdamAndResumesInIt) {
  torch::manual_seed(3);
  auto p0 = torch::randn({20, 4}, torch::kFloat64);
  auto p = p0.clone().requires_grad_();
  FusedAdam fused({p}, torch::optim::AdamOptions(1e-2));
  for (int s = 0; s < 5; ++s) {
    p.mutable_grad() = torch::sin(p.detach() * (s + 1));
    fused.step();
  }
  // FusedAdam's archive loads into torch::optim::Adam, and both continue identically.
  std::stringstream bytes;
  {
    torch::serialize::OutputArchive out;
    fused.save(out);
    out.save_to(bytes);
  }
  auto q = p.detach().clone().requires_grad_();
  torch::optim::Adam reference({q}, torch::optim::AdamOptions(1e-2));
  {
    torch::serialize::InputArchive in;
    in.load_from(bytes);
    reference.load(in);
  }
  for (int s = 5; s < 10; ++s) {
    p.mutable_grad() = torch::sin(p.detach() * (s + 1));
    q.mutable_grad() = torch::sin(q.detach() * (s + 1));
    fused.step();
    reference.step();
  }
  EXPECT_TRUE(torch::allclose(p, q, 1e-12, 1e-14));
  EXPECT_FALSE(torch::allclose(p, p0));
}

TEST(FusedAdam, AmsgradTakesTheReferencePath) {
  torch::manual_seed(5);
  auto init = torch::randn({6, 3}, torch::kFloat64);
  auto a = init.clone().requires_grad_(), b = init.clone().requires_grad_();
  auto opts = torch::optim::AdamOptions(1e-2).amsgrad(true);
  torch::optim::Adam reference({a}, opts);
  FusedAdam fused({b}, opts);
  for (int s = 0; s < 20; ++s) {
    auto g = torch::randn({6, 3}, torch::kFloat64) / (s + 1);
    a.mutable_grad() = g.clone();
    b.mutable_grad() = g.clone();
    reference.step();
    fused.step();
  }
  EXPECT_TRUE(torch::equal(a, b));
}

}  // namespace fused_adam_test
}  // namespace latentkit
