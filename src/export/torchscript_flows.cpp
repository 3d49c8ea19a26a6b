// The flow kinds as TorchScript (see script_module.h): nice, realnvp, glow, gaussian, flow2d and
// flow. Every FlowLayer of the model's body becomes two methods, _f<n>(x) -> (y, logdet [B])
// and _i<n>(y) -> x, written from the layer's kind and tensors, composed as the body composes
// them; the model's methods add the logit transform, the base density and, for images, the
// dequantisation of flow_model.h, in the same 128-row chunks.
#include <torch/linalg.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>

#include "latentkit/error.h"
#include "latentkit/flows/actnorm.h"
#include "latentkit/flows/coupling.h"
#include "latentkit/flows/flow_model.h"
#include "latentkit/flows/invertible_conv.h"
#include "latentkit/flows/reshuffle.h"
#include "script_module.h"

namespace latentkit::script {

namespace {

const std::string kZerosB = "torch.zeros([x.size(0)], dtype=x.dtype, device=x.device)";

std::string shape_list(const std::vector<int64_t>& v) {
  std::string s;
  for (int64_t x : v) s += ", " + std::to_string(x);
  return s;
}

torch::Tensor own(const torch::nn::Module& module, const std::string& name) {
  if (const torch::Tensor* t = module.named_parameters(false).find(name)) return *t;
  if (const torch::Tensor* t = module.named_buffers(false).find(name)) return *t;
  return {};
}

std::shared_ptr<torch::nn::Module> child(const torch::nn::Module& module, const std::string& name) {
  for (const auto& item : module.named_children())
    if (item.key() == name) return item.value();
  return nullptr;
}

class FlowWriter {
 public:
  FlowWriter(ScriptModule& m, std::string kind) : m_(m), kind_(std::move(kind)) {}

  // Defines _f<n> and _i<n> for `layer`, whose per-sample input shape is `in`; returns n.
  std::string layer(FlowLayer& layer, const std::vector<int64_t>& in) {
    const std::string n = m_.fresh("");
    if (auto* seq = dynamic_cast<FlowSequence*>(&layer)) sequence(n, *seq, in);
    else if (auto* multi = dynamic_cast<MultiScaleFlow*>(&layer)) multiscale(n, *multi, in);
    else if (auto* c = dynamic_cast<Coupling*>(&layer)) coupling(n, *c);
    else if (auto* a = dynamic_cast<ActNorm*>(&layer)) actnorm(n, *a);
    else if (auto* p = dynamic_cast<Permutation*>(&layer)) permutation(n, *p);
    else if (auto* w = dynamic_cast<InvertibleConv*>(&layer)) invertible_conv(n, *w);
    else if (dynamic_cast<Squeeze*>(&layer)) squeeze(n);
    else fail(kind_, "its flow has a layer TorchScript export does not know (" + layer.name() + ")");
    return n;
  }

 private:
  void define(const std::string& n, const std::string& forward, const std::string& inverse) {
    m_.define("def _f" + n + "(self, x: Tensor) -> Tuple[Tensor, Tensor]:\n" + forward +
              "def _i" + n + "(self, y: Tensor) -> Tensor:\n" + inverse);
  }

  // The layers in order, logdets summed; the inverse in reverse order.
  void sequence(const std::string& n, FlowSequence& seq, std::vector<int64_t> shape) {
    std::string f = "    h = x\n    logdet = " + kZerosB + "\n", inv = "    h = y\n";
    std::vector<std::string> ids;
    for (const auto& l : seq.layers()) {
      ids.push_back(layer(*l, shape));
      shape = l->output_shape(shape);
      f += "    out = self._f" + ids.back() + "(h)\n    h = out[0]\n    logdet = logdet + out[1]\n";
    }
    for (auto it = ids.rbegin(); it != ids.rend(); ++it) inv += "    h = self._i" + *it + "(h)\n";
    define(n, f + "    return h, logdet\n", inv + "    return h\n");
  }

