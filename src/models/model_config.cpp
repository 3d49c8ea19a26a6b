// ModelConfig <-> JSON, and the checks that keep a bad config from reaching the model builders.
#include "latentkit/models/model_config.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

#include "latentkit/error.h"
#include "latentkit/models/corruption.h"
#include "latentkit/models/model.h"
#include "latentkit/nn/activation.h"

namespace latentkit {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string join(const std::vector<int64_t>& items) {
  std::string out;
  for (int64_t v : items) out += (out.empty() ? "" : ", ") + std::to_string(v);
  return "{" + out + "}";
}

// Reads j[key] into `target` when present; a present value of the wrong type is the user's
// error, reported with the field's name rather than nlohmann's generic message.
template <typename T>
void read_field(const nlohmann::json& j, const char* key, T& target) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;  // missing -> keep the default
  try {
    target = it->get<T>();
  } catch (const nlohmann::json::exception&) {
    fail(key, std::string("wrong type in model config (") + it->type_name() + ")");
  }
}

const std::vector<std::string> kFields = {
    "kind",   "input_dim", "image_shape", "architecture", "hidden",     "conv_channels",
    "latent_dim", "activation", "likelihood", "beta", "sigma", "learn_sigma",
    "kl_warmup_epochs", "iwae_k", "num_classes", "noise", "noise_level", "dropout",
    "prior", "prior_components", "disc_hidden", "disc_lr_scale", "gen_lr_scale",
    "rbm_hidden", "cd_k", "rbm_lr", "rbm_code_lr", "rbm_momentum", "rbm_weight_decay",
    "gibbs_steps", "pretrain_epochs", "finetune",
    "flow_steps", "flow_scales", "flow_hidden", "flow_coupling", "flow_permutation", "logit_alpha",
    "gmm_components", "gmm_covariance", "variance_floor"};

bool positive_finite(double v) { return std::isfinite(v) && v > 0; }

// The aae fields.
void check_adversarial(const ModelConfig& c) {
  if (c.prior != "gaussian" && c.prior != "mixture" && c.prior != "uniform")
    fail("prior", "unknown prior '" + c.prior + "' (expected gaussian, mixture or uniform)");
  if (c.prior_components < 1)
    fail("prior_components", "must be >= 1 (got " + std::to_string(c.prior_components) + ")");
  if (c.kind == "aae" && c.prior == "mixture" && c.latent_dim != 2)
    fail("latent_dim", "prior 'mixture' places its components on a circle: it needs latent_dim 2 "
                       "(got " + std::to_string(c.latent_dim) + ")");
  for (int64_t h : c.disc_hidden)
    if (h < 1) fail("disc_hidden", "layer widths must be >= 1 (got " + join(c.disc_hidden) + ")");
  if (!positive_finite(c.disc_lr_scale)) fail("disc_lr_scale", "must be finite and > 0");
  if (!positive_finite(c.gen_lr_scale)) fail("gen_lr_scale", "must be finite and > 0");
}

// The rbm and deep-ae fields.
void check_boltzmann(const ModelConfig& c) {
  if (c.rbm_hidden != "binary" && c.rbm_hidden != "gaussian")
    fail("rbm_hidden", "unknown hidden unit type '" + c.rbm_hidden + "' (expected binary or gaussian)");
  if (c.cd_k < 1) fail("cd_k", "must be >= 1 (got " + std::to_string(c.cd_k) + ")");
  if (!positive_finite(c.rbm_lr)) fail("rbm_lr", "must be finite and > 0");
  if (!positive_finite(c.rbm_code_lr)) fail("rbm_code_lr", "must be finite and > 0");
  if (!(c.rbm_momentum >= 0 && c.rbm_momentum < 1)) fail("rbm_momentum", "must be in [0, 1)");
  if (!(c.rbm_weight_decay >= 0 && std::isfinite(c.rbm_weight_decay)))
    fail("rbm_weight_decay", "must be finite and >= 0");
  if (c.gibbs_steps < 1) fail("gibbs_steps", "must be >= 1 (got " + std::to_string(c.gibbs_steps) + ")");
  if (c.pretrain_epochs < 0)
    fail("pretrain_epochs", "must be >= 0 (got " + std::to_string(c.pretrain_epochs) + ")");
  if (c.finetune != "adam" && c.finetune != "lbfgs")
    fail("finetune", "unknown optimizer '" + c.finetune + "' (expected adam or lbfgs)");
  if ((c.kind == "rbm" || c.kind == "deep-ae") && c.architecture != "mlp")
    fail("architecture", "model kind '" + c.kind + "' supports only 'mlp'");
  if (c.kind == "deep-ae" && c.hidden.empty())
    fail("hidden", "model kind 'deep-ae' needs at least one hidden layer (an RBM per layer)");
}

}  // namespace

