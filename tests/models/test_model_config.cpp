// Model configs: each kind's default config validates, round-trips through JSON and writes only
// its families' keys; missing keys take defaults; each bad value, unknown key or key of another
// kind is rejected naming the key; checks run only for the families a kind reads.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <set>

#include "latentkit/catalog/catalog.h"
#include "latentkit/error.h"
#include "latentkit/flows/flow_architectures.h"
#include "latentkit/models/aae.h"
#include "latentkit/models/autoencoder.h"
#include "latentkit/models/cvae.h"
#include "latentkit/models/vae.h"
#include "latentkit/models/model_config.h"
#include "latentkit/models/network.h"

namespace latentkit {
namespace model_config_test {

// The kind's default config, ready to validate (conditional kinds get their classes from data;
// image-only kinds need an image shape).
ModelConfig valid_default(const std::string& kind) {
  ModelConfig c = default_config(kind);
  if (auto* labels = c.options.find<LabelOptions>()) labels->num_classes = 3;
  if (kind_info(kind).images_only) c.image_shape = {1, 28, 28};
  return c;
}

// The keys a config of `kind` writes besides the core: every key of its families' tables.
std::set<std::string> family_keys(const std::string& kind) {
  std::set<std::string> keys;
  for (const OptionTable* f : kind_info(kind).families)
    for (const auto& spec : f->specs()) keys.insert(spec.key);
  return keys;
}

// Expects f() to throw an InputError whose message starts with "<key>:".
template <typename F>
void expect_rejected(F f, const std::string& key, const std::string& what) {
  try {
    f();
    ADD_FAILURE() << what << ": expected " << key << " to be rejected";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(key + ":", 0), 0u)
        << what << ": message does not start with '" << key << ":': " << e.what();
  }
}

// config of `kind` with json[key] = value, read back and validated.
void read_and_validate(const std::string& kind, const std::string& key, const nlohmann::json& value) {
  nlohmann::json j = valid_default(kind).to_json();
  j[key] = value;
  validate(read_model_config(j));
}

TEST(ModelConfig, EveryKindsDefaultsValidateAndRoundTrip) {
  for (const auto& info : model_catalog()) {
    SCOPED_TRACE(info.name);
    const ModelConfig c = valid_default(info.name);
    EXPECT_NO_THROW(validate(c));
    const nlohmann::json j = c.to_json();
    const ModelConfig back = read_model_config(nlohmann::json::parse(j.dump()));
    EXPECT_EQ(back.to_json(), j);
    EXPECT_EQ(back.kind, info.name);
    // Exactly the core and the kind's families' keys.
    std::set<std::string> written;
    for (auto it = j.begin(); it != j.end(); ++it) written.insert(it.key());
    std::set<std::string> expected = family_keys(info.name);
    expected.insert({"format", "kind", "input_dim", "image_shape"});
    EXPECT_EQ(written, expected);
  }
}

TEST(ModelConfig, ChangedValuesRoundTrip) {
  ModelConfig c = valid_default("aae");
  c.get<NetworkOptions>().hidden = {300, 100};
  c.get<NetworkOptions>().latent_dim = 2;
  c.get<NetworkOptions>().activation = "gelu";
  c.get<AdversarialOptions>().prior = "mixture";
  c.get<AdversarialOptions>().prior_components = 7;
  c.get<AdversarialOptions>().disc_hidden = {64};
  c.get<AdversarialOptions>().gen_lr_scale = 2.0;
  const ModelConfig back = read_model_config(nlohmann::json::parse(c.to_json().dump()));
  EXPECT_EQ(back.get<NetworkOptions>().hidden, (Widths{300, 100}));
  EXPECT_EQ(back.get<NetworkOptions>().activation, "gelu");
  EXPECT_EQ(back.get<AdversarialOptions>().prior_components, 7);
  EXPECT_EQ(back.get<AdversarialOptions>().disc_hidden, (Widths{64}));
  EXPECT_EQ(back.get<AdversarialOptions>().gen_lr_scale, 2.0);
  EXPECT_NO_THROW(validate(back));
}

TEST(ModelConfig, MissingKeysTakeTheKindsDefaults) {
  const ModelConfig c = read_model_config(nlohmann::json{{"format", kModelConfigFormat}, {"kind", "deep-ae"}});
  EXPECT_EQ(c.to_json(), default_config("deep-ae").to_json());
  const ModelConfig v = read_model_config(
      nlohmann::json{{"format", kModelConfigFormat}, {"kind", "vae"}, {"latent_dim", 3}});
  nlohmann::json expected = default_config("vae").to_json();
  expected["latent_dim"] = 3;
  EXPECT_EQ(v.to_json(), expected);
}

TEST(ModelConfig, RejectsEachInvalidValueByKey) {
  struct Case {
    std::string kind, key;
    nlohmann::json value;
  };
  const std::vector<Case> cases = {
      {"vae", "activation", "swish"},        {"vae", "architecture", "transformer"},
      {"vae", "likelihood", "poisson"},      {"vae", "likelihood", "bce"},  // an ae loss on a vae
      {"ae", "loss", "bernoulli"},           {"vae", "latent_dim", 0},
      {"vae", "input_dim", 0},               {"vae", "hidden", {400, 0}},
      {"vae", "beta", -1},                   {"vae", "sigma", 0},
      {"dae", "noise", "speckle"},           {"dae", "noise_level", -0.1},
      {"dropout-ae", "dropout", 1.0},        {"vae", "image_shape", {28, 28}},
      {"flow", "flow_steps", -1},            {"glow", "flow_scales", -1},
      {"flow", "flow_hidden", -1},           {"flow", "flow_coupling", "multiplicative"},
      {"flow", "flow_permutation", "shuffle"}, {"nice", "logit_alpha", 0.5},
      {"aae", "prior", "laplace"},           {"aae", "prior_components", 0},
      {"aae", "disc_hidden", {0}},           {"aae", "disc_lr_scale", 0},
      {"aae", "gen_lr_scale", -1},           {"rbm", "rbm_hidden", "softmax"},
      {"rbm", "cd_k", 0},                    {"rbm", "rbm_lr", 0},
      {"deep-ae", "rbm_code_lr", -1},        {"rbm", "rbm_momentum", 1.0},
      {"rbm", "rbm_weight_decay", -1},       {"rbm", "gibbs_steps", 0},
      {"deep-ae", "pretrain_epochs", -1},    {"deep-ae", "finetune", "sgd"},
      {"deep-ae", "hidden", nlohmann::json::array()},
      {"gmm", "gmm_components", 0},          {"gmm", "gmm_covariance", "spherical"},
      {"gmm", "variance_floor", 0},          {"vqvae", "codebook_size", 0},
      {"vqvae", "commitment", -1},           {"vqvae", "ema_decay", 1.0},
      {"vqvae", "latent_dim", 6},            // not a multiple of code_dim 4
      {"vamp", "pseudo_inputs", 0},          {"iwae", "iwae_k", 0},
      {"vae", "kl_warmup_epochs", -1},
  };
  for (const auto& c : cases)
    expect_rejected([&] { read_and_validate(c.kind, c.key, c.value); }, c.key, c.kind + " " + c.key + "=" + c.value.dump());
  // Checks across families: an adversarial mixture prior needs a 2-D latent.
  expect_rejected([] {
    ModelConfig c = valid_default("aae");
    c.get<AdversarialOptions>().prior = "mixture";
    validate(c);
  }, "latent_dim", "aae mixture prior with latent 20");
}

TEST(ModelConfig, ConvShapesAreChecked) {
  auto conv = [] {
    ModelConfig c = valid_default("vae");
    c.get<NetworkOptions>().architecture = "conv";
    c.image_shape = {1, 28, 28};
    return c;
  };
  EXPECT_NO_THROW(validate(conv()));
  const std::vector<std::pair<std::string, std::function<void(ModelConfig&)>>> cases = {
      {"image_shape", [](ModelConfig& c) { c.get<NetworkOptions>().conv_channels = {8, 8, 8}; }},  // 28 % 8 != 0
      {"image_shape", [](ModelConfig& c) { c.image_shape = {1, 30, 28}; c.input_dim = 840; }},
      {"input_dim", [](ModelConfig& c) { c.input_dim = 785; }},
      {"input_dim", [](ModelConfig& c) { c.image_shape = {3, 28, 28}; }},
      {"conv_channels", [](ModelConfig& c) { c.get<NetworkOptions>().conv_channels = {8, -1}; }},
      {"image_shape", [](ModelConfig& c) { c.image_shape = {}; }},
  };
  for (const auto& [key, mutate] : cases) {
    ModelConfig c = conv();
    mutate(c);
    expect_rejected([&] { validate(c); }, key, key);
  }
}

TEST(ModelConfig, KindsCheckOnlyTheirOwnFamilies) {
  // 0.1.0 checked every field for every kind: a bad adversarial prior made a vae fail. Now a vae
  // has no prior key at all, and a key of another kind is named as such.
  try {
    read_and_validate("vae", "prior", "laplace");
    ADD_FAILURE() << "expected prior to be rejected on a vae";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("is not an option of model kind 'vae'"), std::string::npos) << e.what();
  }
  expect_rejected([] { read_and_validate("vae", "latnet_dim", 3); }, "latnet_dim", "a typo");
  expect_rejected([] { read_and_validate("vae", "latent_dim", "twenty"); }, "latent_dim", "wrong type");
  expect_rejected([] { read_and_validate("vae", "format", 7); }, "format", "a newer format");
  expect_rejected([] { read_and_validate("vae", "kind", "gan9000"); }, "kind", "unknown kind");
  EXPECT_THROW(read_model_config(nlohmann::json::array()), InputError);
}

