#pragma once
// The dropout autoencoder ("dropout-ae"): the plain autoencoder (see autoencoder.h) with a
// torch::nn::Dropout of rate `dropout` (DropoutOptions) after every hidden activation of the
// encoder and decoder. Dropout acts in training mode only; in evaluation mode the model computes what an
// "ae" with the same weights computes, so the two kinds' test errors compare directly.
#include "latentkit/models/autoencoder.h"

namespace latentkit {

#define LATENTKIT_DROPOUT_OPTIONS(X) \
  X(double, dropout, 0.2, "--dropout", "Dropout rate after every hidden activation", in_range(0, 1))

struct DropoutOptions {
  LATENTKIT_DROPOUT_OPTIONS(LATENTKIT_OPTION_FIELD)
  static const OptionTable& table();
};

class DropoutAutoencoder : public Autoencoder {
 public:
  explicit DropoutAutoencoder(ModelConfig config);
};

}  // namespace latentkit
