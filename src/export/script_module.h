#pragma once
// The pieces the TorchScript exporter (latentkit/export/torchscript.h) builds a module from:
// a torch::jit::Module that holds copies of the model's tensors under identifier names and gets
// its methods as TorchScript source, and the translation of encoder/decoder networks
// (nn/blocks.h's Sequential layers) into source. Internal to src/export.
#include <torch/script.h>
#include <torch/torch.h>

#include <string>

#include "latentkit/models/model.h"

namespace latentkit::script {

// The source names dtypes by their ScalarType codes (6 float32, 7 float64, 4 int64): without
// Python, `torch.float32` does not resolve.
// A double as TorchScript source, round-tripping exactly ("1.0", "-0.5", "1e-05").
std::string number(double v);

class ScriptModule {
 public:
  explicit ScriptModule(const std::string& class_name);

  // Registers a detached CPU copy of `t` (a parameter unless `buffer`) as `name` and returns
  // "self.<name>" for use in source. `name` must be a new identifier.
  std::string tensor(const std::string& name, const torch::Tensor& t, bool buffer = false);
  void attribute(const std::string& name, int64_t v);
  void attribute(const std::string& name, bool v);
  void attribute(const std::string& name, const std::string& v);
  void attribute(const std::string& name, const std::vector<int64_t>& v);
  // Compiles `source` (one or more `def`s) into methods; methods called must be defined first.
  // A compilation error is a bug of the exporter and throws std::runtime_error.
  void define(const std::string& source);
  // A fresh identifier starting with `stem` ("_net3").
  std::string fresh(const std::string& stem);

  torch::jit::Module& module() { return module_; }

 private:
  torch::jit::Module module_;
  int64_t counter_ = 0;
};

// Defines `def <method>(self, h: Tensor) -> Tensor` running `net` as the model does in
// evaluation mode (Linear, Conv2d, ConvTranspose2d, Flatten, Unflatten, the activations of
// nn/activation.h; Dropout is the identity). Throws InputError("<kind>: ...") naming a layer it
// does not know. The tensors are registered as `<method>_<layer>_<name>`.
void define_network(ScriptModule& m, const std::string& method, torch::nn::Sequential& net,
                    const std::string& kind);

// The family exporters. Each returns false when `model` is not of its family; otherwise it
// defines the model-space methods the public ones wrap (x, z in model space):
//   _encode(self, x: Tensor, labels: Optional[Tensor]) -> Tensor          [N, D] -> [N, L]
//   _decode(self, z: Tensor, labels: Optional[Tensor]) -> Tensor          [N, L] -> [N, D]
// and, for kinds with a likelihood, sets the attribute "likelihood_noise" and defines
//   _log_likelihood(self, x: Tensor, k: int, labels: Optional[Tensor]) -> Tensor             [N]
//   _log_likelihood_with_noise(self, x: Tensor, noise: Tensor, labels: Optional[Tensor]) -> Tensor
// (the second only where the estimate is random: likelihood_noise is then "normal [k, N, L]" or
// "uniform [N, D]"; else "none").
bool export_autoencoder(Model& model, ScriptModule& m);
bool export_vae(Model& model, ScriptModule& m);
bool export_vqvae(Model& model, ScriptModule& m);
bool export_rbm_family(Model& model, ScriptModule& m);
bool export_mixture(Model& model, ScriptModule& m);
bool export_flow(Model& model, ScriptModule& m);

// The method source that ignores labels: `def _cond(self, x: Tensor, labels: Optional[Tensor])
// -> Tensor: return x` (conditional kinds define their own).
void define_unconditional(ScriptModule& m);

}  // namespace latentkit::script
