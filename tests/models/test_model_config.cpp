// ModelConfig: JSON round trip, defaults for missing fields, and one rejection per bad field.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <functional>

#include "latentkit/error.h"
#include "latentkit/models/model.h"
#include "latentkit/models/model_config.h"

namespace latentkit {
namespace model_config_test {

// Expects validate() to throw an InputError whose message names `field`.
void expect_rejected(const ModelConfig& c, const std::string& field) {
  try {
    c.validate();
    ADD_FAILURE() << "expected " << field << " to be rejected";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(field + ":", 0), 0u)
        << "message does not start with '" << field << ":': " << e.what();
  }
}

ModelConfig conv_config() {
  ModelConfig c;
  c.architecture = "conv";
  c.image_shape = {1, 28, 28};
  c.input_dim = 784;
  c.conv_channels = {32, 64};
  return c;
}

TEST(ModelConfig, DefaultsAndConvAreValid) {
  EXPECT_NO_THROW(ModelConfig{}.validate());
  EXPECT_NO_THROW(conv_config().validate());
  ModelConfig ae;
  ae.kind = "ae";
  for (const char* lik : {"bce", "mse"}) {
    ae.likelihood = lik;
    EXPECT_NO_THROW(ae.validate()) << lik;
  }
  ModelConfig vae;
  vae.likelihood = "gaussian";
  vae.learn_sigma = true;
  EXPECT_NO_THROW(vae.validate());
}

TEST(ModelConfig, RejectsEachInvalidFieldByName) {
  const std::vector<std::pair<std::string, std::function<void(ModelConfig&)>>> cases = {
      {"kind", [](ModelConfig& c) { c.kind = "gan9000"; }},
      {"activation", [](ModelConfig& c) { c.activation = "swish"; }},
      {"architecture", [](ModelConfig& c) { c.architecture = "transformer"; }},
      {"likelihood", [](ModelConfig& c) { c.likelihood = "poisson"; }},
      {"likelihood", [](ModelConfig& c) { c.likelihood = "bce"; }},  // an ae likelihood on a vae
      {"likelihood", [](ModelConfig& c) { c.kind = "ae"; }},         // bernoulli on an ae
      {"latent_dim", [](ModelConfig& c) { c.latent_dim = 0; }},
      {"input_dim", [](ModelConfig& c) { c.input_dim = 0; }},
      {"hidden", [](ModelConfig& c) { c.hidden = {400, 0}; }},
      {"beta", [](ModelConfig& c) { c.beta = -1; }},
      {"sigma", [](ModelConfig& c) { c.sigma = 0; }},
      {"noise", [](ModelConfig& c) { c.noise = "speckle"; }},
      {"noise_level", [](ModelConfig& c) { c.noise_level = -0.1; }},
      {"dropout", [](ModelConfig& c) { c.dropout = 1.0; }},
      {"image_shape", [](ModelConfig& c) { c.architecture = "conv"; c.image_shape = {}; }},
      {"image_shape", [](ModelConfig& c) { c.image_shape = {28, 28}; }},
      {"flow_steps", [](ModelConfig& c) { c.flow_steps = -1; }},
      {"flow_scales", [](ModelConfig& c) { c.flow_scales = -1; }},
      {"flow_hidden", [](ModelConfig& c) { c.flow_hidden = -1; }},
      {"flow_coupling", [](ModelConfig& c) { c.flow_coupling = "multiplicative"; }},
      {"flow_permutation", [](ModelConfig& c) { c.flow_permutation = "shuffle"; }},
      {"logit_alpha", [](ModelConfig& c) { c.logit_alpha = 0.5; }},
      {"prior", [](ModelConfig& c) { c.prior = "laplace"; }},
      {"prior_components", [](ModelConfig& c) { c.prior_components = 0; }},
      {"latent_dim", [](ModelConfig& c) { c.kind = "aae"; c.likelihood = "bce"; c.prior = "mixture"; }},
      {"disc_hidden", [](ModelConfig& c) { c.disc_hidden = {0}; }},
      {"disc_lr_scale", [](ModelConfig& c) { c.disc_lr_scale = 0; }},
      {"gen_lr_scale", [](ModelConfig& c) { c.gen_lr_scale = -1; }},
      {"rbm_hidden", [](ModelConfig& c) { c.rbm_hidden = "softmax"; }},
      {"cd_k", [](ModelConfig& c) { c.cd_k = 0; }},
      {"rbm_lr", [](ModelConfig& c) { c.rbm_lr = 0; }},
      {"rbm_code_lr", [](ModelConfig& c) { c.rbm_code_lr = -1; }},
      {"rbm_momentum", [](ModelConfig& c) { c.rbm_momentum = 1.0; }},
      {"rbm_weight_decay", [](ModelConfig& c) { c.rbm_weight_decay = -1; }},
      {"gibbs_steps", [](ModelConfig& c) { c.gibbs_steps = 0; }},
      {"pretrain_epochs", [](ModelConfig& c) { c.pretrain_epochs = -1; }},
      {"finetune", [](ModelConfig& c) { c.finetune = "sgd"; }},
      {"gmm_components", [](ModelConfig& c) { c.gmm_components = 0; }},
      {"gmm_covariance", [](ModelConfig& c) { c.gmm_covariance = "spherical"; }},
      {"variance_floor", [](ModelConfig& c) { c.variance_floor = 0; }},
      {"hidden", [](ModelConfig& c) { c.kind = "deep-ae"; c.likelihood = "bce"; c.hidden = {}; }},
  };
  for (const auto& [field, mutate] : cases) {
    ModelConfig c;
    mutate(c);
    expect_rejected(c, field);
  }
  const std::vector<std::pair<std::string, std::function<void(ModelConfig&)>>> conv_cases = {
      {"image_shape", [](ModelConfig& c) { c.conv_channels = {8, 8, 8}; }},  // 28 % 8 != 0
      {"image_shape", [](ModelConfig& c) { c.image_shape = {1, 30, 28}; c.input_dim = 840; }},
      {"input_dim", [](ModelConfig& c) { c.input_dim = 785; }},
      {"input_dim", [](ModelConfig& c) { c.image_shape = {3, 28, 28}; }},
      {"conv_channels", [](ModelConfig& c) { c.conv_channels = {8, -1}; }},
  };
  for (const auto& [field, mutate] : conv_cases) {
    ModelConfig c = conv_config();
    mutate(c);
    expect_rejected(c, field);
  }
}

TEST(ModelConfig, JsonRoundTripsEveryField) {
  ModelConfig c = conv_config();
  c.kind = "ae";
  c.hidden = {300, 100};
  c.latent_dim = 7;
  c.activation = "gelu";
  c.likelihood = "mse";
  c.beta = 0.25;
  c.sigma = 0.3;
  c.learn_sigma = true;
  c.noise = "mask";
  c.noise_level = 0.45;
  c.dropout = 0.1;
  c.flow_steps = 5;
  c.flow_scales = 3;
  c.flow_hidden = 48;
  c.flow_coupling = "additive";
  c.flow_permutation = "random";
  c.logit_alpha = 0.01;
  c.prior = "uniform";
  c.disc_hidden = {64};
  c.gen_lr_scale = 2.0;
  c.rbm_hidden = "gaussian";
  c.cd_k = 3;
  c.rbm_weight_decay = 0.0;
  c.pretrain_epochs = 2;
  c.finetune = "lbfgs";
  c.gmm_components = 7;
  c.gmm_covariance = "full";
  c.variance_floor = 1e-4;
  const ModelConfig back = ModelConfig::from_json(nlohmann::json::parse(c.to_json().dump()));
  EXPECT_EQ(back.to_json(), c.to_json());
  EXPECT_EQ(back.kind, "ae");
  EXPECT_EQ(back.image_shape, (std::vector<int64_t>{1, 28, 28}));
  EXPECT_EQ(back.hidden, (std::vector<int64_t>{300, 100}));
  EXPECT_EQ(back.latent_dim, 7);
  EXPECT_EQ(back.beta, 0.25);
  EXPECT_EQ(back.sigma, 0.3);
  EXPECT_TRUE(back.learn_sigma);
  EXPECT_EQ(back.noise, "mask");
  EXPECT_EQ(back.noise_level, 0.45);
  EXPECT_EQ(back.dropout, 0.1);
  EXPECT_EQ(back.flow_steps, 5);
  EXPECT_EQ(back.flow_scales, 3);
  EXPECT_EQ(back.flow_hidden, 48);
  EXPECT_EQ(back.flow_coupling, "additive");
  EXPECT_EQ(back.flow_permutation, "random");
  EXPECT_EQ(back.logit_alpha, 0.01);
  EXPECT_EQ(back.prior, "uniform");
  EXPECT_EQ(back.disc_hidden, (std::vector<int64_t>{64}));
  EXPECT_EQ(back.gen_lr_scale, 2.0);
  EXPECT_EQ(back.rbm_hidden, "gaussian");
  EXPECT_EQ(back.cd_k, 3);
  EXPECT_EQ(back.rbm_weight_decay, 0.0);
  EXPECT_EQ(back.pretrain_epochs, 2);
  EXPECT_EQ(back.finetune, "lbfgs");
  EXPECT_EQ(back.gmm_components, 7);
  EXPECT_EQ(back.gmm_covariance, "full");
  EXPECT_EQ(back.variance_floor, 1e-4);
  EXPECT_EQ(c.to_json().size(), 41u);  // every field is written
}

TEST(ModelConfig, MissingFieldsTakeDefaults) {
  const ModelConfig d;
  const ModelConfig c = ModelConfig::from_json(nlohmann::json{{"latent_dim", 3}});
  EXPECT_EQ(c.latent_dim, 3);
  nlohmann::json expected = d.to_json();
  expected["latent_dim"] = 3;
  EXPECT_EQ(c.to_json(), expected);
  EXPECT_EQ(ModelConfig::from_json(nlohmann::json::object()).to_json(), d.to_json());
}

TEST(ModelConfig, FromJsonRejectsWrongTypesAndUnknownFields) {
  try {
    ModelConfig::from_json(nlohmann::json{{"latent_dim", "twenty"}});
    ADD_FAILURE() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("latent_dim"), std::string::npos) << e.what();
  }
  try {
    ModelConfig::from_json(nlohmann::json{{"latnet_dim", 3}});
    ADD_FAILURE() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("latnet_dim"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ModelConfig::from_json(nlohmann::json::array()), InputError);
}

TEST(ModelCatalog, ListsKindsWithTheirLikelihoods) {
  const auto& cat = model_catalog();
  ASSERT_GE(cat.size(), 2u);
  EXPECT_EQ(cat[0].name, "ae");
  EXPECT_EQ(cat[1].name, "vae");
  for (const auto& m : cat) {
    EXPECT_FALSE(m.description.empty()) << m.name;
    ASSERT_FALSE(m.likelihoods.empty()) << m.name;
    // The first likelihood is a valid default for the kind.
    ModelConfig c;
    c.kind = m.name;
    c.likelihood = m.likelihoods.front();
    c.num_classes = 3;  // conditional kinds need labelled data; the others ignore it
    EXPECT_NO_THROW(c.validate()) << m.name;
  }
}

}  // namespace
}  // namespace latentkit
