#pragma once
// A trained model opened from a run directory or checkpoint file, for the commands that use one
// (eval, sample, reconstruct, encode, decode, score, denoise, quality, pictures), and the flags
// those commands share: the run (positional or --run), execution (--device, --threads, ...),
// --quiet and --json.
#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "latentkit/api/trained_model.h"
#include "latentkit/exec/execution.h"
#include "table_flags.h"

namespace latentkit::cli {

// The library's opened run (api/trained_model.h), under the name the commands use.
using LoadedRun = TrainedModel;

// Opens the run and puts in place the execution policy chosen from `execution` and its kind.
inline LoadedRun open_run(const std::string& run_or_file, const ExecutionOptions& execution) {
  return TrainedModel::open(run_or_file, execution);
}

// The flags every command that reads a run shares.
struct RunFlags {
  CLI::App* cmd = nullptr;
  std::string run;
  TableFlags execution_flags;
  bool quiet = false;  // no informational lines
  bool json = false;   // the figures as one JSON object on stdout instead of text

  // The execution settings given on the command line (defaults elsewhere).
  ExecutionOptions execution() const;
  LoadedRun open() const { return open_run(run, execution()); }
};

// Adds RUN (positional) / --run, --device, --threads, --blas-threads, --no-fused and --quiet,
// and --json where the command has figures to print.
void add_run_flags(CLI::App* cmd, RunFlags& flags, bool json = false);
// The execution flags alone (for commands that read data but no run).
void add_execution_flags(CLI::App* cmd, TableFlags& flags, bool training = false);

// Writes rows of model-space values to `path` by its extension: .png (an image grid; needs an
// image model), .csv (raw values, columns x0..), or .npy. Writes are atomic.
void write_rows(const std::string& path, const torch::Tensor& x, const LoadedRun& run,
                int64_t columns = 8);

// Throws InputError naming `where` (a flag, or the file whose rows are decoded) when `rows`
// model outputs written to `out` would not fit in memory: sample and decode hold them all,
// with the decoder's activations and the output's text, before writing.
void require_rows_fit(const std::string& where, int64_t rows, const LoadedRun& run, const std::string& out);

}  // namespace latentkit::cli
