// The Gaussian mixture (gmm) as TorchScript (see script_module.h): codes are responsibilities,
// decode is the mean of the most responsible component, the log-likelihood is exact on tabular
// data and the dequantisation bound on images (one draw u ~ U[0, 1)^D per row), as gmm.h says.
// The mixture works in float64, as GaussianMixture does.
#include <torch/linalg.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>

#include "latentkit/models/gmm.h"
#include "script_module.h"

namespace latentkit::script {

bool export_mixture(Model& model, ScriptModule& m) {
  auto* gmm = dynamic_cast<GaussianMixtureModel*>(&model);
  if (!gmm) return false;
  const GaussianMixture g = gmm->mixture();
  const bool image = model.config().image();
  const int64_t d = model.config().input_dim, k = g.components();
  const std::string w = m.tensor("mixture_weights", g.weights, true), mu = m.tensor("mixture_means", g.means, true);
  const std::string log2pi_d = number(static_cast<double>(d) * std::log(2 * M_PI));
  std::string joint;  // v: [N, D] float64 -> [N, K], log w_k + log N(v; mu_k, Sigma_k)
  if (g.covariance == CovarianceType::Diagonal) {
    const std::string var = m.tensor("mixture_variances", g.covariances, true);
    joint = "    prec = " + var + ".reciprocal()\n"
            "    maha = torch.mm(v.pow(2), prec.t()) - 2 * torch.mm(v, (" + mu + " * prec).t()) + "
            "(" + mu + ".pow(2) * prec).sum(1).unsqueeze(0)\n"
            "    log_norm = -0.5 * (" + log2pi_d + " + " + var + ".log().sum(1))\n"
            "    return " + w + ".log().unsqueeze(0) + log_norm.unsqueeze(0) - 0.5 * maha.clamp_min(0)\n";
  } else {
    // The Cholesky factors of the covariances, as GaussianMixture computes them on every call.
    const std::string chol = m.tensor("mixture_cholesky", torch::linalg::cholesky(g.covariances), true);
    joint = "    log_w = " + w + ".log()\n"
            "    columns: List[Tensor] = []\n"
            "    for c in range(" + std::to_string(k) + "):\n"
            "        diff = (v - " + mu + "[c]).t()\n"
            "        z = torch.linalg_solve_triangular(" + chol + "[c], diff, upper=False)\n"
            "        log_det = 2 * " + chol + "[c].diagonal().log().sum()\n"
            "        columns.append(log_w[c] - 0.5 * (" + log2pi_d + " + log_det + z.pow(2).sum(0)))\n"
            "    return torch.stack(columns, 1)\n";
  }
  m.define("def _joint(self, x: Tensor) -> Tensor:\n    v = x.to(7)\n" + joint);
  define_unconditional(m);
  // Images: the mixture models y = (level + u) / 256; codes use the cells' centres (u = 1/2).
  const std::string levels = "torch.round(x * 255).clamp(0, 255)";
  const std::string centre = image ? "(" + levels + " + torch.full_like(x, 0.5)) / 256" : "x";
  const std::string quantised = image ? "torch.floor(mean * 256).clamp(0, 255) / 255" : "mean";
  m.define("def _encode(self, x: Tensor, labels: Optional[Tensor]) -> Tensor:\n"
           "    joint = self._joint(" + centre + ")\n"
           "    return (joint - torch.logsumexp(joint, [1], True)).exp().to(x.dtype)\n"
           "def _decode(self, z: Tensor, labels: Optional[Tensor]) -> Tensor:\n"
           "    mean = " + mu + ".index_select(0, z.argmax(1)).to(z.dtype)\n"
           "    return " + quantised + "\n");
  if (image) {
    m.define("def _log_likelihood_with_noise(self, x: Tensor, noise: Tensor, labels: Optional[Tensor]) -> Tensor:\n"
             "    if noise.size() != x.size():\n"
             "        raise Exception(\"noise: expected u [N, " + std::to_string(d) + "] in [0, 1)\")\n"
             "    lp = torch.logsumexp(self._joint((" + levels + " + noise) / 256), [1])\n"
             "    return (lp - " + number(static_cast<double>(d) * std::log(256.0)) + ").to(x.dtype)\n"
             "def _log_likelihood(self, x: Tensor, k: int, labels: Optional[Tensor]) -> Tensor:\n"
             "    return self._log_likelihood_with_noise(x, torch.rand_like(x), labels)\n");
    m.attribute("likelihood_noise", std::string("uniform [N, ") + std::to_string(d) + "]");
  } else {
    m.define("def _log_likelihood(self, x: Tensor, k: int, labels: Optional[Tensor]) -> Tensor:\n"
             "    return torch.logsumexp(self._joint(x), [1]).to(x.dtype)\n");
    m.attribute("likelihood_noise", std::string("none"));
  }
  return true;
}

}  // namespace latentkit::script
