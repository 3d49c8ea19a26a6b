// Restricted Boltzmann machine layer; see rbm_layer.h.
#include "latentkit/models/rbm_layer.h"
#include "latentkit/util/batch_shard.h"

#include <torch/torch.h>

#include <cmath>

namespace latentkit {

const OptionTable& ContrastiveDivergenceOptions::table() {
  using Self = ContrastiveDivergenceOptions;
  static const OptionTable table = OptionTable::of<Self>("contrastive-divergence", "Contrastive divergence (RBM training)",
                                                         {LATENTKIT_CD_OPTIONS(LATENTKIT_OPTION_SPEC)});
  return table;
}

RBMLayer::RBMLayer(int64_t visible, int64_t hidden, bool gaussian_hidden)
    : gaussian_hidden_(gaussian_hidden) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(visible));
  weight = register_parameter("weight", torch::empty({hidden, visible}).uniform_(-bound, bound));
  visible_bias = register_parameter("visible_bias", torch::zeros({visible}));
  hidden_bias = register_parameter("hidden_bias", torch::zeros({hidden}));
  weight_velocity_ = register_buffer("weight_velocity", torch::zeros({hidden, visible}));
  visible_velocity_ = register_buffer("visible_velocity", torch::zeros({visible}));
  hidden_velocity_ = register_buffer("hidden_velocity", torch::zeros({hidden}));
}

// v: [B, V] -> [B, H]
torch::Tensor RBMLayer::hidden_mean(const torch::Tensor& v) const {
  auto a = torch::addmm(hidden_bias, v, weight.t());
  return gaussian_hidden_ ? a : torch::sigmoid(a);
}

// mean: [B, H] -> [B, H]
torch::Tensor RBMLayer::sample_hidden(const torch::Tensor& mean) const {
  return gaussian_hidden_ ? mean + batch_randn_like(mean) : batch_bernoulli(mean);
}

// h: [B, H] -> [B, V]
torch::Tensor RBMLayer::visible_prob(const torch::Tensor& h) const {
  return torch::sigmoid(torch::addmm(visible_bias, h, weight));
}

// v: [B, V] -> [B]. Summing out each hidden unit independently:
//   binary:   sum_{h_j in {0,1}} exp(a_j h_j) = 1 + exp(a_j)        -> log = softplus(a_j)
//   Gaussian: int exp(a_j h_j - h_j^2 / 2) dh_j = sqrt(2 pi) exp(a_j^2 / 2)
// with a = c + W v, plus the visible term b.v.
torch::Tensor RBMLayer::free_energy(const torch::Tensor& v) const {
  auto a = torch::addmm(hidden_bias, v, weight.t());  // [B, H]
  auto visible_term = torch::mv(v, visible_bias);    // [B]
  if (gaussian_hidden_)
    return -visible_term - 0.5 * a.pow(2).sum(1) - 0.5 * hidden() * std::log(2 * M_PI);
  return -visible_term - torch::softplus(a).sum(1);
}

// v: [B, V] -> the CD-k gradient estimate, batch means.
RBMLayer::Gradient RBMLayer::cd_gradient(const torch::Tensor& v, int64_t k) const {
  torch::NoGradGuard no_grad;
  const double n = static_cast<double>(v.size(0));
  auto h_data = hidden_mean(v);  // [B, H]
  auto h_state = sample_hidden(h_data);
  torch::Tensor v_model, h_model;
  for (int64_t step = 0; step < k; ++step) {
    v_model = visible_prob(h_state);  // [B, V]
    h_model = hidden_mean(v_model);   // [B, H]
    if (step + 1 < k) h_state = sample_hidden(h_model);
  }
  Gradient g;
  g.weight = (torch::mm(h_data.t(), v) - torch::mm(h_model.t(), v_model)) / n;
  g.visible_bias = (v - v_model).sum(0) / n;
  g.hidden_bias = (h_data - h_model).sum(0) / n;
  g.reconstruction = v_model;
  // Means over the batch: over the global batch in data-parallel training.
  reduce_batch_means({g.weight, g.visible_bias, g.hidden_bias});
  return g;
}

void RBMLayer::apply_update(const Gradient& g, double lr, double momentum, double weight_decay) {
  torch::NoGradGuard no_grad;
  weight_velocity_.mul_(momentum).add_(g.weight - weight_decay * weight, lr);
  visible_velocity_.mul_(momentum).add_(g.visible_bias, lr);
  hidden_velocity_.mul_(momentum).add_(g.hidden_bias, lr);
  weight.add_(weight_velocity_);
  visible_bias.add_(visible_velocity_);
  hidden_bias.add_(hidden_velocity_);
}

}  // namespace latentkit
