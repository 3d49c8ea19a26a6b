#pragma once
// Adam with one pass over memory per parameter tensor. torch::optim::Adam updates a parameter
// in about seven elementwise passes (two moments, a square root, a division, a temporary for
// the denominator) that each stream the whole tensor through memory; for the MLPs here that
// bookkeeping costs a sizeable part of a training step. FusedAdam computes the same update,
//   m <- b1 m + (1 - b1) g,  v <- b2 v + (1 - b2) g²,
//   p <- p - lr / (1 - b1^t) · m / (sqrt(v) / sqrt(1 - b2^t) + eps),   g = grad + wd · p,
// element by element in one loop, keeping torch::optim::Adam's state (step, exp_avg,
// exp_avg_sq) and its serialisation, so checkpoints of either load into the other. A step with a
// tensor it cannot fuse (not a contiguous CPU float32/float64 one, or amsgrad) is
// torch::optim::Adam's step.
#include <torch/optim/adam.h>

#include <functional>
#include <vector>

namespace latentkit {

class FusedAdam : public torch::optim::Adam {
 public:
  using torch::optim::Adam::Adam;
  torch::Tensor step(LossClosure closure = nullptr) override;

  // Called before every update with the parameters that have gradients, in registration order,
  // to change those gradients first: data-parallel training averages them over the ranks here
  // (dist/gradient_reducer.h), for autograd's steps and the fused ones alike.
  using GradientHook = std::function<void(const std::vector<torch::Tensor>& params)>;
  void set_before_update(GradientHook hook) { before_update_ = std::move(hook); }

 private:
  GradientHook before_update_;
};

}  // namespace latentkit
