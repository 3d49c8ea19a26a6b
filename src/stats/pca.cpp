// Principal component analysis; see pca.h.
#include "latentkit/stats/pca.h"

#include <torch/torch.h>

#include "latentkit/error.h"

namespace latentkit {

PCA PCA::fit(const torch::Tensor& x, int64_t k) {
  if (x.dim() != 2 || x.size(0) < 2) fail("pca", "needs a [N, D] matrix with N >= 2 rows");
  if (k < 1 || k > x.size(1))
    fail("pca", "components must be in [1, " + std::to_string(x.size(1)) + "] (got " +
                    std::to_string(k) + ")");
  auto xd = x.to(torch::kFloat64);
  PCA p;
  p.mean = xd.mean(0);
  auto centred = xd - p.mean;
  auto cov = torch::mm(centred.t(), centred) / static_cast<double>(x.size(0) - 1);  // [D, D]
  auto [values, vectors] = torch::linalg_eigh(cov);  // ascending eigenvalues, vectors in columns
  p.variances = values.flip(0).narrow(0, 0, k).to(x.scalar_type());
  p.components = vectors.flip(1).narrow(1, 0, k).t().contiguous().to(x.scalar_type());
  p.mean = p.mean.to(x.scalar_type());
  return p;
}

// x: [N, D] -> [N, k]
torch::Tensor PCA::encode(const torch::Tensor& x) const { return torch::mm(x - mean, components.t()); }

// z: [N, k] -> [N, D]
torch::Tensor PCA::decode(const torch::Tensor& z) const { return torch::mm(z, components) + mean; }

// x: [N, D] -> [N]
torch::Tensor PCA::reconstruction_error(const torch::Tensor& x) const {
  return (decode(encode(x)) - x).pow(2).sum(1);
}

}  // namespace latentkit
