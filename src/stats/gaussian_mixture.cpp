// Gaussian mixtures by EM; see gaussian_mixture.h.
#include "latentkit/stats/gaussian_mixture.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "latentkit/error.h"
#include "latentkit/util/rng.h"

namespace latentkit {

namespace {

// x: [N, D] -> [N, K] squared Euclidean distances to c: [K, D] (float64).
torch::Tensor gmm_squared_distances(const torch::Tensor& x, const torch::Tensor& c) {
  auto d = torch::addmm(x.pow(2).sum(1, true) + c.pow(2).sum(1).unsqueeze(0), x, c.t(), 1, -2);
  return d.clamp_min(0);
}

// The covariance of all of x: [N, D] -> [D] (diag) or [D, D] (full), maximum likelihood.
torch::Tensor gmm_data_covariance(const torch::Tensor& x, CovarianceType type) {
  auto centred = x - x.mean(0);
  const double n = static_cast<double>(x.size(0));
  if (type == CovarianceType::Diagonal) return centred.pow(2).sum(0) / n;
  return torch::mm(centred.t(), centred) / n;
}

// Floors the variances [.., D] or the eigenvalues of symmetric [.., D, D] matrices.
torch::Tensor gmm_floor_covariance(const torch::Tensor& cov, CovarianceType type, double floor) {
  if (type == CovarianceType::Diagonal) return cov.clamp_min(floor);
  auto sym = 0.5 * (cov + cov.transpose(-1, -2));
  auto [values, vectors] = torch::linalg::eigh(sym, "L");
  auto floored = torch::matmul(vectors * values.clamp_min(floor).unsqueeze(-2), vectors.transpose(-1, -2));
  return 0.5 * (floored + floored.transpose(-1, -2));
}

}  // namespace

CovarianceType parse_covariance_type(const std::string& text, const std::string& where) {
  if (text == "diag") return CovarianceType::Diagonal;
  if (text == "full") return CovarianceType::Full;
  fail(where, "unknown covariance '" + text + "' (expected diag or full)");
}

std::string covariance_type_name(CovarianceType type) {
  return type == CovarianceType::Diagonal ? "diag" : "full";
}

// x: [N, D] -> [N, K]
torch::Tensor GaussianMixture::joint_log_prob(const torch::Tensor& x_in) const {
  auto x = x_in.to(torch::kFloat64);
  const int64_t D = dim();
  const double log2pi = std::log(2 * M_PI);
  auto log_w = weights.log();  // [K]; a component of weight 0 gets -inf, which log-sum-exp absorbs
  if (covariance == CovarianceType::Diagonal) {
    auto prec = covariances.reciprocal();  // [K, D]
    // sum_d (x_d - mu_d)^2 / var_d = x^2 . prec - 2 x . (mu prec) + mu^2 . prec
    auto maha = torch::mm(x.pow(2), prec.t()) - 2 * torch::mm(x, (means * prec).t()) +
                (means.pow(2) * prec).sum(1).unsqueeze(0);  // [N, K]
    auto log_norm = -0.5 * (D * log2pi + covariances.log().sum(1));  // [K]
    return log_w.unsqueeze(0) + log_norm.unsqueeze(0) - 0.5 * maha.clamp_min(0);
  }
  auto chol = torch::linalg::cholesky(covariances);  // [K, D, D], lower
  std::vector<torch::Tensor> columns;
  for (int64_t k = 0; k < components(); ++k) {
    auto diff = (x - means[k]).t();                                            // [D, N]
    auto z = at::linalg_solve_triangular(chol[k], diff, /*upper=*/false);      // [D, N]
    auto log_det = 2 * chol[k].diagonal().log().sum();
    columns.push_back(log_w[k] - 0.5 * (D * log2pi + log_det + z.pow(2).sum(0)));  // [N]
  }
  return torch::stack(columns, 1);
}

// x: [N, D] -> [N]
torch::Tensor GaussianMixture::log_prob(const torch::Tensor& x) const {
  return torch::logsumexp(joint_log_prob(x), 1);
}

// x: [N, D] -> [N, K]
torch::Tensor GaussianMixture::responsibilities(const torch::Tensor& x) const {
  auto joint = joint_log_prob(x);
  return (joint - torch::logsumexp(joint, 1, true)).exp();
}

// -> [n, D]
torch::Tensor GaussianMixture::sample(int64_t n) const {
  auto component = torch::multinomial(weights, n, /*replacement=*/true);  // [n]
  auto eps = torch::randn({n, dim()}, means.options());
  auto out = means.index_select(0, component);
  if (covariance == CovarianceType::Diagonal)
    return out + covariances.index_select(0, component).sqrt() * eps;
  auto chol = torch::linalg::cholesky(covariances);
  for (int64_t k = 0; k < components(); ++k) {
    auto rows = (component == k).nonzero().squeeze(1);
    if (rows.numel() == 0) continue;
    out.index_add_(0, rows, torch::mm(eps.index_select(0, rows), chol[k].t()));
  }
  return out;
}

int64_t GaussianMixture::num_parameters() const {
  const int64_t K = components(), D = dim();
  const int64_t cov = covariance == CovarianceType::Diagonal ? K * D : K * D * (D + 1) / 2;
  return (K - 1) + K * D + cov;
}

double GaussianMixture::bic(const torch::Tensor& x) const {
  const double ll = log_prob(x).sum().item<double>();
  return -2 * ll + static_cast<double>(num_parameters()) * std::log(static_cast<double>(x.size(0)));
}

MixtureStatistics MixtureStatistics::zeros(int64_t k, int64_t d, CovarianceType type,
                                           const torch::Device& device) {
  auto opts = torch::TensorOptions().dtype(torch::kFloat64).device(device);
  MixtureStatistics s;
  s.count = torch::zeros({k}, opts);
  s.sum = torch::zeros({k, d}, opts);
  s.sum_sq = type == CovarianceType::Diagonal ? torch::zeros({k, d}, opts) : torch::zeros({k, d, d}, opts);
  return s;
}

// x: [N, D], r: [N, K]
void MixtureStatistics::add(const torch::Tensor& x_in, const torch::Tensor& r_in) {
  auto x = x_in.to(torch::kFloat64);
  auto r = r_in.to(torch::kFloat64);
  count.add_(r.sum(0));
  sum.add_(torch::mm(r.t(), x));
  if (sum_sq.dim() == 2) {
    sum_sq.add_(torch::mm(r.t(), x.pow(2)));
    return;
  }
  for (int64_t k = 0; k < r.size(1); ++k)
    sum_sq[k].add_(torch::mm((x * r.select(1, k).unsqueeze(1)).t(), x));
}

double expectation_step(const GaussianMixture& mixture, const torch::Tensor& x,
                        MixtureStatistics& stats, int64_t chunk) {
  double total = 0;
  for (int64_t s = 0; s < x.size(0); s += chunk) {
    auto part = x.narrow(0, s, std::min(chunk, x.size(0) - s)).to(torch::kFloat64);
    auto joint = mixture.joint_log_prob(part);                 // [n, K]
    auto lse = torch::logsumexp(joint, 1, true);               // [n, 1]
    stats.add(part, (joint - lse).exp());
    total += lse.sum().item<double>();
  }
  return total;
}

GaussianMixture maximization_step(const MixtureStatistics& stats, const GaussianMixture& previous,
                                  double variance_floor, double min_count) {
  GaussianMixture m;
  m.covariance = previous.covariance;
  auto count = stats.count;  // [K]
  m.weights = count / count.sum();
  auto keep = count < min_count;                         // [K] bool
  auto safe = count.clamp_min(min_count).unsqueeze(1);   // [K, 1]
  m.means = torch::where(keep.unsqueeze(1), previous.means, stats.sum / safe);
  torch::Tensor cov;
  if (m.covariance == CovarianceType::Diagonal) {
    cov = stats.sum_sq / safe - m.means.pow(2);
    cov = torch::where(keep.unsqueeze(1), previous.covariances,
                       gmm_floor_covariance(cov, m.covariance, variance_floor));
  } else {
    cov = stats.sum_sq / safe.unsqueeze(2) - m.means.unsqueeze(2) * m.means.unsqueeze(1);
    cov = torch::where(keep.view({-1, 1, 1}), previous.covariances,
                       gmm_floor_covariance(cov, m.covariance, variance_floor));
  }
  m.covariances = cov;
  return m;
}

// x: [N, D] -> [k]
torch::Tensor kmeans_plus_plus(const torch::Tensor& x_in, int64_t k) {
  auto x = x_in.to(torch::kFloat64);
  const int64_t n = x.size(0);
  TORCH_CHECK(k >= 1 && n >= k, "kmeans_plus_plus: need at least k points");
  auto opts = torch::TensorOptions().dtype(torch::kLong).device(x.device());
  std::vector<torch::Tensor> chosen{torch::randint(n, {1}, opts)};
  auto d2 = gmm_squared_distances(x, x.index_select(0, chosen[0])).squeeze(1);  // [N]
  auto taken = torch::zeros({n}, x.options());
  taken.index_fill_(0, chosen[0], 1.0);
  for (int64_t j = 1; j < k; ++j) {
    // Chosen points have distance 0; if every distance is 0, x has too few distinct rows and the
    // next seed is a uniformly drawn point not yet taken.
    auto weights = d2.sum().item<double>() > 0 ? d2 : 1.0 - taken;
    auto next = torch::multinomial(weights, 1);
    chosen.push_back(next);
    taken.index_fill_(0, next, 1.0);
    d2 = torch::minimum(d2, gmm_squared_distances(x, x.index_select(0, next)).squeeze(1));
  }
  return torch::cat(chosen);
}

GaussianMixture initial_mixture(const torch::Tensor& x_in, int64_t k, CovarianceType type,
                                double variance_floor) {
  auto x = x_in.to(torch::kFloat64);
  auto seeds = x.index_select(0, kmeans_plus_plus(x, k));  // [K, D]
  GaussianMixture start;
  start.covariance = type;
  start.weights = torch::full({k}, 1.0 / static_cast<double>(k), x.options());
  start.means = seeds;
  auto global = gmm_floor_covariance(gmm_data_covariance(x, type), type, variance_floor);
  start.covariances = type == CovarianceType::Diagonal ? global.unsqueeze(0).repeat({k, 1})
                                                       : global.unsqueeze(0).repeat({k, 1, 1});
  auto stats = MixtureStatistics::zeros(k, x.size(1), type, x.device());
  auto nearest = gmm_squared_distances(x, seeds).argmin(1);                  // [N]
  stats.add(x, torch::one_hot(nearest, k).to(torch::kFloat64));
  return maximization_step(stats, start, variance_floor, /*min_count=*/2.0);
}

GaussianMixtureFit fit_gaussian_mixture(const torch::Tensor& x_in, const GaussianMixtureOptions& o) {
  auto x = x_in.to(torch::kFloat64);
  if (x.dim() != 2 || x.size(0) < o.components)
    fail("gaussian mixture", "need at least " + std::to_string(o.components) + " points of shape [N, D] (got " +
                                 std::to_string(x.dim() == 2 ? x.size(0) : 0) + ")");
  GaussianMixtureFit fit;
  {
    ScopedSeed seed(x.device(), o.seed);
    fit.mixture = initial_mixture(x, o.components, o.covariance, o.variance_floor);
  }
  const double n = static_cast<double>(x.size(0));
  while (true) {
    auto stats = MixtureStatistics::zeros(o.components, x.size(1), o.covariance, x.device());
    const double ll = expectation_step(fit.mixture, x, stats, o.chunk) / n;
    const bool small_gain = !fit.history.empty() && ll - fit.history.back() < o.tolerance;
    fit.history.push_back(ll);
    if (small_gain) {
      fit.converged = true;
      break;
    }
    if (fit.iterations >= o.max_iterations) break;
    fit.mixture = maximization_step(stats, fit.mixture, o.variance_floor);
    ++fit.iterations;
  }
  return fit;
}

ComponentSelection select_components_by_bic(const torch::Tensor& x, int64_t k_min, int64_t k_max,
                                            GaussianMixtureOptions options) {
  if (k_min < 1 || k_max < k_min) fail("components", "need 1 <= k_min <= k_max");
  ComponentSelection sel;
  double best = std::numeric_limits<double>::infinity();
  for (int64_t k = k_min; k <= k_max; ++k) {
    options.components = k;
    GaussianMixtureFit fit = fit_gaussian_mixture(x, options);
    const double bic = fit.mixture.bic(x.to(torch::kFloat64));
    sel.ks.push_back(k);
    sel.bics.push_back(bic);
    if (bic < best) {
      best = bic;
      sel.best_k = k;
      sel.best = std::move(fit);
    }
  }
  return sel;
}

}  // namespace latentkit
