// `latentkit export`: a trained run in another program's format. One function per format;
// --format picks it.
#include <torch/torch.h>

#include <iostream>

#include "commands.h"
#include "latentkit/error.h"
#include "latentkit/eval/batched.h"
#include "latentkit/export/projector.h"
#include "latentkit/export/torchscript.h"
#include "loaded_run.h"

namespace latentkit::cli {

namespace {

struct ExportArgs {
  RunFlags run;
  std::string format;
  std::string out;
  std::string input;          // projector: a file of inputs instead of the run's data
  std::string split = "test"; // projector
  int64_t limit = 0;          // projector: at most this many points (0: all)
};

// A TorchScript module with the weights and the preprocessing inside (docs/EXPORT.md).
void export_torchscript_format(const ExportArgs& a) {
  LoadedRun run = a.run.open();
  std::string why;
  if (!torchscript_exportable(*run.model, &why)) fail(run.path, why);
  export_torchscript(*run.model, run.preprocess(), a.out);
  if (!a.run.quiet)
    std::cout << "exported " << run.model_config().kind << " to " << a.out
              << " (TorchScript: encode, decode, reconstruct, reconstruction_error"
              << (run.model->has_log_likelihood() ? ", log_likelihood" : "") << ", score)\n";
}

// The TensorFlow Embedding Projector's files: the codes of a split (or of --input), with labels,
// class names and, for image models, a sprite of the inputs.
void export_projector_format(const ExportArgs& a) {
  if (a.limit < 0) fail("--limit", "must be >= 0");
  LoadedRun run = a.run.open();
  torch::Tensor y;
  torch::Tensor x = run.inputs(a.input, a.split, &y);  // [N, D] model space
  if (a.limit > 0 && a.limit < x.size(0)) {
    x = x.narrow(0, 0, a.limit);
    if (y.defined()) y = y.narrow(0, 0, a.limit);
  }
  ProjectorData d;
  d.name = run.kind() + ": " + (a.input.empty() ? a.split : a.input) + " codes";
  d.codes = encode_batched(*run.model, x, y).cpu();
  d.labels = y.defined() ? y.cpu() : torch::Tensor();
  d.class_names = run.class_names();
  if (!run.image_shape().empty()) {
    d.images = run.to_raw(x);
    d.image_shape = run.image_shape();
  }
  write_projector(a.out, d);
  if (!a.run.quiet)
    std::cout << "exported " << x.size(0) << " codes of " << run.kind() << " to " << a.out
              << "/ (tensors.tsv, metadata.tsv" << (d.images.defined() ? ", sprite.png" : "")
              << ", projector_config.json, projector_config.pbtxt)\n";
}

struct Format {
  const char* name;
  void (*run)(const ExportArgs&);
};
constexpr Format kFormats[] = {{"torchscript", export_torchscript_format},
                               {"projector", export_projector_format}};

void run_export(const ExportArgs& a) {
  for (const Format& f : kFormats)
    if (a.format == f.name) return f.run(a);
  fail("--format", "unknown format '" + a.format + "' (expected torchscript or projector)");
}

}  // namespace

void add_export_command(CLI::App& app) {
  auto a = std::make_shared<ExportArgs>();
  auto* cmd = app.add_subcommand("export", "Export a trained run: a TorchScript module, or Embedding Projector files");
  add_run_flags(cmd, a->run);
  cmd->add_option("--format", a->format, "torchscript or projector")->required();
  cmd->add_option("--out", a->out, "Output: a file (torchscript: model.pt) or a directory (projector)")->required();
  cmd->add_option("--input", a->input, "projector: IDX, CSV, .npy or PNG/JPEG file (or folder of images) of inputs (default: the run's data)");
  cmd->add_option("--split", a->split, "projector: test or train, when --input is not given")->capture_default_str();
  cmd->add_option("--limit", a->limit, "projector: at most this many points (0: all)")->capture_default_str();
  cmd->callback([a] { run_export(*a); });
}

}  // namespace latentkit::cli
