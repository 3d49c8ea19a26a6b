// Hand-written forward and backward passes of ReLU MLPs; see fused_mlp.h.
#include "latentkit/nn/fused_mlp.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>

#include "fused_kernels.h"
#include "latentkit/nn/gemm.h"

namespace latentkit {

namespace {

// The tensor's .grad(), allocated (uninitialised) where it is missing or mis-shaped.
torch::Tensor& grad_buffer(const torch::Tensor& param) {
  torch::Tensor& g = param.mutable_grad();
  if (!g.defined() || g.sizes() != param.sizes()) g = torch::empty_like(param);
  return g;
}

// Layers of at most this many rows (single images) skip the matrix-product library.
constexpr int64_t kFewRows = 4;

// out = act(x W^T + b) for a few rows, the output columns split across the intra-op threads
// so that each thread's share of W stays in its core's cache from call to call.
void few_rows_layer(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                    torch::Tensor& out, bool relu) {
  const int64_t rows = x.size(0), n = weight.size(0), k = weight.size(1);
  const float* xp = x.data_ptr<float>();
  const float* wp = weight.data_ptr<float>();
  const float* bp = bias.data_ptr<float>();
  float* op = out.data_ptr<float>();
  // Splitting pays only when each thread gets a sizeable block of W.
  const int64_t grain = std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(k, 1));
  at::parallel_for(0, n, grain, [&](int64_t begin, int64_t end) {
    kernels::linear_few_rows(xp, wp, bp, op, rows, n, k, begin, end, relu);
  });
}

bool is_relu(const std::shared_ptr<torch::nn::Module>& m) {
  return dynamic_cast<const torch::nn::ReLUImpl*>(m.get()) != nullptr;
}

}  // namespace

bool FusedMlp::supports(const torch::nn::Sequential& mlp) {
  const auto modules = mlp->modules(/*include_self=*/false);
  if (modules.empty() || modules.size() % 2 == 0) return false;
  for (size_t i = 0; i < modules.size(); ++i) {
    if (i % 2 == 1) {
      if (!is_relu(modules[i])) return false;
      continue;
    }
    auto* linear = dynamic_cast<const torch::nn::LinearImpl*>(modules[i].get());
    if (!linear || !linear->bias.defined()) return false;
    for (const auto& p : {linear->weight, linear->bias})
      if (!p.device().is_cpu() || p.scalar_type() != torch::kFloat32 || !p.is_contiguous())
        return false;
  }
  return true;
}

FusedMlp::FusedMlp(const torch::nn::Sequential& mlp, GemmPrecision precision)
    : precision_(precision) {
  TORCH_CHECK(supports(mlp), "FusedMlp: not a ReLU MLP of float32 CPU Linear layers");
  for (const auto& m : mlp->modules(/*include_self=*/false))
    if (auto* linear = dynamic_cast<const torch::nn::LinearImpl*>(m.get()))
      layers_.push_back(Layer{linear->weight, linear->bias, {}});
}

void FusedMlp::product(bool ta, bool tb, float alpha, const torch::Tensor& a,
                       const torch::Tensor& b, torch::Tensor& c) {
  if (precision_ == GemmPrecision::kBFloat16) gemm_bf16(ta, tb, alpha, a, b, 0.0f, c);
  else gemm(ta, tb, alpha, a, b, 0.0f, c);
}

const torch::Tensor& FusedMlp::forward(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  TORCH_CHECK(x.dim() == 2 && x.is_contiguous() && x.scalar_type() == torch::kFloat32,
              "FusedMlp: contiguous float32 [B, in] input expected");
  const bool bf16 = precision_ == GemmPrecision::kBFloat16;
  const int64_t rows = x.size(0);
  inputs_.assign(1, x);
  inputs_bf16_.assign(1, bf16 ? x.to(torch::kBFloat16) : torch::Tensor());
  for (size_t i = 0; i < layers_.size(); ++i) {
    Layer& layer = layers_[i];
    const bool last = i + 1 == layers_.size();
    auto out = torch::empty({rows, layer.weight.size(0)}, x.options());
    if (rows <= kFewRows && !bf16) {
      few_rows_layer(inputs_[i], layer.weight, layer.bias, out, /*relu=*/!last);
    } else if (bf16) {
      // The weights changed since the last step: round them again.
      layer.weight_bf16 = layer.weight.to(torch::kBFloat16);
      product(false, true, 1.0f, inputs_bf16_[i], layer.weight_bf16, out);
    } else {
      product(false, true, 1.0f, inputs_[i], layer.weight, out);
    }
    if (rows > kFewRows || bf16)
      kernels::add_bias(out.data_ptr<float>(), layer.bias.data_ptr<float>(), rows, out.size(1),
                        /*relu=*/!last);
    if (last) {
      output_ = out;
    } else {
      inputs_.push_back(out);
      inputs_bf16_.push_back(bf16 ? out.to(torch::kBFloat16) : torch::Tensor());
    }
  }
  return output_;
}