  // MultiScaleFlow: after every level but the last, the first C/2 channels leave for z.
  void multiscale(const std::string& n, MultiScaleFlow& multi, std::vector<int64_t> shape) {
    std::vector<std::string> ids;
    std::vector<std::vector<int64_t>> level_out;
    for (size_t l = 0;; ++l) {
      auto level = std::dynamic_pointer_cast<FlowSequence>(child(multi, "level" + std::to_string(l)));
      if (!level) break;
      ids.push_back(layer(*level, shape));
      shape = level->output_shape(shape);
      level_out.push_back(shape);
      shape[0] -= shape[0] / 2;
    }
    if (ids.empty()) fail(kind_, "a multi-scale flow without levels");
    std::string f = "    parts: List[Tensor] = []\n    h = x\n    logdet = " + kZerosB + "\n";
    for (size_t l = 0; l < ids.size(); ++l) {
      f += "    out = self._f" + ids[l] + "(h)\n    logdet = logdet + out[1]\n    h = out[0]\n";
      if (l + 1 < ids.size())
        f += "    c = h.size(1) // 2\n    parts.append(h.narrow(1, 0, c).flatten(1))\n"
             "    h = h.narrow(1, c, h.size(1) - c)\n";
    }
    f += "    parts.append(h.flatten(1))\n    return torch.cat(parts, 1), logdet\n";
    std::vector<int64_t> offsets{0};
    for (size_t l = 0; l + 1 < ids.size(); ++l) {
      const auto& s = level_out[l];
      offsets.push_back(offsets.back() + (s[0] / 2) * s[1] * s[2]);
    }
    const auto& last = level_out.back();
    std::string inv = "    b = y.size(0)\n    h = y.narrow(1, " + std::to_string(offsets.back()) + ", " +
                      std::to_string(shape_numel(last)) + ").reshape([b" + shape_list(last) + "])\n";
    for (size_t l = ids.size(); l-- > 0;) {
      if (l + 1 < ids.size()) {
        const auto& s = level_out[l];
        const int64_t c = s[0] / 2;
        inv += "    part = y.narrow(1, " + std::to_string(offsets[l]) + ", " + std::to_string(c * s[1] * s[2]) +
               ").reshape([b, " + std::to_string(c) + ", " + std::to_string(s[1]) + ", " + std::to_string(s[2]) +
               "])\n    h = torch.cat([part, h], 1)\n";
      }
      inv += "    h = self._i" + ids[l] + "(h)\n";
    }
    define(n, f, inv + "    return h\n");
  }

  // Additive: y = x + t(m x) (1 - m); affine: y = m x + (1 - m)(x exp(s) + t), s = tanh(raw) scale.
  void coupling(const std::string& n, Coupling& c) {
    const torch::Tensor mask = own(c, "mask"), scale = own(c, "scale");
    auto net_module = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(child(c, "net"));
    if (!mask.defined() || !net_module) fail(kind_, "a coupling layer without its mask or network");
    torch::nn::Sequential net(net_module);
    const std::string net_name = "_net" + n;
    define_network(m_, net_name, net, kind_);
    const std::string mk = m_.tensor("mask" + n, mask, true);
    if (!scale.defined()) {
      const std::string t = "self." + net_name + "(copied) * (1 - " + mk + ")";
      define(n, "    copied = x * " + mk + "\n    return x + " + t + ", " + kZerosB + "\n",
             "    copied = y * " + mk + "\n    return y - " + t + "\n");
      return;
    }
    const std::string sc = m_.tensor("scale" + n, scale);
    m_.define("def _st" + n + "(self, copied: Tensor) -> Tuple[Tensor, Tensor]:\n"
              "    keep = 1 - " + mk + "\n"
              "    st = self." + net_name + "(copied).chunk(2, 1)\n"
              "    return st[1] * keep, torch.tanh(st[0]) * " + sc + " * keep\n");
    define(n,
           "    copied = x * " + mk + "\n    ts = self._st" + n + "(copied)\n"
           "    return copied + (1 - " + mk + ") * (x * torch.exp(ts[1]) + ts[0]), ts[1].flatten(1).sum(1)\n",
           "    copied = y * " + mk + "\n    ts = self._st" + n + "(copied)\n"
           "    return copied + (1 - " + mk + ") * ((y - ts[0]) * torch.exp(-ts[1]))\n");
  }

  // y = (x + loc) exp(log_scale), logdet = positions * sum(log_scale).
  void actnorm(const std::string& n, ActNorm& a) {
    const std::string loc = m_.tensor("loc" + n, a.loc), ls = m_.tensor("log_scale" + n, a.log_scale);
    define(n,
           "    positions = x.numel() // (x.size(0) * x.size(1))\n"
           "    return (x + " + loc + ") * torch.exp(" + ls + "), (" + ls + ".sum() * positions).expand([x.size(0)])\n",
           "    return y * torch.exp(-" + ls + ") - " + loc + "\n");
  }

