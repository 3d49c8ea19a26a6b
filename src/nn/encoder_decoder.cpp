// Chooses the encoder / decoder block that a model config's `architecture` names.
#include <torch/torch.h>

#include "latentkit/error.h"
#include "latentkit/models/model_config.h"
#include "latentkit/nn/blocks.h"

namespace latentkit {

// [B, D] -> [B, out]
torch::nn::Sequential make_encoder(const ModelConfig& config, int64_t out, double dropout) {
  if (config.architecture == "mlp")
    return make_mlp(config.input_dim, config.hidden, out, config.activation, dropout);
  if (config.architecture == "conv")
    return make_conv_encoder(config.image_shape, config.conv_channels, out, config.activation,
                             dropout);
  fail("architecture", "unknown architecture '" + config.architecture + "' (expected mlp or conv)");
}

// [B, in] -> [B, D]. The MLP decoder's hidden widths are the encoder's reversed, so a
// 784-400-20 encoder pairs with a 20-400-784 decoder.
torch::nn::Sequential make_decoder(const ModelConfig& config, int64_t in, double dropout) {
  if (config.architecture == "mlp") {
    std::vector<int64_t> hidden(config.hidden.rbegin(), config.hidden.rend());
    return make_mlp(in, hidden, config.input_dim, config.activation, dropout);
  }
  if (config.architecture == "conv")
    return make_conv_decoder(in, config.conv_channels, config.image_shape, config.activation,
                             dropout);
  fail("architecture", "unknown architecture '" + config.architecture + "' (expected mlp or conv)");
}

}  // namespace latentkit
