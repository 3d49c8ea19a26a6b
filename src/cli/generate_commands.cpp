// `latentkit sample`, `reconstruct` and `decode`: pictures and rows produced by a trained model.
#include <torch/torch.h>

#include <cmath>
#include <iostream>

#include "commands.h"
#include "latentkit/data/loaders.h"
#include "latentkit/error.h"
#include "latentkit/models/cvae.h"
#include "latentkit/eval/code_sampler.h"
#include "latentkit/util/rng.h"
#include "loaded_run.h"

namespace latentkit::cli {

namespace {

struct GenerateArgs {
  RunFlags run;
  std::string out;
  std::string input;
  std::string split = "test";
  int64_t n = 64;
  int64_t columns = 8;
  uint64_t seed = 1;
  int64_t label = 0;
  bool has_label = false;  // --label given (sample, conditional models)
  std::string sampler = "prior";  // sample: "prior" | "gaussian" | "gmm:K[:diag]"
  double temperature = 1.0;  // sample: flows draw z ~ N(0, T^2 I)
};

void add_common(CLI::App* cmd, GenerateArgs& a) {
  add_run_flags(cmd, a.run);
  cmd->add_option("--out", a.out, "Output: .png grid, .csv or .npy")->required();
  cmd->add_option("--columns", a.columns, "Images per row of a PNG grid")->capture_default_str();
}

void run_sample(const GenerateArgs& a) {
  // CLI11 saturates an integer too large for int64: the bound names it before the memory does.
  if (const std::string problem = between(1, 1e9)(double(a.n)); !problem.empty()) fail("--n", problem);
  if (a.columns < 1) fail("--columns", "must be at least 1");
  LoadedRun run = a.run.open();
  require_rows_fit("--n", a.n, run, a.out);
  torch::Tensor y;  // [n] labels for conditional models; undefined: the model's own choice
  if (a.has_label) {
    const ModelConfig& mc = run.model_config();
    const LabelOptions* labels = mc.options.find<LabelOptions>();
    if (!labels) fail("--label", "model kind '" + mc.kind + "' is not conditional on labels");
    if (a.label < 0 || a.label >= labels->num_classes)
      fail("--label", std::to_string(a.label) + " is outside [0, " +
                          std::to_string(labels->num_classes) + ")");
    y = torch::full({a.n}, a.label, torch::TensorOptions().dtype(torch::kLong).device(run.device));
  }
  const SamplerSpec spec = parse_sampler_spec(a.sampler, "--sampler");
  torch::NoGradGuard no_grad;
  ScopedSeed seed(run.device, a.seed);
  torch::Tensor rows;
  if (a.temperature != 1.0) {
    if (!(a.temperature > 0 && std::isfinite(a.temperature))) fail("--temperature", "must be finite and > 0");
    try {
      rows = run.model->sample_at_temperature(a.n, a.temperature, y);
    } catch (const InputError& e) {
      fail("--temperature", e.what());
    }
  } else if (spec.kind == "prior") {
    rows = draw_model_samples(*run.model, spec, a.n, {}, {}, y);
  } else {
    // Decoded draws from a distribution fitted to the training codes.
    Dataset data = run.dataset();
    rows = draw_model_samples(*run.model, spec, a.n, data.train.x, data.train.y, y);
  }
  write_rows(a.out, rows, run, a.columns);
  if (!a.run.quiet)
    std::cout << "wrote " << a.n << " samples" << (a.has_label ? " of label " + std::to_string(a.label) : "")
            << " to " << a.out << "\n";
}

void run_reconstruct(const GenerateArgs& a) {
  if (a.n < 1) fail("--n", "must be at least 1");
  if (a.columns < 1) fail("--columns", "must be at least 1");
  LoadedRun run = a.run.open();
  torch::Tensor y;
  auto x = run.inputs(a.input, a.split, &y);
  const int64_t n = std::min(a.n, x.size(0));
  x = x.narrow(0, 0, n);
  if (y.defined()) y = y.narrow(0, 0, n);
  torch::NoGradGuard no_grad;
  ScopedSeed seed(run.device, a.seed);
  auto r = run.model->reconstruct(x, y);
  torch::Tensor rows = r;
  const bool png = a.out.size() > 4 && a.out.substr(a.out.size() - 4) == ".png";
  if (png && !run.image_shape().empty()) {
    // A picture: rows of inputs, each followed by the row of their reconstructions. Tables
    // (.csv, .npy) hold the reconstructions alone, one per input row.
    const int64_t cols = a.columns, grid_rows = (n + cols - 1) / cols;
    auto pad = [&](const torch::Tensor& t) {
      return torch::cat({t, torch::zeros({grid_rows * cols - n, t.size(1)}, t.options())});
    };
    rows = torch::stack({pad(x).view({grid_rows, cols, -1}), pad(r).view({grid_rows, cols, -1})}, 1)
               .reshape({2 * grid_rows * cols, -1});
  }
  write_rows(a.out, rows, run, a.columns);
  if (!a.run.quiet) std::cout << "wrote " << n << " inputs and reconstructions to " << a.out << "\n";
}

void run_decode(const GenerateArgs& a) {
  if (a.input.empty()) fail("--input", "a CSV or .npy file of latent codes is required");
  if (a.columns < 1) fail("--columns", "must be at least 1");
  LoadedRun run = a.run.open();
  const bool npy = a.input.size() > 4 && a.input.substr(a.input.size() - 4) == ".npy";
  auto z = npy ? read_npy(a.input) : read_csv(a.input);  // [N, L] (a trailing label column is dropped)
  const int64_t L = run.model->latent_dim();
  require_rows_fit(a.input, z.size(0), run, a.out);
  torch::Tensor y;  // conditional models decode with the label column `encode` writes
  if (z.size(1) == L + 1) {
    if (run.model_config().reads<LabelOptions>()) y = z.select(1, L).round().to(torch::kLong).to(run.device);
    z = z.narrow(1, 0, L);
  }
  if (z.size(1) != L)
    fail(a.input, "has " + std::to_string(z.size(1)) + " columns, the model's latent has " +
                      std::to_string(L));
  torch::NoGradGuard no_grad;
  write_rows(a.out, run.model->decode(z.to(run.device), y), run, a.columns);
  if (!a.run.quiet) std::cout << "decoded " << z.size(0) << " codes to " << a.out << "\n";
}

}  // namespace

void add_sample_command(CLI::App& app) {
  auto a = std::make_shared<GenerateArgs>();
  auto* cmd = app.add_subcommand("sample", "Draw samples from a trained model's prior (PNG grid, CSV or .npy)");
  add_common(cmd, *a);
  cmd->add_option("--n", a->n, "Number of samples")->capture_default_str();
  cmd->add_option("--seed", a->seed, "Random seed")->capture_default_str();
  auto* label = cmd->add_option("--label", a->label,
                                "Class to sample (conditional models, e.g. cvae; default: uniform)");
  cmd->add_option("--temperature", a->temperature, "Flows: draw z ~ N(0, T^2 I)")->capture_default_str();
  cmd->add_option("--sampler", a->sampler,
                  "prior (the model's own); gaussian: decode draws from a Gaussian fitted to the "
                  "training codes (for models without a prior); gmm:K[:diag]: from a K-component "
                  "Gaussian mixture fitted to them (full covariances unless :diag)")->capture_default_str();
  cmd->callback([a, label] {
    a->has_label = label->count() > 0;
    run_sample(*a);
  });
}

void add_reconstruct_command(CLI::App& app) {
  auto a = std::make_shared<GenerateArgs>();
  a->n = 32;
  auto* cmd = app.add_subcommand("reconstruct", "Reconstruct inputs (PNG: inputs beside reconstructions)");
  add_common(cmd, *a);
  cmd->add_option("--input", a->input, "IDX, CSV, .npy or PNG/JPEG file (or folder of images) of inputs (default: the run's data)");
  cmd->add_option("--split", a->split, "test or train, when --input is not given")->capture_default_str();
  cmd->add_option("--n", a->n, "Number of inputs")->capture_default_str();
  cmd->add_option("--seed", a->seed, "Random seed (stochastic encoders)")->capture_default_str();
  cmd->callback([a] { run_reconstruct(*a); });
}

void add_decode_command(CLI::App& app) {
  auto a = std::make_shared<GenerateArgs>();
  auto* cmd = app.add_subcommand("decode", "Decode latent codes from a CSV or .npy file");
  add_common(cmd, *a);
  cmd->add_option("--input", a->input, "Latent codes, one per row (as written by `encode`)")->required();
  cmd->callback([a] { run_decode(*a); });
}

}  // namespace latentkit::cli
