// The rbm kind; see rbm.h.
#include "latentkit/models/rbm.h"
#include "latentkit/models/model_size.h"

#include <torch/torch.h>

namespace latentkit {

double rbm_momentum_at(double epochs_done, double final_momentum) {
  return epochs_done < 1.0 ? std::min(0.5, final_momentum) : final_momentum;
}

const OptionTable& RbmOptions::table() {
  using Self = RbmOptions;
  static const OptionTable table = [] {
    auto t = OptionTable::of<Self>("rbm", "Restricted Boltzmann machine", {LATENTKIT_RBM_OPTIONS(LATENTKIT_OPTION_SPEC)});
    t.check<Self, ModelConfig>([](const Self& o, const ModelConfig* c) {
      if (c) require_parameters_fit("--latent", dense_parameters({double(c->input_dim), double(o.latent_dim)}));
    });
    return t;
  }();
  return table;
}

RBM::RBM(ModelConfig config) : Model(config, config.get<RbmOptions>().latent_dim) {
  layer_ = register_module("rbm", std::make_shared<RBMLayer>(config_.input_dim, latent_dim(),
                                                             config_.get<RbmOptions>().rbm_hidden == "gaussian"));
}

// x: [B, D] -> [B, L]
torch::Tensor RBM::encode(const torch::Tensor& x, const torch::Tensor& y) {
  return layer_->hidden_mean(x);
}

// z: [B, L] -> [B, D]
torch::Tensor RBM::decode(const torch::Tensor& z, const torch::Tensor& y) {
  return layer_->visible_prob(z);
}

// -> [n, D]
torch::Tensor RBM::sample(int64_t n, const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  auto v = torch::bernoulli(
      torch::full({n, config_.input_dim}, 0.5, layer_->weight.options().requires_grad(false)));
  torch::Tensor p;
  for (int64_t step = 0; step < config_.get<RbmOptions>().gibbs_steps; ++step) {
    p = layer_->visible_prob(layer_->sample_hidden(layer_->hidden_mean(v)));
    v = torch::bernoulli(p);
  }
  return p;
}

// x: [B, D] -> scalar terms.
LossTerms RBM::losses(const torch::Tensor& x, const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  auto recon = (reconstruct(x) - x).pow(2).sum(1).mean();
  return {{"loss", recon}, {"recon", recon}, {"free_energy", layer_->free_energy(x).mean()}};
}

// One CD-k update on the batch x: [B, D].
LossTerms RBM::train_step(const torch::Tensor& x, const torch::Tensor& y, Optimizers& opt) {
  const auto& cd = config_.get<ContrastiveDivergenceOptions>();
  const double lr = layer_->gaussian_hidden() ? cd.rbm_code_lr : cd.rbm_lr;
  auto g = layer_->cd_gradient(x, cd.cd_k);
  layer_->apply_update(g, lr, rbm_momentum_at(epochs_done_, cd.rbm_momentum), cd.rbm_weight_decay);
  // The chain's reconstruction error: the usual (if rough) monitor of CD training.
  auto recon = (g.reconstruction - x).pow(2).sum(1).mean();
  return {{"loss", recon}, {"cd_recon", recon}};
}

}  // namespace latentkit
