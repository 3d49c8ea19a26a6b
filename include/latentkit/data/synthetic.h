#pragma once
// Synthetic 2-D point sets for toy density estimation, each deterministic given its seed.
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace latentkit {

// Names: "moons" (two interleaved half circles), "rings" (concentric circles),
// "8gaussians" (eight Gaussians on a circle), "checkerboard".
// Returns x: [n, 2] float32 and, through `labels`, the component each point came from: [n] int64.
torch::Tensor make_synthetic(const std::string& name, int64_t n, uint64_t seed,
                             torch::Tensor* labels = nullptr);
const std::vector<std::string>& synthetic_names();

}  // namespace latentkit