nlohmann::json ModelConfig::to_json() const {
  return nlohmann::json{{"kind", kind},
                        {"input_dim", input_dim},
                        {"image_shape", image_shape},
                        {"architecture", architecture},
                        {"hidden", hidden},
                        {"conv_channels", conv_channels},
                        {"latent_dim", latent_dim},
                        {"activation", activation},
                        {"likelihood", likelihood},
                        {"beta", beta},
                        {"sigma", sigma},
                        {"learn_sigma", learn_sigma},
                        {"kl_warmup_epochs", kl_warmup_epochs},
                        {"iwae_k", iwae_k},
                        {"num_classes", num_classes},
                        {"noise", noise},
                        {"noise_level", noise_level},
                        {"dropout", dropout},
                        {"prior", prior},
                        {"prior_components", prior_components},
                        {"disc_hidden", disc_hidden},
                        {"disc_lr_scale", disc_lr_scale},
                        {"gen_lr_scale", gen_lr_scale},
                        {"rbm_hidden", rbm_hidden},
                        {"cd_k", cd_k},
                        {"rbm_lr", rbm_lr},
                        {"rbm_code_lr", rbm_code_lr},
                        {"rbm_momentum", rbm_momentum},
                        {"rbm_weight_decay", rbm_weight_decay},
                        {"gibbs_steps", gibbs_steps},
                        {"pretrain_epochs", pretrain_epochs},
                        {"finetune", finetune},
                        {"flow_steps", flow_steps},
                        {"flow_scales", flow_scales},
                        {"flow_hidden", flow_hidden},
                        {"flow_coupling", flow_coupling},
                        {"flow_permutation", flow_permutation},
                        {"logit_alpha", logit_alpha},
                        {"gmm_components", gmm_components},
                        {"gmm_covariance", gmm_covariance},
                        {"variance_floor", variance_floor}};
}

// Missing fields keep their defaults (so older checkpoints stay readable); unknown fields are
// rejected, since a misspelt key would otherwise silently build a different model.
ModelConfig ModelConfig::from_json(const nlohmann::json& j) {
  if (!j.is_object()) fail("model config", std::string("expected a JSON object, got ") + j.type_name());
  for (auto it = j.begin(); it != j.end(); ++it)
    if (std::find(kFields.begin(), kFields.end(), it.key()) == kFields.end())
      fail(it.key(), "unknown model config field");
  ModelConfig c;
  read_field(j, "kind", c.kind);
  read_field(j, "input_dim", c.input_dim);
  read_field(j, "image_shape", c.image_shape);
  read_field(j, "architecture", c.architecture);
  read_field(j, "hidden", c.hidden);
  read_field(j, "conv_channels", c.conv_channels);
  read_field(j, "latent_dim", c.latent_dim);
  read_field(j, "activation", c.activation);
  read_field(j, "likelihood", c.likelihood);
  read_field(j, "beta", c.beta);
  read_field(j, "sigma", c.sigma);
  read_field(j, "learn_sigma", c.learn_sigma);
  read_field(j, "kl_warmup_epochs", c.kl_warmup_epochs);
  read_field(j, "iwae_k", c.iwae_k);
  read_field(j, "num_classes", c.num_classes);
  read_field(j, "noise", c.noise);
  read_field(j, "noise_level", c.noise_level);
  read_field(j, "dropout", c.dropout);
  read_field(j, "prior", c.prior);
  read_field(j, "prior_components", c.prior_components);
  read_field(j, "disc_hidden", c.disc_hidden);
  read_field(j, "disc_lr_scale", c.disc_lr_scale);
  read_field(j, "gen_lr_scale", c.gen_lr_scale);
  read_field(j, "rbm_hidden", c.rbm_hidden);
  read_field(j, "cd_k", c.cd_k);
  read_field(j, "rbm_lr", c.rbm_lr);
  read_field(j, "rbm_code_lr", c.rbm_code_lr);
  read_field(j, "rbm_momentum", c.rbm_momentum);
  read_field(j, "rbm_weight_decay", c.rbm_weight_decay);
  read_field(j, "gibbs_steps", c.gibbs_steps);
  read_field(j, "pretrain_epochs", c.pretrain_epochs);
  read_field(j, "finetune", c.finetune);
  read_field(j, "flow_steps", c.flow_steps);
  read_field(j, "flow_scales", c.flow_scales);
  read_field(j, "flow_hidden", c.flow_hidden);
  read_field(j, "flow_coupling", c.flow_coupling);
  read_field(j, "flow_permutation", c.flow_permutation);
  read_field(j, "logit_alpha", c.logit_alpha);
  read_field(j, "gmm_components", c.gmm_components);
  read_field(j, "gmm_covariance", c.gmm_covariance);
  read_field(j, "variance_floor", c.variance_floor);
  return c;
}

