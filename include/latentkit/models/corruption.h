#pragma once
// Input corruptions for denoising: x: [B, D] -> x̃: [B, D], same dtype and device. Randomness
// comes from the global generator, so the trainer's seeding (and ScopedSeed) controls it.
//   "gaussian":    x̃ = x + ε, ε ~ N(0, level²) elementwise; clamped to [0, 1] when `clip`.
//   "mask":        each input is zeroed with probability `level` (masking noise).
//   "salt-pepper": each input, with probability `level`, is replaced by 0 or 1 (equally likely).
#include <torch/types.h>

#include <string>
#include <vector>

namespace latentkit {

// The corruption kinds, in display order.
const std::vector<std::string>& noise_kinds();

struct NoiseSpec {
  std::string kind = "gaussian";
  double level = 0.3;
};

// Throws InputError when `kind` is unknown (naming `kind_field`) or `level` is out of range for
// it (naming `level_field`): gaussian needs a finite level >= 0, mask and salt-pepper [0, 1].
void check_noise(const std::string& kind, double level, const std::string& kind_field = "noise",
                 const std::string& level_field = "noise_level");

// Parses "KIND:LEVEL", e.g. "gaussian:0.5", "mask:0.3", "salt-pepper:0.1". Throws InputError
// naming `field` on malformed text, an unknown kind or a level out of range.
NoiseSpec parse_noise(const std::string& text, const std::string& field = "--noise");

// x: [B, D] (any shape) -> the corrupted copy. `clip` clamps gaussian results to [0, 1] (data in
// the unit range, e.g. BCE / Bernoulli models); mask and salt-pepper ignore it. No gradient flows.
torch::Tensor corrupt(const torch::Tensor& x, const std::string& kind, double level,
                      bool clip = true);

}  // namespace latentkit
