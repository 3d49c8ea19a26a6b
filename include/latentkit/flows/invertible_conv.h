#pragma once
// The invertible 1x1 convolution of Glow: a learned C x C matrix W applied to the channels at every
// position (for vectors, a learned invertible linear map of the D features).
//   y[:, :, i, j] = W x[:, :, i, j],   logdet = H*W * log|det W|.
// Two parameterisations:
//   plain: W itself; log|det W| from slogdet (O(C^3) per pass).
//   LU:    W = P L (U + diag(sign * exp(log_s))), P a fixed permutation, L unit lower-triangular,
//          U strictly upper-triangular; log|det W| = sum(log_s) (O(C)).
// Both start from the same random rotation, so the two can be compared.
#include "latentkit/flows/flow_layer.h"

namespace latentkit {

class InvertibleConv : public FlowLayer {
 public:
  // `channels`: C of x: [B, C, H, W] (or D of x: [B, D]); `lu`: the parameterisation.
  // The initial rotation is drawn from the global generator.
  InvertibleConv(int64_t channels, bool lu);
  // x -> y: same shape, logdet: [B]
  FlowOutput forward(const torch::Tensor& x) override;
  torch::Tensor inverse(const torch::Tensor& y) override;
  // -> [C, C], the current W.
  torch::Tensor weight() const;
  // -> 0-dim log|det W| (LU: sum(log_s); plain: slogdet).
  torch::Tensor log_abs_det() const;
  bool lu() const { return lu_; }

 private:
  // x: [B, C, ...] -> W applied to the channels.
  static torch::Tensor apply(const torch::Tensor& w, const torch::Tensor& x);

  bool lu_;
  torch::Tensor w_;                                        // plain: [C, C]
  torch::Tensor p_, lower_, upper_, log_s_, sign_s_;       // LU parts
  torch::Tensor lower_mask_, upper_mask_, eye_;            // buffers
};

}  // namespace latentkit
