// Gaussian mixtures by EM against independent computations: recovery of a known 3-component
// mixture (full and diagonal), log_prob against the explicit density formula, k-means++ seeds,
// BIC's choice of k, sampling moments, parameter counts.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "latentkit/error.h"
#include "latentkit/stats/gaussian_mixture.h"

namespace gaussian_mixture_test {

using namespace latentkit;

// The known mixture: weights, means [3, 2], covariances [3, 2, 2] (diagonal ones if `diag`).
GaussianMixture known_mixture(bool diag) {
  GaussianMixture m;
  m.covariance = diag ? CovarianceType::Diagonal : CovarianceType::Full;
  m.weights = torch::tensor({0.5, 0.3, 0.2}, torch::kFloat64);
  m.means = torch::tensor({0.0, 0.0, 6.0, 5.0, -6.0, 5.0}, torch::kFloat64).view({3, 2});
  if (diag) {
    m.covariances = torch::tensor({1.0, 0.5, 0.4, 1.5, 2.0, 0.3}, torch::kFloat64).view({3, 2});
  } else {
    m.covariances = torch::tensor({1.0, 0.6, 0.6, 1.0, 0.5, -0.2, -0.2, 0.3, 2.0, 0.0, 0.0, 0.5},
                                  torch::kFloat64).view({3, 2, 2});
  }
  return m;
}

// Draws n points of `m` by hand: counts n w_k per component, each x = mu + L eps.
torch::Tensor draw_by_hand(const GaussianMixture& m, int64_t n) {
  std::vector<torch::Tensor> parts;
  for (int64_t k = 0; k < m.components(); ++k) {
    const int64_t nk = static_cast<int64_t>(std::llround(n * m.weights[k].item<double>()));
    auto cov = m.covariance == CovarianceType::Diagonal ? torch::diag(m.covariances[k]) : m.covariances[k];
    auto l = torch::linalg_cholesky(cov);
    parts.push_back(m.means[k] + torch::mm(torch::randn({nk, 2}, torch::kFloat64), l.t()));
  }
  return torch::cat(parts);
}

// log p(x_n) by the textbook formula, point by point: pdf_k = (2 pi)^(-D/2) det(S)^(-1/2)
// exp(-(x - mu)^T S^-1 (x - mu) / 2) with S^-1 and det from LU (torch::inverse, torch::det).
std::vector<double> explicit_log_prob(const GaussianMixture& m, const torch::Tensor& x) {
  std::vector<double> out;
  const int64_t D = x.size(1);
  for (int64_t n = 0; n < x.size(0); ++n) {
    double p = 0;
    for (int64_t k = 0; k < m.components(); ++k) {
      auto cov = m.covariance == CovarianceType::Diagonal ? torch::diag(m.covariances[k]) : m.covariances[k];
      auto d = (x[n] - m.means[k]).unsqueeze(1);  // [D, 1]
      const double q = torch::mm(torch::mm(d.t(), torch::inverse(cov)), d).item<double>();
      const double det = torch::det(cov).item<double>();
      p += m.weights[k].item<double>() * std::pow(2 * M_PI, -0.5 * D) / std::sqrt(det) * std::exp(-0.5 * q);
    }
    out.push_back(std::log(p));
  }
  return out;
}

// For each true component, the index of the fitted component with the nearest mean.
std::vector<int64_t> match_by_mean(const GaussianMixture& truth, const GaussianMixture& fit) {
  std::vector<int64_t> idx;
  for (int64_t k = 0; k < truth.components(); ++k)
    idx.push_back((fit.means - truth.means[k]).pow(2).sum(1).argmin().item<int64_t>());
  return idx;
}

void expect_recovers(bool diag) {
  torch::manual_seed(3);
  const GaussianMixture truth = known_mixture(diag);
  auto x = draw_by_hand(truth, 6000);
  GaussianMixtureOptions o;
  o.components = 3;
  o.covariance = truth.covariance;
  o.tolerance = 1e-10;
  o.max_iterations = 500;
  o.seed = 7;
  GaussianMixtureFit fit = fit_gaussian_mixture(x, o);
  EXPECT_TRUE(fit.converged);
  for (size_t i = 1; i < fit.history.size(); ++i)
    EXPECT_GE(fit.history[i], fit.history[i - 1] - 1e-12) << "iteration " << i;
  auto idx = match_by_mean(truth, fit.mixture);
  EXPECT_NE(idx[0], idx[1]);
  EXPECT_NE(idx[0], idx[2]);
  EXPECT_NE(idx[1], idx[2]);
  for (int64_t k = 0; k < 3; ++k) {
    // Tolerances: a few standard errors of 1200..3000 points per component.
    EXPECT_NEAR(fit.mixture.weights[idx[k]].item<double>(), truth.weights[k].item<double>(), 0.03);
    EXPECT_LT((fit.mixture.means[idx[k]] - truth.means[k]).abs().max().item<double>(), 0.15) << k;
    EXPECT_LT((fit.mixture.covariances[idx[k]] - truth.covariances[k]).abs().max().item<double>(), 0.2) << k;
  }
}

TEST(GaussianMixture, RecoversKnownFullCovarianceMixture) { expect_recovers(false); }
TEST(GaussianMixture, RecoversKnownDiagonalMixture) { expect_recovers(true); }

TEST(GaussianMixture, LogProbEqualsExplicitFormula) {
  torch::manual_seed(4);
  for (bool diag : {false, true}) {
    const GaussianMixture m = known_mixture(diag);
    auto x = torch::randn({40, 2}, torch::kFloat64) * 4;
    auto lp = m.log_prob(x);
    auto expected = explicit_log_prob(m, x);
    for (int64_t n = 0; n < 40; ++n) EXPECT_NEAR(lp[n].item<double>(), expected[n], 1e-9) << n;
    auto r = m.responsibilities(x);
    EXPECT_TRUE(torch::allclose(r.sum(1), torch::ones({40}, torch::kFloat64), 1e-12, 1e-12));
  }
}

TEST(GaussianMixture, VarianceFloorKeepsSingularClustersFinite) {
  // Two clusters on lines (rank-1 covariances) and a duplicated point: only the floor keeps the
  // covariances invertible.
  torch::manual_seed(5);
  auto t = torch::randn({100, 1}, torch::kFloat64);
  auto line1 = torch::cat({t, 2 * t}, 1);
  auto line2 = torch::cat({t, -t}, 1) + torch::tensor({8.0, 0.0}, torch::kFloat64);
  auto x = torch::cat({line1, line2, torch::full({20, 2}, -9.0, torch::kFloat64)});
  const double floor = 1e-3;
  for (auto type : {CovarianceType::Full, CovarianceType::Diagonal}) {
    GaussianMixtureOptions o;
    o.components = 3;
    o.covariance = type;
    o.variance_floor = floor;
    o.seed = 1;
    GaussianMixture m = fit_gaussian_mixture(x, o).mixture;
    auto eig = type == CovarianceType::Full ? torch::linalg::eigvalsh(m.covariances, "L") : m.covariances;
    EXPECT_GE(eig.min().item<double>(), floor * (1 - 1e-9));
    auto probe = torch::tensor({0.5, 1.0, 8.5, -0.5, -9.0, -9.0, 1.0, 0.0}, torch::kFloat64).view({4, 2});
    auto lp = m.log_prob(probe);
    auto expected = explicit_log_prob(m, probe);
    for (int64_t n = 0; n < 4; ++n) {
      ASSERT_TRUE(std::isfinite(lp[n].item<double>()));
      EXPECT_NEAR(lp[n].item<double>(), expected[n], 1e-6 * (1 + std::abs(expected[n]))) << n;
    }
  }
}

TEST(GaussianMixture, KMeansPlusPlusPicksDistinctPoints) {
  torch::manual_seed(6);
  auto base = torch::randn({30, 3}, torch::kFloat64);
  auto x = torch::cat({base, base, base});  // every point three times
  auto idx = kmeans_plus_plus(x, 20);
  ASSERT_EQ(idx.size(0), 20);
  auto seeds = x.index_select(0, idx);
  for (int64_t i = 0; i < 20; ++i)
    for (int64_t j = i + 1; j < 20; ++j)
      EXPECT_GT((seeds[i] - seeds[j]).abs().max().item<double>(), 0.0) << i << " " << j;
  // Fewer distinct rows than seeds: distinct indices still.
  auto few = kmeans_plus_plus(torch::cat({base.narrow(0, 0, 2), base.narrow(0, 0, 2)}), 4);
  EXPECT_EQ(std::get<0>(torch::_unique(few)).size(0), 4);
}

TEST(GaussianMixture, BicChoosesThreeComponents) {
  torch::manual_seed(8);
  auto x = draw_by_hand(known_mixture(false), 3000);
  GaussianMixtureOptions o;
  o.covariance = CovarianceType::Full;
  o.seed = 2;
  ComponentSelection sel = select_components_by_bic(x, 1, 6, o);
  EXPECT_EQ(sel.best_k, 3);
  ASSERT_EQ(sel.bics.size(), 6u);
  // BIC is -2 LL + p ln N, recomputed from log_prob.
  const double ll = sel.best.mixture.log_prob(x).sum().item<double>();
  EXPECT_NEAR(sel.bics[2], -2 * ll + 17 * std::log(3000.0), 1e-6 * std::abs(ll));
}

TEST(GaussianMixture, SamplesHaveTheMixtureMoments) {
  torch::manual_seed(9);
  const GaussianMixture m = known_mixture(false);
  auto s = m.sample(200000);
  // E[x] = sum w mu; Cov = sum w (S + mu mu^T) - E[x] E[x]^T
  auto mean = torch::mm(m.weights.unsqueeze(0), m.means).squeeze(0);
  auto second = torch::zeros({2, 2}, torch::kFloat64);
  for (int64_t k = 0; k < 3; ++k)
    second += m.weights[k] * (m.covariances[k] + torch::outer(m.means[k], m.means[k]));
  auto cov = second - torch::outer(mean, mean);
  auto c = s - s.mean(0);
  EXPECT_LT((s.mean(0) - mean).abs().max().item<double>(), 0.05);
  EXPECT_LT((torch::mm(c.t(), c) / 200000.0 - cov).abs().max().item<double>(), 0.2);
}

TEST(GaussianMixture, CountsFreeParameters) {
  EXPECT_EQ(known_mixture(true).num_parameters(), 2 + 6 + 6);
  EXPECT_EQ(known_mixture(false).num_parameters(), 2 + 6 + 9);
}

TEST(GaussianMixture, RejectsTooFewPointsAndBadCovarianceNames) {
  GaussianMixtureOptions o;
  o.components = 5;
  EXPECT_THROW(fit_gaussian_mixture(torch::randn({3, 2}), o), InputError);
  EXPECT_THROW(parse_covariance_type("spherical", "--covariance"), InputError);
}

}  // namespace gaussian_mixture_test
