// The deterministic autoencoders as TorchScript (see script_module.h): ae, dae, dropout-ae and
// aae (one Autoencoder each), vqvae, and the RBM-based rbm and deep-ae.
#include <torch/script.h>
#include <torch/torch.h>

#include "latentkit/models/autoencoder.h"
#include "latentkit/models/deep_autoencoder.h"
#include "latentkit/models/rbm.h"
#include "latentkit/models/vqvae.h"
#include "script_module.h"

namespace latentkit::script {

namespace {

// The output link of the decoders trained on BCE with logits.
std::string link(bool bce, const std::string& out) { return bce ? "torch.sigmoid(" + out + ")" : out; }

// The tensor registered under `name` in `module`'s own parameters and buffers (not recursing).
torch::Tensor own_tensor(const torch::nn::Module& module, const std::string& name) {
  if (const torch::Tensor* t = module.named_parameters(false).find(name)) return *t;
  if (const torch::Tensor* t = module.named_buffers(false).find(name)) return *t;
  return {};
}

}  // namespace

// ae, dae, dropout-ae, aae: encoder [N, D] -> [N, L], decoder [N, L] -> [N, D] (+ sigmoid for
// bce). The corruption and the discriminator play no part in inference.
bool export_autoencoder(Model& model, ScriptModule& m) {
  auto* ae = dynamic_cast<Autoencoder*>(&model);
  if (!ae) return false;
  const std::string kind = model.config().kind;
  define_network(m, "_encoder", ae->encoder(), kind);
  define_network(m, "_decoder", ae->decoder(), kind);
  define_unconditional(m);
  m.define("def _encode(self, x: Tensor, labels: Optional[Tensor]) -> Tensor:\n"
           "    return self._encoder(x)\n"
           "def _decode(self, z: Tensor, labels: Optional[Tensor]) -> Tensor:\n"
           "    return " + link(ae->bce(), "self._decoder(z)") + "\n");
  return true;
}

// vqvae: codes are the indices of the nearest codebook entries, k: [N, M] (as floats).
bool export_vqvae(Model& model, ScriptModule& m) {
  auto* vq = dynamic_cast<VQVAE*>(&model);
  if (!vq) return false;
  const std::string kind = model.config().kind;
  const int64_t positions = vq->positions(), width = vq->codebook().size(1), codes = vq->codebook().size(0);
  const bool bce = model.config().get<ReconstructionOptions>().loss == "bce";
  define_network(m, "_encoder", vq->encoder(), kind);
  define_network(m, "_decoder", vq->decoder(), kind);
  define_unconditional(m);
  const std::string e = m.tensor("codebook", vq->codebook());  // [K, C]
  const std::string M = std::to_string(positions), C = std::to_string(width);
  // |v - e|^2 without |v|^2 (the same for every code), as nearest_codes computes it.
  m.define("def _encode(self, x: Tensor, labels: Optional[Tensor]) -> Tensor:\n"
           "    v = self._encoder(x).reshape([x.size(0), " + M + ", " + C + "]).reshape([-1, " + C + "])\n"
           "    d = torch.addmm(" + e + ".pow(2).sum(1).unsqueeze(0), v, " + e + ".t(), beta=1.0, alpha=-2.0)\n"
           "    return d.argmin(1).reshape([x.size(0), " + M + "]).to(x.dtype)\n"
           "def _decode(self, z: Tensor, labels: Optional[Tensor]) -> Tensor:\n"
           "    if z.dim() != 2 or z.size(1) != " + M + ":\n"
           "        raise Exception(\"codes: expected [N, " + M + "] code indices\")\n"
           "    idx = z.round().clamp(0, " + std::to_string(codes - 1) + ").to(4)\n"
           "    q = " + e + ".index_select(0, idx.reshape([-1])).reshape([z.size(0), " +
           std::to_string(positions * width) + "])\n"
           "    return " + link(bce, "self._decoder(q)") + "\n");
  return true;
}

// rbm: encode = E[h | v], decode = p(v = 1 | h). deep-ae: the RBMs' hidden means up, the
// decoder weights and visible biases down, logistic units except the linear code.
bool export_rbm_family(Model& model, ScriptModule& m) {
  if (auto* rbm = dynamic_cast<RBM*>(&model)) {
    RBMLayer& l = rbm->layer();
    const std::string w = m.tensor("rbm_weight", l.weight), b = m.tensor("rbm_visible_bias", l.visible_bias),
                      c = m.tensor("rbm_hidden_bias", l.hidden_bias);
    define_unconditional(m);
    const std::string a = "torch.addmm(" + c + ", x, " + w + ".t())";
    m.define("def _encode(self, x: Tensor, labels: Optional[Tensor]) -> Tensor:\n"
             "    return " + (l.gaussian_hidden() ? a : "torch.sigmoid(" + a + ")") + "\n"
             "def _decode(self, z: Tensor, labels: Optional[Tensor]) -> Tensor:\n"
             "    return torch.sigmoid(torch.addmm(" + b + ", z, " + w + "))\n");
    return true;
  }
  auto* deep = dynamic_cast<DeepAutoencoder*>(&model);
  if (!deep) return false;
  std::string up = "    h = x\n", down = "    h = z\n";
  for (size_t i = 0; i < deep->layers(); ++i) {
    RBMLayer& l = deep->rbm(i);
    const std::string n = std::to_string(i);
    const std::string a = "torch.addmm(" + m.tensor("rbm" + n + "_hidden_bias", l.hidden_bias) + ", h, " +
                          m.tensor("rbm" + n + "_weight", l.weight) + ".t())";
    up += "    h = " + (l.gaussian_hidden() ? a : "torch.sigmoid(" + a + ")") + "\n";
  }
  for (size_t i = deep->layers(); i-- > 0;) {
    const std::string n = std::to_string(i);
    torch::Tensor w = own_tensor(model, "decoder_weight" + n);
    if (!w.defined()) fail(model.config().kind, "a deep autoencoder without decoder_weight" + n);
    down += "    h = torch.addmm(" + m.tensor("rbm" + n + "_visible_bias", deep->rbm(i).visible_bias) + ", h, " +
            m.tensor("decoder_weight" + n, w) + ".t())\n";
    if (i > 0) down += "    h = torch.sigmoid(h)\n";
  }
  define_unconditional(m);
  m.define("def _encode(self, x: Tensor, labels: Optional[Tensor]) -> Tensor:\n" + up + "    return h\n" +
           "def _decode(self, z: Tensor, labels: Optional[Tensor]) -> Tensor:\n" + down +
           "    return torch.sigmoid(h)\n");
  return true;
}

}  // namespace latentkit::script
