// Maximum mean discrepancy; see mmd.h.
#include "latentkit/stats/mmd.h"

#include <torch/torch.h>

namespace latentkit {

namespace {

// x: [N, L], y: [M, L] -> [N, M], sum_s exp(-|x_i - y_j|^2 / (2 s))
torch::Tensor kernel(const torch::Tensor& x, const torch::Tensor& y,
                     const std::vector<double>& bandwidths2) {
  auto d2 = torch::cdist(x, y).pow(2);
  auto k = torch::zeros_like(d2);
  for (double s : bandwidths2) k += torch::exp(-d2 / (2 * s));
  return k;
}

// [N, N] kernel matrix -> mean of its off-diagonal entries.
torch::Tensor off_diagonal_mean(const torch::Tensor& k) {
  const double n = static_cast<double>(k.size(0));
  return (k.sum() - k.diagonal().sum()) / (n * (n - 1));
}

}  // namespace

torch::Tensor mmd_rbf(const torch::Tensor& a, const torch::Tensor& b,
                      const std::vector<double>& bandwidths2) {
  return off_diagonal_mean(kernel(a, a, bandwidths2)) + off_diagonal_mean(kernel(b, b, bandwidths2)) -
         2 * kernel(a, b, bandwidths2).mean();
}

std::vector<double> default_bandwidths2(int64_t latent_dim) {
  std::vector<double> out;
  for (double f : {0.2, 0.5, 1.0, 2.0, 5.0}) out.push_back(f * 2.0 * static_cast<double>(latent_dim));
  return out;
}

}  // namespace latentkit
