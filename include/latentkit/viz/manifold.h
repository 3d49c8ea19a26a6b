#pragma once
// The learned manifold of a model with a 2-D latent: decodings of a regular grid of codes,
// evenly spaced in probability under the standard-normal prior (Kingma & Welling, 2014, fig. 4).
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "latentkit/data/preprocess.h"
#include "latentkit/models/model.h"

namespace latentkit {

// Φ⁻¹(p), the standard-normal quantile, for p in (0, 1) (±infinity at 0 and 1, NaN outside):
// Acklam's rational approximation refined by one Halley step on Φ(x) = erfc(-x/√2)/2, to about
// 1e-15 relative.
double normal_quantile(double p);

// The n grid coordinates Φ⁻¹((i + 0.5) / n), i = 0..n-1, increasing (n >= 1).
std::vector<double> manifold_coordinates(int64_t n);

// -> z: [n*n, 2] float32, row-major over the picture: entry r*n + c has z1 = coords[c] and
// z2 = coords[n-1-r] (z2 grows upwards), coords = manifold_coordinates(n).
torch::Tensor manifold_codes(int64_t n);

// images: [n*n, C*H*W] pixel values in [0, 1], the decodings of manifold_codes(n) in that order;
// image_shape {C, H, W}. Writes them as an n×n grid with the title, the axes "z1" and "z2" and
// tick labels showing the z values of the rows and columns. Throws InputError on mismatched
// shapes.
void write_manifold(const torch::Tensor& images, const std::vector<int64_t>& image_shape,
                    int64_t n, const std::string& title, const std::string& png_path);

// Decodes manifold_codes(n) with `model` (whose latent must be 2-D), maps the decodings back to
// pixels through `preprocess` (raw levels / 255) and writes them as above. Throws InputError
// for a model whose latent is not 2-D, or without an image shape.
void write_model_manifold(Model& model, const Preprocessor& preprocess,
                          const std::vector<int64_t>& image_shape, int64_t n,
                          const std::string& title, const std::string& png_path);

}  // namespace latentkit
