// `latentkit pca`: principal component analysis of a dataset as the linear baseline for codes,
// with its test reconstruction error on the same scale as `latentkit eval`'s.
#include <torch/torch.h>

#include <cstdio>

#include "commands.h"
#include "latentkit/data/data_config.h"
#include "latentkit/error.h"
#include "latentkit/eval/pca.h"
#include "latentkit/util/runtime.h"

namespace latentkit::cli {

namespace {

struct PcaArgs {
  DataConfig data;
  int64_t components = 30;
  int threads = 0;
};

void run_pca(const PcaArgs& a) {
  configure_threads(a.threads);
  Dataset data = load_dataset(a.data);
  if (a.components < 1 || a.components > data.dim())
    fail("--components", "must be in [1, " + std::to_string(data.dim()) + "] (got " +
                             std::to_string(a.components) + ")");
  PCA pca = PCA::fit(data.train.x, a.components);
  const double kept = pca.variances.sum().item<double>();
  const double total = data.train.x.to(torch::kFloat64).var(0).sum().item<double>();
  std::printf("pca %lld components on %s (%lld train, %lld test, %lld dimensions)\n",
              static_cast<long long>(a.components), data.name.c_str(),
              static_cast<long long>(data.train.size()), static_cast<long long>(data.test.size()),
              static_cast<long long>(data.dim()));
  std::printf("variance kept   %.4f of the training variance\n", kept / total);
  std::printf("train recon MSE %.4f per sample (squared error summed over dimensions)\n",
              pca.reconstruction_error(data.train.x).mean().item<double>());
  std::printf("test recon MSE  %.4f per sample\n",
              pca.reconstruction_error(data.test.x).mean().item<double>());
}

}  // namespace

void add_pca_command(CLI::App& app) {
  auto a = std::make_shared<PcaArgs>();
  auto* cmd = app.add_subcommand("pca", "Principal components of a dataset: the linear baseline's reconstruction error");
  cmd->add_option("--data", a->data.source, "Dataset (as for train)")->capture_default_str();
  cmd->add_option("--components", a->components, "Principal components kept")->capture_default_str();
  cmd->add_option("--scaling", a->data.scaling, "auto, none, unit or standardize")->capture_default_str();
  cmd->add_option("--limit", a->data.limit, "Use at most this many training samples (0: all)")->capture_default_str();
  cmd->add_option("--threads", a->threads, "Compute threads (0: default)")->capture_default_str();
  cmd->callback([a] { run_pca(*a); });
}

}  // namespace latentkit::cli
