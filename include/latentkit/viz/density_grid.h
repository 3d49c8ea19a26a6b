#pragma once
// The density of a 2-D model on a regular grid, and a picture of it beside the data.
#include <string>

#include "latentkit/models/model.h"

namespace latentkit {

struct DensityGrid {
  torch::Tensor density;  // [G, G] float64: row r is y = hi_y - (r + 1/2) * step, column c is
                          // x = lo_x + (c + 1/2) * step (north up)
  double lo_x, lo_y, step;
  double cell_area() const { return step * step; }
};

// exp(model.log_likelihood) at the centres of a size x size grid of square cells covering
// [lo_x, lo_x + size * step] x [lo_y, lo_y + size * step]. The model must be 2-D with a likelihood.
DensityGrid density_on_grid(Model& model, double lo_x, double lo_y, double step, int64_t size);

// Writes a PNG of two panels: a histogram of `points` ([N, 2]) and the model's density, on the same
// grid: the points' bounding box with a margin of a quarter of its size.
void write_density_png(const std::string& path, Model& model, const torch::Tensor& points,
                       int64_t size = 128);

}  // namespace latentkit
