#pragma once
// Test helper: an MLP forward pass in plain doubles and loops, reading the weights out of a
// Sequential of Linear layers, so model outputs can be checked without LibTorch's kernels.
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <vector>

namespace latentkit::testing {

using Matrix = std::vector<std::vector<double>>;  // [rows][cols]

inline Matrix to_matrix(const torch::Tensor& t2d) {
  auto t = t2d.to(torch::kCPU, torch::kFloat64).contiguous();
  Matrix m(t.size(0), std::vector<double>(t.size(1)));
  auto a = t.accessor<double, 2>();
  for (int64_t i = 0; i < t.size(0); ++i)
    for (int64_t j = 0; j < t.size(1); ++j) m[i][j] = a[i][j];
  return m;
}

struct HandLayer {
  Matrix w;                // [out][in]
  std::vector<double> b;   // [out]
};

// The Linear layers of `seq`, in order. Assumes an MLP (Linear, act, Linear, ..., Linear).
inline std::vector<HandLayer> linear_layers(torch::nn::Sequential& seq) {
  std::vector<HandLayer> layers;
  for (const auto& m : seq->children()) {
    if (auto* lin = m->as<torch::nn::Linear>()) {
      auto b = lin->bias.to(torch::kCPU, torch::kFloat64).contiguous();
      layers.push_back({to_matrix(lin->weight.detach()),
                        std::vector<double>(b.data_ptr<double>(), b.data_ptr<double>() + b.numel())});
    }
  }
  return layers;
}

// x: [in] -> [out], `act` between layers and not after the last.
inline std::vector<double> hand_forward(const std::vector<HandLayer>& layers,
                                        std::vector<double> x,
                                        const std::function<double(double)>& act) {
  for (size_t k = 0; k < layers.size(); ++k) {
    const auto& L = layers[k];
    std::vector<double> y(L.b);
    for (size_t i = 0; i < y.size(); ++i)
      for (size_t j = 0; j < x.size(); ++j) y[i] += L.w[i][j] * x[j];
    if (k + 1 < layers.size())
      for (double& v : y) v = act(v);
    x = std::move(y);
  }
  return x;
}

// Binary cross-entropy of a logit l against target t, written out: -[t log s(l) + (1-t) log(1-s(l))].
inline double hand_bce(double l, double t) {
  const double s = 1 / (1 + std::exp(-l));
  return -(t * std::log(s) + (1 - t) * std::log(1 - s));
}

}  // namespace latentkit::testing
