// `latentkit plot`, `latent-map`, `manifold` and `interpolate`: pictures of a trained run,
// written by default into its run directory.
#include <torch/torch.h>

#include <filesystem>
#include <iostream>

#include "commands.h"
#include "latentkit/data/data_config.h"
#include "latentkit/error.h"
#include "latentkit/eval/batched.h"
#include "latentkit/catalog/catalog.h"
#include "latentkit/models/cvae.h"
#include "latentkit/viz/interpolation.h"
#include "latentkit/viz/latent_map.h"
#include "latentkit/viz/loss_curves.h"
#include "latentkit/viz/manifold.h"
#include "loaded_run.h"

namespace fs = std::filesystem;

namespace latentkit::cli {

namespace {

struct PictureArgs {
  RunFlags run;
  std::string out;
  std::string split = "test";
  int64_t max_points = 5000;  // latent-map
  int64_t grid = 20;          // manifold
  int64_t from = -1, to = -1; // interpolate
  int64_t steps = 10;         // interpolate
};

// The run directory of a run directory or of a checkpoint file (<run>/checkpoints/<name>.pt).
fs::path picture_run_dir(const std::string& run_or_file) {
  const fs::path p(run_or_file);
  if (fs::is_directory(p)) return p;
  const fs::path parent = p.parent_path();
  return parent.filename() == "checkpoints" ? parent.parent_path() : parent;
}

std::string picture_out(const PictureArgs& a, const char* name) {
  return a.out.empty() ? (picture_run_dir(a.run.run) / name).string() : a.out;
}

// "vae (latent 2) on fashion-mnist"
std::string picture_model_name(const LoadedRun& run) {
  const ModelConfig& mc = run.model_config();
  return mc.kind + " (latent " + std::to_string(run.model->latent_dim()) + ") on " +
         run.checkpoint.config.data.source;
}

void add_picture_run_option(CLI::App* cmd, PictureArgs& a) { add_run_flags(cmd, a.run); }

void run_plot(const PictureArgs& a) {
  const fs::path dir = picture_run_dir(a.run.run);
  const std::string metrics = (dir / "metrics.jsonl").string();
  if (!fs::exists(metrics)) fail(a.run.run, "no metrics.jsonl in " + dir.string() + " (not a run directory?)");
  const std::string out = picture_out(a, "loss_curves.png");
  write_loss_curves(metrics, out, "training curves of " + dir.filename().string());
  if (!a.run.quiet) std::cout << "wrote the loss curves of " << dir.string() << " to " << out << "\n";
}

void run_latent_map(const PictureArgs& a) {
  if (a.max_points < 2) fail("--max-points", "must be at least 2");
  LoadedRun run = a.run.open();
  if (run.model->latent_dim() < 2)
    fail(a.run.run, "a latent map needs at least 2 latent dimensions; this " + run.model_config().kind + " has 1");
  torch::Tensor y;
  torch::Tensor x = run.inputs("", a.split, &y);
  const int64_t n = std::min(a.max_points, x.size(0));
  x = x.narrow(0, 0, n);
  if (y.defined()) y = y.narrow(0, 0, n);
  if (kind_info(run.model_config().kind).discrete_codes)
    fail(a.run.run, "a latent map draws codes as points; the codes of a " + run.model_config().kind + " are indices");
  const torch::Tensor codes = encode_batched(*run.model, x, y);  // [n, L]
  const std::string out = picture_out(a, "latent_map.png");
  write_latent_map(codes, y, class_names(run.checkpoint.config.data.source),
                   picture_model_name(run) + ": codes of " + std::to_string(n) + " " + a.split + " inputs",
                   out);
  if (!a.run.quiet) std::cout << "wrote the latent map of " << n << " " << a.split << " inputs to " << out << "\n";
}

void run_manifold(const PictureArgs& a) {
  if (a.grid < 1 || a.grid > 100) fail("--grid", "must be in [1, 100] (got " + std::to_string(a.grid) + ")");
  LoadedRun run = a.run.open();
  const ModelConfig& mc = run.model_config();
  if (kind_info(mc.kind).discrete_codes)
    fail(a.run.run, "the manifold decodes a grid of points; the codes of a " + mc.kind + " are indices");
  if (run.model->latent_dim() != 2)
    fail(a.run.run, "the manifold needs a 2-D latent; this " + mc.kind + " has " +
                    std::to_string(run.model->latent_dim()) + " latent dimensions (train with --latent 2)");
  if (run.image_shape().empty()) fail(a.run.run, "the manifold is drawn for image models; this one is tabular");
  const std::string out = picture_out(a, "manifold.png");
  write_model_manifold(*run.model, run.preprocess(), run.image_shape(), a.grid,
                       picture_model_name(run) + ": decodings of a " + std::to_string(a.grid) + "x" +
                           std::to_string(a.grid) + " grid of quantiles",
                       out);
  if (!a.run.quiet) std::cout << "wrote the " << a.grid << "x" << a.grid << " manifold to " << out << "\n";
}

void run_interpolate(const PictureArgs& a) {
  if (a.steps < 2 || a.steps > 50) fail("--steps", "must be in [2, 50] (got " + std::to_string(a.steps) + ")");
  LoadedRun run = a.run.open();
  if (run.image_shape().empty()) fail(a.run.run, "interpolations are drawn for image models; this one is tabular");
  if (kind_info(run.model_config().kind).discrete_codes)
    fail(a.run.run, "interpolations follow paths between codes; the codes of a " + run.model_config().kind + " are indices");
  torch::Tensor y;
  const torch::Tensor x = run.inputs("", a.split, &y);
  for (const auto& [flag, index] : {std::pair{"--from", a.from}, std::pair{"--to", a.to}})
    if (index < 0 || index >= x.size(0))
      fail(flag, "index " + std::to_string(index) + " is outside the " + a.split + " split's " +
                     std::to_string(x.size(0)) + " inputs (0 to " + std::to_string(x.size(0) - 1) + ")");
  const torch::Tensor pick = torch::tensor({a.from, a.to}, torch::TensorOptions().dtype(torch::kLong).device(x.device()));
  const torch::Tensor pair_y = y.defined() ? y.index_select(0, pick) : torch::Tensor();
  const std::vector<std::string> names = class_names(run.checkpoint.config.data.source);
  std::vector<std::string> captions;
  for (int e = 0; e < 2; ++e) {
    const int64_t index = e == 0 ? a.from : a.to;
    std::string caption = a.split + " #" + std::to_string(index);
    if (pair_y.defined()) {
      const int64_t label = pair_y[e].item<int64_t>();
      caption += "\n" + (label >= 0 && label < static_cast<int64_t>(names.size()) ? names[label] : "label " + std::to_string(label));
    }
    captions.push_back(caption);
  }
  const std::string out = picture_out(a, "interpolation.png");
  write_model_interpolation(*run.model, run.preprocess(), run.image_shape(), x.index_select(0, pick),
                            run.model_config().reads<LabelOptions>() ? pair_y : torch::Tensor(), captions,
                            a.steps, picture_model_name(run) + ": from " + a.split + " #" +
                                std::to_string(a.from) + " to #" + std::to_string(a.to),
                            out);
  if (!a.run.quiet) std::cout << "wrote linear and spherical interpolations of " << a.steps << " steps to " << out << "\n";
}

}  // namespace

void add_plot_command(CLI::App& app) {
  auto a = std::make_shared<PictureArgs>();
  auto* cmd = app.add_subcommand("plot", "Draw a run's training curves (loss and every recorded term, train and test, per epoch)");
  a->run.cmd = cmd;
  cmd->add_option("run,--run", a->run.run, "Run directory or checkpoint file")->required();
  cmd->add_flag("--quiet", a->run.quiet, "No informational lines");
  cmd->add_option("--out", a->out, "Output PNG (default: RUN/loss_curves.png)");
  cmd->callback([a] { run_plot(*a); });
}

void add_latent_map_command(CLI::App& app) {
  auto a = std::make_shared<PictureArgs>();
  auto* cmd = app.add_subcommand("latent-map", "Draw the codes of a split coloured by label (PCA to 2-D when the latent is wider)");
  add_picture_run_option(cmd, *a);
  cmd->add_option("--split", a->split, "test or train")->capture_default_str();
  cmd->add_option("--n,--max-points", a->max_points, "Draw the first N inputs of the split")->capture_default_str();
  cmd->add_option("--out", a->out, "Output PNG (default: RUN/latent_map.png)");
  cmd->callback([a] { run_latent_map(*a); });
}

void add_manifold_command(CLI::App& app) {
  auto a = std::make_shared<PictureArgs>();
  auto* cmd = app.add_subcommand("manifold", "Decode a grid of 2-D codes at normal quantiles (models with a 2-D latent)");
  add_picture_run_option(cmd, *a);
  cmd->add_option("--grid", a->grid, "Grid size n: n x n decodings")->capture_default_str();
  cmd->add_option("--out", a->out, "Output PNG (default: RUN/manifold.png)");
  cmd->callback([a] { run_manifold(*a); });
}

void add_interpolate_command(CLI::App& app) {
  auto a = std::make_shared<PictureArgs>();
  auto* cmd = app.add_subcommand("interpolate", "Decode linear and spherical paths between the codes of two inputs");
  add_picture_run_option(cmd, *a);
  cmd->add_option("--from", a->from, "Index of the first input in the split")->required();
  cmd->add_option("--to", a->to, "Index of the second input in the split")->required();
  cmd->add_option("--steps", a->steps, "Codes along each path, ends included")->capture_default_str();
  cmd->add_option("--split", a->split, "test or train")->capture_default_str();
  cmd->add_option("--out", a->out, "Output PNG (default: RUN/interpolation.png)");
  cmd->callback([a] { run_interpolate(*a); });
}

}  // namespace latentkit::cli
