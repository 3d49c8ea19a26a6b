// The default thread plan (util/runtime.h): only the pool where a model's work runs is
// multi-threaded, and explicit counts win.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <thread>

#include "latentkit/models/model.h"
#include "latentkit/util/runtime.h"

namespace latentkit {
namespace threads_test {

int cores() { return std::max(1u, std::thread::hardware_concurrency()); }

// Restores the test binary's own setting afterwards.
struct RestoreThreads {
  int intra = at::get_num_threads();
  ~RestoreThreads() { configure_threads(intra, 1); }
};

TEST(Threads, DefaultsMultiThreadOnlyThePoolThatWorks) {
  RestoreThreads restore;
  // OpenBLAS's count can be read back only where OpenBLAS is the BLAS in use.
  const bool openblas = blas_threads() >= 0;
  auto expect_blas = [&](int n) {
    if (openblas) {
      EXPECT_EQ(blas_threads(), n);
    }
  };
  configure_threads(0, 0, /*intra_op_work=*/true);
  EXPECT_EQ(at::get_num_threads(), cores());
  expect_blas(1);
  configure_threads(0, 0, /*intra_op_work=*/false);
  EXPECT_EQ(at::get_num_threads(), 1);
  expect_blas(cores());
  // Explicit counts win; BLAS follows the intra-op count unless given.
  configure_threads(3, 0, false);
  EXPECT_EQ(at::get_num_threads(), 3);
  expect_blas(1);
  configure_threads(1, 0, true);
  expect_blas(cores());
  configure_threads(2, 2, true);
  expect_blas(2);
  // prefer_threads_for keeps the explicit counts of the last call.
  configure_threads(0, 0, true);
  prefer_threads_for(false);
  EXPECT_EQ(at::get_num_threads(), 1);
}

TEST(Threads, ModelsSayWhereTheirWorkRuns) {
  auto where = [](const std::string& kind, const std::string& architecture = "mlp") {
    ModelConfig c;
    c.kind = kind;
    c.input_dim = 784;
    c.image_shape = {1, 28, 28};
    c.architecture = architecture;
    for (const auto& info : model_catalog())
      if (info.name == kind) c.likelihood = info.likelihoods.front();
    apply_kind_defaults(c);
    return make_model(c)->works_on_intra_op_threads();
  };
  EXPECT_TRUE(where("vae"));       // fused step
  EXPECT_TRUE(where("ae"));
  EXPECT_FALSE(where("dae"));      // autograd's Linear layers: OpenBLAS
  EXPECT_FALSE(where("iwae"));
  EXPECT_TRUE(where("vae", "conv"));
  EXPECT_TRUE(where("realnvp"));   // convolutional couplings
  EXPECT_FALSE(where("nice"));     // MLP couplings
  auto vae = [] {
    ModelConfig c;
    c.kind = "vae";
    c.input_dim = 784;
    return make_model(c);
  }();
  vae->set_fused_step(false);
  EXPECT_FALSE(vae->works_on_intra_op_threads());
}

}  // namespace threads_test
}  // namespace latentkit
