#pragma once
// `train --resume` takes the run's saved config; the flags given beside it are checked against
// that config. The number of epochs, the learning rate and the execution flags (threads, device,
// ...) may change; any other flag must repeat the run's value, or the resume is refused with
// every contradiction named.
#include <string>
#include <vector>

#include "latentkit/train/run_config.h"
#include "table_flags.h"

namespace latentkit::cli {

struct ResumeFlags {
  RunConfig config;                  // the saved config with the changes applied
  std::vector<std::string> changes;  // "--epochs 20 (was 10)", one per value that changed
};

// `model` is the --model text when it was given, else "".
ResumeFlags apply_resume_flags(const CLI::App& cmd, const TableFlags& flags, const std::string& model,
                               RunConfig saved);

}  // namespace latentkit::cli
