#pragma once
// The conditional VAE ("cvae", Sohn et al., 2015): the VAE with labels y in {0..C-1}
// (C = num_classes, LabelOptions, from the data) appended one-hot to the inputs of both networks:
//   q(z|x, y) = encoder([x, onehot(y)]),  p(x|z, y) = decoder([z, onehot(y)]),  p(z) = N(0, I).
// The loss terms, KL warm-up and IWAE log-likelihood are the VAE's, conditioned on y. Every
// method that runs a network needs y ([B] int64): without it (e.g. inputs read from a file, which
// carry no labels) it throws InputError("cvae needs labels ..."). sample(n) without y draws the
// labels uniformly. Only the MLP architecture is supported.
#include "latentkit/models/vae.h"

namespace latentkit {

#define LATENTKIT_LABEL_OPTIONS(X) \
  X(int64_t, num_classes, 0, "", "Label classes C (from the data's labels)", between(1, 1e6))

struct LabelOptions {
  LATENTKIT_LABEL_OPTIONS(LATENTKIT_OPTION_FIELD)
  static const OptionTable& table();
};

class CVAE : public VAE {
 public:
  explicit CVAE(ModelConfig config);

  int64_t num_classes() const { return config_.get<LabelOptions>().num_classes; }
  // -> [n, D]: decode(z, y) for z ~ N(0, I); y: [n] labels, or undefined for uniform labels.
  torch::Tensor sample(int64_t n, const torch::Tensor& y = {}) override;

 protected:
  // y: [B] -> onehot(y): [rows, C], tiled when rows is a multiple of B (row r gets y[r % B]).
  torch::Tensor conditioning(const torch::Tensor& y, int64_t rows) override;
};

}  // namespace latentkit
