// Glow's invertible 1x1 convolution, plain and LU-decomposed (see invertible_conv.h).
#include "latentkit/flows/invertible_conv.h"

#include <torch/linalg.h>
#include <torch/torch.h>

namespace latentkit {

InvertibleConv::InvertibleConv(int64_t channels, bool lu) : lu_(lu) {
  // A random rotation: Q of the QR decomposition of a Gaussian matrix.
  auto q = std::get<0>(torch::linalg::qr(torch::randn({channels, channels})));
  if (!lu_) {
    w_ = register_parameter("weight", q);
    return;
  }
  auto [p, l, u] = torch::linalg::lu(q);
  auto diag = u.diagonal();
  p_ = register_buffer("p", p);
  sign_s_ = register_buffer("sign_s", torch::sign(diag));
  lower_mask_ = register_buffer("lower_mask", torch::tril(torch::ones({channels, channels}), -1));
  upper_mask_ = register_buffer("upper_mask", lower_mask_.t().clone());
  eye_ = register_buffer("eye", torch::eye(channels));
  lower_ = register_parameter("lower", l * lower_mask_);
  upper_ = register_parameter("upper", u * upper_mask_);
  log_s_ = register_parameter("log_s", torch::log(torch::abs(diag)));
}

// -> [C, C]
torch::Tensor InvertibleConv::weight() const {
  if (!lu_) return w_;
  auto l = lower_ * lower_mask_ + eye_;
  auto u = upper_ * upper_mask_ + torch::diag(sign_s_ * torch::exp(log_s_));
  return p_.matmul(l.matmul(u));
}

torch::Tensor InvertibleConv::log_abs_det() const {
  if (lu_) return log_s_.sum();
  return std::get<1>(torch::linalg::slogdet(w_));
}

// w: [C, C], x: [B, C] or [B, C, H, W] -> same shape
torch::Tensor InvertibleConv::apply(const torch::Tensor& w, const torch::Tensor& x) {
  if (x.dim() == 2) return x.matmul(w.t());
  return torch::conv2d(x, w.view({w.size(0), w.size(1), 1, 1}));
}

// x -> y, logdet: [B]
FlowOutput InvertibleConv::forward(const torch::Tensor& x) {
  const int64_t positions = x.numel() / (x.size(0) * x.size(1));
  auto logdet = (log_abs_det() * positions).expand({x.size(0)});
  return {apply(weight(), x), logdet};
}

torch::Tensor InvertibleConv::inverse(const torch::Tensor& y) {
  return apply(torch::linalg::inv(weight()), y);
}

}  // namespace latentkit
