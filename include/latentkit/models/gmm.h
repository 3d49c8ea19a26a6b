#pragma once
// A Gaussian mixture on the data itself ("gmm"): gmm_components components with gmm_covariance
// ("diag" or "full") covariances, variances floored at variance_floor (MixtureOptions; see
// stats/gaussian_mixture.h). A density model without a latent
// network, comparable with the flows on the NLL column.
//
// Image data (image_shape set; x = level / 255) is modelled like the flows model it: the
// mixture is a density on the dequantised y = (level + u) / 256 (flows/dequantize.h), and
//   log_likelihood(x) = log p(y) - D log 256   for one draw u,
// a lower bound on log P(levels) in expectation, so bits/dim is on the flows' 8-bit scale.
// Other data is modelled in model space, exactly.
//
// Training is EM inside the Trainer, one exact EM iteration per epoch: the first train_step
// initialises the mixture (k-means++ on its batch, which needs batch size >= components), every
// train_step adds its batch's E-step statistics (parameters fixed during the epoch) to buffers,
// and end_epoch() applies the M-step. No optimizer. Parameters and statistics are buffers, so
// checkpoints, --resume (also mid-epoch), eval, score and sample work as for any model.
//   losses(x)  = {"loss" = "nll": -log_likelihood(x) mean; "bits_per_dim" for images}
//   train_step -> the same terms under the parameters of the epoch's start
//   encode(x)  = responsibilities p(k | x)                          [B, D] -> [B, K] (latent = K)
//   decode(z)  = the mean of component argmax_k z_k (quantised to levels for images)
//   reconstruct(x) = decode(encode(x)): the mean of the most responsible component
//   sample(n)  = draws from the mixture (quantised to levels for images)
#include "latentkit/stats/gaussian_mixture.h"
#include "latentkit/models/model.h"

namespace latentkit {

#define LATENTKIT_MIXTURE_OPTIONS(X)                                                                 \
  X(int64_t, gmm_components, 10, "--components", "Mixture components K", between(1, 1e6))             \
  X(std::string, gmm_covariance, "diag", "--covariance", "Component covariances: diag or full",       \
    one_of({"diag", "full"}))                                                                         \
  X(double, variance_floor, 1e-6, "--variance-floor",                                                 \
    "Smallest variance (eigenvalue, full) a component may have", above(0))

struct MixtureOptions {
  LATENTKIT_MIXTURE_OPTIONS(LATENTKIT_OPTION_FIELD)
  static const OptionTable& table();
};

class GaussianMixtureModel : public Model {
 public:
  explicit GaussianMixtureModel(ModelConfig config);
  // The mixture's weights, means and covariances (buffers fitted by EM, not parameters).
  int64_t parameter_count() const override;

  torch::Tensor encode(const torch::Tensor& x, const torch::Tensor& y = {}) override;
  torch::Tensor decode(const torch::Tensor& z, const torch::Tensor& y = {}) override;
  torch::Tensor sample(int64_t n, const torch::Tensor& y = {}) override;
  LossTerms losses(const torch::Tensor& x, const torch::Tensor& y = {}) override;

  bool has_log_likelihood() const override { return true; }
  bool log_likelihood_is_bound() const override { return image_; }
  // x: [B, D] -> [B] (k is unused: the mixture's density is exact)
  torch::Tensor log_likelihood(const torch::Tensor& x, int64_t k = 1, const torch::Tensor& y = {}) override;

  std::vector<ParamGroup> param_groups() override { return {}; }
  LossTerms train_step(const torch::Tensor& x, const torch::Tensor& y, Optimizers& opt) override;
  void end_epoch() override;

  bool initialised() const { return initialised_.item<bool>(); }
  // The current parameters (views of the buffers) and their replacement.
  GaussianMixture mixture() const;
  void set_mixture(const GaussianMixture& m);
  // The statistics accumulated in the current epoch (views of the buffers).
  MixtureStatistics statistics() const;
  // x: [B, D] model space -> the points the mixture models: dequantised y (images, one fresh u)
  // or x itself, float64.
  torch::Tensor modelled_points(const torch::Tensor& x) const;

 private:
  bool image_;
  CovarianceType type_;
  torch::Tensor weights_, means_, covariances_;            // see GaussianMixture
  torch::Tensor stat_count_, stat_sum_, stat_sum_sq_;      // see MixtureStatistics
  torch::Tensor initialised_;                              // [] bool
};

}  // namespace latentkit