  void permutation(const std::string& n, Permutation& p) {
    const torch::Tensor perm = own(p, "perm"), inverse = own(p, "inverse");
    if (!perm.defined() || !inverse.defined()) fail(kind_, "a permutation without its indices");
    const std::string f = m_.tensor("perm" + n, perm.to(torch::kLong), true),
                      i = m_.tensor("perm_inverse" + n, inverse.to(torch::kLong), true);
    define(n, "    return x.index_select(1, " + f + "), " + kZerosB + "\n",
           "    return y.index_select(1, " + i + ")\n");
  }

  // W and W^-1 as InvertibleConv computes them from its parameters (both parameterisations).
  void invertible_conv(const std::string& n, InvertibleConv& conv) {
    torch::NoGradGuard no_grad;
    const torch::Tensor w = conv.weight();
    const int64_t c = w.size(0);
    const std::string fw = m_.tensor("conv_weight" + n, w), iw = m_.tensor("conv_inverse" + n, torch::linalg::inv(w)),
                      lad = m_.tensor("conv_log_abs_det" + n, conv.log_abs_det(), true);
    const std::string view = ".view([" + std::to_string(c) + ", " + std::to_string(c) + ", 1, 1])";
    auto apply = [&](const std::string& v, const std::string& mat) {
      return "    if " + v + ".dim() == 2:\n        r = " + v + ".matmul(" + mat + ".t())\n"
             "    else:\n        r = torch.conv2d(" + v + ", " + mat + view + ")\n";
    };
    define(n,
           "    positions = x.numel() // (x.size(0) * x.size(1))\n" + apply("x", fw) +
               "    return r, (" + lad + " * positions).expand([x.size(0)])\n",
           apply("y", iw) + "    return r\n");
  }

  // [B, C, H, W] <-> [B, 4C, H/2, W/2] (reshuffle.h).
  void squeeze(const std::string& n) {
    define(n,
           "    b = x.size(0)\n    c = x.size(1)\n    h = x.size(2)\n    w = x.size(3)\n"
           "    y = x.reshape([b, c, h // 2, 2, w // 2, 2]).permute([0, 1, 3, 5, 2, 4]).reshape([b, 4 * c, h // 2, w // 2])\n"
           "    return y, " + kZerosB + "\n",
           "    b = y.size(0)\n    c = y.size(1) // 4\n    h = y.size(2)\n    w = y.size(3)\n"
           "    return y.reshape([b, c, 2, 2, h, w]).permute([0, 1, 4, 2, 5, 3]).reshape([b, c, 2 * h, 2 * w])\n");
  }

