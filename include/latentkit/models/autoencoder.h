#pragma once
// The plain autoencoder ("ae"): a deterministic encoder [B, D] -> [B, L] and a decoder
// [B, L] -> [B, D], trained on a reconstruction loss.
//   likelihood "bce": the decoder emits logits; decode() applies the sigmoid; loss is binary
//                     cross-entropy with logits, summed over D, averaged over the batch.
//   likelihood "mse": the decoder output is the reconstruction; loss is squared error summed
//                     over D, averaged over the batch.
#include <torch/nn/modules/container/sequential.h>

#include "latentkit/models/model.h"

namespace latentkit {

class Autoencoder : public Model {
 public:
  explicit Autoencoder(ModelConfig config);

  // x: [B, D] -> z: [B, L]
  torch::Tensor encode(const torch::Tensor& x, const torch::Tensor& y = {}) override;
  // z: [B, L] -> [B, D]: sigmoid(logits) for "bce", the raw output for "mse".
  torch::Tensor decode(const torch::Tensor& z, const torch::Tensor& y = {}) override;
  // x: [B, D] -> {"loss", "recon" (the same value), "mse" (per-image squared error of the
  // decoded output, batch mean, a detached diagnostic)}.
  LossTerms losses(const torch::Tensor& x, const torch::Tensor& y = {}) override;

  // z: [B, L] -> [B, D], the decoder's raw output (logits for "bce").
  torch::Tensor decoder_output(const torch::Tensor& z);
  // x: [B, D], out: [B, D] raw decoder output -> [B], the per-sample reconstruction loss.
  torch::Tensor recon_loss(const torch::Tensor& x, const torch::Tensor& out) const;

  torch::nn::Sequential& encoder() { return encoder_; }
  torch::nn::Sequential& decoder() { return decoder_; }

  // The plain autoencoder with MLP networks and ReLU takes a fused step (model.h): the same
  // loss and gradients as autograd's step.
  LossTerms train_step(const torch::Tensor& x, const torch::Tensor& y, Optimizers& opt) override;
  // x: [B, D] -> [B], squared error of decode(encode(x)); fused where encode() is.
  torch::Tensor reconstruction_error(const torch::Tensor& x, const torch::Tensor& y = {}) override;

 protected:
  bool has_fused_step() const override;
  // For variants with the same networks plus dropout (rate > 0) after each hidden activation.
  Autoencoder(ModelConfig config, double dropout);
  bool bce() const { return bce_; }
  // input, target: [B, D] -> losses()'s terms for reconstructing `target` from `input`
  // (losses(x) is losses_from(x, x); the denoising autoencoder passes a corrupted input).
  LossTerms losses_from(const torch::Tensor& input, const torch::Tensor& target,
                        const torch::Tensor& y);

 private:
  LossTerms fused_train_step(const torch::Tensor& x, Optimizers& opt);

  bool bce_;  // likelihood == "bce"
  torch::nn::Sequential encoder_{nullptr}, decoder_{nullptr};
};

}  // namespace latentkit
