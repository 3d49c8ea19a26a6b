#pragma once
// The vector-quantised autoencoder ("vqvae", van den Oord et al. 2017). The encoder's output
// z_e: [B, L] is read as M = L / code_dim vectors of code_dim values, and each is replaced by
// its nearest entry of a codebook e: [K, code_dim]:
//   k_m = argmin_j |z_e,m - e_j|^2,   z_q,m = e_{k_m}.
// The decoder sees z_q with the straight-through gradient: z_e + sg(z_q - z_e) equals z_q going
// forward, and passes the decoder's gradient to the encoder unchanged going back. Per image,
// summed over positions and values, batch means:
//   loss = recon + |sg(z_e) - z_q|^2 + beta |z_e - sg(z_q)|^2   (codebook and commitment terms),
// or with --ema the codebook follows exponential moving averages of the vectors assigned to it
// (decay gamma, Laplace-smoothed counts) instead of its loss term.
// Terms: "loss", "recon", "codebook" (without --ema), "commitment", "mse", "perplexity"
// (exp of the entropy of the batch's code usage: K when all codes are used equally) and
// "usage" (the fraction of codes the batch uses).
//   encode(x) = the code indices k: [B, M] (as floats); decode(k) looks them up and decodes.
//   sample(n) draws each position's index from the frequencies with which the training epoch
//             before used each code there (a categorical prior per position, Laplace-smoothed),
//             and decodes.
// The codebook starts as vectors the encoder produced on the first training batch.
// Options: NetworkOptions (network.h), ReconstructionOptions (autoencoder.h), VqOptions.
#include <torch/nn/modules/container/sequential.h>

#include "latentkit/models/model.h"
#include "latentkit/util/options.h"

namespace latentkit {

#define LATENTKIT_VQ_OPTIONS(X)                                                                       \
  X(int64_t, codebook_size, 128, "--codebook-size", "Codes K in the codebook", between(1, kMaxWidth))  \
  X(int64_t, code_dim, 4, "--code-dim",                                                                \
    "Values per code vector: the encoder's --latent outputs are latent / code-dim quantised positions", \
    between(1, kMaxWidth))                                                                             \
  X(double, commitment, 0.25, "--commitment", "Weight beta of the commitment loss |z_e - sg(z_q)|^2",   \
    at_least(0))                                                                                       \
  X(bool, ema, false, "--ema", "Update the codebook by moving averages instead of its loss term",      \
    any_value())                                                                                       \
  X(double, ema_decay, 0.99, "--ema-decay", "Decay gamma of the codebook's moving averages (--ema)",   \
    in_range(0, 1))                                                                                    \
  X(double, ema_epsilon, 1e-5, "--ema-epsilon", "Laplace smoothing of the moving-average code counts (--ema)", above(0))

struct VqOptions {
  LATENTKIT_VQ_OPTIONS(LATENTKIT_OPTION_FIELD)
  static const OptionTable& table();
};

// Nearest codes: vectors: [N, C], codebook: [K, C] -> [N] int64 indices of argmin_j |v - e_j|^2.
torch::Tensor nearest_codes(const torch::Tensor& vectors, const torch::Tensor& codebook);
// exp(entropy) of the mean one-hot assignment: indices: [N] in [0, K) -> 0-dim.
torch::Tensor code_perplexity(const torch::Tensor& indices, int64_t codebook_size);

class VQVAE : public Model {
 public:
  explicit VQVAE(ModelConfig config);
  // latent_dim must split into code_dim-wide positions.
  static void check_config(const ModelConfig& config);

  // x: [B, D] -> k: [B, M] code indices (float).
  torch::Tensor encode(const torch::Tensor& x, const torch::Tensor& y = {}) override;
  // k: [B, M] (rounded, clamped to [0, K)) -> [B, D]
  torch::Tensor decode(const torch::Tensor& k, const torch::Tensor& y = {}) override;
  // -> [n, D] from the per-position categorical prior.
  torch::Tensor sample(int64_t n, const torch::Tensor& y = {}) override;
  LossTerms losses(const torch::Tensor& x, const torch::Tensor& y = {}) override;
  LossTerms train_step(const torch::Tensor& x, const torch::Tensor& y, Optimizers& opt) override;
  // Moves the epoch's code counts into the prior.
  void end_epoch() override;

  // x: [B, D] -> z_e: [B, M, C], the encoder's continuous vectors.
  torch::Tensor continuous(const torch::Tensor& x);
  // k: [B, M] int64 -> z_q: [B, L]
  torch::Tensor lookup(const torch::Tensor& k) const;
  // One EMA update of the codebook from vectors: [N, C] assigned to indices: [N].
  void ema_update(const torch::Tensor& vectors, const torch::Tensor& indices);

  int64_t positions() const { return latent_dim(); }
  const torch::Tensor& codebook() const { return codebook_; }
  torch::nn::Sequential& encoder() { return encoder_; }
  torch::nn::Sequential& decoder() { return decoder_; }
  // The prior's code counts per position: [M, K].
  const torch::Tensor& prior_counts() const { return prior_counts_; }

 private:
  struct Pass {
    LossTerms terms;
    torch::Tensor vectors;  // z_e: [B*M, C], detached
    torch::Tensor indices;  // [B*M]
  };
  Pass forward_pass(const torch::Tensor& x);
  void initialise_codebook(const torch::Tensor& x);

  const VqOptions& vq() const { return config_.get<VqOptions>(); }

  bool bce_;
  int64_t code_dim_, codes_;
  torch::nn::Sequential encoder_{nullptr}, decoder_{nullptr};
  torch::Tensor codebook_;                 // [K, C]: a parameter, or a buffer with --ema
  torch::Tensor ema_count_, ema_sum_;      // [K], [K, C] (--ema)
  torch::Tensor epoch_counts_, prior_counts_;  // [M, K]
  torch::Tensor initialised_;              // [] bool
};

}  // namespace latentkit
