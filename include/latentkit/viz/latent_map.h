#pragma once
// A latent map: the codes of a set of inputs as points in the plane, coloured by label.
#include <torch/types.h>

#include <string>
#include <vector>

namespace latentkit {

// The plane a latent map is drawn in. Codes of 2 dimensions are drawn as they are (axes "z1",
// "z2"); wider codes are projected on their first two principal components (axes "PC1", "PC2"
// with the fraction of the codes' variance each explains).
struct LatentProjection {
  torch::Tensor points;   // [N, 2] float64
  std::string x_label, y_label;
  bool pca = false;
};

// codes: [N, L] with N >= 2, L >= 2. Throws InputError for L < 2 or N < 2.
LatentProjection project_latent(const torch::Tensor& codes);

// Writes a scatter of project_latent(codes) to `png_path`. labels: [N] int64, or undefined (one
// colour, no legend); class_names[k] names label k in the legend (labels beyond it, or all of
// them when it is empty, are shown as numbers). `title` goes above the map.
void write_latent_map(const torch::Tensor& codes, const torch::Tensor& labels,
                      const std::vector<std::string>& class_names, const std::string& title,
                      const std::string& png_path);

}  // namespace latentkit
