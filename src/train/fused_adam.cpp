#include "latentkit/train/fused_adam.h"

#include <ATen/Parallel.h>
#include <ATen/Dispatch.h>
#include <torch/types.h>

#include <cmath>
#include <sstream>
#include <string>
#include <type_traits>

namespace latentkit {
namespace {

// The key of a parameter in Optimizer::state_: its TensorImpl's address, as a string in
// LibTorch 1.x and as the pointer itself in 2.x.
template <typename Key>
Key fused_adam_state_key(const torch::Tensor& p) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream address;  // what c10::guts::to_string writes for a pointer
    address << p.unsafeGetTensorImpl();
    return address.str();
  } else {
    return p.unsafeGetTensorImpl();
  }
}

bool fusable(const torch::Tensor& p, const torch::Tensor& g) {
  return p.device().is_cpu() && p.is_contiguous() && g.is_contiguous() &&
         g.scalar_type() == p.scalar_type() &&
         (p.scalar_type() == torch::kFloat32 || p.scalar_type() == torch::kFloat64);
}

// Elements [0, n) of one tensor. One clone per instruction set, chosen at load time: with
// AVX-512 the square roots and divisions run 16 (float) lanes wide. Clang (14) has no clones of
// templates: there the loop is compiled for the build's target only.
#if defined(__clang__)
#define LATENTKIT_ADAM_CLONES
#else
#define LATENTKIT_ADAM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
template <typename T, bool kWeightDecay>
LATENTKIT_ADAM_CLONES
void fused_adam_range(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v,
                      int64_t n, T beta1, T beta2, T weight_decay, T eps, T step_size,
                      T inv_sqrt_bc2) {
  const T one_minus_b1 = T(1) - beta1, one_minus_b2 = T(1) - beta2;
  for (int64_t i = 0; i < n; ++i) {
    const T grad = kWeightDecay ? g[i] + weight_decay * p[i] : g[i];
    const T mi = m[i] * beta1 + one_minus_b1 * grad;
    const T vi = v[i] * beta2 + one_minus_b2 * grad * grad;
    m[i] = mi;
    v[i] = vi;
    p[i] -= step_size * mi / (std::sqrt(vi) * inv_sqrt_bc2 + eps);
  }
}

template <typename T, bool kWeightDecay>
void fused_adam_update(T* p, const T* g, T* m, T* v, int64_t n, T beta1, T beta2, T weight_decay,
                       T eps, T step_size, T inv_sqrt_bc2) {
  at::parallel_for(0, n, 1 << 15, [&](int64_t begin, int64_t end) {
    fused_adam_range<T, kWeightDecay>(p + begin, g + begin, m + begin, v + begin, end - begin,
                                      beta1, beta2, weight_decay, eps, step_size, inv_sqrt_bc2);
  });
}

}  // namespace

torch::Tensor FusedAdam::step(LossClosure closure) {
  torch::Tensor loss = {};
  if (closure != nullptr) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  if (before_update_) {
    std::vector<torch::Tensor> with_grad;
    for (auto& group : param_groups_)
      for (auto& p : group.params())
        if (p.grad().defined()) with_grad.push_back(p);
    before_update_(with_grad);
  }
  // Anything the loop below cannot take (CUDA tensors, amsgrad) goes through the reference.
  for (auto& group : param_groups_)
    for (auto& p : group.params())
      if (p.grad().defined() && (static_cast<torch::optim::AdamOptions&>(group.options()).amsgrad() ||
                                 !fusable(p, p.grad()))) {
        torch::optim::Adam::step(nullptr);
        return loss;
      }
  torch::NoGradGuard no_grad;
  using Key = typename std::decay_t<decltype(state_)>::key_type;
  for (auto& group : param_groups_) {
    auto& options = static_cast<torch::optim::AdamOptions&>(group.options());
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      const auto& grad = p.grad();
      const Key key = fused_adam_state_key<Key>(p);
      auto it = state_.find(key);
      if (it == state_.end()) {
        auto st = std::make_unique<torch::optim::AdamParamState>();
        st->step(0);
        st->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Contiguous));
        st->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Contiguous));
        it = state_.emplace(key, std::move(st)).first;
      }
      auto& st = static_cast<torch::optim::AdamParamState&>(*it->second);
      st.step(st.step() + 1);
      const double b1 = std::get<0>(options.betas()), b2 = std::get<1>(options.betas());
      const double bc1 = 1 - std::pow(b1, st.step()), bc2 = 1 - std::pow(b2, st.step());
      // A loaded checkpoint's moments may come in another layout.
      if (!st.exp_avg().is_contiguous()) st.exp_avg(st.exp_avg().contiguous());
      if (!st.exp_avg_sq().is_contiguous()) st.exp_avg_sq(st.exp_avg_sq().contiguous());
      torch::Tensor m = st.exp_avg(), v = st.exp_avg_sq();
      AT_DISPATCH_FLOATING_TYPES(p.scalar_type(), "fused_adam", [&] {
        auto update = options.weight_decay() != 0 ? fused_adam_update<scalar_t, true>
                                                  : fused_adam_update<scalar_t, false>;
        update(p.data_ptr<scalar_t>(), grad.data_ptr<scalar_t>(), m.data_ptr<scalar_t>(),
               v.data_ptr<scalar_t>(), p.numel(), static_cast<scalar_t>(b1),
               static_cast<scalar_t>(b2), static_cast<scalar_t>(options.weight_decay()),
               static_cast<scalar_t>(options.eps()), static_cast<scalar_t>(options.lr() / bc1),
               static_cast<scalar_t>(1.0 / std::sqrt(bc2)));
      });
    }
  }
  return loss;
}

}  // namespace latentkit
