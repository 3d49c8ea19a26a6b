// The one table of model kinds: adding a kind is one line in kKinds (plus its #include).
#include <torch/torch.h>

#include <functional>

#include "latentkit/error.h"
#include "latentkit/flows/flow_model.h"
#include "latentkit/models/aae.h"
#include "latentkit/models/autoencoder.h"
#include "latentkit/models/cvae.h"
#include "latentkit/models/dae.h"
#include "latentkit/models/deep_autoencoder.h"
#include "latentkit/models/dropout_ae.h"
#include "latentkit/models/gmm.h"
#include "latentkit/models/iwae.h"
#include "latentkit/models/model.h"
#include "latentkit/models/rbm.h"
#include "latentkit/models/vae.h"

namespace latentkit {
namespace {

struct KindEntry {
  ModelInfo info;
  std::function<std::shared_ptr<Model>(const ModelConfig&)> build;
};

template <typename M>
std::shared_ptr<Model> build(const ModelConfig& config) {
  return std::make_shared<M>(config);
}

const std::vector<KindEntry>& kinds() {
  static const std::vector<KindEntry> kKinds = {
      {{"ae", "plain autoencoder: deterministic code, BCE or MSE reconstruction", {"bce", "mse"}},
       build<Autoencoder>},
      {{"vae", "variational autoencoder: Gaussian posterior, ELBO, IWAE log-likelihood",
        {"bernoulli", "gaussian"}},
       build<VAE>},
      {{"dae", "denoising autoencoder: reconstructs clean x from corrupted x (--noise)", {"bce", "mse"}},
       build<DenoisingAutoencoder>},
      {{"dropout-ae", "autoencoder with dropout after hidden activations (--dropout)", {"bce", "mse"}},
       build<DropoutAutoencoder>},
      {{"iwae", "importance-weighted autoencoder: a VAE trained on the k-sample bound (--iwae-k)",
        {"bernoulli", "gaussian"}},
       build<IWAE>},
      {{"cvae", "conditional VAE: encoder and decoder see the one-hot label (sample --label)",
        {"bernoulli", "gaussian"}},
       build<CVAE>},
      {{"aae", "adversarial autoencoder: a discriminator pushes the codes toward a prior (--prior)",
        {"bce", "mse"}},
       build<AdversarialAutoencoder>},
      {{"rbm", "restricted Boltzmann machine trained by CD-k; Gibbs samples (--latent hidden units)",
        {"bernoulli"}, true},
       build<RBM>},
      {{"deep-ae", "deep autoencoder: greedy RBM pretraining, unrolled, fine-tuned (Hinton 2006)",
        {"bce", "mse"}, true},
       build<DeepAutoencoder>},
      {{"nice", "NICE flow: additive couplings on the flattened image, exact likelihood", {"exact"}},
       build<FlowModel>},
      {{"realnvp", "RealNVP flow: affine checkerboard/channel couplings, multi-scale", {"exact"}},
       build<FlowModel>},
      {{"glow", "Glow flow: ActNorm, LU 1x1 convolution, affine coupling, multi-scale", {"exact"}},
       build<FlowModel>},
      {{"gaussian", "per-pixel Gaussian on dequantised images: the floor for flows", {"exact"}},
       build<FlowModel>},
      {{"flow2d", "RealNVP flow for 2-D point sets, density picture (--data moons)", {"exact"}},
       build<FlowModel>},
      {{"flow", "RealNVP flow with LU linear maps for tabular vectors", {"exact"}},
       build<FlowModel>},
      {{"gmm", "Gaussian mixture on the data, fitted by EM (--components, --covariance); exact NLL",
        {"exact"}},
       build<GaussianMixtureModel>},
  };
  return kKinds;
}

}  // namespace

const std::vector<ModelInfo>& model_catalog() {
  static const std::vector<ModelInfo> catalog = [] {
    std::vector<ModelInfo> out;
    for (const auto& k : kinds()) out.push_back(k.info);
    return out;
  }();
  return catalog;
}

void apply_kind_defaults(ModelConfig& config) {
  if (config.kind == "deep-ae") {
    config.hidden = {1000, 500, 250};
    config.latent_dim = 30;
  } else if (config.kind == "rbm") {
    config.latent_dim = 500;
  }
}

std::shared_ptr<Model> make_model(const ModelConfig& config) {
  config.validate();  // also rejects unknown kinds, naming the field
  for (const auto& k : kinds())
    if (k.info.name == config.kind) return k.build(config);
  fail("kind", "unknown model kind '" + config.kind + "'");
}

}  // namespace latentkit
