// Fréchet distance against closed forms: a set with itself, diagonal covariances
// (sum (sqrt a - sqrt b)^2), a commuting full pair, and a non-commuting 2x2 pair through
// tr sqrt(M) = sqrt(tr M + 2 sqrt(det M)) for M = S1 S2 with positive eigenvalues.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "latentkit/error.h"
#include "latentkit/stats/frechet.h"

namespace frechet_test {

using namespace latentkit;

torch::Tensor random_orthogonal(int64_t d) {
  return std::get<0>(torch::linalg_qr(torch::randn({d, d}, torch::kFloat64)));
}

TEST(FrechetDistance, SetWithItselfIsZero) {
  torch::manual_seed(20);
  auto a = torch::randn({500, 6}, torch::kFloat64) * torch::linspace(0.1, 3, 6, torch::kFloat64);
  EXPECT_NEAR(frechet_distance(a, a), 0.0, 1e-8);
  EXPECT_NEAR(frechet_distance(a.to(torch::kFloat32), a.to(torch::kFloat32)), 0.0, 1e-4);
}

TEST(FrechetDistance, DiagonalCovariancesMatchClosedForm) {
  torch::manual_seed(21);
  auto mu1 = torch::randn({5}, torch::kFloat64), mu2 = torch::randn({5}, torch::kFloat64);
  auto a = torch::rand({5}, torch::kFloat64) + 0.1, b = torch::rand({5}, torch::kFloat64) * 3 + 0.1;
  const double expected = (a.sqrt() - b.sqrt()).pow(2).sum().item<double>() + (mu1 - mu2).pow(2).sum().item<double>();
  EXPECT_NEAR(frechet_distance(mu1, torch::diag(a), mu2, torch::diag(b)), expected, 1e-10);
}

TEST(FrechetDistance, CommutingFullCovariancesMatchClosedForm) {
  torch::manual_seed(22);
  auto q = random_orthogonal(4);
  auto a = torch::rand({4}, torch::kFloat64) + 0.2, b = torch::rand({4}, torch::kFloat64) * 2 + 0.05;
  auto s1 = torch::mm(q * a.unsqueeze(0), q.t()), s2 = torch::mm(q * b.unsqueeze(0), q.t());
  auto mu1 = torch::randn({4}, torch::kFloat64), mu2 = torch::randn({4}, torch::kFloat64);
  const double expected = (a.sqrt() - b.sqrt()).pow(2).sum().item<double>() + (mu1 - mu2).pow(2).sum().item<double>();
  EXPECT_NEAR(frechet_distance(mu1, s1, mu2, s2), expected, 1e-10);
}

TEST(FrechetDistance, NonCommutingTwoByTwoMatchesTraceFormula) {
  auto s1 = torch::tensor({2.0, 0.7, 0.7, 1.0}, torch::kFloat64).view({2, 2});
  auto s2 = torch::tensor({0.5, -0.3, -0.3, 1.5}, torch::kFloat64).view({2, 2});
  auto m = torch::mm(s1, s2);
  const double tr_sqrt = std::sqrt(m.trace().item<double>() + 2 * std::sqrt(torch::det(m).item<double>()));
  auto mu1 = torch::tensor({1.0, -2.0}, torch::kFloat64), mu2 = torch::tensor({0.5, 0.5}, torch::kFloat64);
  const double expected = 0.25 + 6.25 + s1.trace().item<double>() + s2.trace().item<double>() - 2 * tr_sqrt;
  EXPECT_NEAR(frechet_distance(mu1, s1, mu2, s2), expected, 1e-10);
  // Symmetric in its arguments.
  EXPECT_NEAR(frechet_distance(mu2, s2, mu1, s1), expected, 1e-10);
}

TEST(FrechetDistance, SetsUseTheirMeansAndUnbiasedCovariances) {
  torch::manual_seed(23);
  auto a = torch::randn({300, 3}, torch::kFloat64);
  auto b = torch::randn({200, 3}, torch::kFloat64) * 2 + 1;
  auto moments = [](const torch::Tensor& x) {
    auto mu = x.mean(0);
    auto cov = torch::zeros({3, 3}, torch::kFloat64);
    for (int64_t n = 0; n < x.size(0); ++n) cov += torch::outer(x[n] - mu, x[n] - mu);
    return std::make_pair(mu, cov / (x.size(0) - 1));
  };
  auto [mu1, s1] = moments(a);
  auto [mu2, s2] = moments(b);
  EXPECT_NEAR(frechet_distance(a, b), frechet_distance(mu1, s1, mu2, s2), 1e-9);
  EXPECT_THROW(frechet_distance(a, torch::randn({1, 3})), InputError);
}

}  // namespace frechet_test
