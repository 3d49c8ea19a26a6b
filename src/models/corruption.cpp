// Input corruptions for the denoising autoencoder and `latentkit denoise`; see corruption.h.
#include "latentkit/models/corruption.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "latentkit/error.h"
#include "latentkit/util/batch_shard.h"

namespace latentkit {

const std::vector<std::string>& noise_kinds() {
  static const std::vector<std::string> kinds = {"gaussian", "mask", "salt-pepper"};
  return kinds;
}

void check_noise(const std::string& kind, double level, const std::string& kind_field,
                 const std::string& level_field) {
  const auto& kinds = noise_kinds();
  if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end())
    fail(kind_field, "unknown noise '" + kind + "' (expected gaussian, mask or salt-pepper)");
  std::ostringstream got;
  got << level;
  if (kind == "gaussian") {
    if (!std::isfinite(level) || level < 0)
      fail(level_field, "gaussian noise level (std. deviation) must be finite and >= 0 (got " +
                            got.str() + ")");
  } else if (!(level >= 0 && level <= 1)) {
    fail(level_field, kind + " noise level (a fraction of inputs) must be in [0, 1] (got " +
                          got.str() + ")");
  }
}

NoiseSpec parse_noise(const std::string& text, const std::string& field) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    fail(field, "'" + text + "' is not KIND:LEVEL (e.g. gaussian:0.5, mask:0.3, salt-pepper:0.1)");
  NoiseSpec spec;
  spec.kind = text.substr(0, colon);
  const std::string number = text.substr(colon + 1);
  try {
    size_t used = 0;
    spec.level = std::stod(number, &used);
    if (used != number.size()) throw std::invalid_argument(number);
  } catch (const std::exception&) {
    fail(field, "'" + number + "' in '" + text + "' is not a number");
  }
  check_noise(spec.kind, spec.level, field, field);
  return spec;
}

torch::Tensor corrupt(const torch::Tensor& x, const std::string& kind, double level, bool clip) {
  check_noise(kind, level);
  torch::NoGradGuard no_grad;
  const auto clean = x.detach();
  if (kind == "gaussian") {
    auto noisy = clean + level * batch_randn_like(clean);
    return clip ? noisy.clamp_(0.0, 1.0) : noisy;
  }
  if (kind == "mask") return clean * (batch_rand_like(clean) >= level).to(clean.dtype());
  // salt-pepper: hit with probability `level`; a hit becomes 1 or 0 with probability 1/2 each.
  const auto hit = batch_rand_like(clean) < level;
  const auto value = (batch_rand_like(clean) < 0.5).to(clean.dtype());
  return torch::where(hit, value, clean);
}

}  // namespace latentkit
