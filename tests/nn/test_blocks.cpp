// Encoder / decoder blocks: output shapes, layer structure, and autograd gradients against
// central finite differences in float64.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "gradcheck.h"
#include "latentkit/models/network.h"
#include "latentkit/catalog/catalog.h"
#include "latentkit/error.h"
#include "latentkit/models/model_config.h"
#include "latentkit/nn/activation.h"
#include "latentkit/nn/blocks.h"

namespace latentkit {
namespace blocks_test {

using testing::expect_gradients_match;

// A scalar that depends on every output element with a different weight, so a wrong gradient
// in any output cannot cancel out: sum(out * w), w fixed.
std::function<torch::Tensor()> weighted_sum(torch::nn::Sequential seq, torch::Tensor x,
                                            int64_t out_dim) {
  auto w = torch::randn({x.size(0), out_dim}, torch::kFloat64);
  return [seq, x, w]() mutable { return (seq->forward(x) * w).sum(); };
}

TEST(Mlp, ShapesAndLayerCount) {
  auto mlp = make_mlp(7, {5, 4}, 3, "relu");
  EXPECT_EQ(mlp->size(), 5u);  // Linear, act, Linear, act, Linear
  EXPECT_EQ(mlp->forward(torch::randn({6, 7})).sizes(), (std::vector<int64_t>{6, 3}));
  auto single = make_mlp(7, {}, 3, "relu");
  EXPECT_EQ(single->size(), 1u);  // a lone Linear: no activation after the last layer
  EXPECT_EQ(single->forward(torch::randn({2, 7})).sizes(), (std::vector<int64_t>{2, 3}));
}

TEST(Mlp, LastLayerHasNoActivation) {
  // With relu after the last layer the outputs could never be negative.
  torch::manual_seed(1);
  auto mlp = make_mlp(4, {8}, 16, "relu");
  auto y = mlp->forward(torch::randn({64, 4}));
  EXPECT_LT(y.min().item<double>(), 0.0);
}

TEST(Mlp, GradientsMatchFiniteDifferencesForEveryActivation) {
  for (const auto& act : activation_names()) {
    SCOPED_TRACE(act);
    torch::manual_seed(7);
    auto mlp = make_mlp(3, {4, 3}, 2, act);
    mlp->to(torch::kFloat64);
    // Inputs away from zero, and a seed checked to keep pre-activations off relu's kink.
    auto x = torch::randn({5, 3}, torch::kFloat64);
    expect_gradients_match(*mlp, weighted_sum(mlp, x, 2));
  }
}

TEST(ConvEncoder, HalvesEachLayerAndEndsLinear) {
  // {1, 8, 8} through two stride-2 layers: 8 -> 4 -> 2, then 3*2*2 = 12 -> Linear -> 5.
  auto enc = make_conv_encoder({1, 8, 8}, {2, 3}, 5, "relu");
  auto x = torch::randn({4, 64});
  EXPECT_EQ(enc->forward(x).sizes(), (std::vector<int64_t>{4, 5}));
  // Padding 1 is what makes a 4x4 stride-2 kernel halve exactly: after the first layer the
  // feature map is [B, 2, 4, 4].
  EXPECT_EQ(enc->at<torch::nn::Conv2dImpl>(1).forward(x.view({4, 1, 8, 8})).sizes(),
            (std::vector<int64_t>{4, 2, 4, 4}));
  int convs = 0;
  for (const auto& m : enc->children()) {
    if (auto* c = m->as<torch::nn::Conv2d>()) {
      ++convs;
      EXPECT_EQ(*c->options.kernel_size(), (std::array<int64_t, 2>{4, 4}));
      EXPECT_EQ(*c->options.stride(), (std::array<int64_t, 2>{2, 2}));
    }
  }
  EXPECT_EQ(convs, 2);
  auto* last = enc->children().back()->as<torch::nn::Linear>();
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->options.in_features(), 12);
}

TEST(ConvDecoder, MirrorsTheEncoder) {
  auto dec = make_conv_decoder(5, {2, 3}, {3, 8, 4}, "elu");
  EXPECT_EQ(dec->forward(torch::randn({2, 5})).sizes(), (std::vector<int64_t>{2, 3 * 8 * 4}));
  auto* first = dec->children().front()->as<torch::nn::Linear>();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->options.out_features(), 3 * 2 * 1);  // top channels x (8/4) x (4/4)
  // The last layer is the transposed conv to C channels (then a flatten), no activation.
  auto children = dec->children();
  auto* out = children[children.size() - 2]->as<torch::nn::ConvTranspose2d>();
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->options.out_channels(), 3);
}

TEST(ConvBlocks, RejectIndivisibleImages) {
  EXPECT_THROW(make_conv_encoder({1, 6, 8}, {2, 3}, 5, "relu"), InputError);
  EXPECT_THROW(make_conv_decoder(5, {2}, {1, 7, 8}, "relu"), InputError);
  EXPECT_THROW(make_conv_encoder({8, 8}, {2}, 5, "relu"), InputError);
}

TEST(ConvEncoder, GradientsMatchFiniteDifferences) {
  torch::manual_seed(3);
  auto enc = make_conv_encoder({2, 4, 4}, {3, 2}, 3, "tanh");
  enc->to(torch::kFloat64);
  auto x = torch::randn({2, 2 * 4 * 4}, torch::kFloat64);
  expect_gradients_match(*enc, weighted_sum(enc, x, 3));
}

TEST(ConvDecoder, GradientsMatchFiniteDifferences) {
  torch::manual_seed(4);
  auto dec = make_conv_decoder(3, {3, 2}, {2, 4, 4}, "elu");
  dec->to(torch::kFloat64);
  auto z = torch::randn({2, 3}, torch::kFloat64);
  expect_gradients_match(*dec, weighted_sum(dec, z, 2 * 4 * 4));
}

TEST(EncoderDecoder, DispatchOnArchitectureAndMirrorHiddenWidths) {
  ModelConfig c = default_config("vae");
  c.input_dim = 10;
  c.get<NetworkOptions>().hidden = {8, 6};
  auto enc = make_encoder(c, 4), dec = make_decoder(c, 3);
  std::vector<int64_t> enc_widths, dec_widths;
  for (const auto& m : enc->children())
    if (auto* l = m->as<torch::nn::Linear>()) enc_widths.push_back(l->options.out_features());
  for (const auto& m : dec->children())
    if (auto* l = m->as<torch::nn::Linear>()) dec_widths.push_back(l->options.out_features());
  EXPECT_EQ(enc_widths, (std::vector<int64_t>{8, 6, 4}));
  EXPECT_EQ(dec_widths, (std::vector<int64_t>{6, 8, 10}));

  c.get<NetworkOptions>().architecture = "conv";
  c.image_shape = {1, 4, 4};
  c.input_dim = 16;
  c.get<NetworkOptions>().conv_channels = {2};
  EXPECT_EQ(make_encoder(c, 4)->forward(torch::randn({3, 16})).sizes(),
            (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(make_decoder(c, 4)->forward(torch::randn({3, 4})).sizes(),
            (std::vector<int64_t>{3, 16}));
  c.get<NetworkOptions>().architecture = "rnn";
  EXPECT_THROW(make_encoder(c, 4), InputError);
}

}  // namespace
}  // namespace latentkit
