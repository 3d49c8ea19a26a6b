// Samplers for latent codes; see code_sampler.h.
#include "latentkit/eval/code_sampler.h"

#include <torch/torch.h>

#include "latentkit/catalog/catalog.h"
#include "latentkit/error.h"
#include "latentkit/eval/batched.h"
#include "latentkit/models/cvae.h"

namespace latentkit {

GaussianCodeSampler GaussianCodeSampler::fit(const torch::Tensor& codes, double jitter) {
  if (codes.dim() != 2 || codes.size(0) < 2) fail("codes", "need at least 2 codes to fit a Gaussian");
  auto c = codes.to(torch::kFloat64);
  GaussianCodeSampler s;
  s.mean = c.mean(0);
  auto centred = c - s.mean;
  auto cov = torch::mm(centred.t(), centred) / static_cast<double>(c.size(0) - 1);  // [L, L]
  const double scale = cov.diagonal().mean().item<double>();
  cov += torch::eye(c.size(1), cov.options()) * (jitter * std::max(scale, 1e-12));
  s.cholesky = torch::linalg_cholesky(cov).to(codes.scalar_type());
  s.mean = s.mean.to(codes.scalar_type());
  return s;
}

// -> [n, L]
torch::Tensor GaussianCodeSampler::sample(int64_t n) const {
  auto eps = torch::randn({n, mean.size(0)}, mean.options());
  return mean + torch::mm(eps, cholesky.t());
}

MixtureCodeSampler MixtureCodeSampler::fit(const torch::Tensor& codes, int64_t components,
                                           CovarianceType covariance, uint64_t seed) {
  if (codes.dim() != 2 || codes.size(0) < components)
    fail("codes", "need at least " + std::to_string(components) + " codes to fit " +
                      std::to_string(components) + " mixture components");
  auto c = codes.to(torch::kFloat64);
  const double scale = (c - c.mean(0)).pow(2).mean().item<double>();
  GaussianMixtureOptions o;
  o.components = components;
  o.covariance = covariance;
  o.variance_floor = 1e-6 * std::max(scale, 1e-12);
  o.tolerance = 1e-6;
  o.max_iterations = 300;
  o.seed = seed;
  o.chunk = 4096;  // codes are narrow: larger chunks mean fewer per-component solves per pass
  return MixtureCodeSampler{fit_gaussian_mixture(c, o).mixture};
}

// -> [n, L]
torch::Tensor MixtureCodeSampler::sample(int64_t n, torch::ScalarType dtype) const {
  return mixture.sample(n).to(dtype);
}

std::string SamplerSpec::text() const {
  if (kind != "gmm") return kind;
  return "gmm:" + std::to_string(components) +
         (covariance == CovarianceType::Diagonal ? ":diag" : "");
}

SamplerSpec parse_sampler_spec(const std::string& text, const std::string& where) {
  SamplerSpec spec;
  if (text == "prior" || text == "gaussian") {
    spec.kind = text;
    return spec;
  }
  if (text.rfind("gmm:", 0) != 0)
    fail(where, "unknown sampler '" + text + "' (expected prior, gaussian or gmm:K[:diag])");
  spec.kind = "gmm";
  std::string rest = text.substr(4);
  const auto colon = rest.find(':');
  const std::string k = rest.substr(0, colon);
  try {
    size_t used = 0;
    const long long v = std::stoll(k, &used);
    if (used != k.size() || v < 1) throw std::invalid_argument(k);
    spec.components = v;
  } catch (const std::exception&) {
    fail(where, "'" + text + "': K in gmm:K must be a positive integer");
  }
  if (colon != std::string::npos) spec.covariance = parse_covariance_type(rest.substr(colon + 1), where);
  return spec;
}

torch::Tensor draw_model_samples(Model& model, const SamplerSpec& spec, int64_t n,
                                 const torch::Tensor& train_x, const torch::Tensor& train_y,
                                 const torch::Tensor& y_in, const std::string& where) {
  torch::NoGradGuard no_grad;
  const ModelConfig& mc = model.config();
  torch::Tensor y = y_in;
  if (spec.kind == "prior") {
    try {
      return model.sample(n, y);
    } catch (const InputError&) {
      fail(where, "model kind '" + mc.kind + "' has no prior to sample from; " + where + " gaussian or " +
                      where + " gmm:K decodes draws from a distribution fitted to its training codes");
    }
  }
  auto codes = encode_batched(model, train_x, train_y);  // [N, L]
  torch::Tensor z;
  if (spec.kind == "gaussian") {
    z = GaussianCodeSampler::fit(codes).sample(n);
  } else {
    if (codes.size(0) < spec.components)
      fail(where, spec.text() + " needs at least " + std::to_string(spec.components) +
                      " training codes (the run has " + std::to_string(codes.size(0)) + ")");
    z = MixtureCodeSampler::fit(codes, spec.components, spec.covariance).sample(n, codes.scalar_type());
  }
  if (kind_info(mc.kind).conditional && !y.defined())
    y = torch::randint(mc.get<LabelOptions>().num_classes, {n},
                       torch::TensorOptions().dtype(torch::kLong).device(codes.device()));
  return model.decode(z.to(codes.device()), y);
}

}  // namespace latentkit
