// Reading latentkit 0.1.0's model configs (see legacy_config.h).
#include "latentkit/catalog/legacy_config.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "latentkit/models/autoencoder.h"

namespace latentkit {

namespace {

// Every field of 0.1.0's ModelConfig.
const std::vector<std::string> kFields010 = {
    "kind", "input_dim", "image_shape", "architecture", "hidden", "conv_channels", "latent_dim", "activation",
    "likelihood", "beta", "sigma", "learn_sigma", "kl_warmup_epochs", "iwae_k", "num_classes", "noise",
    "noise_level", "dropout", "prior", "prior_components", "disc_hidden", "disc_lr_scale", "gen_lr_scale",
    "rbm_hidden", "cd_k", "rbm_lr", "rbm_code_lr", "rbm_momentum", "rbm_weight_decay", "gibbs_steps",
    "pretrain_epochs", "finetune", "flow_steps", "flow_scales", "flow_hidden", "flow_coupling",
    "flow_permutation", "logit_alpha", "gmm_components", "gmm_covariance", "variance_floor"};

// 0.1.0's "the kind's own choice" values, which today's configs spell out.
bool kind_default(const std::string& key, const nlohmann::json& v) {
  if (key == "flow_steps" || key == "flow_scales" || key == "flow_hidden") return v == 0;
  if (key == "flow_coupling" || key == "flow_permutation") return v == "default";
  return false;
}

bool reads(const ModelConfig& kind, const std::string& key) {
  if (key == "kind" || key == "input_dim" || key == "image_shape") return true;
  for (const auto& group : kind.options.all())
    if (group->table().find_key(key)) return true;
  return false;
}

}  // namespace

nlohmann::json upgrade_legacy_model_config(const nlohmann::json& j, const ModelConfig& kind) {
  nlohmann::json out = nlohmann::json::object();
  const bool autoencoder_loss = kind.reads<ReconstructionOptions>();
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string key = it.key();
    if (std::find(kFields010.begin(), kFields010.end(), key) == kFields010.end()) {
      out[key] = it.value();  // not a 0.1.0 field: the reader names it
      continue;
    }
    if (key == "likelihood" && autoencoder_loss) key = "loss";
    if (!reads(kind, key) || kind_default(key, it.value())) continue;
    out[key] = it.value();
  }
  return out;
}

}  // namespace latentkit
