#pragma once
// A restricted Boltzmann machine with V visible units in [0, 1] (binary, or their probabilities)
// and H hidden units, trained by contrastive divergence. The energy of a joint state is
//   binary hidden:    E(v, h) = -b.v - c.h - h.W v,               h in {0, 1}^H
//   Gaussian hidden:  E(v, h) = -b.v - c.h - h.W v + |h|^2 / 2,   h in R^H
// so that p(v_i = 1 | h) = sigmoid(b_i + W_:i . h) and p(h | v) is Bernoulli(sigmoid(c + W v))
// or N(c + W v, I) (the "linear" units Hinton & Salakhutdinov use for the code layer).
// Used alone by the rbm kind and as the pretrained layers of the deep autoencoder.
#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>

#include "latentkit/util/options.h"

namespace latentkit {

// Contrastive divergence, as the rbm kind and the deep autoencoder's pretraining run it: CD-k
// steps, SGD with momentum and weight decay; RBMs with Gaussian hidden units (a code layer)
// learn at rbm_code_lr.
#define LATENTKIT_CD_OPTIONS(X)                                                                       \
  X(int64_t, cd_k, 1, "--cd-k", "Gibbs steps of contrastive divergence (CD-k)", between(1, 1e5))       \
  X(double, rbm_lr, 0.1, "--rbm-lr", "CD learning rate of RBMs with binary hidden units", above(0))     \
  X(double, rbm_code_lr, 0.001, "--rbm-code-lr",                                                       \
    "CD learning rate of RBMs with Gaussian hidden units (the code layer)", above(0))                  \
  X(double, rbm_momentum, 0.9, "--rbm-momentum", "CD momentum after the first epoch (0.5 during it)",   \
    in_range(0, 1))                                                                                    \
  X(double, rbm_weight_decay, 2e-4, "--rbm-weight-decay", "L2 weight decay of the CD updates", at_least(0))

struct ContrastiveDivergenceOptions {
  LATENTKIT_CD_OPTIONS(LATENTKIT_OPTION_FIELD)
  static const OptionTable& table();
};

class RBMLayer : public torch::nn::Module {
 public:
  // Weights start as a Linear layer's do (uniform in +-1/sqrt(V)), biases at zero.
  RBMLayer(int64_t visible, int64_t hidden, bool gaussian_hidden);

  bool gaussian_hidden() const { return gaussian_hidden_; }
  int64_t visible() const { return weight.size(1); }
  int64_t hidden() const { return weight.size(0); }

  // v: [B, V] -> [B, H], E[h | v]: sigmoid(c + W v), or c + W v for Gaussian units.
  torch::Tensor hidden_mean(const torch::Tensor& v) const;
  // mean: [B, H] from hidden_mean -> [B, H], a draw of h: Bernoulli(mean) or mean + N(0, I).
  torch::Tensor sample_hidden(const torch::Tensor& mean) const;
  // h: [B, H] -> [B, V], p(v = 1 | h) = sigmoid(b + W^T h).
  torch::Tensor visible_prob(const torch::Tensor& h) const;
  // v: [B, V] -> [B], the free energy F(v) = -log sum_h exp(-E(v, h)) (an integral for
  // Gaussian units, whose -(H/2) log(2 pi) is included), so p(v) = exp(-F(v)) / Z.
  torch::Tensor free_energy(const torch::Tensor& v) const;

  // The CD-k estimate of the gradient of the batch's mean log-likelihood: data statistics minus
  // those after k steps of Gibbs sampling started at the data. Following Hinton's recipe, the
  // hidden states that drive each reconstruction are sampled, the visible reconstructions are
  // probabilities, and the statistics use hidden means.
  struct Gradient {
    torch::Tensor weight;        // [H, V]
    torch::Tensor visible_bias;  // [V]
    torch::Tensor hidden_bias;   // [H]
    torch::Tensor reconstruction;  // [B, V], the last visible probabilities of the chain
  };
  // v: [B, V] -> the estimate (no autograd).
  Gradient cd_gradient(const torch::Tensor& v, int64_t k) const;
  // Gradient ascent with momentum and L2 weight decay on the weights (not the biases):
  //   velocity = momentum * velocity + lr * (g - weight_decay * W);  W += velocity.
  void apply_update(const Gradient& g, double lr, double momentum, double weight_decay);

  torch::Tensor weight;        // W: [H, V]
  torch::Tensor visible_bias;  // b: [V]
  torch::Tensor hidden_bias;   // c: [H]

 private:
  bool gaussian_hidden_;
  // Momentum state, kept as buffers so checkpoints carry it and a resumed run continues exactly.
  torch::Tensor weight_velocity_, visible_velocity_, hidden_velocity_;
};

}  // namespace latentkit
