#pragma once
// How a model's work is executed: the device, the two thread pools, the fused passes and their
// precision. The user's settings (ExecutionOptions, saved in a run's config) and what the
// model's kind says about itself (catalog traits) decide one ExecutionPolicy, which apply() puts
// in place for the whole process. The models themselves only model.
#include <torch/types.h>

#include <memory>
#include <string>

#include "latentkit/models/fused_step.h"
#include "latentkit/models/model.h"
#include "latentkit/nn/gemm.h"
#include "latentkit/util/options.h"

namespace latentkit {

#define LATENTKIT_EXECUTION_OPTIONS(X)                                                                 \
  X(std::string, device, "cpu", "--device", "cpu, cuda or cuda:N", any_value())                         \
  X(int, threads, 0, "--threads",                                                                       \
    "Intra-op threads: LibTorch kernels, convolutions, oneDNN products (0: all cores for fused and "    \
    "conv models, else one)", between(0, 4096))                                                         \
  X(int, blas_threads, 0, "--blas-threads",                                                             \
    "OpenBLAS threads (0: all cores when the intra-op threads are one, else one)", between(0, 4096))    \
  X(bool, fused, true, "--no-fused",                                                                    \
    "Run autograd and the networks' modules even where the model has fused passes", any_value())        \
  X(std::string, precision, "fp32", "--precision",                                                      \
    "Matrix products of the fused training steps: fp32, or bf16 (AVX-512 BF16; float32 weights and "   \
    "optimizer)", one_of({"fp32", "bf16"}))

struct ExecutionOptions {
  LATENTKIT_EXECUTION_OPTIONS(LATENTKIT_OPTION_FIELD)
  static const OptionTable& table();
};

struct ExecutionPolicy {
  torch::Device device = torch::kCPU;
  int intra_op_threads = 1;  // LibTorch's pool: its kernels, convolutions, oneDNN's products
  int blas_threads = 1;      // OpenBLAS's pool: the Linear layers' products under autograd
  bool fused = true;         // fused training steps and inference passes where the model has them
  bool fused_step = false;   // whether training takes the kind's fused step
  GemmPrecision precision = GemmPrecision::kFloat32;

  // Decides from the settings and the kind of `config`. By default only one pool is
  // multi-threaded, the one the model's work runs on (two pools on the same cores each spin
  // while the other works): the intra-op pool for fused steps and convolutions, OpenBLAS for
  // autograd's Linear layers. Given threads alone, OpenBLAS gets all cores when threads is 1
  // and one otherwise. Throws InputError for a device that is absent, or bf16 without a fused
  // step on the CPU and AVX-512 BF16 hardware.
  static ExecutionPolicy choose(const ExecutionOptions& options, const ModelConfig& config);
  // The policy for work that is not one model's (data, statistics): all cores for the intra-op
  // pool unless `threads` says otherwise.
  static ExecutionPolicy for_data(const ExecutionOptions& options);

  // Puts the policy in place for the process: thread counts, the fused inference switch.
  void apply() const;
  // The fused training step of `model` (built from the config choose() saw), or null when it
  // trains through its own train_step.
  std::unique_ptr<FusedStep> make_fused_step(Model& model) const;
  // "2 intra-op, 1 BLAS, fused fp32 steps" for reports.
  std::string describe() const;
};

}  // namespace latentkit
