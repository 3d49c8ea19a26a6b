#pragma once
// The encoder and decoder networks of the neural kinds (autoencoders, VAEs, VQ-VAE): their
// options, and the blocks (nn/blocks.h) those options ask for.
#include <torch/nn/modules/container/sequential.h>

#include "latentkit/models/model_config.h"
#include "latentkit/util/options.h"

namespace latentkit {

const std::vector<std::string>& network_activations();

#define LATENTKIT_NETWORK_OPTIONS(X)                                                                    \
  X(std::string, architecture, "mlp", "--architecture", "Encoder and decoder: mlp, or conv (image data)", \
    one_of({"mlp", "conv"}))                                                                            \
  X(Widths, hidden, (Widths{400}), "--hidden",                                                          \
    "Hidden widths of the MLP encoder, e.g. 512,256 (the decoder mirrors them)", widths())              \
  X(Widths, conv_channels, (Widths{32, 64}), "--conv-channels",                                          \
    "Channels of the conv architecture's stride-2 layers (each halves H and W)", widths(0, 16))          \
  X(int64_t, latent_dim, 20, "--latent", "Latent dimension L", between(1, kMaxWidth))                   \
  X(std::string, activation, "relu", "--activation", "Hidden activation: relu, leaky_relu, elu, tanh, "  \
    "sigmoid or gelu", one_of(network_activations()))

struct NetworkOptions {
  LATENTKIT_NETWORK_OPTIONS(LATENTKIT_OPTION_FIELD)
  // Checks against the config's image shape: conv needs {C, H, W} with H and W divisible by
  // 2^len(conv_channels).
  static const OptionTable& table();
};

// The encoder [B, D + extra_inputs] -> [B, out] (extra columns, e.g. a one-hot label, need the
// MLP architecture) and the decoder [B, in] -> [B, D]. The MLP decoder's hidden widths are the
// encoder's reversed, so a 784-400-20 encoder pairs with a 20-400-784 decoder. `dropout` > 0
// adds dropout after every hidden activation.
torch::nn::Sequential make_encoder(const ModelConfig& config, int64_t out, int64_t extra_inputs = 0,
                                   double dropout = 0.0);
torch::nn::Sequential make_decoder(const ModelConfig& config, int64_t in, double dropout = 0.0);

}  // namespace latentkit
