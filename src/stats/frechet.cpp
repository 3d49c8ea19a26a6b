// Fréchet distance; see frechet.h.
#include "latentkit/stats/frechet.h"

#include <torch/torch.h>

#include "latentkit/error.h"

namespace latentkit {

namespace {

// Symmetric PSD s: [F, F] -> s^{1/2} by eigendecomposition (negative eigenvalues clamped).
torch::Tensor frechet_psd_sqrt(const torch::Tensor& s) {
  auto [values, vectors] = torch::linalg::eigh(0.5 * (s + s.t()), "L");
  return torch::mm(vectors * values.clamp_min(0).sqrt().unsqueeze(0), vectors.t());
}

}  // namespace

double frechet_distance(const torch::Tensor& mu1_in, const torch::Tensor& sigma1_in,
                        const torch::Tensor& mu2_in, const torch::Tensor& sigma2_in) {
  auto mu1 = mu1_in.to(torch::kFloat64), mu2 = mu2_in.to(torch::kFloat64);
  auto s1 = sigma1_in.to(torch::kFloat64), s2 = sigma2_in.to(torch::kFloat64);
  TORCH_CHECK(mu1.dim() == 1 && mu1.sizes() == mu2.sizes() && s1.dim() == 2 &&
                  s1.size(0) == mu1.size(0) && s1.sizes() == s2.sizes(),
              "frechet_distance: mu [F] and sigma [F, F] of equal sizes expected");
  auto root1 = frechet_psd_sqrt(s1);
  auto middle = torch::mm(torch::mm(root1, s2), root1);  // symmetric PSD, eigenvalues of s1 s2
  auto eig = torch::linalg::eigvalsh(0.5 * (middle + middle.t()), "L");
  const double trace_root = eig.clamp_min(0).sqrt().sum().item<double>();
  const double mean_term = (mu1 - mu2).pow(2).sum().item<double>();
  return mean_term + s1.trace().item<double>() + s2.trace().item<double>() - 2 * trace_root;
}

double frechet_distance(const torch::Tensor& a_in, const torch::Tensor& b_in) {
  if (a_in.dim() != 2 || b_in.dim() != 2 || a_in.size(1) != b_in.size(1) || a_in.size(0) < 2 ||
      b_in.size(0) < 2)
    fail("features", "need two sets [N, F] and [M, F] with N, M >= 2");
  auto moments = [](const torch::Tensor& x_in) {
    auto x = x_in.to(torch::kFloat64);
    auto mu = x.mean(0);
    auto centred = x - mu;
    return std::make_pair(mu, torch::mm(centred.t(), centred) / static_cast<double>(x.size(0) - 1));
  };
  auto [mu1, s1] = moments(a_in);
  auto [mu2, s2] = moments(b_in);
  return frechet_distance(mu1, s1, mu2, s2);
}

}  // namespace latentkit
