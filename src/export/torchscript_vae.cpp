// The VAE family as TorchScript (see script_module.h): vae, iwae, cvae (labels one-hot beside
// the networks' inputs) and vamp (the VampPrior in the importance weights). Codes are the
// posterior means; the log-likelihood is the IWAE bound of VAE::log_likelihood, with the noise
// given (log_likelihood_with_noise) or drawn in the same chunks from torch's generator.
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>

#include "latentkit/models/cvae.h"
#include "latentkit/models/vae.h"
#include "latentkit/models/vamp.h"
#include "script_module.h"

namespace latentkit::script {

namespace {

const double kLog2PiVae = std::log(2.0 * M_PI);

// _cond: x: [R, W] -> [R, W + C] with onehot(labels) tiled over R = reps * B rows (CVAE's
// conditioning()).
void define_one_hot_condition(ScriptModule& m, int64_t classes) {
  const std::string c = std::to_string(classes);
  m.attribute("conditional", true);
  m.attribute("num_classes", classes);
  m.define("def _cond(self, x: Tensor, labels: Optional[Tensor]) -> Tensor:\n"
           "    if labels is None:\n"
           "        raise Exception(\"cvae needs labels: pass labels [N] (int64 in [0, " + c + "))\")\n"
           "    if labels.dim() != 1 or labels.size(0) == 0 or x.size(0) % labels.size(0) != 0:\n"
           "        raise Exception(\"labels: expected one label per row\")\n"
           "    if bool(labels.min() < 0) or bool(labels.max() >= " + c + "):\n"
           "        raise Exception(\"labels: outside [0, " + c + ")\")\n"
           "    onehot = torch.one_hot(labels.to(4), " + c + ").to(x.dtype)\n"
           "    reps = x.size(0) // labels.size(0)\n"
           "    if reps != 1:\n"
           "        onehot = onehot.repeat([reps, 1])\n"
           "    return torch.cat([x, onehot], 1)\n");
}

// _log_px(x, out): [R, D] each -> [R], log p(x | z) summed over D.
void define_log_px(ScriptModule& m, VAE& vae) {
  std::string body;
  if (vae.bernoulli()) {
    body = "    return -torch.binary_cross_entropy_with_logits(out, x, None, None, 0).sum(1)\n";
  } else if (vae.options().learn_sigma) {
    const std::string ls = m.tensor("log_sigma", vae.log_sigma());
    body = "    inv_var = torch.exp(-2 * " + ls + ")\n"
           "    return -(" + number(0.5 * kLog2PiVae) + " + " + ls + " + 0.5 * (x - out).pow(2) * inv_var).sum(1)\n";
  } else {
    const double s = vae.options().sigma;
    const double per_dim = 0.5 * kLog2PiVae + std::log(s);
    body = "    return -(0.5 * (x - out).pow(2).sum(1) / " + number(s * s) + ") - x.size(1) * " + number(per_dim) + "\n";
  }
  m.define("def _log_px(self, x: Tensor, out: Tensor) -> Tensor:\n" + body);
}

// _log_prior_ratio(z, eps, logvar): z, eps: [k, B, L], logvar: [B, L] -> [k, B],
// log p(z) - log q(z | x).
void define_prior_ratio(ScriptModule& m, VAE& vae) {
  auto* vamp = dynamic_cast<VampVAE*>(&vae);
  if (!vamp) {
    m.define("def _log_prior_ratio(self, z: Tensor, eps: Tensor, logvar: Tensor) -> Tensor:\n"
             "    return -0.5 * ((z.pow(2) - eps.pow(2)).sum(2) - logvar.sum(1).unsqueeze(0))\n");
    return;
  }
  // VampVAE::log_prior: the mixture of the pseudo-inputs' posteriors, three products over K.
  const std::string u = m.tensor("pseudo_inputs", vamp->pseudo_inputs());
  const int64_t l = vae.latent_dim(), k = vamp->pseudo_inputs().size(0);
  m.define("def _log_prior(self, z: Tensor) -> Tensor:\n"
           "    mu, logvar = self._posterior(" + u + ", None)\n"
           "    inv_var = torch.exp(-logvar)\n"
           "    quad = torch.mm(z.pow(2), inv_var.t()) - 2 * torch.mm(z, (mu * inv_var).t()) + "
           "(mu.pow(2) * inv_var).sum(1).unsqueeze(0)\n"
           "    log_n = -0.5 * (quad + logvar.sum(1).unsqueeze(0) + " + number(l * std::log(2 * M_PI)) + ")\n"
           "    return torch.logsumexp(log_n, [1]) - " + number(std::log(static_cast<double>(k))) + "\n"
           "def _log_prior_ratio(self, z: Tensor, eps: Tensor, logvar: Tensor) -> Tensor:\n"
           "    lp = self._log_prior(z.reshape([z.size(0) * z.size(1), z.size(2)])).reshape([z.size(0), z.size(1)])\n"
           "    return lp - (-0.5 * (eps.pow(2) + logvar.unsqueeze(0) + " + number(std::log(2 * M_PI)) + ").sum(-1))\n");
}

}  // namespace

bool export_vae(Model& model, ScriptModule& m) {
  auto* vae = dynamic_cast<VAE*>(&model);
  if (!vae) return false;
  const std::string kind = model.config().kind;
  const int64_t l = vae->latent_dim();
  define_network(m, "_encoder", vae->encoder(), kind);
  define_network(m, "_decoder", vae->decoder(), kind);
  if (auto* cvae = dynamic_cast<CVAE*>(&model)) define_one_hot_condition(m, cvae->num_classes());
  else define_unconditional(m);
  define_log_px(m, *vae);
  // The posterior: the encoder's [B, 2L] split into mu and logvar.
  m.define("def _posterior(self, x: Tensor, labels: Optional[Tensor]) -> Tuple[Tensor, Tensor]:\n"
           "    h = self._encoder(self._cond(x, labels)).chunk(2, 1)\n"
           "    return h[0], h[1]\n"
           "def _decoder_out(self, z: Tensor, labels: Optional[Tensor]) -> Tensor:\n"
           "    return self._decoder(self._cond(z, labels))\n"
           "def _encode(self, x: Tensor, labels: Optional[Tensor]) -> Tensor:\n"
           "    return self._posterior(x, labels)[0]\n"
           "def _decode(self, z: Tensor, labels: Optional[Tensor]) -> Tensor:\n"
           "    out = self._decoder_out(z, labels)\n"
           "    return " + std::string(vae->bernoulli() ? "torch.sigmoid(out)" : "out") + "\n");
  define_prior_ratio(m, *vae);
  // VAE::log_weights and the chunked IWAE estimate of VAE::log_likelihood.
  m.define("def _log_weights(self, x: Tensor, mu: Tensor, logvar: Tensor, eps: Tensor, labels: Optional[Tensor]) -> Tensor:\n"
           "    s = eps.size(0)\n"
           "    b = x.size(0)\n"
           "    z = mu.unsqueeze(0) + torch.exp(0.5 * logvar).unsqueeze(0) * eps\n"
           "    out = self._decoder_out(z.reshape([s * b, eps.size(2)]), labels)\n"
           "    xs = x.unsqueeze(0).expand([s, b, x.size(1)]).reshape([s * b, x.size(1)])\n"
           "    return self._log_px(xs, out).reshape([s, b]) + self._log_prior_ratio(z, eps, logvar)\n"
           "def _log_likelihood_with_noise(self, x: Tensor, noise: Tensor, labels: Optional[Tensor]) -> Tensor:\n"
           "    if noise.dim() != 3 or noise.size(1) != x.size(0) or noise.size(2) != " + std::to_string(l) + ":\n"
           "        raise Exception(\"noise: expected eps [k, N, " + std::to_string(l) + "]\")\n"
           "    mu, logvar = self._posterior(x, labels)\n"
           "    lw = self._log_weights(x, mu, logvar, noise, labels)\n"
           "    return torch.logsumexp(lw, [0]) - math.log(float(noise.size(0)))\n"
           "def _log_likelihood(self, x: Tensor, k: int, labels: Optional[Tensor]) -> Tensor:\n"
           "    if k < 1:\n"
           "        raise Exception(\"k: the number of importance samples must be >= 1\")\n"
           "    b = x.size(0)\n"
           "    mu, logvar = self._posterior(x, labels)\n"
           "    per_chunk = min(max(" + std::to_string(VAE::kIwaeChunkRows) + " // max(b, 1), 1), " +
           std::to_string(VAE::kIwaeChunkSamples) + ")\n"
           "    acc = torch.full([b], float(\"-inf\"), dtype=mu.dtype, device=mu.device)\n"
           "    done = 0\n"
           "    while done < k:\n"
           "        s = min(per_chunk, k - done)\n"
           "        eps = torch.randn([s, b, " + std::to_string(l) + "], dtype=mu.dtype, device=mu.device)\n"
           "        acc = torch.logaddexp(acc, torch.logsumexp(self._log_weights(x, mu, logvar, eps, labels), [0]))\n"
           "        done += s\n"
           "    return acc - math.log(float(k))\n");
  m.attribute("likelihood_noise", std::string("normal [k, N, ") + std::to_string(l) + "]");
  return true;
}

}  // namespace latentkit::script
