// `latentkit denoise`: corrupts inputs with a chosen noise, reconstructs them with a trained
// model, writes a picture of clean / noisy / restored rows and reports PSNR over all inputs.
#include <torch/torch.h>

#include <cstdio>

#include "commands.h"
#include "latentkit/error.h"
#include "latentkit/models/corruption.h"
#include "latentkit/util/rng.h"
#include <iostream>
#include <nlohmann/json.hpp>
#include "loaded_run.h"

namespace latentkit::cli {

namespace {

struct DenoiseArgs {
  RunFlags run;
  std::string out;
  std::string input;
  std::string noise;
  int64_t n = 16;
  int64_t columns = 8;
  int64_t batch_size = 1000;
  uint64_t seed = 1;
};

// a, b: [N, D] in a space of peak value 1 -> [N], per-row PSNR in dB: 10 log10(1 / MSE), with
// MSE the mean over D (floored at 1e-10, i.e. at most 100 dB, so identical rows stay finite).
torch::Tensor psnr(const torch::Tensor& a, const torch::Tensor& b) {
  auto mse = (a - b).pow(2).mean(1).clamp_min(1e-10);
  return -10.0 * torch::log10(mse);
}

void run_denoise(const DenoiseArgs& a) {
  if (a.n < 1) fail("--n", "must be at least 1");
  if (a.columns < 1) fail("--columns", "must be at least 1");
  if (a.batch_size < 1) fail("--batch-size", "must be at least 1");
  const NoiseSpec noise = parse_noise(a.noise, "--noise");
  LoadedRun run = a.run.open();
  torch::Tensor y;
  const auto x = run.inputs(a.input, "test", &y);  // [N, D] in model space
  const int64_t total = x.size(0);
  if (total < 1) fail(a.input.empty() ? a.run.run : a.input, "no inputs to denoise");
  const auto& p = run.preprocess();
  // Gaussian noise stays inside the data range when the data is scaled into [0, 1].
  const bool clip = p.scaling == Scaling::Unit || p.binarize;
  const bool image = !run.image_shape().empty();
  // Rows in the space PSNR is measured in (peak 1): pixel intensities in [0, 1] for images,
  // model space for tabular data.
  auto peak_space = [&](const torch::Tensor& t) {
    return image ? p.invert(t.cpu().to(torch::kFloat32)) / 255.0 : t.cpu().to(torch::kFloat32);
  };

  torch::NoGradGuard no_grad;
  ScopedSeed seed(run.device, a.seed);
  const int64_t n = std::min(a.n, total);
  torch::Tensor shown_noisy, shown_restored;
  double noisy_sum = 0, restored_sum = 0;
  for (int64_t start = 0; start < total; start += a.batch_size) {
    const int64_t len = std::min(a.batch_size, total - start);
    auto xb = x.narrow(0, start, len);
    auto yb = y.defined() ? y.narrow(0, start, len) : torch::Tensor();
    auto noisy = corrupt(xb, noise.kind, noise.level, clip);
    auto restored = run.model->reconstruct(noisy, yb);
    auto clean = peak_space(xb);
    noisy_sum += psnr(peak_space(noisy), clean).sum().item<double>();
    restored_sum += psnr(peak_space(restored), clean).sum().item<double>();
    if (start == 0) {
      shown_noisy = noisy.narrow(0, 0, std::min(n, len));
      shown_restored = restored.narrow(0, 0, std::min(n, len));
    }
  }
  const int64_t shown = shown_noisy.size(0);
  torch::Tensor rows = torch::cat({x.narrow(0, 0, shown), shown_noisy, shown_restored});
  if (image) {
    // Groups of three grid rows: clean inputs, their corrupted copies, the model's restorations.
    const int64_t cols = a.columns, grid_rows = (shown + cols - 1) / cols;
    auto pad = [&](const torch::Tensor& t) {
      return torch::cat({t, torch::zeros({grid_rows * cols - shown, t.size(1)}, t.options())})
          .view({grid_rows, cols, -1});
    };
    rows = torch::stack({pad(x.narrow(0, 0, shown)), pad(shown_noisy), pad(shown_restored)}, 1)
               .reshape({3 * grid_rows * cols, -1});
  }
  write_rows(a.out, rows, run, a.columns);
  if (a.run.json) {
    nlohmann::json j{{"noise", noise.kind}, {"level", noise.level}, {"inputs", total},
                     {"psnr_noisy", noisy_sum / total}, {"psnr_restored", restored_sum / total}, {"out", a.out}};
    std::cout << j.dump(2) << "\n";
    return;
  }
  if (a.run.quiet) return;
  std::printf("noise       %s:%g on %lld inputs (%s)\n", noise.kind.c_str(), noise.level,
              static_cast<long long>(total), a.input.empty() ? "test split" : a.input.c_str());
  std::printf("PSNR noisy    %.2f dB  (mean over inputs of 10 log10(1/MSE), %s)\n",
              noisy_sum / total, image ? "pixels in [0, 1]" : "model space, peak 1");
  std::printf("PSNR restored %.2f dB\n", restored_sum / total);
  std::printf("wrote %lld clean / noisy / restored %s to %s\n", static_cast<long long>(shown),
              image ? "rows" : "blocks", a.out.c_str());
}

}  // namespace

void add_denoise_command(CLI::App& app) {
  auto a = std::make_shared<DenoiseArgs>();
  auto* cmd = app.add_subcommand(
      "denoise", "Corrupt inputs, reconstruct them, report PSNR and picture clean / noisy / restored");
  add_run_flags(cmd, a->run, /*json=*/true);
  cmd->add_option("--noise", a->noise, "Corruption KIND:LEVEL: gaussian:STD, mask:FRACTION, salt-pepper:FRACTION")
      ->required();
  cmd->add_option("--out", a->out, "Output: .png grid (image models), .csv or .npy")->required();
  cmd->add_option("--input", a->input, "IDX, CSV, .npy or PNG/JPEG file (or folder of images) of inputs (default: the run's test split)");
  cmd->add_option("--n", a->n, "Inputs shown in the output")->capture_default_str();
  cmd->add_option("--columns", a->columns, "Grid columns")->capture_default_str();
  cmd->add_option("--seed", a->seed, "Seed of the corruption (and any model sampling)")->capture_default_str();
  cmd->add_option("--batch-size", a->batch_size, "Batch size")->capture_default_str();
  cmd->callback([a] { run_denoise(*a); });
}

}  // namespace latentkit::cli
