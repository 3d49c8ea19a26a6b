#include "run_setup.h"

#include <torch/torch.h>

#include "latentkit/data/data_config.h"
#include "latentkit/error.h"
#include "latentkit/flows/flow_architectures.h"
#include "latentkit/models/gmm.h"
#include "latentkit/util/rng.h"

namespace latentkit::cli {
namespace {

// The reconstruction model that fits the data when the likelihood is left at "auto": a kind lists
// its likelihoods with the one for data in [0, 1] (Bernoulli / BCE) first and the one for
// unbounded data (Gaussian / MSE) last.
std::string likelihood_for_data(const std::string& kind, const Dataset& data) {
  const bool unit = data.preprocess.scaling == Scaling::Unit || data.preprocess.binarize;
  for (const auto& info : model_catalog())
    if (info.name == kind) return unit ? info.likelihoods.front() : info.likelihoods.back();
  fail("--model", "unknown model kind '" + kind + "'");
}

}  // namespace

PreparedRun prepare_run(RunConfig cfg, const Preprocessor* saved) {
  Dataset data = load_dataset(cfg.data, saved);
  cfg.model.input_dim = data.dim();
  cfg.model.image_shape.clear();
  if (data.image) cfg.model.image_shape = {data.image->channels, data.image->height, data.image->width};
  if (cfg.model.likelihood == "auto") cfg.model.likelihood = likelihood_for_data(cfg.model.kind, data);
  for (const auto& info : model_catalog())
    if (info.name == cfg.model.kind && info.needs_unit_data && data.preprocess.scaling != Scaling::Unit)
      fail("--scaling", "model kind '" + info.name + "' has binary visible units: it needs data "
                        "scaled to [0, 1] (--scaling unit), not '" + to_string(data.preprocess.scaling) + "'");
  if (cfg.model.conditional()) {  // labels 0..C-1 condition the model: C from the data
    if (!data.train.labelled())
      fail(cfg.data.source, "has no labels; model kind '" + cfg.model.kind + "' needs them");
    cfg.model.num_classes = data.num_classes();
  }
  // Image flows dequantise 8-bit levels: they need x = level / 255.
  if (is_image_flow(cfg.model.kind) &&
      (!data.image || data.preprocess.scaling != Scaling::Unit || data.preprocess.binarize))
    fail("--model", "kind '" + cfg.model.kind + "' needs 8-bit image data with --scaling unit "
                    "(or auto) and no --binarize");
  // The mixture models dequantised levels on image data, like the image flows.
  if (cfg.model.kind == "gmm" && data.image &&
      (data.preprocess.scaling != Scaling::Unit || data.preprocess.binarize))
    fail("--model", "kind 'gmm' on image data models dequantised 8-bit levels: it needs --scaling "
                    "unit (or auto) and no --binarize");
  seed_everything(cfg.train.seed);
  auto model = make_model(cfg.model);
  return PreparedRun{std::move(cfg), std::move(data), std::move(model)};
}

int64_t count_parameters(Model& model) {
  // The mixture's parameters are buffers updated by EM, not optimised tensors.
  if (auto* gmm = dynamic_cast<GaussianMixtureModel*>(&model)) return gmm->mixture().num_parameters();
  int64_t n = 0;
  for (const auto& p : model.parameters()) n += p.numel();
  return n;
}

}  // namespace latentkit::cli
