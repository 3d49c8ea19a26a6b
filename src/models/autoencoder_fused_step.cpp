// The plain autoencoder's fused training step (see fused_step.h and autoencoder.h).
#include <torch/torch.h>

#include "latentkit/models/autoencoder.h"
#include "latentkit/models/fused_step.h"
#include "latentkit/models/network.h"
#include "latentkit/nn/fused_mlp.h"

namespace latentkit {

namespace {

class AutoencoderFusedStep : public FusedStep {
 public:
  AutoencoderFusedStep(Autoencoder& model, GemmPrecision precision) : model_(model), precision_(precision) {}

  // One step of Autoencoder::losses()'s objective with hand-written gradients. x: [B, D] -> terms.
  LossTerms step(const torch::Tensor& x, Optimizers& opt) override {
    torch::NoGradGuard no_grad;
    FusedMlp encoder(model_.encoder(), precision_), decoder(model_.decoder(), precision_);
    const int64_t b = x.size(0);
    const torch::Tensor& out = decoder.forward(encoder.forward(x));  // [B, D]
    auto g = torch::empty_like(out);
    double recon_sum, squared_error;
    float g_scale;  // d(sum of recon)/dout = g_scale * g
    if (model_.bce()) {
      recon_sum = bernoulli_nll_and_grad(out, x, g);  // g = sigmoid(out) - x
      squared_error = sum_of_squares(g);
      g_scale = 1.0f;
    } else {
      recon_sum = squared_error = squared_error_and_residual(out, x, g);  // g = out - x
      g_scale = 2.0f;
    }
    torch::Tensor dz;
    decoder.backward(g, g_scale / static_cast<float>(b), &dz);
    encoder.backward(dz, g_scale / static_cast<float>(b));
    for (auto& [name, o] : opt) o->step();

    auto scalar = [&](double v) { return torch::full({}, v, x.options()); };
    return {{"loss", scalar(recon_sum / b)}, {"recon", scalar(recon_sum / b)}, {"mse", scalar(squared_error / b)}};
  }

 private:
  Autoencoder& model_;
  GemmPrecision precision_;
};

bool autoencoder_applies(const ModelConfig& c) {
  const auto& n = c.get<NetworkOptions>();
  return n.architecture == "mlp" && n.activation == "relu";
}

std::unique_ptr<FusedStep> make_autoencoder_step(Model& model, GemmPrecision precision) {
  // Null for a model of another class (a test double, say): it trains through its own step.
  auto* cast = dynamic_cast<Autoencoder*>(&model);
  if (!cast) return nullptr;
  auto& ae = *cast;
  if (!autoencoder_applies(ae.config()) || !FusedMlp::supports(ae.encoder()) || !FusedMlp::supports(ae.decoder()))
    return nullptr;
  return std::make_unique<AutoencoderFusedStep>(ae, precision);
}

}  // namespace

const FusedStepKind kAutoencoderFusedStep{autoencoder_applies, make_autoencoder_step};

}  // namespace latentkit
