#pragma once
// From 8-bit images to a continuous density, with every change of variables counted:
//   dequantisation: levels l in {0..255} -> y = (l + u) / 256, u ~ U[0, 1)^D, so y in [0, 1)^D;
// A density p_y on [0,1)^D gives the discrete data the probability
//   P(l) = integral over the cell of p_y = 256^-D * E_u[p_y((l + u) / 256)],
// so log P(l) >= E_u[log p_y(y)] - D log 256 (Jensen); one draw of u estimates that bound, and
//   bits/dim = -(log p_y(y) - D log 256) / (D ln 2) = (NLL_y + D log 256) / (D ln 2).
#include <torch/types.h>

#include <cstdint>

namespace latentkit {

// The 8-bit levels of model-space images x = level / 255: x: [B, D] -> [B, D] in {0..255} (float).
torch::Tensor pixel_levels(const torch::Tensor& x);
// levels: [B, D], u: [B, D] in [0, 1) -> y = (levels + u) / 256
torch::Tensor dequantize(const torch::Tensor& levels, const torch::Tensor& u);
// y: [B, D] in [0, 1] -> model-space x = level / 255 with level = floor(256 y) clamped to 0..255.
torch::Tensor quantize(const torch::Tensor& y);
// log P(l) bound in nats from log p_y (see above): log_py: [B] -> [B]; dims: D.
torch::Tensor discrete_log_likelihood(const torch::Tensor& log_py, int64_t dims);
// Bits per dimension of the 8-bit data from the mean NLL of the continuous y in nats.
double bits_per_dim(double nll_y, int64_t dims);
}  // namespace latentkit
