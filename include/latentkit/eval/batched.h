#pragma once
// Whole-split passes through a model in fixed-size batches without autograd, so that encoding
// 60,000 images never holds one giant activation tensor. Shared by the commands that need every
// code of a split (encode, samplers fitted to codes, latent maps, comparisons).
#include <torch/types.h>

#include <cstdint>

#include "latentkit/models/model.h"

namespace latentkit {

// x: [N, D] -> codes [N, L]; y: [N] labels for conditional models, or undefined.
torch::Tensor encode_batched(Model& model, const torch::Tensor& x, const torch::Tensor& y = {},
                             int64_t batch_size = 1000);
// z: [N, L] -> [N, D] in model space; y as above.
torch::Tensor decode_batched(Model& model, const torch::Tensor& z, const torch::Tensor& y = {},
                             int64_t batch_size = 1000);

}  // namespace latentkit
