#pragma once
// The architecture and objective of a model; saved with its weights so a checkpoint alone can
// rebuild it. One struct for every model kind: kinds ignore the fields they do not use.
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace latentkit {

struct ModelConfig {
  std::string kind = "vae";                // see model_catalog()
  int64_t input_dim = 784;                 // D
  std::vector<int64_t> image_shape;        // {C, H, W} for image data, empty otherwise
  std::string architecture = "mlp";        // "mlp" | "conv" (conv needs image_shape)
  std::vector<int64_t> hidden = {400};     // MLP hidden widths (encoder; decoder mirrors them)
  std::vector<int64_t> conv_channels = {32, 64};  // conv: channels per stride-2 layer
  int64_t latent_dim = 20;                 // L
  std::string activation = "relu";         // "relu" | "leaky_relu" | "elu" | "tanh" | "sigmoid" | "gelu"
  // Reconstruction model. ae: "bce" | "mse". vae: "bernoulli" | "gaussian".
  std::string likelihood = "bernoulli";
  double beta = 1.0;                       // weight of the KL term (vae)
  double sigma = 1.0;                      // fixed decoder standard deviation (gaussian vae)
  bool learn_sigma = false;                // learn one log-sigma per dimension (gaussian vae)
  int64_t kl_warmup_epochs = 0;            // vae/cvae: KL weight rises linearly 0 -> beta (0: off)
  int64_t iwae_k = 5;                      // iwae: importance samples in the training bound
  int64_t num_classes = 0;                 // cvae: label classes (set from the data's labels)
  // Input corruption of the denoising autoencoder (dae): "gaussian" (additive N(0, level^2)),
  // "mask" (zero a fraction `level` of inputs) or "salt-pepper" (set a fraction `level` to 0 or 1).
  std::string noise = "gaussian";
  double noise_level = 0.3;
  double dropout = 0.2;                    // dropout rate after hidden activations (dropout-ae)
  // Adversarial autoencoder (aae): the prior its discriminator compares codes with ("gaussian",
  // "mixture": prior_components Gaussians on a circle, latent_dim 2, or "uniform" on [-2, 2]^L),
  // the discriminator's hidden widths, and each phase's learning rate as a multiple of --lr.
  std::string prior = "gaussian";
  int64_t prior_components = 10;
  std::vector<int64_t> disc_hidden = {500, 500};
  double disc_lr_scale = 0.5;
  double gen_lr_scale = 0.5;
  // Restricted Boltzmann machines (rbm, and deep-ae's pretraining): hidden units of the rbm kind
  // ("binary" or "gaussian": linear with unit-variance noise), CD-k steps, SGD with momentum
  // and weight decay; Gaussian hidden units learn at rbm_code_lr. Gibbs steps per sample.
  std::string rbm_hidden = "binary";
  int64_t cd_k = 1;
  double rbm_lr = 0.1;
  double rbm_code_lr = 0.001;
  double rbm_momentum = 0.9;
  double rbm_weight_decay = 2e-4;
  int64_t gibbs_steps = 1000;
  // Deep autoencoder (deep-ae): RBM pretraining epochs per layer (0: random initialisation) and
  // the fine-tuning optimizer, "adam" or "lbfgs".
  int64_t pretrain_epochs = 10;
  std::string finetune = "adam";
  // flows (nice, realnvp, glow, flow2d, flow, gaussian); 0 / "default": the kind's own choice.
  int64_t flow_steps = 0;                  // coupling steps per scale (images) or in all (vectors)
  int64_t flow_scales = 0;                 // image flows: scales (levels) of squeeze + factor-out
  int64_t flow_hidden = 0;                 // channels / units of the coupling networks
  std::string flow_coupling = "default";   // "affine" | "additive"
  std::string flow_permutation = "default";  // "none" | "reverse" | "random" | "conv1x1" | "conv1x1-lu"
  double logit_alpha = 0.05;               // image flows: logit(alpha + (1 - 2 alpha) y)
  // Gaussian mixture on the data (gmm): components, "diag" or "full" covariances, and the
  // smallest variance (eigenvalue, for "full") a component may have.
  int64_t gmm_components = 10;
  std::string gmm_covariance = "diag";
  double variance_floor = 1e-6;

  nlohmann::json to_json() const;
  static ModelConfig from_json(const nlohmann::json& j);
  // Whether the kind conditions on labels y (cvae): it needs num_classes and labelled data.
  bool conditional() const { return kind == "cvae"; }
  // Throws InputError naming the offending field when the combination is invalid.
  void validate() const;
};

}  // namespace latentkit
