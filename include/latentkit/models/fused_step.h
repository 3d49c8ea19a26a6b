#pragma once
// Fused training steps: for kinds whose networks allow it, one optimisation step with
// hand-written forward and backward passes (nn/fused_mlp.h) instead of autograd, with the same
// objective, noise draws and optimizers as the model's own train_step and equal to it up to
// float rounding (tests/models/test_fused_steps.cpp). The model classes stay the readable
// reference; these are the fast versions beside them. Which kinds have one is a fact of the
// catalog (KindInfo::fused_step); whether a run takes it is the execution policy's choice
// (exec/execution.h).
#include <memory>

#include "latentkit/models/model.h"
#include "latentkit/nn/gemm.h"

namespace latentkit {

class FusedStep {
 public:
  virtual ~FusedStep() = default;
  // x: [B, D] contiguous float32 on the CPU -> the batch's terms (detached), as the model's
  // train_step returns them.
  virtual LossTerms step(const torch::Tensor& x, Optimizers& optimizers) = 0;
};

struct FusedStepKind {
  // Whether a config of the kind has networks the fused passes cover (MLP, ReLU, ...).
  bool (*applies)(const ModelConfig& config);
  // The step of a model built from such a config; null when its networks turn out not to be
  // supported (e.g. not float32 on the CPU).
  std::unique_ptr<FusedStep> (*make)(Model& model, GemmPrecision precision);
};

// The variational autoencoder (vae.h) with a Bernoulli or fixed-sigma Gaussian decoder.
extern const FusedStepKind kVaeFusedStep;
// The plain autoencoder (autoencoder.h).
extern const FusedStepKind kAutoencoderFusedStep;

}  // namespace latentkit
