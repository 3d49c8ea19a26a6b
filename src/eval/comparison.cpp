#include "latentkit/eval/comparison.h"

#include <torch/torch.h>

#include <functional>
#include <limits>

#include "latentkit/catalog/catalog.h"
#include "latentkit/error.h"
#include "latentkit/eval/batched.h"
#include "latentkit/eval/code_sampler.h"
#include "latentkit/eval/evaluate.h"
#include "latentkit/models/cvae.h"
#include "latentkit/stats/frechet.h"
#include "latentkit/stats/knn.h"
#include "latentkit/util/rng.h"

namespace latentkit {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// The mixture fitted to a model's codes (the "FD gmm" column): EM on wide codes (the RBM's 500
// hidden units) with full covariances would take minutes per model, so those get diagonal ones,
// and every fit sees at most 20,000 codes.
constexpr int64_t kMaxMixtureCodes = 20000;
constexpr int64_t kMaxFullCovarianceDims = 64;
constexpr int64_t kPictureSamples = 64;

// Draws n samples in chunks (a flow's inverse on 10,000 images at once needs gigabytes).
torch::Tensor sample_in_chunks(int64_t n, const std::function<torch::Tensor(int64_t)>& draw) {
  std::vector<torch::Tensor> parts;
  for (int64_t done = 0; done < n; done += 500) parts.push_back(draw(std::min<int64_t>(500, n - done)));
  return torch::cat(parts);
}

// What the NLL column holds, by the scale the kind's likelihood is on.
NllKind nll_kind(const EvalReport& r, LikelihoodScale scale) {
  if (!r.has_log_likelihood) return NllKind::None;
  if (!r.log_likelihood_is_bound) return NllKind::Exact;
  return scale == LikelihoodScale::EightBitBound ? NllKind::DequantBound : NllKind::IwaeBound;
}

}  // namespace

FeatureSpace::FeatureSpace(const Dataset& data, const std::string& cache_dir)
    : classifier_(load_or_train(data, cache_dir.empty() ? default_cache_dir() : cache_dir)),
      test_features_(classifier_->features_batched(data.test.x)),
      train_x_(data.train.x) {}

double FeatureSpace::frechet_to_test(const torch::Tensor& generated) {
  return frechet_distance(classifier_->features_batched(generated), test_features_);
}

double FeatureSpace::frechet_train_to_test() {
  const int64_t n = std::min(train_x_.size(0), test_features_.size(0));
  return frechet_to_test(train_x_.narrow(0, 0, n));
}

double FeatureSpace::classifier_accuracy() const { return classifier_->test_accuracy; }

Measurement measure_model(Model& model, const Dataset& data, const MeasureOptions& o,
                          FeatureSpace* features) {
  const ModelConfig& config = model.config();
  const KindInfo& info = kind_info(config.kind);
  const torch::Device device = data.test.x.device();
  const LikelihoodScale scale = likelihood_scale(config);
  torch::NoGradGuard no_grad;

  Measurement m;
  ComparisonRow& row = m.row;
  row.kind = config.kind;
  row.parameters = model.parameter_count();

  EvalReport r;
  {
    ScopedSeed seed(device, o.seed);
    // The IWAE estimate holds k codes per image: smaller batches keep its tensors small.
    r = evaluate(model, data.test, o.k, scale == LikelihoodScale::ModelSpaceBound ? 50 : 500);
  }
  row.mse = info.reconstructs ? r.mse : kNaN;
  row.bce = info.reconstructs ? r.bce : kNaN;
  row.nll_nats = r.has_log_likelihood ? -r.log_likelihood : kNaN;
  row.bits_per_dim = r.has_log_likelihood ? r.bits_per_dim : kNaN;
  // On images only the dequantised densities are probabilities of the 8-bit levels; other data
  // is modelled as it is, so every likelihood is a density of the same model-space values.
  row.nll_on_8bit_scale = config.image() ? scale == LikelihoodScale::EightBitBound : true;
  row.nll_kind = nll_kind(r, scale);
  row.iwae_k = r.k;

  // Conditional kinds sample labels uniformly.
  const LabelOptions* labels = config.options.find<LabelOptions>();
  auto labels_for = [&](int64_t n) {
    return labels ? torch::randint(labels->num_classes, {n}, torch::TensorOptions().dtype(torch::kLong).device(device))
                  : torch::Tensor();
  };
  // Samples: the prior where the kind has one, else a Gaussian fitted to the training codes.
  ScopedSeed seed(device, o.seed);
  torch::Tensor samples;
  if (info.has_prior) {
    samples = sample_in_chunks(o.fd_samples, [&](int64_t n) { return model.sample(n, labels_for(n)); });
    row.prior_sampler = "prior";
  }
  // Codes that are points in a space (not a flow's D values or a mixture's responsibilities,
  // nor code indices): samplers fitted to them decode back to images.
  const bool point_codes = info.reconstructs && !info.discrete_codes;
  torch::Tensor train_codes, test_codes;
  if (point_codes) {
    train_codes = encode_batched(model, data.train.x, data.train.y);
    test_codes = encode_batched(model, data.test.x, data.test.y);
  }
  if (!samples.defined() && point_codes) {
    auto sampler = GaussianCodeSampler::fit(train_codes);
    samples = sample_in_chunks(o.fd_samples, [&](int64_t n) { return model.decode(sampler.sample(n), labels_for(n)); });
    row.prior_sampler = "gaussian";
  }
  row.fd_prior = samples.defined() && features ? features->frechet_to_test(samples) : kNaN;
  row.fd_gmm = kNaN;
  if (point_codes && features) {
    const auto fit_codes = train_codes.narrow(0, 0, std::min<int64_t>(train_codes.size(0), kMaxMixtureCodes));
    const auto covariance = fit_codes.size(1) <= kMaxFullCovarianceDims ? CovarianceType::Full : CovarianceType::Diagonal;
    auto gmm = MixtureCodeSampler::fit(fit_codes, o.gmm_components, covariance, o.seed);
    auto gmm_samples = sample_in_chunks(o.fd_samples, [&](int64_t n) {
      return model.decode(gmm.sample(n, train_codes.scalar_type()).to(device), labels_for(n));
    });
    row.fd_gmm = features->frechet_to_test(gmm_samples);
  }

  row.knn_accuracy = kNaN;
  if (data.train.labelled() && data.test.labelled() && !info.discrete_codes) {
    if (!train_codes.defined()) {  // flows and mixtures: whatever encode() gives
      train_codes = encode_batched(model, data.train.x, data.train.y, 500);
      test_codes = encode_batched(model, data.test.x, data.test.y, 500);
    }
    row.knn_accuracy = knn_accuracy(train_codes, data.train.y, test_codes, data.test.y, o.knn_k);
  }
  if (samples.defined()) m.samples = samples.narrow(0, 0, std::min<int64_t>(kPictureSamples, samples.size(0))).cpu();
  if (test_codes.defined()) m.test_codes = test_codes.cpu();
  return m;
}

ComparisonReference measure_reference(const Dataset& data, const MeasureOptions& o, FeatureSpace* features) {
  ComparisonReference ref;
  ref.gmm_components = o.gmm_components;
  ref.knn_k = o.knn_k;
  ref.fd_real = features ? features->frechet_train_to_test() : kNaN;
  ref.classifier_accuracy = features ? features->classifier_accuracy() : kNaN;
  ref.knn_pixels = data.train.labelled() && data.test.labelled()
                       ? knn_accuracy(data.train.x, data.train.y, data.test.x, data.test.y, o.knn_k)
                       : kNaN;
  return ref;
}

}  // namespace latentkit
