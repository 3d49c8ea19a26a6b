// Every flow layer: f^-1(f(x)) = x (float64 within 1e-10, float32 within 1e-4), and its logdet
// equals log|det| of the Jacobian built by brute force with autograd.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>

#include "jacobian.h"
#include "latentkit/catalog/catalog.h"
#include "latentkit/flows/actnorm.h"
#include "latentkit/flows/coupling.h"
#include "latentkit/flows/flow_architectures.h"
#include "latentkit/flows/invertible_conv.h"
#include "latentkit/flows/logit.h"
#include "latentkit/flows/reshuffle.h"

using namespace latentkit;
using latentkit::testing::brute_force_logdet;
using latentkit::testing::randomize;

namespace flow_layers_test {

struct Case {
  std::string name;
  std::function<std::shared_ptr<FlowLayer>()> make;
  std::vector<int64_t> shape;  // per sample
  bool unit_interval = false;  // inputs in (0, 1) (the logit transform)
};

ModelConfig tiny_image_config(const std::string& kind, int64_t channels = 1) {
  ModelConfig c = default_config(kind);
  c.input_dim = channels * 16;
  c.image_shape = {channels, 4, 4};
  c.get<FlowOptions>().flow_steps = 1;
  c.get<MultiScaleOptions>().flow_scales = 2;
  c.get<FlowOptions>().flow_hidden = 4;
  return c;
}

std::vector<Case> cases() {
  auto affine = CouplingKind::Affine, additive = CouplingKind::Additive;
  return {
      {"affine coupling, half mask", [=] { return std::make_shared<Coupling>(affine, half_mask(6, false), coupling_mlp(6, 8, 2), 6); }, {6}},
      {"additive coupling, flipped half mask", [=] { return std::make_shared<Coupling>(additive, half_mask(5, true), coupling_mlp(5, 8, 1), 5); }, {5}},
      {"affine coupling, checkerboard", [=] { return std::make_shared<Coupling>(affine, checkerboard_mask(4, 4, false), coupling_convnet(2, 4, 2), 2); }, {2, 4, 4}},
      {"additive coupling, checkerboard", [=] { return std::make_shared<Coupling>(additive, checkerboard_mask(3, 3, true), coupling_convnet(1, 4, 1), 1); }, {1, 3, 3}},
      {"affine coupling, channel mask", [=] { return std::make_shared<Coupling>(affine, channel_mask(4, true), coupling_convnet(4, 4, 2), 4); }, {4, 2, 2}},
      {"actnorm, image", [] { return std::make_shared<ActNorm>(3, true); }, {3, 2, 2}},
      {"actnorm, vector", [] { return std::make_shared<ActNorm>(5, false); }, {5}},
      {"1x1 conv, plain", [] { return std::make_shared<InvertibleConv>(3, false); }, {3, 2, 2}},
      {"1x1 conv, LU", [] { return std::make_shared<InvertibleConv>(3, true); }, {3, 2, 2}},
      {"linear map, LU, vector", [] { return std::make_shared<InvertibleConv>(5, true); }, {5}},
      {"permutation, reverse", [] { return std::make_shared<Permutation>(4, false); }, {4, 2, 1}},
      {"permutation, random", [] { return std::make_shared<Permutation>(6, true); }, {6}},
      {"squeeze", [] { return std::make_shared<Squeeze>(); }, {2, 4, 2}},
      {"logit", [] { return std::make_shared<Logit>(0.05); }, {6}, true},
      {"realnvp body (multi-scale)", [] { return build_flow_body(FlowArchitecture::RealNVP, tiny_image_config("realnvp")).layers; }, {1, 4, 4}},
      {"glow body (multi-scale)", [] { return build_flow_body(FlowArchitecture::Glow, tiny_image_config("glow")).layers; }, {1, 4, 4}},
      // Colour: after squeezing, couplings, ActNorm and 1x1 convolutions act on 12 channels.
      {"realnvp body, 3 channels", [] { return build_flow_body(FlowArchitecture::RealNVP, tiny_image_config("realnvp", 3)).layers; }, {3, 4, 4}},
      {"glow body, 3 channels", [] { return build_flow_body(FlowArchitecture::Glow, tiny_image_config("glow", 3)).layers; }, {3, 4, 4}},
  };
}

torch::Tensor inputs(const Case& c, torch::Dtype dtype) {
  std::vector<int64_t> shape{3};
  shape.insert(shape.end(), c.shape.begin(), c.shape.end());
  auto x = c.unit_interval ? torch::rand(shape, torch::kFloat64) : torch::randn(shape, torch::kFloat64);
  return x.to(dtype);
}

// A layer with random weights in float64 (ActNorm-like layers are not the identity either).
std::shared_ptr<FlowLayer> make(const Case& c) {
  torch::manual_seed(3);
  auto layer = c.make();
  randomize(*layer);
  layer->to(torch::kFloat64);
  layer->eval();
  return layer;
}


TEST(FlowLayers, InverseUndoesForwardInFloat64) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    auto layer = make(c);
    torch::NoGradGuard no_grad;
    auto x = inputs(c, torch::kFloat64);
    auto back = layer->inverse(layer->forward(x).y);
    ASSERT_EQ(back.sizes(), x.sizes());
    EXPECT_LT((back - x).abs().max().item<double>(), 1e-10);
  }
}

