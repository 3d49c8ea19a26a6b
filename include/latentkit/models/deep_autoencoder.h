#pragma once
// The deep autoencoder of Hinton & Salakhutdinov (Science, 2006) ("deep-ae"): a stack of RBMs
// D -> hidden[0] -> ... -> hidden[n-1] -> latent_dim (binary hidden units, Gaussian ones for the
// code), pretrained greedily one layer at a time by CD-k, then unrolled into an encoder (the
// RBMs' weights and hidden biases, logistic units, a linear code) and a decoder (their
// transposes and visible biases, logistic units), and fine-tuned end to end by backpropagation.
//
// Options: DeepAutoencoderOptions (the stack, pretraining, fine-tuning), ContrastiveDivergence-
// Options (rbm_layer.h) and ReconstructionOptions (autoencoder.h).
//
// Training schedule, driven by set_training_progress (so a resumed run lands in the same place):
// the first pretraining_epochs() = pretrain_epochs * layers epochs train RBM i during
// epochs [i P, (i + 1) P) on the codes of the layers below it; each RBM update also copies its
// transposed weights into the decoder, so the unrolled network is ready when fine-tuning starts.
// The run's --epochs then fine-tune with `finetune`: Adam at --lr, or L-BFGS (strong Wolfe
// line search, a few iterations per batch, as the paper's conjugate gradients on large batches).
// pretrain_epochs = 0 gives the same network trained from random initialisation.
//
// Pretraining steps report {"loss" = "cd_recon"}: the current RBM's reconstruction error of its
// own input. losses() reconstructs pixels: {"loss" = "recon" (BCE with logits, or squared error,
// summed over D), "mse"}, through the whole network, except while pretraining, when it goes
// through the RBMs trained so far (up through the current one) and back, which shows the stack
// taking shape. A model not being trained (progress never set) is a finished one.
#include <limits>
#include <memory>
#include <vector>

#include "latentkit/models/model.h"
#include "latentkit/models/rbm_layer.h"

namespace latentkit {

#define LATENTKIT_DEEP_AE_OPTIONS(X)                                                                  \
  X(Widths, hidden, (Widths{1000, 500, 250}), "--hidden", "Hidden units of the RBM stack, bottom up",  \
    widths(1))                                                                                         \
  X(int64_t, latent_dim, 30, "--latent", "Units of the linear code layer", between(1, kMaxWidth))      \
  X(int64_t, pretrain_epochs, 10, "--pretrain-epochs",                                                 \
    "RBM pretraining epochs per layer before --epochs of fine-tuning (0: random initialisation)",      \
    between(0, 1e6))                                                                                   \
  X(std::string, finetune, "adam", "--finetune", "Fine-tuning optimizer: adam or lbfgs",              \
    one_of({"adam", "lbfgs"}))

struct DeepAutoencoderOptions {
  LATENTKIT_DEEP_AE_OPTIONS(LATENTKIT_OPTION_FIELD)
  static const OptionTable& table();
};

class DeepAutoencoder : public Model {
 public:
  explicit DeepAutoencoder(ModelConfig config);

  // x: [B, D] -> [B, L], the linear code.
  torch::Tensor encode(const torch::Tensor& x, const torch::Tensor& y = {}) override;
  // z: [B, L] -> [B, D], logistic output units.
  torch::Tensor decode(const torch::Tensor& z, const torch::Tensor& y = {}) override;
  LossTerms losses(const torch::Tensor& x, const torch::Tensor& y = {}) override;

  std::vector<ParamGroup> param_groups() override;
  LossTerms train_step(const torch::Tensor& x, const torch::Tensor& y, Optimizers& opt) override;
  void set_training_progress(double epochs_done) override { epochs_done_ = epochs_done; }
  int64_t pretraining_epochs() const override;

  // z: [B, L] -> [B, D], the decoder's output logits.
  torch::Tensor decoder_logits(const torch::Tensor& z);
  // x: [B, D] -> the input of RBM `layer` (the codes of the layers below), without autograd.
  torch::Tensor layer_input(const torch::Tensor& x, size_t layer);

  size_t layers() const { return rbms_.size(); }
  RBMLayer& rbm(size_t i) { return *rbms_[i]; }

 private:
  LossTerms pretrain_step(const torch::Tensor& x);
  // The RBM being pretrained at the current progress, or layers() when pretraining is over.
  size_t pretraining_layer() const;
  LossTerms lbfgs_step(const torch::Tensor& x, torch::optim::Optimizer& opt);

  std::vector<std::shared_ptr<RBMLayer>> rbms_;
  // The decoder's weights, [V_i, H_i] for RBM i; its biases are the RBMs' visible biases.
  std::vector<torch::Tensor> decoder_weights_;
  bool bce_;
  double epochs_done_ = std::numeric_limits<double>::infinity();  // training progress
};

}  // namespace latentkit
