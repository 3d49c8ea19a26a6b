// The execution policy's thread plan (exec/execution.h): only the pool where a model's work runs
// is multi-threaded, explicit counts win, and apply() puts the counts in place.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <thread>

#include "latentkit/catalog/catalog.h"
#include "latentkit/exec/execution.h"
#include "latentkit/models/network.h"
#include "latentkit/nn/fused_mlp.h"
#include "latentkit/util/runtime.h"

namespace latentkit {
namespace threads_test {

int cores() { return std::max(1u, std::thread::hardware_concurrency()); }

// Restores the test binary's own setting afterwards.
struct RestoreThreads {
  int intra = at::get_num_threads();
  ~RestoreThreads() {
    set_thread_counts(intra, 1);
    set_fused_inference(true);
  }
};

ModelConfig image_config(const std::string& kind, const std::string& architecture = "mlp") {
  ModelConfig c = default_config(kind);
  c.input_dim = 784;
  c.image_shape = {1, 28, 28};
  if (auto* net = c.options.find<NetworkOptions>()) net->architecture = architecture;
  return c;
}

TEST(Threads, DefaultsMultiThreadOnlyThePoolThatWorks) {
  ExecutionOptions o;
  // The fused VAE step works on the intra-op pool (oneDNN on OpenMP).
  ExecutionPolicy p = ExecutionPolicy::choose(o, image_config("vae"));
  EXPECT_TRUE(p.fused_step);
  EXPECT_EQ(p.intra_op_threads, cores());
  EXPECT_EQ(p.blas_threads, 1);
  // The denoising autoencoder's Linear layers are OpenBLAS products under autograd.
  p = ExecutionPolicy::choose(o, image_config("dae"));
  EXPECT_FALSE(p.fused_step);
  EXPECT_EQ(p.intra_op_threads, 1);
  EXPECT_EQ(p.blas_threads, cores());
  // Explicit counts win; BLAS follows the intra-op count unless given.
  o.threads = 3;
  p = ExecutionPolicy::choose(o, image_config("dae"));
  EXPECT_EQ(p.intra_op_threads, 3);
  EXPECT_EQ(p.blas_threads, 1);
  o.threads = 1;
  p = ExecutionPolicy::choose(o, image_config("vae"));
  EXPECT_EQ(p.intra_op_threads, 1);
  EXPECT_EQ(p.blas_threads, cores());
  o.threads = 2;
  o.blas_threads = 2;
  p = ExecutionPolicy::choose(o, image_config("vae"));
  EXPECT_EQ(p.intra_op_threads, 2);
  EXPECT_EQ(p.blas_threads, 2);
}

TEST(Threads, ApplyPutsTheCountsInPlace) {
  RestoreThreads restore;
  const bool openblas = blas_threads() >= 0;  // readable only where OpenBLAS is the BLAS
  ExecutionPolicy p;
  p.intra_op_threads = 1;
  p.blas_threads = cores();
  p.fused = false;
  p.apply();
  EXPECT_EQ(at::get_num_threads(), 1);
  if (openblas) {
    EXPECT_EQ(blas_threads(), cores());
  }
  EXPECT_FALSE(fused_inference_enabled());
  p.intra_op_threads = cores();
  p.blas_threads = 1;
  p.fused = true;
  p.apply();
  EXPECT_EQ(at::get_num_threads(), cores());
  if (openblas) {
    EXPECT_EQ(blas_threads(), 1);
  }
  EXPECT_TRUE(fused_inference_enabled());
}

TEST(Threads, KindsSayWhereTheirWorkRuns) {
  auto intra_op = [](const ModelConfig& c, ExecutionOptions o = {}) {
    return ExecutionPolicy::choose(o, c).intra_op_threads == cores();
  };
  if (cores() == 1) GTEST_SKIP() << "one core: both pools get one thread";
  EXPECT_TRUE(intra_op(image_config("vae")));       // fused step
  EXPECT_TRUE(intra_op(image_config("ae")));
  EXPECT_FALSE(intra_op(image_config("dae")));      // autograd's Linear layers: OpenBLAS
  EXPECT_FALSE(intra_op(image_config("iwae")));
  EXPECT_TRUE(intra_op(image_config("vae", "conv")));
  EXPECT_TRUE(intra_op(image_config("realnvp")));   // convolutional couplings
  EXPECT_FALSE(intra_op(image_config("nice")));     // MLP couplings
  ExecutionOptions no_fused;
  no_fused.fused = false;
  EXPECT_FALSE(intra_op(image_config("vae"), no_fused));
  EXPECT_FALSE(ExecutionPolicy::choose(no_fused, image_config("vae")).fused_step);
}

}  // namespace threads_test
}  // namespace latentkit
