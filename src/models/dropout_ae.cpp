// The dropout autoencoder ("dropout-ae"); see dropout_ae.h.
#include "latentkit/models/dropout_ae.h"

namespace latentkit {

const OptionTable& DropoutOptions::table() {
  using Self = DropoutOptions;
  static const OptionTable table =
      OptionTable::of<Self>("dropout", "Dropout", {LATENTKIT_DROPOUT_OPTIONS(LATENTKIT_OPTION_SPEC)});
  return table;
}

DropoutAutoencoder::DropoutAutoencoder(ModelConfig config)
    : Autoencoder(config, config.get<DropoutOptions>().dropout) {}

}  // namespace latentkit
