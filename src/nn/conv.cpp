// Convolutional encoder / decoder pair for {C, H, W} images carried as flat [B, C*H*W] rows.
#include <torch/torch.h>

#include "latentkit/error.h"
#include "latentkit/nn/activation.h"
#include "latentkit/nn/blocks.h"

namespace latentkit {
namespace {

// Every layer is a stride-2, 4×4 kernel, padding-1 (transposed) convolution: that exact
// combination halves (doubles) H and W with no leftover pixels, so the decoder mirrors the
// encoder shape for shape.
constexpr int64_t kKernel = 4, kStride = 2, kPadding = 1;

struct Geometry {
  int64_t c, h, w;     // input image
  int64_t h_s, w_s;    // spatial size after all stride-2 layers
};

Geometry check_geometry(const std::vector<int64_t>& image_shape,
                        const std::vector<int64_t>& channels) {
  if (image_shape.size() != 3)
    fail("image_shape", "conv blocks need {C, H, W} (got " + std::to_string(image_shape.size()) +
                            " dimensions)");
  for (int64_t s : image_shape)
    if (s < 1) fail("image_shape", "sizes must be >= 1");
  for (int64_t c : channels)
    if (c < 1) fail("conv_channels", "channel counts must be >= 1 (got " + std::to_string(c) + ")");
  const int64_t factor = int64_t{1} << channels.size();
  const int64_t h = image_shape[1], w = image_shape[2];
  if (h % factor != 0 || w % factor != 0)
    fail("image_shape", "H and W (" + std::to_string(h) + "x" + std::to_string(w) +
                            ") must be divisible by 2^" + std::to_string(channels.size()) +
                            " for " + std::to_string(channels.size()) + " stride-2 layers");
  return {image_shape[0], h, w, h / factor, w / factor};
}

}  // namespace

// [B, C*H*W] -> unflatten [B, C, H, W] -> per layer i: conv -> [B, channels[i], H/2^(i+1), W/2^(i+1)]
// + activation -> flatten [B, channels.back()*H_s*W_s] -> Linear -> [B, out].
torch::nn::Sequential make_conv_encoder(const std::vector<int64_t>& image_shape,
                                        const std::vector<int64_t>& channels, int64_t out,
                                        const std::string& activation, double dropout) {
  const Geometry g = check_geometry(image_shape, channels);
  if (out < 1) fail("conv encoder", "output width must be >= 1");
  namespace nn = torch::nn;
  nn::Sequential seq;
  seq->push_back(nn::Unflatten(nn::UnflattenOptions(1, {g.c, g.h, g.w})));
  int64_t prev = g.c;
  for (int64_t ch : channels) {
    seq->push_back(
        nn::Conv2d(nn::Conv2dOptions(prev, ch, kKernel).stride(kStride).padding(kPadding)));
    seq->push_back(make_activation(activation));
    if (dropout > 0) seq->push_back(nn::Dropout(dropout));
    prev = ch;
  }
  seq->push_back(nn::Flatten());  // [B, prev, H_s, W_s] -> [B, prev*H_s*W_s]
  seq->push_back(nn::Linear(prev * g.h_s * g.w_s, out));
  return seq;
}

// [B, in] -> Linear -> [B, channels.back()*H_s*W_s] + activation -> unflatten
// [B, channels.back(), H_s, W_s] -> transposed convs through channels reversed, then C, each
// doubling H and W (activation between, none after the last) -> [B, C, H, W] -> flatten [B, C*H*W].
torch::nn::Sequential make_conv_decoder(int64_t in, const std::vector<int64_t>& channels,
                                        const std::vector<int64_t>& image_shape,
                                        const std::string& activation, double dropout) {
  const Geometry g = check_geometry(image_shape, channels);
  if (in < 1) fail("conv decoder", "input width must be >= 1");
  namespace nn = torch::nn;
  nn::Sequential seq;
  const int64_t top = channels.empty() ? g.c : channels.back();
  seq->push_back(nn::Linear(in, top * g.h_s * g.w_s));
  // With no conv layers the Linear is the output layer and gets no activation.
  if (!channels.empty()) {
    seq->push_back(make_activation(activation));
    if (dropout > 0) seq->push_back(nn::Dropout(dropout));
  }
  seq->push_back(nn::Unflatten(nn::UnflattenOptions(1, {top, g.h_s, g.w_s})));
  for (size_t i = channels.size(); i-- > 0;) {
    const int64_t next = i > 0 ? channels[i - 1] : g.c;
    seq->push_back(nn::ConvTranspose2d(
        nn::ConvTranspose2dOptions(channels[i], next, kKernel).stride(kStride).padding(kPadding)));
    if (i > 0) {
      seq->push_back(make_activation(activation));
      if (dropout > 0) seq->push_back(nn::Dropout(dropout));
    }
  }
  seq->push_back(nn::Flatten());
  return seq;
}

}  // namespace latentkit
