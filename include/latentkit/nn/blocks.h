#pragma once
// Reusable encoder and decoder blocks. Each maps [B, in] -> [B, out] so models need not know
// whether they sit on an MLP or a convolutional network.
#include <torch/nn/modules/container/sequential.h>

#include <cstdint>
#include <string>
#include <vector>

namespace latentkit {

// Every builder takes an optional `dropout` rate: when > 0, a torch::nn::Dropout follows each
// hidden activation (active only in training mode); 0 adds no module at all.

// Linear layers with `activation` between them (none after the last):
// [B, in] -> hidden[0] -> ... -> [B, out].
torch::nn::Sequential make_mlp(int64_t in, const std::vector<int64_t>& hidden, int64_t out,
                               const std::string& activation, double dropout = 0.0);

// Convolutional encoder for images of shape {C, H, W}: stride-2 4×4 convolutions with
// `channels[i]` output channels (each halves H and W), then a linear layer.
// [B, C*H*W] -> [B, out]. H and W must be divisible by 2^len(channels).
torch::nn::Sequential make_conv_encoder(const std::vector<int64_t>& image_shape,
                                        const std::vector<int64_t>& channels, int64_t out,
                                        const std::string& activation, double dropout = 0.0);

// The mirror image: a linear layer, then stride-2 transposed convolutions back to {C, H, W}.
// [B, in] -> [B, C*H*W] (no output activation: the model applies its likelihood's link).
torch::nn::Sequential make_conv_decoder(int64_t in, const std::vector<int64_t>& channels,
                                        const std::vector<int64_t>& image_shape,
                                        const std::string& activation, double dropout = 0.0);

}  // namespace latentkit
