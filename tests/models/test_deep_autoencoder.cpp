// The deep autoencoder ("deep-ae"): the unrolled network against a hand-written forward pass of
// its RBMs, the pretraining schedule (one RBM at a time, on the codes of those below, decoder
// tied to the transposes), and fine-tuning with Adam and with L-BFGS.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <memory>

#include "latentkit/models/autoencoder.h"
#include "latentkit/catalog/catalog.h"
#include "latentkit/models/deep_autoencoder.h"
#include "latentkit/models/model.h"

namespace latentkit {
namespace deep_autoencoder_test {

ModelConfig small_deep(int64_t pretrain_epochs, const std::string& finetune = "adam") {
  ModelConfig c = default_config("deep-ae");
  c.get<ReconstructionOptions>().loss = "bce";
  c.input_dim = 16;
  c.get<DeepAutoencoderOptions>().hidden = {12, 8};
  c.get<DeepAutoencoderOptions>().latent_dim = 3;
  c.get<DeepAutoencoderOptions>().pretrain_epochs = pretrain_epochs;
  c.get<DeepAutoencoderOptions>().finetune = finetune;
  return c;
}

std::shared_ptr<DeepAutoencoder> build(const ModelConfig& c) {
  return std::dynamic_pointer_cast<DeepAutoencoder>(make_model(c));
}

// Two binary prototypes (16 bits) with 5% of the bits flipped.
torch::Tensor prototypes(int64_t n) {
  auto proto = torch::zeros({2, 16});
  proto[0].narrow(0, 0, 8).fill_(1);
  proto[1].narrow(0, 4, 8).fill_(1);
  auto x = proto.index_select(0, torch::randint(2, {n}, torch::kLong));
  return (x - torch::bernoulli(torch::full_like(x, 0.05))).abs();
}

TEST(DeepAutoencoder, UnrolledNetworkIsTheRbmStackAndItsTransposes) {
  torch::manual_seed(1);
  auto model = build(small_deep(2));
  ASSERT_EQ(model->layers(), 3u);
  EXPECT_FALSE(model->rbm(0).gaussian_hidden());
  EXPECT_FALSE(model->rbm(1).gaussian_hidden());
  EXPECT_TRUE(model->rbm(2).gaussian_hidden());  // the linear code layer
  auto x = torch::rand({5, 16});
  // Encoder: logistic layers, then a linear code; decoder: transposed weights, visible biases.
  auto h = x;
  for (size_t i = 0; i < 3; ++i) {
    auto a = torch::matmul(h, model->rbm(i).weight.t()) + model->rbm(i).hidden_bias;
    h = i < 2 ? torch::sigmoid(a) : a;
  }
  EXPECT_TRUE(torch::allclose(model->encode(x), h, 1e-5, 1e-6));
  auto z = torch::randn({5, 3});
  auto d = z;
  for (size_t i = 3; i-- > 0;) {
    d = torch::sigmoid(torch::matmul(d, model->rbm(i).weight) + model->rbm(i).visible_bias);
  }
  EXPECT_TRUE(torch::allclose(model->decode(z), d, 1e-5, 1e-6));
  EXPECT_EQ(model->pretraining_epochs(), 6);
}

// The decoder the hand-written way: transposed RBM weights and visible biases. z: [B, L] -> [B, D]
torch::Tensor tied_decode(DeepAutoencoder& model, const torch::Tensor& z) {
  auto d = z;
  for (size_t i = model.layers(); i-- > 0;)
    d = torch::sigmoid(torch::matmul(d, model.rbm(i).weight) + model.rbm(i).visible_bias);
  return d;
}

TEST(DeepAutoencoder, PretrainingTrainsOneRbmAtATimeAndKeepsTheDecoderTied) {
  torch::manual_seed(2);
  auto model = build(small_deep(2));
  auto x = prototypes(256);
  const double untrained = model->losses(x).at("recon").item<double>();
  // While the first RBM trains, the terms reconstruct through it alone: x -> h -> logits.
  model->set_training_progress(0.5);
  auto& r0 = model->rbm(0);
  auto logits = torch::matmul(torch::sigmoid(torch::matmul(x, r0.weight.t()) + r0.hidden_bias), r0.weight) +
                r0.visible_bias;
  auto bce = torch::binary_cross_entropy_with_logits(logits, x, {}, {}, at::Reduction::None).sum(1).mean();
  EXPECT_NEAR(model->losses(x).at("recon").item<double>(), bce.item<double>(), 1e-4);
  Optimizers none;  // pretraining needs no optimizer
  for (size_t layer = 0; layer < 3; ++layer) {
    std::vector<torch::Tensor> before;
    for (size_t i = 0; i < 3; ++i) before.push_back(model->rbm(i).weight.detach().clone());
    // The RBM trains on the codes of the layers below: their width is its visible size.
    EXPECT_EQ(model->layer_input(x, layer).size(1), model->rbm(layer).visible());
    // Every position inside the layer's epochs [2 layer, 2 layer + 2) trains that layer only.
    for (int step = 0; step < 200; ++step) {
      model->set_training_progress(2.0 * layer + step / 100.0);
      auto terms = model->train_step(x.narrow(0, (step % 4) * 64, 64), {}, none);
      ASSERT_TRUE(terms.count("cd_recon"));
    }
    for (size_t i = 0; i < 3; ++i) {
      const bool changed = !torch::equal(model->rbm(i).weight.detach(), before[i]);
      EXPECT_EQ(changed, i == layer) << "layer " << i << " while pretraining layer " << layer;
    }
  }
  auto z = torch::randn({4, 3});
  EXPECT_TRUE(torch::allclose(model->decode(z), tied_decode(*model, z), 1e-5, 1e-6));
  // The pretrained stack already reconstructs far better than the random one.
  EXPECT_LT(model->losses(x).at("recon").item<double>(), 0.7 * untrained);
}

TEST(DeepAutoencoder, FineTuningWithAdamUntiesAndImprovesTheNetwork) {
  torch::manual_seed(3);
  auto model = build(small_deep(0));  // random initialisation: fine-tuning from the start
  EXPECT_EQ(model->pretraining_epochs(), 0);
  auto x = prototypes(256);
  Optimizers opt;
  for (auto& g : model->param_groups())
    opt[g.name] = std::make_unique<torch::optim::Adam>(g.params, torch::optim::AdamOptions(1e-2));
  const double before = model->losses(x).at("recon").item<double>();
  model->set_training_progress(0.0);
  for (int step = 0; step < 300; ++step) model->train_step(x.narrow(0, (step % 4) * 64, 64), {}, opt);
  EXPECT_LT(model->losses(x).at("recon").item<double>(), 0.5 * before);
  auto z = torch::randn({4, 3});
  EXPECT_FALSE(torch::allclose(model->decode(z), tied_decode(*model, z), 1e-3, 1e-3));
}

TEST(DeepAutoencoder, FineTuningWithLbfgsImprovesTheNetwork) {
  torch::manual_seed(4);
  auto model = build(small_deep(0, "lbfgs"));
  auto groups = model->param_groups();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].optimizer, "lbfgs");
  auto x = prototypes(256);
  Optimizers opt;
  opt["model"] = std::make_unique<torch::optim::LBFGS>(
      groups[0].params,
      torch::optim::LBFGSOptions(groups[0].lr).max_iter(3).line_search_fn("strong_wolfe"));
  // A line-search method on one fixed batch: the loss never rises from step to step.
  double previous = model->losses(x).at("recon").item<double>();
  const double before = previous;
  for (int step = 0; step < 30; ++step) {
    auto terms = model->train_step(x, {}, opt);
    ASSERT_TRUE(std::isfinite(terms.at("loss").item<double>()));
    const double now = model->losses(x).at("recon").item<double>();
    EXPECT_LE(now, previous + 1e-5) << "step " << step;
    previous = now;
  }
  EXPECT_LT(previous, 0.75 * before);
}

}  // namespace
}  // namespace latentkit
