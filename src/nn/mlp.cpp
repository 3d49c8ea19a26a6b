// Multilayer perceptrons: the default encoder and decoder of every model.
#include <torch/torch.h>

#include "latentkit/error.h"
#include "latentkit/nn/activation.h"
#include "latentkit/nn/blocks.h"

namespace latentkit {

// [B, in] -> [B, hidden[0]] -> ... -> [B, out]. No activation after the last layer: the model
// applies its own output link (sigmoid, identity, splitting into mean and log-variance...).
torch::nn::Sequential make_mlp(int64_t in, const std::vector<int64_t>& hidden, int64_t out,
                               const std::string& activation, double dropout) {
  if (in < 1) fail("mlp", "input width must be >= 1 (got " + std::to_string(in) + ")");
  if (out < 1) fail("mlp", "output width must be >= 1 (got " + std::to_string(out) + ")");
  for (int64_t h : hidden)
    if (h < 1) fail("hidden", "layer widths must be >= 1 (got " + std::to_string(h) + ")");
  if (!(dropout >= 0 && dropout < 1)) fail("dropout", "must be in [0, 1) (got " + std::to_string(dropout) + ")");

  torch::nn::Sequential seq;
  int64_t width = in;
  for (int64_t h : hidden) {
    seq->push_back(torch::nn::Linear(width, h));
    seq->push_back(make_activation(activation));
    if (dropout > 0) seq->push_back(torch::nn::Dropout(dropout));
    width = h;
  }
  seq->push_back(torch::nn::Linear(width, out));
  return seq;
}

}  // namespace latentkit