  ScriptModule& m_;
  std::string kind_;
};

// def <name>(self, x: Tensor, ...) running <rows>(x chunk, ...) in 128-row chunks, as
// flow_model.cpp's in_chunks does. `args`: ", noise: Tensor"; `pass`: how a chunk's extra
// arguments are passed (", noise.narrow(0, s, n)").
std::string in_chunks(const std::string& name, const std::string& rows, const std::string& args,
                      const std::string& pass_whole, const std::string& pass_chunk) {
  return "def " + name + "(self, x: Tensor" + args + ", labels: Optional[Tensor]) -> Tensor:\n"
         "    if x.size(0) <= 128:\n        return self." + rows + "(x" + pass_whole + ")\n"
         "    parts: List[Tensor] = []\n"
         "    for s in range(0, x.size(0), 128):\n"
         "        n = min(128, x.size(0) - s)\n"
         "        parts.append(self." + rows + "(x.narrow(0, s, n)" + pass_chunk + "))\n"
         "    return torch.cat(parts)\n";
}

}  // namespace

bool export_flow(Model& model, ScriptModule& m) {
  auto* flow = dynamic_cast<FlowModel*>(&model);
  if (!flow) return false;
  const ModelConfig& c = model.config();
  const int64_t d = c.input_dim;
  auto body = std::dynamic_pointer_cast<FlowLayer>(child(model, "body"));
  if (!body) fail(c.kind, "a flow model without its body");
  const bool multi = dynamic_cast<MultiScaleFlow*>(body.get()) != nullptr;
  const std::vector<int64_t> body_shape = multi ? c.image_shape : std::vector<int64_t>{d};
  FlowWriter writer(m, c.kind);
  const std::string b = writer.layer(*body, body_shape);

  // The logit transform of image flows: v = logit(a + (1 - 2a) y).
  std::string logit_forward, logit_inverse = "    return h\n";
  if (child(model, "logit")) {
    const double a = c.get<LogitOptions>().logit_alpha;
    logit_forward = "    p = " + number(a) + " + " + number(1 - 2 * a) + " * h\n"
                    "    logdet = (" + number(std::log(1 - 2 * a)) + " - torch.log(p) - torch.log1p(-p)).flatten(1).sum(1)\n"
                    "    h = torch.log(p) - torch.log1p(-p)\n";
    logit_inverse = "    return (torch.sigmoid(h) - " + number(a) + ") / " + number(1 - 2 * a) + "\n";
  }
  m.define("def _transform(self, v: Tensor) -> Tuple[Tensor, Tensor]:\n"
           "    h = v\n    logdet = torch.zeros([v.size(0)], dtype=v.dtype, device=v.device)\n" + logit_forward +
           "    out = self._f" + b + "(h.reshape([v.size(0)" + shape_list(body_shape) + "]))\n"
           "    return out[0].flatten(1), logdet + out[1]\n"
           "def _inverse_transform(self, z: Tensor) -> Tensor:\n"
           "    h = self._i" + b + "(z).flatten(1)\n" + logit_inverse +
           "def _log_density(self, v: Tensor) -> Tensor:\n"
           "    out = self._transform(v)\n"
           "    return -0.5 * out[0].pow(2).sum(1) - " + number(0.5 * static_cast<double>(d) * std::log(2 * M_PI)) +
           " + out[1]\n");
  define_unconditional(m);
  const bool image = flow->image();
  const std::string levels = "torch.round(x * 255).clamp(0, 255)";
  // Images at the centres of their levels' cells (u = 1/2); decode quantises to the levels.
  m.define("def _encode_rows(self, x: Tensor) -> Tensor:\n"
           "    return self._transform(" + (image ? "(" + levels + " + torch.full_like(x, 0.5)) / 256" : std::string("x")) +
           ")[0]\n"
           "def _decode_rows(self, x: Tensor) -> Tensor:\n"
           "    v = self._inverse_transform(x)\n"
           "    return " + (image ? "torch.floor(v * 256).clamp(0, 255) / 255" : std::string("v")) + "\n" +
           in_chunks("_encode", "_encode_rows", "", "", "") + in_chunks("_decode", "_decode_rows", "", "", ""));
  if (image) {
    m.define("def _log_likelihood_rows(self, x: Tensor, noise: Tensor) -> Tensor:\n"
             "    return self._log_density((" + levels + " + noise) / 256) - " +
             number(static_cast<double>(d) * std::log(256.0)) + "\n"
             "def _fresh_noise_rows(self, x: Tensor) -> Tensor:\n"
             "    return self._log_likelihood_rows(x, torch.rand_like(x))\n" +
             in_chunks("_log_likelihood_with_noise_chunks", "_log_likelihood_rows", ", noise: Tensor", ", noise",
                       ", noise.narrow(0, s, n)") +
             in_chunks("_log_likelihood_fresh", "_fresh_noise_rows", "", "", "") +
             "def _log_likelihood_with_noise(self, x: Tensor, noise: Tensor, labels: Optional[Tensor]) -> Tensor:\n"
             "    if noise.size() != x.size():\n"
             "        raise Exception(\"noise: expected u [N, " + std::to_string(d) + "] in [0, 1)\")\n"
             "    return self._log_likelihood_with_noise_chunks(x, noise, labels)\n"
             "def _log_likelihood(self, x: Tensor, k: int, labels: Optional[Tensor]) -> Tensor:\n"
             "    return self._log_likelihood_fresh(x, labels)\n");
    m.attribute("likelihood_noise", std::string("uniform [N, ") + std::to_string(d) + "]");
  } else {
    m.define("def _log_density_rows(self, x: Tensor) -> Tensor:\n    return self._log_density(x)\n" +
             in_chunks("_log_density_chunks", "_log_density_rows", "", "", "") +
             "def _log_likelihood(self, x: Tensor, k: int, labels: Optional[Tensor]) -> Tensor:\n"
             "    return self._log_density_chunks(x, labels)\n");
    m.attribute("likelihood_noise", std::string("none"));
  }
  return true;
}

}  // namespace latentkit::script