void FusedMlp::backward(const torch::Tensor& dy, float scale, torch::Tensor* dx) {
  torch::NoGradGuard no_grad;
  TORCH_CHECK(output_.defined() && dy.sizes() == output_.sizes() && dy.is_contiguous() &&
                  dy.scalar_type() == torch::kFloat32,
              "FusedMlp: backward needs forward's output shape");
  const bool bf16 = precision_ == GemmPrecision::kBFloat16;
  torch::Tensor g = dy;
  kernels::column_sums(g.data_ptr<float>(), g.size(0), g.size(1), scale,
                       grad_buffer(layers_.back().bias).data_ptr<float>());
  for (size_t i = layers_.size(); i-- > 0;) {
    Layer& layer = layers_[i];
    const torch::Tensor gb = bf16 ? g.to(torch::kBFloat16) : g;
    // dS/dW = g^T input, dS/db = column sums of g (done by the pass before).
    product(true, false, scale, gb, bf16 ? inputs_bf16_[i] : inputs_[i], grad_buffer(layer.weight));
    if (i == 0 && !dx) break;
    auto next = torch::empty({g.size(0), layer.weight.size(1)}, g.options());
    product(false, false, 1.0f, gb, bf16 ? layer.weight_bf16 : layer.weight, next);
    if (i == 0) {
      *dx = next;
      break;
    }
    kernels::relu_backward_column_sums(next.data_ptr<float>(), inputs_[i].data_ptr<float>(),
                                       next.size(0), next.size(1), scale,
                                       grad_buffer(layers_[i - 1].bias).data_ptr<float>());
    g = next;
  }
}

namespace {
void check_same_layout(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& c) {
  for (const auto* t : {&a, &b, &c})
    TORCH_CHECK(t->is_contiguous() && t->device().is_cpu() && t->scalar_type() == torch::kFloat32,
                "fused output layer: contiguous float32 CPU tensors expected");
  TORCH_CHECK(a.sizes() == b.sizes() && a.sizes() == c.sizes(), "fused output layer: shapes differ");
}
}  // namespace

double bernoulli_nll_and_grad(const torch::Tensor& logits, const torch::Tensor& x,
                              torch::Tensor& grad) {
  check_same_layout(logits, x, grad);
  return kernels::bernoulli_nll_and_grad(logits.data_ptr<float>(), x.data_ptr<float>(),
                                         grad.data_ptr<float>(), logits.numel());
}

double squared_error_and_residual(const torch::Tensor& out, const torch::Tensor& x,
                                  torch::Tensor& residual) {
  check_same_layout(out, x, residual);
  return kernels::squared_error_and_residual(out.data_ptr<float>(), x.data_ptr<float>(),
                                             residual.data_ptr<float>(), out.numel());
}

torch::Tensor squared_error_rows(const torch::Tensor& out, const torch::Tensor& x, bool sigmoid) {
  auto errors = torch::empty({out.size(0)}, out.options());
  check_same_layout(out, x, out);
  TORCH_CHECK(out.dim() == 2, "squared_error_rows: [rows, D] expected");
  kernels::squared_error_rows(out.data_ptr<float>(), x.data_ptr<float>(), errors.data_ptr<float>(),
                              out.size(0), out.size(1), sigmoid);
  return errors;
}

double sum_of_squares(const torch::Tensor& v) {
  TORCH_CHECK(v.is_contiguous() && v.device().is_cpu() && v.scalar_type() == torch::kFloat32,
              "sum_of_squares: contiguous float32 CPU tensor expected");
  return kernels::sum_of_squares(v.data_ptr<float>(), v.numel());
}

namespace {
std::atomic<bool> fused_inference{true};
}  // namespace

void set_fused_inference(bool enabled) { fused_inference = enabled; }
bool fused_inference_enabled() { return fused_inference; }

// x: [B, in] -> [B, out]
torch::Tensor run_network(torch::nn::Sequential& net, const torch::Tensor& x) {
  if (fused_inference && !torch::GradMode::is_enabled() && x.device().is_cpu() && x.dim() == 2 &&
      x.scalar_type() == torch::kFloat32 && FusedMlp::supports(net)) {
    FusedMlp fused(net);
    return fused.forward(x.contiguous());
  }
  return net->forward(x);
}

}  // namespace latentkit