void ModelConfig::validate() const {
  const auto& catalog = model_catalog();
  auto info = std::find_if(catalog.begin(), catalog.end(),
                           [&](const ModelInfo& m) { return m.name == kind; });
  if (info == catalog.end()) {
    std::vector<std::string> names;
    for (const auto& m : catalog) names.push_back(m.name);
    fail("kind", "unknown model kind '" + kind + "' (expected one of: " + join(names) + ")");
  }
  if (input_dim < 1) fail("input_dim", "must be >= 1 (got " + std::to_string(input_dim) + ")");
  if (latent_dim < 1) fail("latent_dim", "must be >= 1 (got " + std::to_string(latent_dim) + ")");
  for (int64_t h : hidden)
    if (h < 1) fail("hidden", "layer widths must be >= 1 (got " + join(hidden) + ")");

  const auto& acts = activation_names();
  if (std::find(acts.begin(), acts.end(), activation) == acts.end())
    fail("activation", "unknown activation '" + activation + "' (expected one of: " + join(acts) + ")");

  if (architecture != "mlp" && architecture != "conv")
    fail("architecture", "unknown architecture '" + architecture + "' (expected mlp or conv)");

  if (!image_shape.empty()) {
    if (image_shape.size() != 3 ||
        std::any_of(image_shape.begin(), image_shape.end(), [](int64_t s) { return s < 1; }))
      fail("image_shape", "must be {C, H, W} with positive sizes (got " + join(image_shape) + ")");
    const int64_t chw = image_shape[0] * image_shape[1] * image_shape[2];
    if (input_dim != chw)
      fail("input_dim", std::to_string(input_dim) + " does not match image_shape " +
                            join(image_shape) + " (C*H*W = " + std::to_string(chw) + ")");
  }
  if (architecture == "conv") {
    if (image_shape.empty()) fail("image_shape", "architecture 'conv' needs image_shape {C, H, W}");
    if (conv_channels.size() > 16) fail("conv_channels", "at most 16 stride-2 layers");
    for (int64_t c : conv_channels)
      if (c < 1) fail("conv_channels", "channel counts must be >= 1 (got " + join(conv_channels) + ")");
    const int64_t factor = int64_t{1} << conv_channels.size();
    if (image_shape[1] % factor != 0 || image_shape[2] % factor != 0)
      fail("image_shape", "H and W of " + join(image_shape) + " must be divisible by 2^" +
                              std::to_string(conv_channels.size()) + " = " +
                              std::to_string(factor) + " (one halving per conv_channels entry)");
  }

  const auto& ok = info->likelihoods;
  if (!ok.empty() && std::find(ok.begin(), ok.end(), likelihood) == ok.end())
    fail("likelihood", "'" + likelihood + "' is not valid for model kind '" + kind +
                           "' (expected one of: " + join(ok) + ")");
  if (!std::isfinite(beta) || beta < 0) fail("beta", "must be finite and >= 0");
  if (!std::isfinite(sigma) || sigma <= 0) fail("sigma", "must be finite and > 0");
  check_noise(noise, noise_level, "noise", "noise_level");
  if (!(dropout >= 0 && dropout < 1)) fail("dropout", "must be in [0, 1)");
  if (kl_warmup_epochs < 0)
    fail("kl_warmup_epochs", "must be >= 0 (got " + std::to_string(kl_warmup_epochs) + ")");
  if (iwae_k < 1) fail("iwae_k", "must be >= 1 (got " + std::to_string(iwae_k) + ")");
  if (num_classes < 0) fail("num_classes", "must be >= 0 (got " + std::to_string(num_classes) + ")");
  check_adversarial(*this);
  check_boltzmann(*this);
  if (flow_steps < 0) fail("flow_steps", "must be >= 0 (got " + std::to_string(flow_steps) + ")");
  if (flow_scales < 0) fail("flow_scales", "must be >= 0 (got " + std::to_string(flow_scales) + ")");
  if (flow_hidden < 0) fail("flow_hidden", "must be >= 0 (got " + std::to_string(flow_hidden) + ")");
  if (flow_coupling != "default" && flow_coupling != "affine" && flow_coupling != "additive")
    fail("flow_coupling", "unknown coupling '" + flow_coupling + "' (expected affine or additive)");
  const std::vector<std::string> perms = {"default", "none", "reverse", "random", "conv1x1", "conv1x1-lu"};
  if (std::find(perms.begin(), perms.end(), flow_permutation) == perms.end())
    fail("flow_permutation", "unknown permutation '" + flow_permutation + "' (expected one of: " +
                                 join(perms) + ")");
  if (!(logit_alpha >= 0 && logit_alpha < 0.5)) fail("logit_alpha", "must be in [0, 0.5)");
  if (gmm_components < 1)
    fail("gmm_components", "must be >= 1 (got " + std::to_string(gmm_components) + ")");
  if (gmm_covariance != "diag" && gmm_covariance != "full")
    fail("gmm_covariance", "unknown covariance '" + gmm_covariance + "' (expected diag or full)");
  if (!positive_finite(variance_floor)) fail("variance_floor", "must be finite and > 0");
  if (conditional()) {
    if (num_classes < 1)
      fail("num_classes", "model kind '" + kind + "' needs labelled data (num_classes >= 1)");
    if (architecture != "mlp")
      fail("architecture", "model kind '" + kind + "' supports only 'mlp'");
  }
}

}  // namespace latentkit
