// The denoising autoencoder ("dae"); see dae.h.
#include "latentkit/models/dae.h"

#include <torch/torch.h>

#include "latentkit/models/corruption.h"

namespace latentkit {

const OptionTable& CorruptionOptions::table() {
  using Self = CorruptionOptions;
  static const OptionTable table = [] {
    auto t = OptionTable::of<Self>("corruption", "Input corruption (denoising)",
                                   {LATENTKIT_CORRUPTION_OPTIONS(LATENTKIT_OPTION_SPEC)});
    t.flag_parser<Self>("noise", [](Self& o, const std::string& text) {
      const NoiseSpec spec = parse_noise(text, "--noise");
      o.noise = spec.kind;
      o.noise_level = spec.level;
    }, [](const Self& o) { return o.noise + ":" + option_text(o.noise_level); });
    t.check<Self>([](const Self& o, const void*) { check_noise(o.noise, o.noise_level); });
    return t;
  }();
  return table;
}

DenoisingAutoencoder::DenoisingAutoencoder(ModelConfig config) : Autoencoder(std::move(config)) {
  const auto& o = config_.get<CorruptionOptions>();
  check_noise(o.noise, o.noise_level);
}

torch::Tensor DenoisingAutoencoder::corrupt_input(const torch::Tensor& x) const {
  const auto& o = config_.get<CorruptionOptions>();
  return corrupt(x, o.noise, o.noise_level, /*clip=*/bce());
}

// x: [B, D] -> scalar terms of reconstructing x from corrupt_input(x).
LossTerms DenoisingAutoencoder::losses(const torch::Tensor& x, const torch::Tensor& y) {
  return losses_from(corrupt_input(x), x, y);
}

}  // namespace latentkit
