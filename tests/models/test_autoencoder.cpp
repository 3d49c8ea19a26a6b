// The plain autoencoder's losses against hand computations, and the Model base defaults.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "hand_mlp.h"
#include "latentkit/models/network.h"
#include "latentkit/catalog/catalog.h"
#include "latentkit/error.h"
#include "latentkit/models/autoencoder.h"
#include "latentkit/models/model.h"

namespace latentkit {
namespace autoencoder_test {

using testing::hand_bce;
using testing::hand_forward;
using testing::linear_layers;
using testing::to_matrix;

ModelConfig small_ae(const std::string& likelihood) {
  ModelConfig c = default_config("ae");
  c.get<ReconstructionOptions>().loss = likelihood;
  c.input_dim = 5;
  c.get<NetworkOptions>().hidden = {4};
  c.get<NetworkOptions>().latent_dim = 2;
  c.get<NetworkOptions>().activation = "tanh";
  return c;
}

struct HandAeTerms {
  double recon = 0, mse = 0;
};

// Batch means over rows of x, computed with loops from the model's weights.
HandAeTerms hand_ae(Autoencoder& ae, const torch::Tensor& x, bool bce) {
  auto enc = linear_layers(ae.encoder()), dec = linear_layers(ae.decoder());
  auto rows = to_matrix(x);
  HandAeTerms t;
  auto act = [](double v) { return std::tanh(v); };
  for (const auto& row : rows) {
    auto out = hand_forward(dec, hand_forward(enc, row, act), act);
    for (size_t d = 0; d < row.size(); ++d) {
      const double xhat = bce ? 1 / (1 + std::exp(-out[d])) : out[d];
      t.recon += bce ? hand_bce(out[d], row[d]) : (out[d] - row[d]) * (out[d] - row[d]);
      t.mse += (xhat - row[d]) * (xhat - row[d]);
    }
  }
  t.recon /= rows.size();
  t.mse /= rows.size();
  return t;
}

TEST(Autoencoder, LossesEqualHandComputation) {
  for (const std::string lik : {"bce", "mse"}) {
    SCOPED_TRACE(lik);
    torch::manual_seed(11);
    auto model = make_model(small_ae(lik));
    auto& ae = dynamic_cast<Autoencoder&>(*model);
    ae.to(torch::kFloat64);
    auto x = torch::rand({6, 5}, torch::kFloat64);
    auto terms = ae.losses(x);
    const auto hand = hand_ae(ae, x, lik == "bce");
    EXPECT_NEAR(terms.at("loss").item<double>(), hand.recon, 1e-10);
    EXPECT_NEAR(terms.at("recon").item<double>(), hand.recon, 1e-10);
    EXPECT_NEAR(terms.at("mse").item<double>(), hand.mse, 1e-10);
    EXPECT_EQ(terms.at("loss").dim(), 0);
  }
}

TEST(Autoencoder, ShapesAndDecodeRange) {
  auto model = make_model(small_ae("bce"));
  auto x = torch::rand({3, 5});
  auto z = model->encode(x);
  EXPECT_EQ(z.sizes(), (std::vector<int64_t>{3, 2}));
  auto xhat = model->decode(z * 100);  // sigmoid keeps probabilities inside [0, 1]
  EXPECT_EQ(xhat.sizes(), (std::vector<int64_t>{3, 5}));
  EXPECT_GE(xhat.min().item<double>(), 0.0);
  EXPECT_LE(xhat.max().item<double>(), 1.0);
}

TEST(ModelBase, ReconstructionErrorIsPerSampleSquaredError) {
  torch::manual_seed(2);
  auto model = make_model(small_ae("bce"));
  model->to(torch::kFloat64);
  auto x = torch::rand({4, 5}, torch::kFloat64);
  auto err = model->reconstruction_error(x);
  ASSERT_EQ(err.sizes(), (std::vector<int64_t>{4}));
  auto xhat = to_matrix(model->decode(model->encode(x)).detach());
  auto rows = to_matrix(x);
  for (size_t i = 0; i < rows.size(); ++i) {
    double e = 0;
    for (size_t d = 0; d < rows[i].size(); ++d) e += std::pow(xhat[i][d] - rows[i][d], 2);
    EXPECT_NEAR(err[i].item<double>(), e, 1e-12);
  }
}

TEST(ModelBase, AutoencoderHasNoPriorOrLikelihood) {
  auto model = make_model(small_ae("mse"));
  EXPECT_FALSE(model->has_log_likelihood());
  try {
    model->sample(3);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "model 'ae': has no prior to sample from");
  }
  EXPECT_THROW(model->log_likelihood(torch::rand({2, 5}), 10), InputError);
}

TEST(ModelBase, ParamGroupsAndTrainStep) {
  torch::manual_seed(5);
  auto model = make_model(small_ae("mse"));
  auto groups = model->param_groups();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].name, "model");
  EXPECT_EQ(groups[0].params.size(), model->parameters().size());

  Optimizers opt;
  opt["model"] = std::make_unique<torch::optim::Adam>(groups[0].params,
                                                       torch::optim::AdamOptions(1e-2));
  auto x = torch::rand({16, 5});
  const double first = model->losses(x).at("loss").item<double>();
  LossTerms last;
  for (int i = 0; i < 100; ++i) last = model->train_step(x, {}, opt);
  for (const auto& [name, t] : last) EXPECT_FALSE(t.requires_grad()) << name;
  EXPECT_LT(last.at("loss").item<double>(), 0.5 * first);
}

TEST(MakeModel, ValidatesAndDispatchesOnKind) {
  ModelConfig c = small_ae("bce");
  EXPECT_NE(dynamic_cast<Autoencoder*>(make_model(c).get()), nullptr);
  c.kind = "nope";
  EXPECT_THROW(make_model(c), InputError);  // unknown kind
  c = small_ae("bce");
  c.get<NetworkOptions>().latent_dim = 0;
  EXPECT_THROW(make_model(c), InputError);
}

}  // namespace
}  // namespace latentkit