TEST(FlowLayers, InverseUndoesForwardInFloat32) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    auto layer = make(c);
    layer->to(torch::kFloat32);
    torch::NoGradGuard no_grad;
    auto x = inputs(c, torch::kFloat32);
    auto back = layer->inverse(layer->forward(x).y);
    EXPECT_LT((back - x).abs().max().item<double>(), 1e-4);
  }
}

TEST(FlowLayers, LogDetEqualsBruteForceJacobian) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    auto layer = make(c);
    auto x = inputs(c, torch::kFloat64);
    auto logdet = layer->forward(x).logdet.detach();
    auto expected = brute_force_logdet([&](const torch::Tensor& v) { return layer->forward(v).y; }, x);
    ASSERT_EQ(logdet.sizes(), expected.sizes());
    EXPECT_LT((logdet - expected).abs().max().item<double>(), 1e-8)
        << "layer " << logdet << "\nbrute force " << expected;
  }
}

TEST(FlowLayers, SqueezeMovesEachTwoByTwoBlockIntoChannels) {
  auto x = torch::arange(16, torch::kFloat64).view({1, 1, 4, 4});
  auto y = Squeeze().forward(x).y;  // [1, 4, 2, 2]
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{1, 4, 2, 2}));
  // Channel 2*di + dj at (i, j) holds x[2i + di, 2j + dj].
  for (int64_t di = 0; di < 2; ++di)
    for (int64_t dj = 0; dj < 2; ++dj)
      for (int64_t i = 0; i < 2; ++i)
        for (int64_t j = 0; j < 2; ++j)
          EXPECT_EQ(y[0][2 * di + dj][i][j].item<double>(), x[0][0][2 * i + di][2 * j + dj].item<double>());
}

TEST(FlowLayers, MasksAlternateAndCoverEverything) {
  EXPECT_TRUE(torch::equal(half_mask(5, false) + half_mask(5, true), torch::ones({1, 5})));
  EXPECT_EQ(half_mask(5, false).sum().item<double>(), 2.0);
  auto cb = checkerboard_mask(3, 3, false);
  EXPECT_TRUE(torch::equal(cb + checkerboard_mask(3, 3, true), torch::ones({1, 1, 3, 3})));
  EXPECT_EQ(cb[0][0][0][0].item<double>(), 1.0);
  EXPECT_EQ(cb[0][0][0][1].item<double>(), 0.0);
  EXPECT_EQ(cb[0][0][1][1].item<double>(), 1.0);
  EXPECT_TRUE(torch::equal(channel_mask(4, false).flatten(), torch::tensor({1.f, 1.f, 0.f, 0.f})));
}

}  // namespace flow_layers_test
