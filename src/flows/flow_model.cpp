// Flow models: base density, dequantisation and the Model interface (see flow_model.h).
#include "latentkit/flows/flow_model.h"

#include <torch/torch.h>

#include <cmath>
#include <functional>

#include "latentkit/error.h"
#include "latentkit/util/batch_shard.h"

namespace latentkit {

namespace {

// Without autograd (evaluation), big batches go through fn in chunks: on the CPU the convolutions'
// buffers grow with the batch, and a 1000-image batch runs many times slower per image than 128.
// x: [B, D] -> fn's rows, concatenated.
torch::Tensor in_chunks(const torch::Tensor& x, const std::function<torch::Tensor(const torch::Tensor&)>& fn) {
  constexpr int64_t kChunk = 128;
  if (torch::GradMode::is_enabled() || x.size(0) <= kChunk) return fn(x);
  std::vector<torch::Tensor> parts;
  for (int64_t s = 0; s < x.size(0); s += kChunk) parts.push_back(fn(x.narrow(0, s, std::min(kChunk, x.size(0) - s))));
  return torch::cat(parts);
}

}  // namespace

torch::Tensor standard_normal_log_prob(const torch::Tensor& z) {
  return -0.5 * z.pow(2).sum(1) - 0.5 * static_cast<double>(z.size(1)) * std::log(2 * M_PI);
}

// z has the data's dimension: L = D.
FlowModel::FlowModel(ModelConfig config, FlowArchitecture architecture)
    : Model(config, config.input_dim), image_(models_images(architecture)) {
  FlowBody body = build_flow_body(architecture, config_);
  body_shape_ = body.input_shape;
  body_ = register_module("body", body.layers);
  if (const auto* logit = config_.options.find<LogitOptions>())
    logit_ = register_module("logit", std::make_shared<Logit>(logit->logit_alpha));
}

// v: [B, D] -> [B, ...body shape]
torch::Tensor FlowModel::to_body(const torch::Tensor& v) const {
  std::vector<int64_t> shape{v.size(0)};
  shape.insert(shape.end(), body_shape_.begin(), body_shape_.end());
  return v.reshape(shape);
}

// v: [B, D] -> z: [B, D], logdet: [B]
FlowOutput FlowModel::transform(const torch::Tensor& v) {
  torch::Tensor h = v;
  torch::Tensor logdet = torch::zeros({v.size(0)}, v.options());
  if (logit_) {
    FlowOutput out = logit_->forward(h);
    h = out.y;
    logdet = out.logdet;
  }
  FlowOutput out = body_->forward(to_body(h));
  return {out.y.flatten(1), logdet + out.logdet};
}

// z: [B, D] -> v: [B, D]
torch::Tensor FlowModel::inverse_transform(const torch::Tensor& z) {
  torch::Tensor h = body_->inverse(z).flatten(1);
  return logit_ ? logit_->inverse(h) : h;
}

// v: [B, D] -> [B]
torch::Tensor FlowModel::log_density(const torch::Tensor& v) {
  FlowOutput out = transform(v);
  return standard_normal_log_prob(out.y) + out.logdet;
}

// x: [B, D] -> z: [B, D]; images at the centres of their levels' cells.
torch::Tensor FlowModel::encode(const torch::Tensor& x, const torch::Tensor& y) {
  return in_chunks(x, [&](const torch::Tensor& xb) {
    if (!image_) return transform(xb).y;
    return transform(dequantize(pixel_levels(xb), torch::full_like(xb, 0.5))).y;
  });
}

// z: [B, D] -> x: [B, D]
torch::Tensor FlowModel::decode(const torch::Tensor& z, const torch::Tensor& y) {
  return in_chunks(z, [&](const torch::Tensor& zb) {
    auto v = inverse_transform(zb);
    return image_ ? quantize(v) : v;
  });
}

torch::Tensor FlowModel::sample(int64_t n, const torch::Tensor& y) { return sample_at_temperature(n, 1.0); }

// -> [n, D]
torch::Tensor FlowModel::sample_at_temperature(int64_t n, double temperature, const torch::Tensor& y) {
  if (!(temperature > 0 && std::isfinite(temperature))) fail("--temperature", "must be finite and > 0");
  auto p = parameters().front();
  auto z = torch::randn({n, config_.input_dim}, p.options()) * temperature;
  return decode(z);
}

// x: [B, D] -> [B]
torch::Tensor FlowModel::log_likelihood(const torch::Tensor& x, int64_t k, const torch::Tensor& y) {
  if (!image_) return in_chunks(x, [&](const torch::Tensor& xb) { return log_density(xb); });
  // The noise for every row at once (one process and N ranks then draw the same); in chunks it
  // is the same stream, chunk after chunk.
  const auto u = batch_rand_like(x);
  int64_t at = 0;
  return in_chunks(x, [&](const torch::Tensor& xb) {
    auto v = dequantize(pixel_levels(xb), u.narrow(0, at, xb.size(0)));
    at += xb.size(0);
    return discrete_log_likelihood(log_density(v), xb.size(1));
  });
}

// x: [B, D] -> scalar terms
LossTerms FlowModel::losses(const torch::Tensor& x, const torch::Tensor& y) {
  auto nll = -log_likelihood(x, 1).mean();
  LossTerms terms{{"loss", nll}, {"nll", nll.detach()}};
  if (image_) terms["bits_per_dim"] = nll.detach() / (static_cast<double>(x.size(1)) * std::log(2.0));
  return terms;
}

}  // namespace latentkit
