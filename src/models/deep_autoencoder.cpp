// The deep autoencoder with RBM pretraining; see deep_autoencoder.h.
#include "latentkit/models/deep_autoencoder.h"

#include <torch/torch.h>

#include <cmath>

#include "latentkit/models/autoencoder.h"
#include "latentkit/models/rbm.h"
#include "latentkit/models/model_size.h"

namespace latentkit {

namespace F = torch::nn::functional;

namespace {

// x: [B, D] -> [B, H_{depth-1}], the codes of the first `depth` RBMs.
torch::Tensor up(const std::vector<std::shared_ptr<RBMLayer>>& rbms, const torch::Tensor& x,
                 size_t depth) {
  auto h = x;
  for (size_t i = 0; i < depth; ++i) h = rbms[i]->hidden_mean(h);
  return h;
}

// h: [B, H_{depth-1}] -> [B, D] logits, down through the decoder layers of the first `depth`
// RBMs. While pretraining these are the RBMs' transposes (pretrain_step keeps them tied).
torch::Tensor down(const std::vector<std::shared_ptr<RBMLayer>>& rbms,
                   const std::vector<torch::Tensor>& weights, torch::Tensor h, size_t depth) {
  for (size_t i = depth; i-- > 0;) {
    h = torch::addmm(rbms[i]->visible_bias, h, weights[i].t());  // [B, V_i]
    if (i > 0) h = torch::sigmoid(h);
  }
  return h;
}

}  // namespace

const OptionTable& DeepAutoencoderOptions::table() {
  using Self = DeepAutoencoderOptions;
  static const OptionTable table = [] {
    auto t = OptionTable::of<Self>("deep-ae", "Deep autoencoder (RBM stack)",
                                   {LATENTKIT_DEEP_AE_OPTIONS(LATENTKIT_OPTION_SPEC)});
    // The RBM stack D -> hidden -> L, unrolled into an encoder and a decoder of the same size.
    t.check<Self, ModelConfig>([](const Self& o, const ModelConfig* c) {
      if (!c) return;
      std::vector<double> widths{double(c->input_dim)};
      for (int64_t w : o.hidden) widths.push_back(double(w));
      widths.push_back(double(o.latent_dim));
      require_parameters_fit("--hidden", 3 * dense_parameters(widths));
    });
    return t;
  }();
  return table;
}

DeepAutoencoder::DeepAutoencoder(ModelConfig config)
    : Model(config, config.get<DeepAutoencoderOptions>().latent_dim),
      bce_(config_.get<ReconstructionOptions>().loss == "bce") {
  const auto& o = config_.get<DeepAutoencoderOptions>();
  std::vector<int64_t> sizes{config_.input_dim};
  sizes.insert(sizes.end(), o.hidden.begin(), o.hidden.end());
  sizes.push_back(latent_dim());
  for (size_t i = 0; i + 1 < sizes.size(); ++i) {
    const bool code = i + 2 == sizes.size();
    rbms_.push_back(register_module("rbm" + std::to_string(i),
                                    std::make_shared<RBMLayer>(sizes[i], sizes[i + 1], code)));
    decoder_weights_.push_back(register_parameter(
        "decoder_weight" + std::to_string(i), rbms_.back()->weight.detach().t().contiguous()));
  }
}

int64_t DeepAutoencoder::pretraining_epochs() const {
  return config_.get<DeepAutoencoderOptions>().pretrain_epochs * static_cast<int64_t>(rbms_.size());
}

// x: [B, D] -> [B, L]
torch::Tensor DeepAutoencoder::encode(const torch::Tensor& x, const torch::Tensor& y) {
  return up(rbms_, x, rbms_.size());
}

// z: [B, L] -> [B, D] logits
torch::Tensor DeepAutoencoder::decoder_logits(const torch::Tensor& z) {
  return down(rbms_, decoder_weights_, z, rbms_.size());
}

// z: [B, L] -> [B, D]
torch::Tensor DeepAutoencoder::decode(const torch::Tensor& z, const torch::Tensor& y) {
  return torch::sigmoid(decoder_logits(z));
}

size_t DeepAutoencoder::pretraining_layer() const {
  if (!(epochs_done_ < static_cast<double>(pretraining_epochs()))) return rbms_.size();
  const double per_layer = static_cast<double>(config_.get<DeepAutoencoderOptions>().pretrain_epochs);
  return std::min(rbms_.size() - 1, static_cast<size_t>(epochs_done_ / per_layer));
}

// x: [B, D] -> scalar terms.
LossTerms DeepAutoencoder::losses(const torch::Tensor& x, const torch::Tensor& y) {
  // Through the RBMs trained so far (all of them once pretraining is over) and back.
  const size_t depth = std::min(rbms_.size(), pretraining_layer() + 1);
  auto logits = down(rbms_, decoder_weights_, up(rbms_, x, depth), depth);  // [B, D]
  auto xhat = torch::sigmoid(logits);
  auto recon =
      bce_ ? F::binary_cross_entropy_with_logits(
                 logits, x, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone))
                 .sum(1)
                 .mean()
           : (xhat - x).pow(2).sum(1).mean();
  auto mse = (xhat.detach() - x).pow(2).sum(1).mean();
  return {{"loss", recon}, {"recon", recon.detach()}, {"mse", mse}};
}

