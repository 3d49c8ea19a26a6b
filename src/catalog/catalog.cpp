// The one table of model kinds (see catalog.h): adding a kind is one entry in kinds() plus its
// own files.
#include "latentkit/catalog/catalog.h"

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <deque>

#include "latentkit/catalog/legacy_config.h"
#include "latentkit/error.h"
#include "latentkit/flows/flow_architectures.h"
#include "latentkit/flows/flow_model.h"
#include "latentkit/models/aae.h"
#include "latentkit/models/autoencoder.h"
#include "latentkit/models/cvae.h"
#include "latentkit/models/dae.h"
#include "latentkit/models/deep_autoencoder.h"
#include "latentkit/models/dropout_ae.h"
#include "latentkit/models/gmm.h"
#include "latentkit/models/iwae.h"
#include "latentkit/models/network.h"
#include "latentkit/models/rbm.h"
#include "latentkit/models/rbm_layer.h"
#include "latentkit/models/vae.h"
#include "latentkit/models/vamp.h"
#include "latentkit/models/vqvae.h"

namespace latentkit {
namespace {

template <typename M>
std::shared_ptr<Model> build(const ModelConfig& config) {
  return std::make_shared<M>(config);
}

std::function<std::shared_ptr<Model>(const ModelConfig&)> flow(FlowArchitecture arch) {
  return [arch](const ModelConfig& config) { return std::make_shared<FlowModel>(config, arch); };
}

// A flow kind's own coupling defaults.
std::function<void(ModelConfig&)> couplings(int64_t steps, int64_t hidden, const char* coupling, const char* permutation) {
  return [=](ModelConfig& c) {
    auto& f = c.get<FlowOptions>();
    f.flow_steps = steps;
    f.flow_hidden = hidden;
    f.flow_coupling = coupling;
    f.flow_permutation = permutation;
  };
}

void mlp_only(const ModelConfig& c) {
  if (c.get<NetworkOptions>().architecture != "mlp")
    fail("architecture", "model kind '" + c.kind + "' supports only 'mlp'");
}

const OptionTable* network = &NetworkOptions::table();
const OptionTable* reconstruction = &ReconstructionOptions::table();

std::vector<KindInfo> make_kinds() {
  // A deque, so the references add() hands out stay valid while later kinds are added.
  std::deque<KindInfo> k;
  auto add = [&k](std::string name, std::string description, std::vector<const OptionTable*> families,
                  std::function<std::shared_ptr<Model>(const ModelConfig&)> build,
                  std::function<void(ModelConfig&)> defaults = nullptr,
                  std::function<void(const ModelConfig&)> check = nullptr) -> KindInfo& {
    KindInfo& info = k.emplace_back();
    info.name = std::move(name);
    info.description = std::move(description);
    info.families = std::move(families);
    info.build = std::move(build);
    info.defaults = std::move(defaults);
    info.check = std::move(check);
    return info;
  };

  KindInfo& ae = add("ae", "plain autoencoder: deterministic code, BCE or MSE reconstruction",
                      {network, reconstruction}, build<Autoencoder>);
  ae.has_prior = false;
  ae.compute = Compute::ByArchitecture;
  ae.fused_step = &kAutoencoderFusedStep;

  KindInfo& vae = add("vae", "variational autoencoder: Gaussian posterior, ELBO, IWAE log-likelihood",
                       {network, &VaeOptions::table(), &KlOptions::table()}, build<VAE>);
  vae.likelihood = Likelihood::Bound;
  vae.compute = Compute::ByArchitecture;
  vae.fused_step = &kVaeFusedStep;

  KindInfo& dae = add("dae", "denoising autoencoder: reconstructs clean x from corrupted x (--noise)",
                       {network, reconstruction, &CorruptionOptions::table()}, build<DenoisingAutoencoder>);
  dae.has_prior = false;
  dae.compute = Compute::ByArchitecture;

  KindInfo& dropout = add("dropout-ae", "autoencoder with dropout after hidden activations (--dropout)",
                           {network, reconstruction, &DropoutOptions::table()}, build<DropoutAutoencoder>);
  dropout.has_prior = false;
  dropout.compute = Compute::ByArchitecture;

  KindInfo& iwae = add("iwae", "importance-weighted autoencoder: a VAE trained on the k-sample bound (--iwae-k)",
                        {network, &VaeOptions::table(), &ImportanceOptions::table()}, build<IWAE>);
  iwae.likelihood = Likelihood::Bound;
  iwae.compute = Compute::ByArchitecture;

  KindInfo& cvae = add("cvae", "conditional VAE: encoder and decoder see the one-hot label (sample --label)",
                        {network, &VaeOptions::table(), &KlOptions::table(), &LabelOptions::table()}, build<CVAE>);
  cvae.likelihood = Likelihood::Bound;
  cvae.conditional = true;
  cvae.check = mlp_only;

  KindInfo& aae = add("aae", "adversarial autoencoder: a discriminator pushes the codes toward a prior (--prior)",
                       {network, reconstruction, &AdversarialOptions::table()}, build<AdversarialAutoencoder>);
  aae.compute = Compute::ByArchitecture;
  aae.check = AdversarialAutoencoder::check_config;

  KindInfo& vq = add("vqvae", "vector-quantised autoencoder: nearest-code codebook, straight-through gradient (--codebook-size)",
                      {network, reconstruction, &VqOptions::table()}, build<VQVAE>,
                      [](ModelConfig& c) { c.get<NetworkOptions>().latent_dim = 64; }, VQVAE::check_config);
  vq.discrete_codes = true;
  vq.compute = Compute::ByArchitecture;

  KindInfo& vamp = add("vamp", "VAE with a VampPrior: a mixture of the posteriors of learned pseudo-inputs (--pseudo-inputs)",
                        {network, &VaeOptions::table(), &KlOptions::table(), &VampOptions::table()}, build<VampVAE>);
  vamp.likelihood = Likelihood::Bound;
  vamp.compute = Compute::ByArchitecture;

  KindInfo& rbm = add("rbm", "restricted Boltzmann machine trained by CD-k; Gibbs samples (--latent hidden units)",
                       {&RbmOptions::table(), &ContrastiveDivergenceOptions::table()}, build<RBM>);
  rbm.needs_unit_data = true;

  KindInfo& deep = add("deep-ae", "deep autoencoder: greedy RBM pretraining, unrolled, fine-tuned (Hinton 2006)",
                        {&DeepAutoencoderOptions::table(), &ContrastiveDivergenceOptions::table(), reconstruction},
                        build<DeepAutoencoder>);
  deep.has_prior = false;
  deep.needs_unit_data = true;

  const std::vector<const OptionTable*> image_flow{&FlowOptions::table(), &MultiScaleOptions::table(),
                                                   &LogitOptions::table()};
  KindInfo& nice = add("nice", "NICE flow: additive couplings on the flattened image, exact likelihood",
                        {&FlowOptions::table(), &LogitOptions::table()}, flow(FlowArchitecture::Nice),
                        couplings(4, 256, "additive", "none"));
  KindInfo& realnvp = add("realnvp", "RealNVP flow: affine checkerboard/channel couplings, multi-scale", image_flow,
                           flow(FlowArchitecture::RealNVP), couplings(3, 32, "affine", "none"));
  realnvp.compute = Compute::Convolutional;
  KindInfo& glow = add("glow", "Glow flow: ActNorm, LU 1x1 convolution, affine coupling, multi-scale", image_flow,
                        flow(FlowArchitecture::Glow), couplings(4, 64, "affine", "conv1x1-lu"));
  glow.compute = Compute::Convolutional;
  KindInfo& gaussian = add("gaussian", "per-pixel Gaussian on dequantised images: the floor for flows", {},
                            flow(FlowArchitecture::Gaussian));
  for (KindInfo* f : {&nice, &realnvp, &glow, &gaussian}) {
    f->images_only = true;
    f->likelihood = Likelihood::Dequantised;
  }
  KindInfo& flow2d = add("flow2d", "RealNVP flow for 2-D point sets, density picture (--data moons)",
                          {&FlowOptions::table()}, flow(FlowArchitecture::Points2D), couplings(8, 64, "affine", "none"));
  KindInfo& vectors = add("flow", "RealNVP flow with LU linear maps for tabular vectors", {&FlowOptions::table()},
                           flow(FlowArchitecture::Vectors), couplings(6, 128, "affine", "conv1x1-lu"));
  for (KindInfo* f : {&nice, &realnvp, &glow, &gaussian, &flow2d, &vectors}) {
    f->reconstructs = false;
    f->has_temperature = true;
  }
  flow2d.likelihood = vectors.likelihood = Likelihood::Exact;

  KindInfo& gmm = add("gmm", "Gaussian mixture on the data, fitted by EM (--components, --covariance); exact NLL",
                       {&MixtureOptions::table()}, build<GaussianMixtureModel>);
  gmm.reconstructs = false;
  gmm.likelihood = Likelihood::Dequantised;
  return std::vector<KindInfo>(k.begin(), k.end());
}

}  // namespace

const std::vector<KindInfo>& model_catalog() {
  static const std::vector<KindInfo> kinds = make_kinds();
  return kinds;
}

const KindInfo* find_kind(const std::string& kind) {
  for (const auto& k : model_catalog())
    if (k.name == kind) return &k;
  return nullptr;
}

std::string kind_names() {
  std::string out;
  for (const auto& k : model_catalog()) out += (out.empty() ? "" : ", ") + k.name;
  return out;
}

const KindInfo& kind_info(const std::string& kind, const std::string& where) {
  if (const KindInfo* k = find_kind(kind)) return *k;
  fail(where, "unknown model kind '" + kind + "' (expected one of: " + kind_names() + ")");
}

ModelConfig default_config(const std::string& kind) {
  const KindInfo& info = kind_info(kind);
  ModelConfig c;
  c.kind = kind;
  c.input_dim = 784;
  for (const OptionTable* family : info.families) c.options.add(*family);
  if (info.defaults) info.defaults(c);
  return c;
}

ModelConfig read_model_config(const nlohmann::json& j) {
  if (!j.is_object()) fail("model config", std::string("expected a JSON object, got ") + j.type_name());
  const bool legacy = !j.contains("format");
  if (!legacy) {
    int64_t format = 0;
    read_option_value(j.at("format"), "format", format);
    if (format != kModelConfigFormat)
      fail("format", "model config format " + std::to_string(format) + " is not this version's (" +
                         std::to_string(kModelConfigFormat) + "); was it written by a newer latentkit?");
  }
  std::string kind = "vae";
  if (j.contains("kind")) read_option_value(j.at("kind"), "kind", kind);
  ModelConfig c = default_config(kind_info(kind).name);
  const nlohmann::json in = legacy ? upgrade_legacy_model_config(j, c) : j;
  std::set<std::string> read{"format", "kind"};
  if (in.contains("input_dim")) read_option_value(in.at("input_dim"), "input_dim", c.input_dim);
  if (in.contains("image_shape")) read_option_value(in.at("image_shape"), "image_shape", c.image_shape);
  read.insert({"input_dim", "image_shape"});
  for (const auto& group : c.options.all()) group->table().read(group->data(), in, &read);
  for (auto it = in.begin(); it != in.end(); ++it) {
    if (read.count(it.key())) continue;
    bool elsewhere = false;
    for (const auto& k : model_catalog())
      for (const OptionTable* family : k.families) elsewhere = elsewhere || family->find_key(it.key());
    if (elsewhere) fail(it.key(), "is not an option of model kind '" + kind + "'");
    fail(it.key(), "unknown model config field");
  }
  return c;
}

void validate(const ModelConfig& c) {
  const KindInfo& info = kind_info(c.kind);
  c.validate_core();
  for (const OptionTable* family : info.families) {
    if (!c.options.has(*family))
      throw std::logic_error("config of kind '" + c.kind + "' lacks its '" + family->name() + "' options");
  }
  for (const auto& group : c.options.all()) group->table().validate(group->data(), &c);
  if (info.images_only && !c.image())
    fail("--data", "model kind '" + c.kind + "' needs image data, not " + std::to_string(c.input_dim) + "-dimensional vectors");
  if (info.check) info.check(c);
}

std::shared_ptr<Model> make_model(const ModelConfig& config) {
  validate(config);
  return kind_info(config.kind).build(config);
}

LikelihoodScale likelihood_scale(const ModelConfig& config) {
  switch (kind_info(config.kind).likelihood) {
    case Likelihood::None:
      return LikelihoodScale::None;
    case Likelihood::Bound:
      return LikelihoodScale::ModelSpaceBound;
    case Likelihood::Exact:
      return LikelihoodScale::ModelSpaceExact;
    case Likelihood::Dequantised:
      return config.image() ? LikelihoodScale::EightBitBound : LikelihoodScale::ModelSpaceExact;
  }
  return LikelihoodScale::None;
}

}  // namespace latentkit
