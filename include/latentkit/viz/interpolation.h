#pragma once
// Paths between two codes and the picture of their decodings: a linear and a spherical row
// between the reconstructions of two inputs, with the inputs themselves at either end.
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "latentkit/data/preprocess.h"
#include "latentkit/models/model.h"

namespace latentkit {

// z0, z1: [L] -> [steps, L], row k = z0 + t_k (z1 - z0) with t_k = k / (steps - 1); steps >= 2.
torch::Tensor linear_path(const torch::Tensor& z0, const torch::Tensor& z1, int64_t steps);

// z0, z1: [L] -> [steps, L], spherical linear interpolation (Shoemake 1985; White 2016 for
// latent spaces): row k = sin((1 - t_k) Ω) / sin Ω · z0 + sin(t_k Ω) / sin Ω · z1 with Ω the
// angle between z0 and z1. Equal steps of angle between unit vectors, whose norm it keeps.
// Falls back to linear_path when sin Ω < 1e-6 (parallel or opposite codes, or a zero code).
// Computed in float64, returned in z0's dtype.
torch::Tensor slerp_path(const torch::Tensor& z0, const torch::Tensor& z1, int64_t steps);

// A labelled row of images: images [K, C*H*W] pixel values in [0, 1].
struct ImageRow {
  std::string label;
  torch::Tensor images;
};

// Writes the rows one under another, each between the two inputs (inputs: [2, C*H*W] in
// [0, 1], captioned by input_captions, whose lines may be split by '\n'), with the row labels on
// the left and `title` above. Every row must have the same number of images.
void write_interpolation(const torch::Tensor& inputs, const std::vector<std::string>& input_captions,
                         const std::vector<ImageRow>& rows, const std::vector<int64_t>& image_shape,
                         const std::string& title, const std::string& png_path);

// x: [2, D] two inputs in model space (y: [2] labels for conditional models, else undefined).
// Encodes both, decodes linear_path and slerp_path of `steps` codes between them (so the ends
// are the reconstructions; a conditional model decodes the whole path with the first input's
// label), maps everything to pixels through `preprocess` (raw levels / 255) and writes the
// picture with the rows "linear" and "spherical".
void write_model_interpolation(Model& model, const Preprocessor& preprocess,
                               const std::vector<int64_t>& image_shape, const torch::Tensor& x,
                               const torch::Tensor& y, const std::vector<std::string>& input_captions,
                               int64_t steps, const std::string& title, const std::string& png_path);

}  // namespace latentkit
