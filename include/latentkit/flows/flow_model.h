#pragma once
// Flow models: an invertible map f from data to z with a standard-normal base density,
//   log p(x) = log N(f(x); 0, I) + sum of the layers' log|det J|,
// trained by maximum likelihood. Kinds (architectures in flow_architectures.h):
//   nice, realnvp, glow   images; gaussian  a per-pixel Gaussian (the floor to beat);
//   flow2d                2-D point sets;    flow      tabular vectors.
// Image kinds see model-space x = level / 255 (Scaling::Unit) and model the dequantised
// y = (level + u) / 256 (through the logit transform, except gaussian), see dequantize.h:
//   losses(): "loss" = "nll" = -(log p_y(y) - D log 256), the 8-bit data's NLL bound in nats for one
//             draw u, and "bits_per_dim" = nll / (D ln 2); u is drawn afresh in every call.
//   log_likelihood(x) = log p_y(y) - D log 256 for one draw u (a lower bound on log P(x) in
//             expectation; the flow's density itself is exact), so evaluate()'s
//             -log p / (D ln 2) is bits/dim of the 8-bit data.
//   encode(x) uses the centre of each level's cell (u = 1/2), so decode(encode(x)) = x exactly.
// Vector kinds model x itself: "loss" = "nll" = -log p(x), exact.
#include <memory>

#include "latentkit/flows/flow_architectures.h"
#include "latentkit/flows/flow_layer.h"
#include "latentkit/flows/logit.h"
#include "latentkit/models/model.h"
#include "latentkit/stats/dequantize.h"

namespace latentkit {

class FlowModel : public Model {
 public:
  // Throws InputError when the data's shape does not suit the architecture.
  FlowModel(ModelConfig config, FlowArchitecture architecture);

  // x: [B, D] -> z: [B, D]
  torch::Tensor encode(const torch::Tensor& x, const torch::Tensor& y = {}) override;
  // z: [B, D] -> x: [B, D] (images: quantised to the 8-bit levels, as level / 255)
  torch::Tensor decode(const torch::Tensor& z, const torch::Tensor& y = {}) override;
  // -> [n, D], decode(z) for z ~ N(0, I)
  torch::Tensor sample(int64_t n, const torch::Tensor& y = {}) override;
  // -> [n, D], decode(z) for z ~ N(0, T^2 I): temperatures below 1 give smoother, likelier samples.
  torch::Tensor sample_at_temperature(int64_t n, double temperature, const torch::Tensor& y = {}) override;
  // x: [B, D] -> {"loss", "nll" (equal), and for images "bits_per_dim"}
  LossTerms losses(const torch::Tensor& x, const torch::Tensor& y = {}) override;

  bool has_log_likelihood() const override { return true; }
  // Images: the dequantisation bound; vectors: exact.
  bool log_likelihood_is_bound() const override { return image_; }
  // x: [B, D] -> [B] (see above); k is not used.
  torch::Tensor log_likelihood(const torch::Tensor& x, int64_t k, const torch::Tensor& y = {}) override;

  // v: [B, D], the continuous variable modelled (images: y in [0, 1), vectors: x) -> [B], log p(v).
  torch::Tensor log_density(const torch::Tensor& v);
  // The invertible map without the base density: v: [B, D] -> z: [B, D], logdet: [B]
  // (images: the logit transform, then the body).
  FlowOutput transform(const torch::Tensor& v);
  // z: [B, D] -> v: [B, D]
  torch::Tensor inverse_transform(const torch::Tensor& z);
  bool image() const { return image_; }

 private:
  // [B, D] <-> the body's input shape: [B, C, H, W] for multi-scale bodies, else [B, D].
  torch::Tensor to_body(const torch::Tensor& v) const;

  bool image_;
  std::vector<int64_t> body_shape_;   // per-sample input shape of body_
  std::shared_ptr<Logit> logit_;      // images except gaussian
  std::shared_ptr<FlowLayer> body_;
};

// z: [B, D] -> [B], log N(z; 0, I).
torch::Tensor standard_normal_log_prob(const torch::Tensor& z);

}  // namespace latentkit
