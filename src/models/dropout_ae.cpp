// The dropout autoencoder ("dropout-ae"); see dropout_ae.h.
#include "latentkit/models/dropout_ae.h"

namespace latentkit {

DropoutAutoencoder::DropoutAutoencoder(ModelConfig config)
    : Autoencoder(config, config.dropout) {}

}  // namespace latentkit
