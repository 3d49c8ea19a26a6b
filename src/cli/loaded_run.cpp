#include "loaded_run.h"

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "latentkit/data/loaders.h"
#include "latentkit/error.h"
#include "latentkit/util/memory_budget.h"
#include "latentkit/viz/image_grid.h"

namespace latentkit::cli {

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

ExecutionOptions RunFlags::execution() const {
  ExecutionOptions o;
  execution_flags.apply(*cmd, o);
  return o;
}

void add_execution_flags(CLI::App* cmd, TableFlags& flags, bool training) {
  // Precision chooses the fused training steps' products; inference keeps float32.
  flags.add(cmd, ExecutionOptions::table(), "Execution", training ? std::set<std::string>{} : std::set<std::string>{"--precision"});
}

void add_run_flags(CLI::App* cmd, RunFlags& flags, bool json) {
  flags.cmd = cmd;
  cmd->add_option("run,--run", flags.run, "Run directory or checkpoint file")->required();
  add_execution_flags(cmd, flags.execution_flags);
  cmd->add_flag("--quiet", flags.quiet, "No informational lines");
  if (json) cmd->add_flag("--json", flags.json, "Print the figures as one JSON object on stdout");
}

void require_rows_fit(const std::string& where, int64_t rows, const LoadedRun& run, const std::string& out) {
  // Per row: the output, its raw and contiguous copies (3 x 4 bytes a value), the decoder's
  // hidden activations (every widths setting of the kind, twice), and the file's bytes.
  double widths = 0;
  const ModelConfig& mc = run.model_config();
  for (const auto& group : mc.options.all())
    for (const OptionSpec& spec : group->table().specs())
      if (spec.value_kind == "widths") {
        nlohmann::json j = nlohmann::json::object();
        spec.write(group->data(), j);
        for (const auto& v : j[spec.key]) widths += v.get<double>();
      }
  const double d = double(run.input_dim());
  const double out_bytes = ends_with(out, ".csv") ? 16 : ends_with(out, ".png") ? 1 : 4;
  const double per_row = d * (12 + out_bytes) + 8 * widths + 8 * double(run.model->latent_dim());
  require_memory(where, "writing " + std::to_string(rows) + " rows of " + std::to_string(run.input_dim()) + " values",
                 double(rows) * per_row);
}

void write_rows(const std::string& path, const torch::Tensor& x, const LoadedRun& run,
                int64_t columns) {
  const torch::Tensor raw = run.to_raw(x);  // [N, D]
  if (ends_with(path, ".png")) {
    if (run.image_shape().empty())
      fail(path, "a PNG needs an image model; this one is tabular (write .csv or .npy)");
    write_image_grid(path, raw / 255.0, run.image_shape(), columns);
  } else if (ends_with(path, ".csv")) {
    std::vector<std::string> names;
    for (int64_t j = 0; j < raw.size(1); ++j) names.push_back("x" + std::to_string(j));
    write_csv(path, names, raw);
  } else if (ends_with(path, ".npy")) {
    write_npy(path, raw);
  } else {
    fail(path, "unknown output type (use .png, .csv or .npy)");
  }
}

}  // namespace latentkit::cli
