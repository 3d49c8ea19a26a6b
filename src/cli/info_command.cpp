// `latentkit info` (a checkpoint's model and the compute environment) and `latentkit models`.
#include <torch/cuda.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "latentkit/nn/gemm.h"
#include "latentkit/train/checkpoint.h"
#include "latentkit/util/runtime.h"
#include "run_setup.h"

namespace latentkit::cli {

namespace {

struct InfoArgs {
  std::string run;
  int threads = 0;
};

void run_info(const InfoArgs& a) {
  configure_threads(a.threads);
  if (!a.run.empty()) {
    const std::string path = resolve_checkpoint_path(a.run);
    Checkpoint ck = load_checkpoint(path);
    auto model = make_model(ck.config.model);
    const int64_t params = count_parameters(*model);
    std::printf("checkpoint  %s\n", path.c_str());
    std::printf("model       %s, %lld parameters, latent %lld\n", ck.config.model.kind.c_str(),
                static_cast<long long>(params), static_cast<long long>(model->latent_dim()));
    std::printf("trained     %lld of %lld epochs%s on %s\n", static_cast<long long>(ck.progress.epoch),
                static_cast<long long>(model->pretraining_epochs() + ck.config.train.epochs),
                ck.progress.batch > 0 ? " (interrupted mid-epoch)" : "", ck.config.data.source.c_str());
    if (ck.progress.epoch > 0) std::printf("best test   loss %.4f\n", ck.progress.best_test_loss);
    std::printf("config      %s\n", ck.config.model.to_json().dump().c_str());
  }
  std::printf("latentkit   %s\n", LATENTKIT_VERSION);
  std::printf("libtorch    %s\n", TORCH_VERSION);
  std::printf("blas        %s\n", blas_description().c_str());
  std::printf("fused       %s products, bf16 %s\n", gemm_backend().c_str(),
              bf16_gemm_available() ? "available (--precision bf16)" : "not available");
  std::printf("threads     %d intra-op, %d BLAS, %d inter-op\n", at::get_num_threads(), blas_threads(),
              at::get_num_interop_threads());
  if (torch::cuda::is_available())
    std::printf("cuda        available, %zu device(s)\n", torch::cuda::device_count());
  else
    std::printf("cuda        not available\n");
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto a = std::make_shared<InfoArgs>();
  auto* cmd = app.add_subcommand("info", "Show a checkpoint's model, and LibTorch, BLAS, threads, CUDA");
  cmd->add_option("--run", a->run, "Run directory or checkpoint file");
  cmd->add_option("--threads", a->threads, "Compute threads to configure before reporting")->capture_default_str();
  cmd->callback([a] { run_info(*a); });
}

void add_models_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("models", "List the model kinds");
  cmd->callback([] {
    for (const auto& m : model_catalog()) std::printf("%-12s %s\n", m.name.c_str(), m.description.c_str());
  });
}

}  // namespace latentkit::cli
