// TrainedModel: a run opened for use, and the tasks it does on raw data.
#include "latentkit/api/trained_model.h"

#include <torch/torch.h>

#include <cmath>

#include "latentkit/catalog/catalog.h"
#include "latentkit/data/data_config.h"
#include "latentkit/data/image_layout.h"
#include "latentkit/error.h"
#include "latentkit/eval/batched.h"
#include "latentkit/eval/code_sampler.h"
#include "latentkit/eval/evaluate.h"
#include "latentkit/util/rng.h"

namespace latentkit {

namespace {

// labels: [N] integer labels -> int64 on `device`, or undefined when not given. Checked against
// the row count here, since a mismatch deep inside a model reads as a library error.
torch::Tensor labels_on(const torch::Tensor& labels, int64_t rows, const torch::Device& device) {
  if (!labels.defined()) return {};
  if (labels.dim() != 1 || labels.size(0) != rows)
    fail("labels", "expected [" + std::to_string(rows) + "] labels, one per row, got " +
                       std::to_string(labels.dim()) + "-D with " + std::to_string(labels.numel()) +
                       " values");
  if (labels.is_floating_point() || labels.is_complex())
    fail("labels", "must be an integer tensor (int64), got a floating-point one");
  return labels.to(device, torch::kLong);
}

// {C, H, W} or {} -> the data layer's ImageShape, or none for a tabular model.
std::optional<ImageShape> shape_of(const std::vector<int64_t>& chw) {
  if (chw.empty()) return std::nullopt;
  return ImageShape{chw[0], chw[1], chw[2]};
}

}  // namespace

TrainedModel TrainedModel::open(const std::string& run_or_checkpoint, const ExecutionOptions& execution) {
  TrainedModel run;
  if (run_or_checkpoint.empty()) fail("--run", "a run directory or checkpoint file is required");
  run.path = resolve_checkpoint_path(run_or_checkpoint);
  run.checkpoint = load_checkpoint(run.path);
  run.policy = ExecutionPolicy::choose(execution, run.checkpoint.config.model);
  run.policy.apply();
  run.device = run.policy.device;
  run.model = make_model(run.checkpoint.config.model);
  load_model_state(*run.model, run.checkpoint.model, run.path);
  run.model->to(run.device);
  run.model->eval();
  return run;
}

std::vector<std::string> TrainedModel::class_names() const {
  return latentkit::class_names(checkpoint.config.data.source);
}

// raw: [N, D] or [N, (C,) H, W (, C)] -> [N, D] model space on `device`
torch::Tensor TrainedModel::to_model_space(const torch::Tensor& raw, const std::string& where) const {
  if (!raw.defined()) fail(where, "no data (an undefined tensor)");
  const torch::Tensor rows = image_rows(raw.cpu(), shape_of(image_shape()), input_dim(), where);  // [N, D] float32
  if (!torch::isfinite(rows).all().item<bool>()) fail(where, "holds NaN or infinite values");
  return preprocess().apply(rows).to(device);
}

// x: [N, D] -> raw [N, D] float32 on the CPU
torch::Tensor TrainedModel::to_raw(const torch::Tensor& x) const {
  return preprocess().invert(x.detach().cpu().to(torch::kFloat32));
}

// raw: [N, D] -> uint8 [N, C, H, W]
torch::Tensor TrainedModel::to_images(const torch::Tensor& raw) const {
  if (image_shape().empty()) fail("to_images", "the model is tabular (kind " + kind() + "), not an image model");
  const std::vector<int64_t>& s = image_shape();
  if (raw.dim() != 2 || raw.size(1) != input_dim())
    fail("to_images", "expected raw rows [N, " + std::to_string(input_dim()) + "]");
  return raw.detach().cpu().to(torch::kFloat32).round().clamp(0, 255).to(torch::kUInt8)
      .reshape({raw.size(0), s[0], s[1], s[2]});
}

// raw -> z: [N, L]
torch::Tensor TrainedModel::encode(const torch::Tensor& raw, const torch::Tensor& labels) const {
  const torch::Tensor x = to_model_space(raw);
  return encode_batched(*model, x, labels_on(labels, x.size(0), device)).cpu().to(torch::kFloat32);
}

// z: [N, L] -> raw [N, D]
torch::Tensor TrainedModel::decode(const torch::Tensor& z, const torch::Tensor& labels) const {
  if (!z.defined() || z.dim() != 2 || z.size(1) != latent_dim())
    fail("codes", "expected [N, " + std::to_string(latent_dim()) + "] latent codes" +
                      (z.defined() ? ", got " + std::to_string(z.dim()) + "-D" : std::string()));
  const torch::Tensor codes = z.to(device, torch::kFloat32);
  if (!torch::isfinite(codes).all().item<bool>()) fail("codes", "hold NaN or infinite values");
  return to_raw(decode_batched(*model, codes, labels_on(labels, z.size(0), device)));
}

// raw -> raw [N, D]
torch::Tensor TrainedModel::reconstruct(const torch::Tensor& raw, const torch::Tensor& labels) const {
  const torch::Tensor x = to_model_space(raw);
  const torch::Tensor y = labels_on(labels, x.size(0), device);
  torch::NoGradGuard no_grad;
  ScopedSeed seed(device, 1);  // as `latentkit reconstruct` by default
  return to_raw(model->reconstruct(x, y));
}

SampleScores TrainedModel::score(const torch::Tensor& raw, const ScoreOptions& options,
                                 const torch::Tensor& labels) const {
  if (options.k < 1) fail("score", "k must be at least 1");
  if (options.batch_size < 1) fail("score", "batch_size must be at least 1");
  const torch::Tensor x = to_model_space(raw);
  ScopedSeed seed(device, options.seed);
  const Scores s = latentkit::score(*model, x, options.k, options.batch_size,
                                    labels_on(labels, x.size(0), device));
  SampleScores out;
  if (s.log_likelihood.defined()) out.log_likelihood = s.log_likelihood.cpu().to(torch::kFloat32);
  out.reconstruction_error = s.reconstruction_error.cpu().to(torch::kFloat32);
  return out;
}

// -> raw [n, D]
torch::Tensor TrainedModel::sample(int64_t n, uint64_t seed, const torch::Tensor& labels,
                                   double temperature) const {
  if (n < 1) fail("sample", "n must be at least 1");
  if (!(temperature > 0 && std::isfinite(temperature))) fail("sample", "temperature must be finite and > 0");
  torch::NoGradGuard no_grad;
  ScopedSeed scoped(device, seed);
  if (temperature != 1.0)
    return to_raw(model->sample_at_temperature(n, temperature, labels_on(labels, n, device)));
  return to_raw(draw_model_samples(*model, SamplerSpec{}, n, {}, {}, labels_on(labels, n, device),
                                   "sample"));
}

Dataset TrainedModel::dataset() const {
  Dataset d = load_dataset(checkpoint.config.data, &checkpoint.preprocess);
  d.train.x = d.train.x.to(device);
  d.test.x = d.test.x.to(device);
  if (d.train.y.defined()) d.train.y = d.train.y.to(device);
  if (d.test.y.defined()) d.test.y = d.test.y.to(device);
  return d;
}

torch::Tensor TrainedModel::inputs(const std::string& input, const std::string& split,
                                   torch::Tensor* y) const {
  if (!input.empty()) {
    if (y) *y = torch::Tensor();
    return load_inputs(input, preprocess(), input_dim(), shape_of(image_shape())).to(device);
  }
  if (split != "test" && split != "train") fail("--split", "must be 'test' or 'train'");
  Dataset d = dataset();
  const Split& s = split == "test" ? d.test : d.train;
  if (y) *y = s.y;
  return s.x;
}

}  // namespace latentkit
