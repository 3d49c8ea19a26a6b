#pragma once
// The dropout autoencoder ("dropout-ae"): the plain autoencoder (see autoencoder.h) with a
// torch::nn::Dropout of rate config.dropout after every hidden activation of the encoder and
// decoder. Dropout acts in training mode only; in evaluation mode the model computes what an
// "ae" with the same weights computes, so the two kinds' test errors compare directly.
#include "latentkit/models/autoencoder.h"

namespace latentkit {

class DropoutAutoencoder : public Autoencoder {
 public:
  explicit DropoutAutoencoder(ModelConfig config);
};

}  // namespace latentkit
