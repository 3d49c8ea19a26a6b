// The Gaussian code sampler against the Gaussian it is fitted to: recovered mean and covariance,
// and draws with the fitted moments.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "latentkit/error.h"
#include "latentkit/eval/code_sampler.h"

namespace latentkit {
namespace code_sampler_test {

TEST(GaussianCodeSampler, RecoversAKnownGaussianAndDrawsFromIt) {
  torch::manual_seed(1);
  auto mean = torch::tensor({1.0, -2.0, 0.5}, torch::kFloat64);
  auto a = torch::tensor({{1.0, 0.0, 0.0}, {0.8, 0.6, 0.0}, {-0.3, 0.2, 0.4}}, torch::kFloat64);
  auto cov = torch::mm(a, a.t());
  auto codes = mean + torch::mm(torch::randn({200000, 3}, torch::kFloat64), a.t());
  auto s = GaussianCodeSampler::fit(codes);
  EXPECT_TRUE(torch::allclose(s.mean, mean, 0, 0.01));
  EXPECT_TRUE(torch::allclose(torch::mm(s.cholesky, s.cholesky.t()), cov, 0, 0.01));
  auto draws = s.sample(200000);
  EXPECT_TRUE(torch::allclose(draws.mean(0), mean, 0, 0.01));
  auto centred = draws - draws.mean(0);
  EXPECT_TRUE(torch::allclose(torch::mm(centred.t(), centred) / 199999.0, cov, 0, 0.02));
}

TEST(GaussianCodeSampler, FactorisesCollinearCodesAndRejectsTooFew) {
  auto t = torch::linspace(0, 1, 100, torch::kFloat64).unsqueeze(1);
  auto codes = torch::cat({t, 2 * t}, 1);  // rank-1 covariance
  auto s = GaussianCodeSampler::fit(codes);
  EXPECT_TRUE(torch::isfinite(s.sample(10)).all().item<bool>());
  EXPECT_THROW(GaussianCodeSampler::fit(torch::zeros({1, 2})), InputError);
}

}  // namespace
}  // namespace latentkit
