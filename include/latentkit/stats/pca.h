#pragma once
// Principal component analysis, the linear baseline for codes: the k directions of largest
// variance of the training data, computed in float64 from the eigendecomposition of the
// covariance matrix. Encoding projects onto them; decoding maps back (the best rank-k linear
// reconstruction in squared error, Eckart-Young).
#include <torch/types.h>

#include <cstdint>

namespace latentkit {

struct PCA {
  torch::Tensor mean;        // [D]
  torch::Tensor components;  // [k, D], orthonormal rows, by decreasing variance
  torch::Tensor variances;   // [k], the variance of the training data along each component

  // x: [N, D] (N >= 2), 1 <= k <= D. Throws InputError otherwise.
  static PCA fit(const torch::Tensor& x, int64_t k);
  torch::Tensor encode(const torch::Tensor& x) const;  // x: [N, D] -> [N, k]
  torch::Tensor decode(const torch::Tensor& z) const;  // z: [N, k] -> [N, D]
  // x: [N, D] -> [N], squared error of decode(encode(x)), summed over D.
  torch::Tensor reconstruction_error(const torch::Tensor& x) const;
};

}  // namespace latentkit
