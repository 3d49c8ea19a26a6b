// The gmm kind; see gmm.h.
#include "latentkit/models/gmm.h"

#include <torch/torch.h>

#include <cmath>

#include "latentkit/error.h"
#include "latentkit/stats/dequantize.h"
#include "latentkit/util/batch_shard.h"
#include "latentkit/models/model_size.h"

namespace latentkit {

const OptionTable& MixtureOptions::table() {
  using Self = MixtureOptions;
  static const OptionTable table = [] {
    auto t = OptionTable::of<Self>("mixture", "Gaussian mixture", {LATENTKIT_MIXTURE_OPTIONS(LATENTKIT_OPTION_SPEC)});
    // K means and K diagonal variances of D values, or K full D x D covariances.
    t.check<Self, ModelConfig>([](const Self& o, const ModelConfig* c) {
      if (!c) return;
      const double d = double(c->input_dim), k = double(o.gmm_components);
      require_parameters_fit("--components", k * d * (o.gmm_covariance == "full" ? d + 1 : 2));
    });
    return t;
  }();
  return table;
}

// Codes are responsibilities: L = K.
GaussianMixtureModel::GaussianMixtureModel(ModelConfig config)
    : Model(config, config.get<MixtureOptions>().gmm_components),
      image_(config_.image()),
      type_(parse_covariance_type(config_.get<MixtureOptions>().gmm_covariance, "gmm_covariance")) {
  const int64_t K = latent_dim(), D = config_.input_dim;
  auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  const bool diag = type_ == CovarianceType::Diagonal;
  weights_ = register_buffer("weights", torch::full({K}, 1.0 / static_cast<double>(K), opts));
  means_ = register_buffer("means", torch::zeros({K, D}, opts));
  covariances_ = register_buffer("covariances", diag ? torch::ones({K, D}, opts)
                                                     : torch::eye(D, opts).unsqueeze(0).repeat({K, 1, 1}));
  auto stats = MixtureStatistics::zeros(K, D, type_);
  stat_count_ = register_buffer("stat_count", stats.count);
  stat_sum_ = register_buffer("stat_sum", stats.sum);
  stat_sum_sq_ = register_buffer("stat_sum_sq", stats.sum_sq);
  initialised_ = register_buffer("initialised", torch::zeros({}, torch::kBool));
}

GaussianMixture GaussianMixtureModel::mixture() const {
  return GaussianMixture{type_, weights_, means_, covariances_};
}

void GaussianMixtureModel::set_mixture(const GaussianMixture& m) {
  torch::NoGradGuard no_grad;
  weights_.copy_(m.weights);
  means_.copy_(m.means);
  covariances_.copy_(m.covariances);
  initialised_.fill_(true);
}

int64_t GaussianMixtureModel::parameter_count() const { return mixture().num_parameters(); }

MixtureStatistics GaussianMixtureModel::statistics() const {
  return MixtureStatistics{stat_count_, stat_sum_, stat_sum_sq_};
}

// x: [B, D] -> [B, D] float64
torch::Tensor GaussianMixtureModel::modelled_points(const torch::Tensor& x) const {
  auto v = image_ ? dequantize(pixel_levels(x), batch_rand_like(x)) : x;
  return v.to(torch::kFloat64);
}

// x: [B, D] -> [B, K]
torch::Tensor GaussianMixtureModel::encode(const torch::Tensor& x, const torch::Tensor& y) {
  auto v = image_ ? dequantize(pixel_levels(x), torch::full_like(x, 0.5)) : x;
  return mixture().responsibilities(v).to(x.scalar_type());
}

// z: [B, K] -> [B, D]
torch::Tensor GaussianMixtureModel::decode(const torch::Tensor& z, const torch::Tensor& y) {
  auto m = means_.index_select(0, z.argmax(1)).to(z.scalar_type());
  return image_ ? quantize(m) : m;
}

// -> [n, D]
torch::Tensor GaussianMixtureModel::sample(int64_t n, const torch::Tensor& y) {
  auto s = mixture().sample(n).to(torch::kFloat32);
  return image_ ? quantize(s) : s;
}

// x: [B, D] -> [B]
torch::Tensor GaussianMixtureModel::log_likelihood(const torch::Tensor& x, int64_t k, const torch::Tensor& y) {
  auto lp = mixture().log_prob(modelled_points(x));
  if (image_) lp = discrete_log_likelihood(lp, x.size(1));
  return lp.to(x.scalar_type());
}

// x: [B, D] -> scalar terms
LossTerms GaussianMixtureModel::losses(const torch::Tensor& x, const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  auto nll = -log_likelihood(x).mean();
  LossTerms terms{{"loss", nll}, {"nll", nll}};
  if (image_) terms["bits_per_dim"] = nll / (static_cast<double>(x.size(1)) * std::log(2.0));
  return terms;
}

// The E-step on the batch x: [B, D], parameters fixed.
LossTerms GaussianMixtureModel::train_step(const torch::Tensor& x, const torch::Tensor& y, Optimizers& opt) {
  torch::NoGradGuard no_grad;
  auto v = modelled_points(x);
  if (!initialised()) {
    const int64_t k = latent_dim();
    if (x.size(0) < k)
      fail("--batch-size", "the gmm kind initialises its " + std::to_string(k) +
                               " components by k-means++ on the first batch, which has only " +
                               std::to_string(x.size(0)) + " rows");
    // k-means++ on the whole global batch in data-parallel training, as one process seeds it.
    set_mixture(initial_mixture(gather_batch(v), k, type_, config_.get<MixtureOptions>().variance_floor));
  }
  auto joint = mixture().joint_log_prob(v);          // [B, K]
  auto lse = torch::logsumexp(joint, 1, true);       // [B, 1]
  // The batch's statistics, summed over the ranks' shards in data-parallel training, so every
  // rank's accumulated statistics (and the M-step from them) are the global batch's.
  MixtureStatistics batch = MixtureStatistics::zeros(latent_dim(), v.size(1), type_, v.device());
  batch.add(v, (joint - lse).exp());
  reduce_batch_sums({batch.count, batch.sum, batch.sum_sq});
  MixtureStatistics stats = statistics();
  stats.count.add_(batch.count);
  stats.sum.add_(batch.sum);
  stats.sum_sq.add_(batch.sum_sq);
  auto lp = lse.squeeze(1);
  if (image_) lp = discrete_log_likelihood(lp, x.size(1));
  auto nll = -lp.mean().to(x.scalar_type());
  LossTerms terms{{"loss", nll}, {"nll", nll}};
  if (image_) terms["bits_per_dim"] = nll / (static_cast<double>(x.size(1)) * std::log(2.0));
  return terms;
}

// The M-step from the epoch's statistics; they are then cleared for the next epoch.
void GaussianMixtureModel::end_epoch() {
  torch::NoGradGuard no_grad;
  if (stat_count_.sum().item<double>() <= 0) return;
  set_mixture(maximization_step(statistics(), mixture(), config_.get<MixtureOptions>().variance_floor));
  stat_count_.zero_();
  stat_sum_.zero_();
  stat_sum_sq_.zero_();
}

}  // namespace latentkit
