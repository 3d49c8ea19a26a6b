#pragma once
// Maximum mean discrepancy between two samples, a distance between the distributions they came
// from that needs no density: with a characteristic kernel it is 0 exactly when they are equal.
#include <torch/types.h>

#include <vector>

namespace latentkit {

// a: [N, L], b: [M, L] (N, M >= 2) -> the unbiased estimate of MMD^2 (a 0-dim tensor) for the
// kernel k(x, y) = sum_s exp(-|x - y|^2 / (2 s)) over the squared bandwidths s in `bandwidths2`:
//   mean_{i != j} k(a_i, a_j) + mean_{i != j} k(b_i, b_j) - 2 mean_{i, j} k(a_i, b_j).
// Being unbiased it can dip slightly below 0 when the distributions agree.
torch::Tensor mmd_rbf(const torch::Tensor& a, const torch::Tensor& b,
                      const std::vector<double>& bandwidths2);

// The squared bandwidths latentkit uses to compare L-dimensional codes with a prior of unit
// scale: {0.2, 0.5, 1, 2, 5} * 2L, around the mean squared distance 2L of two N(0, I) draws.
std::vector<double> default_bandwidths2(int64_t latent_dim);

}  // namespace latentkit
