// The TorchScript export against the models themselves: every kind is exported with random
// (perturbed) weights, loaded back with torch::jit::load, and its methods compared with the
// Model's encode, decode, reconstruction_error and log-likelihood on the same inputs and noise.
#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "latentkit/catalog/catalog.h"
#include "latentkit/error.h"
#include "latentkit/export/torchscript.h"
#include "latentkit/flows/flow_architectures.h"
#include "latentkit/flows/flow_model.h"
#include "latentkit/models/autoencoder.h"
#include "latentkit/models/cvae.h"
#include "latentkit/models/deep_autoencoder.h"
#include "latentkit/models/gmm.h"
#include "latentkit/models/network.h"
#include "latentkit/models/rbm.h"
#include "latentkit/models/vae.h"
#include "latentkit/models/vamp.h"
#include "latentkit/models/vqvae.h"
#include "latentkit/stats/dequantize.h"

namespace latentkit {
namespace {

constexpr int64_t kRows = 37;
const std::vector<int64_t> kImage{1, 8, 8};

struct Case {
  std::string kind;
  bool image = true;
  std::function<void(ModelConfig&)> tweak = nullptr;
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.kind; }

// A small config of the case's kind: 8x8 images or 5 columns.
ModelConfig small_config(const Case& c) {
  ModelConfig config = default_config(c.kind);
  config.input_dim = c.image ? 64 : (c.kind == "flow2d" ? 2 : 5);
  config.image_shape = c.image ? kImage : std::vector<int64_t>{};
  if (auto* n = config.options.find<NetworkOptions>()) {
    n->hidden = {16, 12};
    n->latent_dim = 4;
    n->conv_channels = {3, 5};
  }
  if (auto* f = config.options.find<FlowOptions>()) {
    f->flow_steps = 2;
    f->flow_hidden = 6;
  }
  if (auto* v = config.options.find<VampOptions>()) v->pseudo_inputs = 5;
  if (auto* l = config.options.find<LabelOptions>()) l->num_classes = 3;
  if (auto* q = config.options.find<VqOptions>()) {
    q->codebook_size = 16;
    q->code_dim = 2;
  }
  if (auto* d = config.options.find<DeepAutoencoderOptions>()) {
    d->hidden = {16, 8};
    d->latent_dim = 3;
  }
  if (auto* r = config.options.find<RbmOptions>()) r->latent_dim = 7;
  if (auto* g = config.options.find<MixtureOptions>()) g->gmm_components = 3;
  if (c.tweak) c.tweak(config);
  return config;
}

// Weights away from their initial values (zeroed coupling outputs, identity ActNorms).
void perturb(Model& model) {
  torch::NoGradGuard no_grad;
  for (auto& p : model.parameters()) p.add_(torch::randn_like(p) * 0.1);
  if (auto* vq = dynamic_cast<VQVAE*>(&model)) const_cast<torch::Tensor&>(vq->codebook()).normal_();
  if (auto* gmm = dynamic_cast<GaussianMixtureModel*>(&model)) {
    GaussianMixture m = gmm->mixture();
    const int64_t k = m.components(), d = m.dim();
    auto opts = torch::TensorOptions().dtype(torch::kFloat64);
    m.weights = torch::softmax(torch::randn({k}, opts), 0);
    m.means = torch::rand({k, d}, opts);
    if (m.covariance == CovarianceType::Diagonal) {
      m.covariances = 0.05 + torch::rand({k, d}, opts) * 0.1;
    } else {
      auto a = torch::randn({k, d, d}, opts) * 0.1;
      m.covariances = torch::matmul(a, a.transpose(1, 2)) + 0.05 * torch::eye(d, opts);
    }
    gmm->set_mixture(m);
  }
}

void expect_close(const torch::Tensor& got, const torch::Tensor& want, const std::string& what) {
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  const double diff = (got.to(torch::kFloat64) - want.to(torch::kFloat64)).abs().max().item<double>();
  const double scale = want.to(torch::kFloat64).abs().max().item<double>();
  EXPECT_LE(diff, 1e-5 + 1e-5 * scale) << what << ": max |difference| " << diff;
}

class TorchScriptExport : public ::testing::TestWithParam<Case> {};

TEST_P(TorchScriptExport, LoadedModuleComputesWhatTheModelComputes) {
  const Case c = GetParam();
  torch::manual_seed(3);
  ModelConfig config = small_config(c);
  std::shared_ptr<Model> model = make_model(config);
  perturb(*model);
  model->eval();
  torch::NoGradGuard no_grad;
  const int64_t d = config.input_dim;

  // Raw rows: pixel levels for images, CSV-like columns otherwise.
  torch::Tensor raw = c.image ? torch::randint(0, 256, {kRows, d}).to(torch::kFloat32)
                              : torch::randn({kRows, d}) * 3 + 1;
  const Preprocessor pre = c.image ? Preprocessor::fit(raw, Scaling::Unit, false, 255)
                                   : Preprocessor::fit(raw, Scaling::Standardize, false);
  const torch::Tensor x = pre.apply(raw);
  const bool conditional = config.reads<LabelOptions>();
  torch::Tensor y = conditional ? torch::randint(0, 3, {kRows}, torch::kLong) : torch::Tensor();

  const std::string path = (std::filesystem::temp_directory_path() / ("latentkit_ts_" + c.kind + ".pt")).string();
  ASSERT_TRUE(torchscript_exportable(*model));
  export_torchscript(*model, pre, path);
  torch::jit::Module m = torch::jit::load(path);
  std::filesystem::remove(path);

  auto call = [&](const std::string& method, std::vector<c10::IValue> args) {
    if (conditional) args.push_back(y);
    return m.get_method(method)(args).toTensor();
  };
  EXPECT_EQ(m.attr("kind").toStringRef(), c.kind);
  EXPECT_EQ(m.attr("input_dim").toInt(), d);
  EXPECT_EQ(m.attr("latent_dim").toInt(), model->latent_dim());
  EXPECT_EQ(m.attr("conditional").toBool(), conditional);
  EXPECT_EQ(m.attr("image_shape").toIntVector(), config.image_shape);

  const torch::Tensor z = model->encode(x, y);
  expect_close(call("encode", {raw}), z, "encode");
  expect_close(call("decode", {z}), pre.invert(model->decode(z, y)), "decode");
  expect_close(call("reconstruct", {raw}), pre.invert(model->reconstruct(x, y)), "reconstruct");
  expect_close(call("reconstruction_error", {raw}), model->reconstruction_error(x, y), "reconstruction_error");

  EXPECT_EQ(m.attr("has_log_likelihood").toBool(), model->has_log_likelihood());
  if (!model->has_log_likelihood()) return;
  // The estimate as the model draws it, from the same generator state.
  const int64_t k = 7;
  torch::manual_seed(11);
  const torch::Tensor want = model->log_likelihood(x, k, y);
  torch::manual_seed(11);
  std::vector<c10::IValue> args{raw, k};
  if (conditional) args.push_back(y);
  expect_close(m.get_method("log_likelihood")(args).toTensor(), want, "log_likelihood (same seed)");

  // The noise given, against the model's own pieces.
  const std::string noise = m.attr("likelihood_noise").toStringRef();
  if (auto* vae = dynamic_cast<VAE*>(model.get())) {
    ASSERT_EQ(noise.rfind("normal", 0), 0u);
    const torch::Tensor eps = torch::randn({k, kRows, model->latent_dim()});
    const torch::Tensor lw = vae->log_weights(x, vae->posterior(x, y), eps, y);
    expect_close(call("log_likelihood_with_noise", {raw, eps}), torch::logsumexp(lw, 0) - std::log(double(k)),
                 "log_likelihood_with_noise");
  } else if (c.image) {
    ASSERT_EQ(noise.rfind("uniform", 0), 0u);
    const torch::Tensor u = torch::rand({kRows, d});
    const torch::Tensor v = dequantize(pixel_levels(x), u);
    torch::Tensor lp;
    if (auto* flow = dynamic_cast<FlowModel*>(model.get())) lp = flow->log_density(v);
    else lp = dynamic_cast<GaussianMixtureModel*>(model.get())->mixture().log_prob(v);
    expect_close(call("log_likelihood_with_noise", {raw, u}), discrete_log_likelihood(lp, d).to(torch::kFloat32),
                 "log_likelihood_with_noise");
  } else {
    EXPECT_EQ(noise, "none");
    EXPECT_FALSE(m.find_method("log_likelihood_with_noise").has_value());
  }
}

void full_covariance(ModelConfig& c) { c.get<MixtureOptions>().gmm_covariance = "full"; }
void conv(ModelConfig& c) { c.get<NetworkOptions>().architecture = "conv"; }
void gaussian_decoder(ModelConfig& c) {
  c.get<VaeOptions>().likelihood = "gaussian";
  c.get<VaeOptions>().learn_sigma = true;
}

INSTANTIATE_TEST_SUITE_P(
    EveryKind, TorchScriptExport,
    ::testing::Values(Case{"ae"}, Case{"ae", true, conv}, Case{"ae", false, [](ModelConfig& c) {
                        c.get<ReconstructionOptions>().loss = "mse";
                        c.get<NetworkOptions>().activation = "gelu";
                      }},
                      Case{"vae"}, Case{"vae", true, conv}, Case{"vae", false, gaussian_decoder},
                      Case{"vae", false, [](ModelConfig& c) {
                        c.get<VaeOptions>().likelihood = "gaussian";
                        c.get<VaeOptions>().sigma = 0.5;
                        c.get<NetworkOptions>().activation = "elu";
                      }},
                      Case{"dae", true, [](ModelConfig& c) { c.get<NetworkOptions>().activation = "leaky_relu"; }},
                      Case{"dropout-ae"}, Case{"iwae", true, conv}, Case{"cvae"}, Case{"aae"},
                      Case{"vqvae"}, Case{"vqvae", true, conv}, Case{"vamp", true, [](ModelConfig& c) {
                        c.get<NetworkOptions>().activation = "tanh";
                      }},
                      Case{"rbm"}, Case{"deep-ae"}, Case{"nice"}, Case{"realnvp"}, Case{"glow"},
                      Case{"glow", true, [](ModelConfig& c) { c.get<FlowOptions>().flow_permutation = "conv1x1"; }},
                      Case{"realnvp", true, [](ModelConfig& c) { c.get<FlowOptions>().flow_permutation = "random"; }},
                      Case{"gaussian"}, Case{"flow2d", false}, Case{"flow", false},
                      Case{"flow", false, [](ModelConfig& c) { c.get<FlowOptions>().flow_coupling = "additive"; }},
                      Case{"gmm"}, Case{"gmm", false}, Case{"gmm", false, full_covariance}),
    [](const ::testing::TestParamInfo<Case>& info) {
      std::string name = info.param.kind + "_" + std::to_string(info.index);
      for (char& ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return name;
    });

// A kind the exporter does not know: refused in one line, nothing written.
class OpaqueModel : public Model {
 public:
  OpaqueModel() : Model(default_config("ae"), 2) {}
  torch::Tensor encode(const torch::Tensor& x, const torch::Tensor& y) override { return x.narrow(1, 0, 2); }
  torch::Tensor decode(const torch::Tensor& z, const torch::Tensor& y) override { return z; }
  LossTerms losses(const torch::Tensor& x, const torch::Tensor& y) override { return {}; }
};

TEST(TorchScriptExportRefusal, UnknownModelAndUnknownLayerAreInputErrors) {
  const std::string path = (std::filesystem::temp_directory_path() / "latentkit_ts_refused.pt").string();
  std::filesystem::remove(path);
  const Preprocessor pre = Preprocessor::fit(torch::rand({4, 784}), Scaling::None, false);
  OpaqueModel opaque;
  std::string why;
  EXPECT_FALSE(torchscript_exportable(opaque, &why));
  EXPECT_NE(why.find("cannot be exported to TorchScript"), std::string::npos) << why;
  EXPECT_THROW(export_torchscript(opaque, pre, path), InputError);

  // An autoencoder whose encoder gained a layer the exporter has no source for.
  ModelConfig config = default_config("ae");
  config.get<NetworkOptions>().hidden = {8};
  auto ae = std::dynamic_pointer_cast<Autoencoder>(make_model(config));
  ae->encoder()->push_back(torch::nn::Softplus());
  EXPECT_FALSE(torchscript_exportable(*ae, &why));
  EXPECT_NE(why.find("does not know"), std::string::npos) << why;
  EXPECT_EQ(why.find('\n'), std::string::npos) << why;
  EXPECT_THROW(export_torchscript(*ae, pre, path), InputError);
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace latentkit
