// `latentkit pca`: principal component analysis of a dataset as the linear baseline for codes,
// with its test reconstruction error on the same scale as `latentkit eval`'s.
#include <torch/torch.h>

#include <cstdio>

#include "commands.h"
#include "latentkit/data/data_config.h"
#include "latentkit/error.h"
#include "latentkit/stats/pca.h"
#include "latentkit/exec/execution.h"
#include "table_flags.h"

#include <iostream>
#include <nlohmann/json.hpp>

namespace latentkit::cli {

namespace {

struct PcaArgs {
  CLI::App* cmd = nullptr;
  TableFlags flags;  // the data's and the execution's
  int64_t components = 30;
  bool json = false;
};

void run_pca(const PcaArgs& a) {
  DataConfig config;
  a.flags.apply(*a.cmd, config);
  config.validate();
  ExecutionOptions execution;
  a.flags.apply(*a.cmd, execution);
  ExecutionPolicy::for_data(execution).apply();
  Dataset data = load_dataset(config);
  if (a.components < 1 || a.components > data.dim())
    fail("--components", "must be in [1, " + std::to_string(data.dim()) + "] (got " +
                             std::to_string(a.components) + ")");
  PCA pca = PCA::fit(data.train.x, a.components);
  const double kept = pca.variances.sum().item<double>();
  const double total = data.train.x.to(torch::kFloat64).var(0).sum().item<double>();
  const double train_mse = pca.reconstruction_error(data.train.x).mean().item<double>();
  const double test_mse = pca.reconstruction_error(data.test.x).mean().item<double>();
  if (a.json) {
    nlohmann::json j{{"data", data.name}, {"components", a.components}, {"train", data.train.size()},
                     {"test", data.test.size()}, {"dimensions", data.dim()},
                     {"variance_kept", kept / total}, {"train_mse", train_mse}, {"test_mse", test_mse}};
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::printf("pca %lld components on %s (%lld train, %lld test, %lld dimensions)\n",
              static_cast<long long>(a.components), data.name.c_str(),
              static_cast<long long>(data.train.size()), static_cast<long long>(data.test.size()),
              static_cast<long long>(data.dim()));
  std::printf("variance kept   %.4f of the training variance\n", kept / total);
  std::printf("train recon MSE %.4f per sample (squared error summed over dimensions)\n",
              train_mse);
  std::printf("test recon MSE  %.4f per sample\n",
              test_mse);
}

}  // namespace

void add_pca_command(CLI::App& app) {
  auto a = std::make_shared<PcaArgs>();
  auto* cmd = app.add_subcommand("pca", "Principal components of a dataset: the linear baseline's reconstruction error");
  a->cmd = cmd;
  cmd->add_option("--components", a->components, "Principal components kept")->capture_default_str();
  cmd->add_flag("--json", a->json, "Print the figures as one JSON object on stdout");
  a->flags.add(cmd, DataConfig::table(), "Data", {"--binarize"});
  a->flags.add(cmd, ExecutionOptions::table(), "Execution", {"--precision", "--no-fused", "--blas-threads"});
  cmd->callback([a] { run_pca(*a); });
}

}  // namespace latentkit::cli
