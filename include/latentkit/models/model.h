#pragma once
// The interface every latentkit model implements: autoencoders, VAEs, adversarial, RBM-based,
// vector-quantised, flow and mixture models. Only modelling lives here: how a step is executed
// (fused passes, threads, precision) is the execution policy's (exec/execution.h). Shapes: x is
// [B, D] in model space (see Preprocessor), z is [B, L], y (optional labels, for conditional
// models) is [B] int64.
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "latentkit/models/model_config.h"

namespace latentkit {

// Named scalar (0-dim) loss terms of one batch, each a mean over the batch. "loss" is the total
// that training minimises; the others are diagnostics (e.g. "recon", "kl", "elbo").
using LossTerms = std::map<std::string, torch::Tensor>;

// A set of parameters trained by one optimizer. Single-objective models have one group, "model";
// adversarial models have several, each with its own learning-rate multiplier.
struct ParamGroup {
  std::string name;
  std::vector<torch::Tensor> params;
  double lr_scale = 1.0;     // learning rate = the run's --lr * lr_scale ...
  double lr = 0.0;           // ... unless this absolute rate is > 0
  std::string optimizer = "adam";  // "adam" | "lbfgs" (train_step then passes a closure)
};

// The optimizers of a model, by group name, built by the Trainer from param_groups().
using Optimizers = std::map<std::string, std::unique_ptr<torch::optim::Optimizer>>;

class Model : public torch::nn::Module {
 public:
  // latent_dim: L, the width of encode()'s codes (what it is depends on the kind: the network's
  // code, a flow's D, a mixture's K responsibilities, ...).
  Model(ModelConfig config, int64_t latent_dim) : config_(std::move(config)), latent_dim_(latent_dim) {}
  const ModelConfig& config() const { return config_; }
  int64_t latent_dim() const { return latent_dim_; }
  // The number of trained values: parameters, or the buffers a kind fits without an optimizer.
  virtual int64_t parameter_count() const;

  // x: [B, D] -> z: [B, L], the code (the mean of q(z|x) for stochastic encoders).
  virtual torch::Tensor encode(const torch::Tensor& x, const torch::Tensor& y = {}) = 0;
  // z: [B, L] -> [B, D] in model space (Bernoulli probabilities or Gaussian means).
  virtual torch::Tensor decode(const torch::Tensor& z, const torch::Tensor& y = {}) = 0;
  // -> [n, D], decoded draws from the model's prior. Throws InputError for models without one.
  virtual torch::Tensor sample(int64_t n, const torch::Tensor& y = {});
  // The same with the prior's noise scaled by `temperature` (z ~ N(0, T^2 I) for flows); T = 1
  // is sample(). Throws InputError for kinds without a temperature.
  virtual torch::Tensor sample_at_temperature(int64_t n, double temperature, const torch::Tensor& y = {});
  // x: [B, D] -> [B, D]
  virtual torch::Tensor reconstruct(const torch::Tensor& x, const torch::Tensor& y = {});

  // The loss terms of a batch, as training optimises them. x: [B, D]
  virtual LossTerms losses(const torch::Tensor& x, const torch::Tensor& y = {}) = 0;

  // Per-sample squared reconstruction error summed over dimensions: x: [B, D] -> [B].
  virtual torch::Tensor reconstruction_error(const torch::Tensor& x, const torch::Tensor& y = {});

  // Whether log_likelihood() is defined, and whether it is a lower bound rather than exact.
  virtual bool has_log_likelihood() const { return false; }
  virtual bool log_likelihood_is_bound() const { return false; }
  // x: [B, D] -> [B], log p(x) in nats, estimated with k importance samples where needed.
  virtual torch::Tensor log_likelihood(const torch::Tensor& x, int64_t k,
                                       const torch::Tensor& y = {});

  // The parameter groups to optimise; one optimizer each. Default: every parameter, "model".
  virtual std::vector<ParamGroup> param_groups();
  // One optimisation step on a batch. Default: zero grads, backward losses()["loss"], step.
  // Returns the batch's loss terms, detached.
  virtual LossTerms train_step(const torch::Tensor& x, const torch::Tensor& y, Optimizers& opt);
  // Training progress in epochs (completed epochs + the done fraction of the current one), set
  // by the Trainer before every train_step, for objectives with schedules (the VAE's KL
  // warm-up). Computed from the epoch and batch position, so a resumed run sets the same values.
  // Default: ignored.
  virtual void set_training_progress(double epochs_done) {}
  // Epochs the model spends before the run's training epochs (the deep autoencoder's greedy RBM
  // pretraining); the Trainer runs them first and picks best.pt among the epochs after them.
  virtual int64_t pretraining_epochs() const { return 0; }
  // Called by the Trainer after the last batch of every epoch, before the test evaluation and
  // the checkpoints: models whose update needs the whole epoch (the Gaussian mixture's EM:
  // train_step accumulates the E-step's statistics, end_epoch applies the M-step) apply it here.
  // Whatever train_step accumulates must live in buffers, so that a checkpoint taken mid-epoch
  // resumes it. Default: nothing.
  virtual void end_epoch() {}

 protected:
  ModelConfig config_;

 private:
  int64_t latent_dim_;
};

}  // namespace latentkit
