#include "loaded_run.h"

#include <torch/torch.h>

#include "latentkit/data/data_config.h"
#include "latentkit/data/loaders.h"
#include "latentkit/error.h"
#include "latentkit/util/runtime.h"
#include "latentkit/viz/image_grid.h"

namespace latentkit::cli {

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

LoadedRun open_run(const std::string& run_or_file, const std::string& device) {
  LoadedRun run;
  run.path = resolve_checkpoint_path(run_or_file);
  run.checkpoint = load_checkpoint(run.path);
  run.device = resolve_device(device);
  run.model = make_model(run.checkpoint.config.model);
  load_model_state(*run.model, run.checkpoint.model, run.path);
  run.model->to(run.device);
  run.model->eval();
  prefer_threads_for(run.model->works_on_intra_op_threads());
  return run;
}

Dataset LoadedRun::dataset() const {
  Dataset d = load_dataset(checkpoint.config.data, &checkpoint.preprocess);
  d.train.x = d.train.x.to(device);
  d.test.x = d.test.x.to(device);
  if (d.train.y.defined()) d.train.y = d.train.y.to(device);
  if (d.test.y.defined()) d.test.y = d.test.y.to(device);
  return d;
}

torch::Tensor LoadedRun::inputs(const std::string& input, const std::string& split,
                                torch::Tensor* y) const {
  if (!input.empty()) {
    if (y) *y = torch::Tensor();
    return load_inputs(input, preprocess(), checkpoint.config.model.input_dim).to(device);
  }
  if (split != "test" && split != "train") fail("--split", "must be 'test' or 'train'");
  Dataset d = dataset();
  const Split& s = split == "test" ? d.test : d.train;
  if (y) *y = s.y;
  return s.x;
}

void write_rows(const std::string& path, const torch::Tensor& x, const LoadedRun& run,
                int64_t columns) {
  auto raw = run.preprocess().invert(x.detach().cpu().to(torch::kFloat32));  // [N, D]
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
