#pragma once
// Hand-written forward and backward passes of an MLP built by make_mlp() (Linear layers with
// ReLU between them), for the fused training steps of the MLP autoencoders and VAEs.
//
// Autograd records every operation, allocates a tensor per intermediate and runs bias, ReLU and
// their gradients as separate kernels. Here a layer is one matrix product (nn/gemm.h) followed
// by one pass that adds the bias and applies the ReLU; backward writes the weight gradients
// straight into the parameters' .grad() tensors, and one pass per layer applies the ReLU's
// derivative while summing the bias gradient. The results equal autograd's up to float
// rounding (tests/nn/fused_mlp_test.cpp).
#include <torch/nn/modules/container/sequential.h>
#include <torch/types.h>

#include <vector>

#include "latentkit/nn/gemm.h"

namespace latentkit {

class FusedMlp {
 public:
  // Whether `mlp` is Linear (ReLU Linear)* with contiguous float32 CPU parameters.
  static bool supports(const torch::nn::Sequential& mlp);

  // Holds the layers' parameters (the same tensors, not copies). Requires supports(mlp).
  explicit FusedMlp(const torch::nn::Sequential& mlp,
                    GemmPrecision precision = GemmPrecision::kFloat32);

  // x: [B, in] contiguous float32 -> [B, out], the last layer's output (no activation). Keeps
  // x and the hidden activations for backward(); the returned tensor is valid until the next
  // forward().
  const torch::Tensor& forward(const torch::Tensor& x);

  // dy: [B, out], the gradient of a loss S with respect to forward()'s output. Sets each
  // parameter's .grad() to scale * dS/dparameter (overwriting it) and, when dx is given, writes
  // dS/dx (unscaled, [B, in]) into *dx.
  void backward(const torch::Tensor& dy, float scale, torch::Tensor* dx = nullptr);

 private:
  struct Layer {
    torch::Tensor weight, bias;  // [out, in], [out]
    torch::Tensor weight_bf16;   // bf16 copy for the products (bf16 precision only)
  };
  // c = alpha op(a) op(b) + beta c at the chosen precision.
  void product(bool ta, bool tb, float alpha, const torch::Tensor& a, const torch::Tensor& b,
               torch::Tensor& c);

  std::vector<Layer> layers_;
  GemmPrecision precision_;
  // inputs_[i]: layer i's input [B, in_i] (inputs_[0] = x, then the ReLU outputs); output_: the
  // last layer's output. Their bf16 copies when the precision is bf16.
  std::vector<torch::Tensor> inputs_, inputs_bf16_;
  torch::Tensor output_;
};

// Inference through an encoder or decoder network (nn/blocks.h): x: [B, in] -> [B, out]. With
// gradients off and x a float32 CPU matrix, a network FusedMlp supports takes its hand-written
// forward pass (for one to four rows, a dot product per output split across the threads), equal
// to the modules' up to float rounding, while fused inference is enabled; anything else runs
// the modules. Models call this wherever they run a network, so the speed path is chosen here,
// once, and not in the modelling code.
torch::Tensor run_network(torch::nn::Sequential& net, const torch::Tensor& x);
// Process-wide switch, set by the execution policy (exec/execution.h); on by default. Off, every
// network runs its modules (the reference path).
void set_fused_inference(bool enabled);
bool fused_inference_enabled();

// The output layers of the fused steps. logits, out, x: [B, D] contiguous float32.
// Returns the sum over all elements of BCE-with-logits(logits, x) = softplus(l) - l x, the
// negative Bernoulli log-likelihood, and sets grad = sigmoid(logits) - x, its gradient.
double bernoulli_nll_and_grad(const torch::Tensor& logits, const torch::Tensor& x,
                              torch::Tensor& grad);
// Returns the sum of (out - x)^2 and sets residual = out - x (half its gradient).
double squared_error_and_residual(const torch::Tensor& out, const torch::Tensor& x,
                                  torch::Tensor& residual);
// Per row: sum_j (sigmoid(out[r, j]) - x[r, j])^2, or without the sigmoid: [rows].
torch::Tensor squared_error_rows(const torch::Tensor& out, const torch::Tensor& x, bool sigmoid);
// Returns the sum of v^2 (v contiguous float32).
double sum_of_squares(const torch::Tensor& v);

}  // namespace latentkit
