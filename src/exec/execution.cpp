// The execution policy (see execution.h).
#include "latentkit/exec/execution.h"

#include <torch/torch.h>

#include <cstdlib>
#include <thread>

#include "latentkit/catalog/catalog.h"
#include "latentkit/error.h"
#include "latentkit/models/network.h"
#include "latentkit/nn/fused_mlp.h"
#include "latentkit/util/runtime.h"

namespace latentkit {

const OptionTable& ExecutionOptions::table() {
  using Self = ExecutionOptions;
  static const OptionTable table = [] {
    auto t = OptionTable::of<Self>("execution", "Execution", {LATENTKIT_EXECUTION_OPTIONS(LATENTKIT_OPTION_SPEC)});
    t.check<Self>([](const Self& o, const void*) { parse_device(o.device); });
    return t;
  }();
  return table;
}

namespace {

// This process's share of the machine: its cores divided among the training ranks that run on it
// (LOCAL_WORLD_SIZE, set by torchrun and `train --nproc`), so that N local ranks do not each
// start a pool as wide as the machine.
int cores() {
  const int machine = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const char* local = std::getenv("LOCAL_WORLD_SIZE");
  const int ranks = local ? std::atoi(local) : 1;
  return ranks > 1 ? std::max(1, machine / ranks) : machine;
}

// Measured on 2 cores, one epoch: the fused VAE 1.1 s with (2 intra-op, 1 BLAS); the denoising
// autoencoder, whose Linear layers are OpenBLAS products, 2.5 s with (1, 2) and 3.2 s with
// (2, 1); with (2, 2) it took 8.2 s.
void set_threads(ExecutionPolicy& p, const ExecutionOptions& o, bool intra_op_work) {
  p.intra_op_threads = o.threads > 0 ? o.threads : (intra_op_work ? cores() : 1);
  p.blas_threads = o.blas_threads > 0 ? o.blas_threads : (p.intra_op_threads == 1 ? cores() : 1);
}

}  // namespace

ExecutionPolicy ExecutionPolicy::choose(const ExecutionOptions& o, const ModelConfig& config) {
  ExecutionOptions::table().validate(&o);
  const KindInfo& kind = kind_info(config.kind);
  ExecutionPolicy p;
  p.device = resolve_device(o.device);
  p.fused = o.fused;
  p.precision = o.precision == "bf16" ? GemmPrecision::kBFloat16 : GemmPrecision::kFloat32;
  p.fused_step = o.fused && p.device.is_cpu() && kind.fused_step && kind.fused_step->applies(config);
  if (p.precision == GemmPrecision::kBFloat16) {
    if (!p.fused_step)
      fail("--precision bf16", "needs a fused step: model ae or vae, --architecture mlp, --activation "
                               "relu, on the CPU, without --no-fused");
    if (!bf16_gemm_available())
      fail("--precision bf16", "needs oneDNN and a CPU with AVX-512 BF16; this build or CPU has not");
  }
  const bool convolutional =
      kind.compute == Compute::Convolutional ||
      (kind.compute == Compute::ByArchitecture && config.get<NetworkOptions>().architecture == "conv");
  set_threads(p, o, p.fused_step || convolutional);
  return p;
}

ExecutionPolicy ExecutionPolicy::for_data(const ExecutionOptions& o) {
  ExecutionOptions::table().validate(&o);
  ExecutionPolicy p;
  p.device = resolve_device(o.device);
  p.fused = o.fused;
  set_threads(p, o, /*intra_op_work=*/true);
  return p;
}

void ExecutionPolicy::apply() const {
  set_thread_counts(intra_op_threads, blas_threads);
  set_fused_inference(fused);
}

std::unique_ptr<FusedStep> ExecutionPolicy::make_fused_step(Model& model) const {
  if (!fused_step) return nullptr;
  const KindInfo& kind = kind_info(model.config().kind);
  auto step = kind.fused_step->make(model, precision);
  if (!step && precision == GemmPrecision::kBFloat16)
    fail("--precision bf16", "the model's networks have no fused step (float32 MLPs on the CPU)");
  return step;
}

std::string ExecutionPolicy::describe() const {
  std::string s = std::to_string(intra_op_threads) + " intra-op, " + std::to_string(blas_threads) + " BLAS threads";
  if (fused_step) s += ", fused " + std::string(precision == GemmPrecision::kBFloat16 ? "bf16" : "fp32") + " steps";
  else if (!fused) s += ", autograd and modules only";
  return s;
}

}  // namespace latentkit
