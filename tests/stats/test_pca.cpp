// PCA against an independent route: the singular value decomposition of the centred data
// (Eckart-Young: the best rank-k reconstruction leaves the trailing squared singular values).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "latentkit/error.h"
#include "latentkit/stats/pca.h"

namespace latentkit {
namespace pca_test {

// [N, D] data with a decaying spectrum: a random rotation of independent scaled columns.
torch::Tensor spectrum_data(int64_t n, int64_t d) {
  auto scales = torch::pow(0.7, torch::arange(d, torch::kFloat64));
  auto q = std::get<0>(torch::linalg_qr(torch::randn({d, d}, torch::kFloat64)));
  return torch::mm(torch::randn({n, d}, torch::kFloat64) * scales, q) + 3.0;
}

TEST(PCA, ReconstructionErrorEqualsTrailingSingularValues) {
  torch::manual_seed(1);
  auto x = spectrum_data(500, 12);
  auto s = torch::linalg_svdvals(x - x.mean(0));  // [12], descending
  for (int64_t k : {1, 3, 6, 11}) {
    PCA p = PCA::fit(x, k);
    const double expected = s.narrow(0, k, 12 - k).pow(2).sum().item<double>() / 500.0;
    EXPECT_NEAR(p.reconstruction_error(x).mean().item<double>(), expected, 1e-9 * (1 + expected))
        << "k = " << k;
    // Variances along the components are the leading squared singular values / (N - 1).
    EXPECT_TRUE(torch::allclose(p.variances, s.narrow(0, 0, k).pow(2) / 499.0, 1e-9, 1e-12));
    // Orthonormal rows.
    EXPECT_TRUE(torch::allclose(torch::mm(p.components, p.components.t()),
                                torch::eye(k, torch::kFloat64), 1e-9, 1e-12));
  }
  // All components: exact reconstruction.
  EXPECT_LT(PCA::fit(x, 12).reconstruction_error(x).max().item<double>(), 1e-12);
}

TEST(PCA, RejectsBadComponentCounts) {
  auto x = torch::randn({10, 4});
  EXPECT_THROW(PCA::fit(x, 0), InputError);
  EXPECT_THROW(PCA::fit(x, 5), InputError);
  EXPECT_THROW(PCA::fit(torch::randn({1, 4}), 1), InputError);
}

}  // namespace
}  // namespace latentkit
