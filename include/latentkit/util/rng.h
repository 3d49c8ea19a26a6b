#pragma once
// The global random generators drive every stochastic step (shuffling, binarization, the VAE's
// noise), so saving and restoring their state makes training resumable bit for bit.
#include <torch/types.h>

#include <cstdint>

namespace latentkit {

// Seeds the CPU generator (and the CUDA one when CUDA is available).
void seed_everything(uint64_t seed);

// The state of the default generator of `device`'s type: a uint8 tensor on the CPU.
torch::Tensor generator_state(const torch::Device& device);
void set_generator_state(const torch::Device& device, const torch::Tensor& state);

// Runs a block with the generator of `device` seeded to `seed`, and restores its previous state
// afterwards: evaluation and picture-making then neither depend on nor disturb training's stream.
class ScopedSeed {
 public:
  ScopedSeed(const torch::Device& device, uint64_t seed);
  ~ScopedSeed();
  ScopedSeed(const ScopedSeed&) = delete;
  ScopedSeed& operator=(const ScopedSeed&) = delete;

 private:
  torch::Device device_;
  torch::Tensor cpu_state_;
  torch::Tensor device_state_;
};

}  // namespace latentkit