TEST(ModelConfig, LegacyConfigsKeepTheKindsFields) {
  // A 0.1.0 config: every kind's fields in one object, "likelihood" meaning an ae's loss.
  nlohmann::json old = {{"kind", "ae"},       {"input_dim", 784},  {"image_shape", {1, 28, 28}},
                        {"likelihood", "mse"}, {"latent_dim", 7},  {"beta", 1.0},
                        {"prior", "gaussian"}, {"flow_steps", 0},  {"gmm_components", 10},
                        {"num_classes", 0}};
  const ModelConfig c = read_model_config(old);
  EXPECT_EQ(c.kind, "ae");
  EXPECT_EQ(c.get<ReconstructionOptions>().loss, "mse");
  EXPECT_EQ(c.get<NetworkOptions>().latent_dim, 7);
  EXPECT_FALSE(c.reads<KlOptions>());
  EXPECT_NO_THROW(validate(c));
  // A flow's "0: the kind's default" keeps the kind's own default.
  const ModelConfig nice = read_model_config(nlohmann::json{{"kind", "nice"}, {"flow_steps", 0}, {"flow_coupling", "default"}});
  EXPECT_EQ(nice.get<FlowOptions>().flow_steps, default_config("nice").get<FlowOptions>().flow_steps);
  EXPECT_EQ(nice.get<FlowOptions>().flow_coupling, "additive");
}

}  // namespace model_config_test
}  // namespace latentkit
