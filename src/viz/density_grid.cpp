// 2-D densities on grids and their pictures (see density_grid.h).
#include "latentkit/viz/density_grid.h"

#include <torch/torch.h>

#include <algorithm>

#include "latentkit/viz/image_grid.h"

namespace latentkit {

DensityGrid density_on_grid(Model& model, double lo_x, double lo_y, double step, int64_t size) {
  torch::NoGradGuard no_grad;
  // Float32 points on the model's device; a model may hold only buffers (the Gaussian mixture).
  const auto params = model.parameters();
  const auto device = params.empty() ? model.buffers().front().device() : params.front().device();
  auto options = torch::TensorOptions().dtype(params.empty() ? torch::kFloat32 : params.front().scalar_type()).device(device);
  auto centres = (torch::arange(size, torch::kFloat64) + 0.5) * step;
  auto xs = (lo_x + centres).view({1, size}).expand({size, size});
  auto ys = (lo_y + centres).flip({0}).view({size, 1}).expand({size, size});  // north up
  auto points = torch::stack({xs.reshape(-1), ys.reshape(-1)}, 1).to(options);  // [G*G, 2]
  std::vector<torch::Tensor> chunks;
  for (int64_t s = 0; s < points.size(0); s += 8192)
    chunks.push_back(model.log_likelihood(points.narrow(0, s, std::min<int64_t>(8192, points.size(0) - s)), 1));
  auto density = torch::cat(chunks).to(torch::kFloat64).exp().view({size, size}).cpu();
  return {density, lo_x, lo_y, step};
}

void write_density_png(const std::string& path, Model& model, const torch::Tensor& points, int64_t size) {
  auto p = points.to(torch::kCPU, torch::kFloat64);
  auto lo = std::get<0>(p.min(0)), hi = std::get<0>(p.max(0));
  const double span = std::max((hi - lo).max().item<double>(), 1e-6) * 1.5;
  const double cx = ((lo + hi) / 2)[0].item<double>(), cy = ((lo + hi) / 2)[1].item<double>();
  const double step = span / static_cast<double>(size);
  DensityGrid grid = density_on_grid(model, cx - span / 2, cy - span / 2, step, size);
  // Histogram of the points on the same cells.
  auto col = ((p.select(1, 0) - grid.lo_x) / step).floor().to(torch::kLong);
  auto row = (static_cast<double>(size) - 1 - ((p.select(1, 1) - grid.lo_y) / step).floor()).to(torch::kLong);
  auto inside = (col >= 0) & (col < size) & (row >= 0) & (row < size);
  auto hist = torch::zeros({size * size}, torch::kFloat64);
  hist.index_add_(0, (row * size + col).masked_select(inside), torch::ones({inside.sum().item<int64_t>()}, torch::kFloat64));
  auto scaled = [](const torch::Tensor& t) { return t / std::max(t.max().item<double>(), 1e-300); };
  auto panels = torch::stack({scaled(hist), scaled(grid.density.reshape(-1))}).to(torch::kFloat32);
  write_image_grid(path, panels, {1, size, size}, 2);
}

}  // namespace latentkit
