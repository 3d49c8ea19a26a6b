#pragma once
// A restricted Boltzmann machine as a model of its own ("rbm"): latent_dim hidden units
// (rbm_hidden: binary or Gaussian) over the D visible units (RbmOptions), trained by CD-k with
// momentum and weight decay (ContrastiveDivergenceOptions, rbm_layer.h). No optimizer:
// train_step applies the CD update.
//   encode(x)  = E[h | x]                         [B, D] -> [B, L]
//   decode(h)  = p(v = 1 | h)                     [B, L] -> [B, D]
//   sample(n)  = visible probabilities after gibbs_steps of a Gibbs chain started from
//                uniform random visible states
//   losses(x)  = {"loss" = "recon": squared error of the mean-field reconstruction
//                 decode(encode(x)), summed over D; "free_energy": mean F(x)}
//   train_step -> {"loss" = "cd_recon": squared error of the CD chain's last reconstruction}
// The momentum is 0.5 during the first epoch and rbm_momentum after (Hinton's schedule).
// The partition function is intractable, so there is no log-likelihood.
#include <memory>

#include "latentkit/models/model.h"
#include "latentkit/models/rbm_layer.h"

namespace latentkit {

#define LATENTKIT_RBM_OPTIONS(X)                                                                       \
  X(int64_t, latent_dim, 500, "--latent", "Hidden units of the RBM", between(1, kMaxWidth))              \
  X(std::string, rbm_hidden, "binary", "--rbm-hidden", "Hidden units: binary, or gaussian (linear with " \
    "unit-variance noise)", one_of({"binary", "gaussian"}))                                             \
  X(int64_t, gibbs_steps, 1000, "--gibbs-steps", "Gibbs steps behind each sample", between(1, 1e7))

struct RbmOptions {
  LATENTKIT_RBM_OPTIONS(LATENTKIT_OPTION_FIELD)
  static const OptionTable& table();
};

// The momentum of the RBM update at a position `epochs_done` epochs into its training.
double rbm_momentum_at(double epochs_done, double final_momentum);

class RBM : public Model {
 public:
  explicit RBM(ModelConfig config);

  torch::Tensor encode(const torch::Tensor& x, const torch::Tensor& y = {}) override;
  torch::Tensor decode(const torch::Tensor& z, const torch::Tensor& y = {}) override;
  torch::Tensor sample(int64_t n, const torch::Tensor& y = {}) override;
  LossTerms losses(const torch::Tensor& x, const torch::Tensor& y = {}) override;

  std::vector<ParamGroup> param_groups() override { return {}; }
  LossTerms train_step(const torch::Tensor& x, const torch::Tensor& y, Optimizers& opt) override;
  void set_training_progress(double epochs_done) override { epochs_done_ = epochs_done; }

  RBMLayer& layer() { return *layer_; }

 private:
  std::shared_ptr<RBMLayer> layer_;
  double epochs_done_ = 0;
};

}  // namespace latentkit
