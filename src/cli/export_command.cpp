// `latentkit export`: a trained run in another program's format. One function per format;
// --format picks it.
#include <torch/torch.h>

#include <iostream>

#include "commands.h"
#include "latentkit/error.h"
#include "latentkit/export/torchscript.h"
#include "loaded_run.h"

namespace latentkit::cli {

namespace {

struct ExportArgs {
  RunFlags run;
  std::string format;
  std::string out;
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

// The TensorFlow Embedding Projector's files.
void export_projector_format(const ExportArgs& a) {
  fail("--format", "'projector' is not available in this build");
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
  cmd->add_option("--out", a->out, "Output file (torchscript: model.pt)")->required();
  cmd->callback([a] { run_export(*a); });
}

}  // namespace latentkit::cli
