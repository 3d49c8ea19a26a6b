#pragma once
// The plain autoencoder ("ae"): a deterministic encoder [B, D] -> [B, L] and a decoder
// [B, L] -> [B, D], trained on a reconstruction loss.
//   loss "bce": the decoder emits logits; decode() applies the sigmoid; loss is binary
//               cross-entropy with logits, summed over D, averaged over the batch.
//   loss "mse": the decoder output is the reconstruction; loss is squared error summed over D,
//               averaged over the batch.
// Options: NetworkOptions (network.h) and ReconstructionOptions, which the other autoencoders
// (dae, dropout-ae, aae, deep-ae, vqvae) read too.
#include <torch/nn/modules/container/sequential.h>

#include "latentkit/models/model.h"
#include "latentkit/util/options.h"

namespace latentkit {

#define LATENTKIT_RECONSTRUCTION_OPTIONS(X)                                                        \
  X(std::string, loss, "bce", "--loss",                                                             \
    "Reconstruction loss: bce (data in [0, 1]) or mse; by default chosen by the data's scaling",    \
    one_of({"bce", "mse"}))

struct ReconstructionOptions {
  LATENTKIT_RECONSTRUCTION_OPTIONS(LATENTKIT_OPTION_FIELD)
  static const OptionTable& table();
};

// x: [B, D], out: [B, D] raw decoder output -> [B]: BCE with logits ("bce") or squared error
// ("mse"), summed over D.
torch::Tensor reconstruction_loss(const torch::Tensor& x, const torch::Tensor& out, bool bce);

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
  bool bce() const { return bce_; }

 protected:
  // For variants with the same networks plus dropout (rate > 0) after each hidden activation.
  Autoencoder(ModelConfig config, double dropout);
  // input, target: [B, D] -> losses()'s terms for reconstructing `target` from `input`
  // (losses(x) is losses_from(x, x); the denoising autoencoder passes a corrupted input).
  LossTerms losses_from(const torch::Tensor& input, const torch::Tensor& target,
                        const torch::Tensor& y);

 private:
  bool bce_;  // loss == "bce"
  torch::nn::Sequential encoder_{nullptr}, decoder_{nullptr};
};

}  // namespace latentkit
