#pragma once
// A trained model as a TorchScript module: `torch.jit.load` opens it in Python and
// `torch::jit::load` in any LibTorch program, without latentkit. The module holds the model's
// weights and the saved preprocessing, and its methods are TorchScript source written from the
// model's structure (its networks' layers, its flow's layers), computing what latentkit computes:
//   encode(raw [N, D], labels=None) -> codes [N, L]            (`latentkit encode`)
//   decode(z [N, L], labels=None) -> raw [N, D]                (preprocessing inverted)
//   reconstruct(raw, labels=None) -> raw [N, D]
//   reconstruction_error(raw, labels=None) -> [N]              (model space, `latentkit score`)
//   log_likelihood(raw, k=100, labels=None) -> [N] nats        (kinds with a likelihood)
//   log_likelihood_with_noise(raw, noise, labels=None) -> [N]  (kinds whose estimate draws noise)
//   score(raw, k=100, labels=None) -> {"log_likelihood", "reconstruction_error"}
// and attributes kind, input_dim, latent_dim, image_shape, conditional, num_classes,
// has_log_likelihood, log_likelihood_is_bound, likelihood_noise. See docs/EXPORT.md.
#include <string>

#include "latentkit/data/preprocess.h"
#include "latentkit/models/model.h"

namespace latentkit {

// Writes `model` (any kind whose structure the exporter knows) with `preprocess` to `path`
// atomically. Throws InputError("<path>: ...") naming what cannot be expressed (an unknown
// kind of model or layer). The model is read, not changed.
void export_torchscript(Model& model, const Preprocessor& preprocess, const std::string& path);

// Whether export_torchscript can express `model`; if not, `why` (when given) says what stops it.
bool torchscript_exportable(Model& model, std::string* why = nullptr);

}  // namespace latentkit
