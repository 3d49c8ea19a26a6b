// torchrun's environment contract and the gradient buckets.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>

#include "latentkit/dist/gradient_reducer.h"
#include "latentkit/dist/launch_env.h"
#include "latentkit/error.h"

namespace latentkit {
namespace {

// Sets the variables for a scope and unsets them afterwards.
class Env {
 public:
  Env(std::initializer_list<std::pair<std::string, std::string>> vars) : vars_(vars) {
    for (const auto& [k, v] : vars_) setenv(k.c_str(), v.c_str(), 1);
  }
  ~Env() {
    for (const auto& [k, v] : vars_) unsetenv(k.c_str());
  }

 private:
  std::vector<std::pair<std::string, std::string>> vars_;
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(LaunchEnv, WithoutWorldSizeAProcessIsAlone) {
  EXPECT_FALSE(LaunchEnv::from_environment().has_value());
}

TEST(LaunchEnv, ReadsTorchrunsVariables) {
  Env env{{"WORLD_SIZE", "4"}, {"RANK", "3"}, {"LOCAL_RANK", "1"}, {"LOCAL_WORLD_SIZE", "2"},
           {"MASTER_ADDR", "node0"}, {"MASTER_PORT", "29400"}, {"TORCHELASTIC_RESTART_COUNT", "2"},
           {"TORCHELASTIC_USE_AGENT_STORE", "True"}, {"TORCHELASTIC_RUN_ID", "job7"}};
  auto e = LaunchEnv::from_environment();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->world_size, 4);
  EXPECT_EQ(e->rank, 3);
  EXPECT_EQ(e->local_rank, 1);
  EXPECT_EQ(e->local_world_size, 2);
  EXPECT_EQ(e->master_addr, "node0");
  EXPECT_EQ(e->master_port, 29400);
  EXPECT_EQ(e->restart_count, 2);
  EXPECT_TRUE(e->agent_store);
  EXPECT_EQ(e->run_id, "job7");
  EXPECT_EQ(e->who(), "rank 3 of 4");
}

TEST(LaunchEnv, MalformedVariablesAreNamed) {
  {
    Env env{{"WORLD_SIZE", "2"}, {"RANK", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "1"}};
    EXPECT_EQ(error_of([] { LaunchEnv::from_environment(); }), "RANK: 2 is not below WORLD_SIZE 2");
  }
  {
    Env env{{"WORLD_SIZE", "two"}};
    EXPECT_EQ(error_of([] { LaunchEnv::from_environment(); }).rfind("WORLD_SIZE: must be an integer", 0), 0u);
  }
  {
    Env env{{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"MASTER_PORT", "29500"}};
    EXPECT_EQ(error_of([] { LaunchEnv::from_environment(); }).rfind("MASTER_ADDR: is not set", 0), 0u);
  }
  {
    Env env{{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "70000"}};
    EXPECT_EQ(error_of([] { LaunchEnv::from_environment(); }), "MASTER_PORT: 70000 is not a TCP port");
  }
}

TEST(GradientBuckets, ReverseOrderWithinTheCapAndOneDtypeEach) {
  // Sizes in bytes: 400, 40, 4000, 400, 40 (float32), then a float64 tensor of 80.
  std::vector<torch::Tensor> params{torch::zeros({100}), torch::zeros({10}), torch::zeros({1000}),
                                    torch::zeros({100}), torch::zeros({10}),
                                    torch::zeros({10}, torch::kFloat64)};
  const auto buckets = gradient_buckets(params, 500);
  // From the last back: [5] (float64 alone), [4, 3] (440 bytes), [2] (4000 > cap, alone),
  // [1, 0] (440 bytes).
  const std::vector<std::vector<size_t>> expected{{5}, {4, 3}, {2}, {1, 0}};
  EXPECT_EQ(buckets, expected);
}

}  // namespace
}  // namespace latentkit
