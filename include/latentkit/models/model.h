#pragma once
// The interface every latentkit model implements: autoencoders, VAEs and, later, adversarial,
// RBM-pretrained and flow models. Shapes: x is [B, D] in model space (see Preprocessor),
// z is [B, L], y (optional labels, for conditional models) is [B] int64.
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "latentkit/models/model_config.h"
#include "latentkit/nn/gemm.h"

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
  explicit Model(ModelConfig config) : config_(std::move(config)) {}
  const ModelConfig& config() const { return config_; }
  int64_t latent_dim() const { return config_.latent_dim; }

  // x: [B, D] -> z: [B, L], the code (the mean of q(z|x) for stochastic encoders).
  virtual torch::Tensor encode(const torch::Tensor& x, const torch::Tensor& y = {}) = 0;
  // z: [B, L] -> [B, D] in model space (Bernoulli probabilities or Gaussian means).
  virtual torch::Tensor decode(const torch::Tensor& z, const torch::Tensor& y = {}) = 0;
  // -> [n, D], decoded draws from the model's prior. Throws InputError for models without one.
  virtual torch::Tensor sample(int64_t n, const torch::Tensor& y = {});
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

  // Fused training steps: kinds whose networks allow it (the MLP "ae" and "vae" with ReLU, on
  // CPU in float32) train with hand-written forward and backward passes (nn/fused_mlp.h)
  // instead of autograd, with the same objective, noise and optimizer, and evaluate encode()
  // and decode() without autograd's bookkeeping when gradients are off. Enabled by default;
  // set_fused_step(false) makes them use LibTorch's modules. The precision applies to the
  // fused training steps' matrix products (inference stays float32).
  void set_fused_step(bool enabled, GemmPrecision precision = GemmPrecision::kFloat32) {
    fused_enabled_ = enabled;
    fused_precision_ = precision;
  }
  // Whether most of this model's arithmetic runs on LibTorch's intra-op threads (fused steps,
  // convolutions) rather than in BLAS products (autograd's Linear layers); chooses the default
  // threads (util/runtime.h).
  virtual bool works_on_intra_op_threads() const {
    return uses_fused_step() || config_.architecture == "conv";
  }
  // Whether train_step takes a fused step (enabled, and the kind and its networks allow it).
  bool uses_fused_step() const { return fused_enabled_ && has_fused_step(); }
  // Whether an inference call on x (encode, decode) takes the fused forward pass: fused steps
  // enabled, gradients off, x a float32 CPU matrix.
  bool uses_fused_forward(const torch::Tensor& x) const;

 protected:
  // Whether this kind's configuration has a fused step; see set_fused_step().
  virtual bool has_fused_step() const { return false; }
  GemmPrecision fused_precision() const { return fused_precision_; }

  ModelConfig config_;

 private:
  bool fused_enabled_ = true;
  GemmPrecision fused_precision_ = GemmPrecision::kFloat32;
};

// Builds a model from its config (validated first). Throws InputError for an unknown kind.
std::shared_ptr<Model> make_model(const ModelConfig& config);

// Every model kind with a one-line description, in display order.
struct ModelInfo {
  std::string name;
  std::string description;
  // The config.likelihood values this kind accepts; the first is its natural default.
  std::vector<std::string> likelihoods;
  // Whether the kind's visible units are probabilities (RBMs): the data must be scaled to [0, 1].
  bool needs_unit_data = false;
};
const std::vector<ModelInfo>& model_catalog();

// Sets the fields whose sensible default depends on the kind (the deep autoencoder's
// 1000-500-250 stack and 30-unit code, the RBM's 500 hidden units); other kinds are unchanged.
// Used for configs built from flags, before the flags given are applied.
void apply_kind_defaults(ModelConfig& config);

}  // namespace latentkit