// x: [B, D] -> [B, V_layer]
torch::Tensor DeepAutoencoder::layer_input(const torch::Tensor& x, size_t layer) {
  torch::NoGradGuard no_grad;
  return up(rbms_, x, layer);
}

std::vector<ParamGroup> DeepAutoencoder::param_groups() {
  ParamGroup group{"model", parameters(), 1.0};
  group.optimizer = config_.get<DeepAutoencoderOptions>().finetune;
  if (group.optimizer == "lbfgs") group.lr = 1.0;  // the line search sets the step length
  return {group};
}

// One CD-k update of the RBM being pretrained, on the codes of the layers below it.
LossTerms DeepAutoencoder::pretrain_step(const torch::Tensor& x) {
  const auto& cd = config_.get<ContrastiveDivergenceOptions>();
  const double per_layer = static_cast<double>(config_.get<DeepAutoencoderOptions>().pretrain_epochs);
  const size_t layer = pretraining_layer();
  RBMLayer& rbm = *rbms_[layer];
  auto input = layer_input(x, layer);
  auto g = rbm.cd_gradient(input, cd.cd_k);
  const double lr = rbm.gaussian_hidden() ? cd.rbm_code_lr : cd.rbm_lr;
  const double into_layer = epochs_done_ - static_cast<double>(layer) * per_layer;
  rbm.apply_update(g, lr, rbm_momentum_at(into_layer, cd.rbm_momentum), cd.rbm_weight_decay);
  {
    torch::NoGradGuard no_grad;
    decoder_weights_[layer].copy_(rbm.weight.t());
  }
  auto recon = (g.reconstruction - input).pow(2).sum(1).mean();
  return {{"loss", recon}, {"cd_recon", recon}};
}

// One L-BFGS step (several function evaluations) on the batch x: [B, D].
LossTerms DeepAutoencoder::lbfgs_step(const torch::Tensor& x, torch::optim::Optimizer& opt) {
  LossTerms first;
  opt.step([&] {
    opt.zero_grad();
    LossTerms terms = losses(x);
    terms.at("loss").backward();
    if (first.empty()) first = terms;  // the batch's terms before the step, as Adam reports them
    return terms.at("loss");
  });
  for (auto& [name, t] : first) t = t.detach();
  return first;
}

LossTerms DeepAutoencoder::train_step(const torch::Tensor& x, const torch::Tensor& y,
                                      Optimizers& opt) {
  if (pretraining_layer() < rbms_.size()) return pretrain_step(x);
  if (config_.get<DeepAutoencoderOptions>().finetune == "lbfgs") return lbfgs_step(x, *opt.at("model"));
  return Model::train_step(x, y, opt);
}

}  // namespace latentkit
