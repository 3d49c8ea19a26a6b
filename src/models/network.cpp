// The neural kinds' networks: NetworkOptions and the blocks they choose (see network.h).
#include "latentkit/models/network.h"

#include <torch/torch.h>

#include "latentkit/error.h"
#include "latentkit/models/model_size.h"
#include "latentkit/nn/activation.h"
#include "latentkit/nn/blocks.h"

namespace latentkit {

const std::vector<std::string>& network_activations() { return activation_names(); }

const OptionTable& NetworkOptions::table() {
  using Self = NetworkOptions;
  static const OptionTable table = [] {
    auto t = OptionTable::of<Self>("network", "Encoder and decoder networks",
                                   {LATENTKIT_NETWORK_OPTIONS(LATENTKIT_OPTION_SPEC)});
    t.check<Self, ModelConfig>([](const Self& o, const ModelConfig* c) {
      if (!c) return;
      // Encoder D -> hidden -> 2L (a VAE's two heads) and its mirrored decoder; a conv network's
      // layers, 4x4 kernels, and the dense layers to and from the last feature map.
      const double d = double(c->input_dim), l = double(o.latent_dim);
      if (o.architecture != "conv") {
        std::vector<double> up{d}, down{l};
        for (int64_t w : o.hidden) up.push_back(double(w));
        for (auto it = o.hidden.rbegin(); it != o.hidden.rend(); ++it) down.push_back(double(*it));
        up.push_back(2 * l);
        down.push_back(d);
        require_parameters_fit(o.hidden.empty() ? "--latent" : "--hidden", dense_parameters(up) + dense_parameters(down));
      } else if (!c->image_shape.empty() && !o.conv_channels.empty()) {
        double p = 0, prev = double(c->image_shape[0]);
        for (int64_t ch : o.conv_channels) p += 2 * 16 * prev * double(ch), prev = double(ch);
        const double cells = d / double(c->image_shape[0]) / std::pow(4.0, double(o.conv_channels.size()));
        require_parameters_fit("--conv-channels", p + 3 * prev * cells * l);
      }
      if (o.architecture != "conv") return;
      if (c->image_shape.empty()) fail("image_shape", "architecture 'conv' needs image data {C, H, W}");
      const int64_t factor = int64_t{1} << o.conv_channels.size();
      if (c->image_shape[1] % factor != 0 || c->image_shape[2] % factor != 0)
        fail("image_shape", "H and W of {" + option_text(c->image_shape) + "} must be divisible by 2^" +
                                std::to_string(o.conv_channels.size()) + " = " + std::to_string(factor) +
                                " (one halving per conv_channels entry)");
    });
    return t;
  }();
  return table;
}

namespace {
// The builders are public: a config that skipped validation still gets a one-line error.
void check_architecture(const NetworkOptions& n) {
  if (n.architecture != "mlp" && n.architecture != "conv")
    fail("architecture", "unknown architecture '" + n.architecture + "' (expected mlp or conv)");
}
}  // namespace

// [B, D + extra] -> [B, out]
torch::nn::Sequential make_encoder(const ModelConfig& config, int64_t out, int64_t extra_inputs, double dropout) {
  const auto& n = config.get<NetworkOptions>();
  check_architecture(n);
  if (n.architecture == "mlp") return make_mlp(config.input_dim + extra_inputs, n.hidden, out, n.activation, dropout);
  if (extra_inputs > 0) fail("architecture", "extra encoder inputs (labels) need architecture 'mlp'");
  return make_conv_encoder(config.image_shape, n.conv_channels, out, n.activation, dropout);
}

// [B, in] -> [B, D]
torch::nn::Sequential make_decoder(const ModelConfig& config, int64_t in, double dropout) {
  const auto& n = config.get<NetworkOptions>();
  check_architecture(n);
  if (n.architecture == "mlp") {
    std::vector<int64_t> hidden(n.hidden.rbegin(), n.hidden.rend());
    return make_mlp(in, hidden, config.input_dim, n.activation, dropout);
  }
  return make_conv_decoder(in, n.conv_channels, config.image_shape, n.activation, dropout);
}

}  // namespace latentkit
