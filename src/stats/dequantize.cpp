// Dequantisation and the bits/dim bookkeeping (see dequantize.h).
#include "latentkit/stats/dequantize.h"

#include <torch/torch.h>

#include <cmath>

namespace latentkit {

// x: [B, D] -> [B, D]; rounding undoes the float error of level / 255.
torch::Tensor pixel_levels(const torch::Tensor& x) { return torch::round(x * 255).clamp(0, 255); }

torch::Tensor dequantize(const torch::Tensor& levels, const torch::Tensor& u) {
  return (levels + u) / 256;
}

torch::Tensor quantize(const torch::Tensor& y) { return torch::floor(y * 256).clamp(0, 255) / 255; }

torch::Tensor discrete_log_likelihood(const torch::Tensor& log_py, int64_t dims) {
  return log_py - static_cast<double>(dims) * std::log(256.0);
}

double bits_per_dim(double nll_y, int64_t dims) {
  const double d = static_cast<double>(dims);
  return (nll_y + d * std::log(256.0)) / (d * std::log(2.0));
}
}  // namespace latentkit
