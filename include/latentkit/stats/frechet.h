#pragma once
// The Fréchet distance between two Gaussians, and between two sets of features through the
// Gaussians fitted to them (the construction behind FID):
//   d^2 = ||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1 S2)^{1/2}),
// in float64, with tr (S1 S2)^{1/2} = sum_i sqrt(lambda_i) over the eigenvalues of the
// symmetric positive semi-definite sqrt(S1) S2 sqrt(S1) (which has those of S1 S2); eigenvalues
// below zero from rounding are clamped to zero.
#include <torch/types.h>

namespace latentkit {

// mu: [F], sigma: [F, F] symmetric positive semi-definite -> d^2 (>= 0 up to rounding).
double frechet_distance(const torch::Tensor& mu1, const torch::Tensor& sigma1,
                        const torch::Tensor& mu2, const torch::Tensor& sigma2);
// a: [N, F], b: [M, F], N, M >= 2: the distance between their Gaussians (mean, unbiased
// covariance).
double frechet_distance(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace latentkit
