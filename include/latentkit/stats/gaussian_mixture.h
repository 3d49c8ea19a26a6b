#pragma once
// Gaussian mixtures fitted by expectation-maximisation, in float64 throughout:
//   p(x) = sum_k w_k N(x; mu_k, Sigma_k),  Sigma_k diagonal ("diag") or full ("full").
// Densities are combined with log-sum-exp. The M-step keeps every variance (every eigenvalue of
// a full covariance) at or above a floor: the floored covariance is the exact maximiser of the
// expected log-likelihood over covariances with eigenvalues >= floor, so EM never decreases the
// log-likelihood. Initialisation: k-means++ seeds, each point assigned to its nearest seed, one
// M-step on those hard assignments (components with fewer than 2 points keep the data's
// covariance).
//
// The E-step's sufficient statistics are a struct of their own so that they can be accumulated
// over mini-batches (the gmm model kind: one EM iteration per training epoch).
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace latentkit {

enum class CovarianceType { Diagonal, Full };

// "diag" | "full"; anything else throws InputError naming `where`.
CovarianceType parse_covariance_type(const std::string& text, const std::string& where);
std::string covariance_type_name(CovarianceType type);

struct GaussianMixture {
  CovarianceType covariance = CovarianceType::Full;
  torch::Tensor weights;      // [K], sums to 1
  torch::Tensor means;        // [K, D]
  torch::Tensor covariances;  // diag: [K, D] variances; full: [K, D, D]

  int64_t components() const { return weights.size(0); }
  int64_t dim() const { return means.size(1); }

  // x: [N, D] -> [N, K], log w_k + log N(x_n; mu_k, Sigma_k), float64.
  torch::Tensor joint_log_prob(const torch::Tensor& x) const;
  // x: [N, D] -> [N], log p(x_n), float64.
  torch::Tensor log_prob(const torch::Tensor& x) const;
  // x: [N, D] -> [N, K], p(k | x_n), float64.
  torch::Tensor responsibilities(const torch::Tensor& x) const;
  // -> [n, D] float64 draws (component by weight, then its Gaussian), from the global generator.
  torch::Tensor sample(int64_t n) const;
  // Free parameters: (K - 1) weights + K D means + K D variances (diag) or K D (D + 1) / 2 (full).
  int64_t num_parameters() const;
  // Bayesian information criterion on x: [N, D]: -2 sum_n log p(x_n) + num_parameters() ln N.
  double bic(const torch::Tensor& x) const;
};

// The E-step's sufficient statistics, float64, summed over the points seen:
//   count_k = sum_n r_nk, sum_k = sum_n r_nk x_n, sum_sq_k = sum_n r_nk x_n^2 (diag, [K, D]) or
//   sum_n r_nk x_n x_n^T (full, [K, D, D]).
struct MixtureStatistics {
  torch::Tensor count;   // [K]
  torch::Tensor sum;     // [K, D]
  torch::Tensor sum_sq;  // [K, D] or [K, D, D]

  static MixtureStatistics zeros(int64_t k, int64_t d, CovarianceType type,
                                 const torch::Device& device = torch::kCPU);
  // Adds the points x: [N, D] with responsibilities r: [N, K], in place (the tensors above may be
  // a model's buffers).
  void add(const torch::Tensor& x, const torch::Tensor& r);
};

// E-step: adds x's statistics under `mixture`'s responsibilities to `stats`; returns
// sum_n log p(x_n). x: [N, D]; processed in chunks of `chunk` rows.
double expectation_step(const GaussianMixture& mixture, const torch::Tensor& x,
                        MixtureStatistics& stats, int64_t chunk = 256);
// M-step: the weights, means and floored covariances that maximise the expected log-likelihood
// under `stats`. Components with count < min_count keep `previous`'s mean and covariance (their
// weight is still count / total).
GaussianMixture maximization_step(const MixtureStatistics& stats, const GaussianMixture& previous,
                                  double variance_floor, double min_count = 1e-10);

// k-means++ seeding: x: [N, D], N >= k -> [k] int64 row indices. The first uniformly, each next
// with probability proportional to its squared distance to the nearest seed so far, so the seeds
// are distinct points unless x has fewer than k distinct rows (then duplicates of chosen points
// are taken uniformly). Draws from the global generator.
torch::Tensor kmeans_plus_plus(const torch::Tensor& x, int64_t k);
// The initial mixture described at the top: x: [N, D], N >= k. Global generator.
GaussianMixture initial_mixture(const torch::Tensor& x, int64_t k, CovarianceType type,
                                double variance_floor);

struct GaussianMixtureOptions {
  int64_t components = 1;
  CovarianceType covariance = CovarianceType::Full;
  double variance_floor = 1e-6;
  double tolerance = 1e-6;       // stop when the mean log-likelihood rises by less than this
  int64_t max_iterations = 200;  // M-steps at most
  uint64_t seed = 0;             // k-means++ seeding (the global generator is left untouched)
  int64_t chunk = 256;           // rows per E-step chunk: small enough for the temporaries to stay in cache
};

struct GaussianMixtureFit {
  GaussianMixture mixture;
  // Mean log-likelihood (nats per point) of the initial mixture and after every M-step; the
  // last entry is that of `mixture`. Never decreases (up to rounding).
  std::vector<double> history;
  bool converged = false;
  int64_t iterations = 0;  // M-steps taken
};

// x: [N, D] (any floating dtype, converted to float64), N >= components.
GaussianMixtureFit fit_gaussian_mixture(const torch::Tensor& x, const GaussianMixtureOptions& options);

struct ComponentSelection {
  int64_t best_k = 0;
  GaussianMixtureFit best;
  std::vector<int64_t> ks;
  std::vector<double> bics;  // one per entry of ks
};

// Fits k = k_min..k_max components (options.components is ignored) and keeps the lowest BIC.
ComponentSelection select_components_by_bic(const torch::Tensor& x, int64_t k_min, int64_t k_max,
                                            GaussianMixtureOptions options);

}  // namespace latentkit
