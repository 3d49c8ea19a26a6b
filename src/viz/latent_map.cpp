#include "latentkit/viz/latent_map.h"

#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <map>

#include "latentkit/error.h"
#include "latentkit/stats/pca.h"
#include "latentkit/viz/chart.h"

namespace latentkit {
namespace {

constexpr int kLatentMapWidth = 900;
constexpr int kLatentMapHeight = 700;

std::string latent_axis_label(int k, double fraction) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "PC%d (%.1f%% of variance)", k, 100.0 * fraction);
  return buf;
}

}  // namespace

LatentProjection project_latent(const torch::Tensor& codes) {
  if (!codes.defined() || codes.dim() != 2)
    fail("latent map", "codes must be a 2-D tensor [N, L]");
  if (codes.size(1) < 2)
    fail("latent map", "needs codes of at least 2 dimensions, got " + std::to_string(codes.size(1)));
  if (codes.size(0) < 2) fail("latent map", "needs at least 2 codes, got " + std::to_string(codes.size(0)));
  const torch::Tensor z = codes.detach().to(torch::kCPU, torch::kFloat64);
  LatentProjection out;
  if (z.size(1) == 2) {
    out.points = z.contiguous();
    out.x_label = "z1";
    out.y_label = "z2";
    return out;
  }
  const PCA pca = PCA::fit(z, 2);
  const double total = z.var(0).sum().item<double>();
  out.points = pca.encode(z).to(torch::kFloat64).contiguous();
  out.x_label = latent_axis_label(1, pca.variances[0].item<double>() / total);
  out.y_label = latent_axis_label(2, pca.variances[1].item<double>() / total);
  out.pca = true;
  return out;
}

void write_latent_map(const torch::Tensor& codes, const torch::Tensor& labels,
                      const std::vector<std::string>& class_names, const std::string& title,
                      const std::string& png_path) {
  const LatentProjection proj = project_latent(codes);
  const int64_t n = proj.points.size(0);
  if (labels.defined() && (labels.dim() != 1 || labels.size(0) != n))
    fail("latent map", "labels must be [N] with N = " + std::to_string(n) + " codes");
  const double* xy = proj.points.data_ptr<double>();
  const torch::Tensor y = labels.defined() ? labels.to(torch::kCPU, torch::kInt64).contiguous() : torch::Tensor();
  const int64_t* lab = y.defined() ? y.data_ptr<int64_t>() : nullptr;

  // The points are drawn in the order of the codes (so no class is drawn wholly over another),
  // small and translucent so that dense regions show as solid colour; the legend has one entry
  // per label, in label order.
  std::map<int64_t, int> colour_of;  // label -> palette index
  if (y.defined())
    for (int64_t i = 0; i < n; ++i) colour_of.emplace(lab[i], 0);
  int index = 0;
  for (auto& [k, c] : colour_of) c = index++;
  Series points;
  points.line = false;
  points.marker_radius = n > 20000 ? 1.2 : n > 3000 ? 1.8 : 2.6;
  points.marker_alpha = n > 3000 ? 0.55 : 0.8;
  points.color = categorical_color(0);
  for (int64_t i = 0; i < n; ++i) {
    points.x.push_back(xy[2 * i]);
    points.y.push_back(xy[2 * i + 1]);
    if (y.defined()) points.point_colors.push_back(categorical_color(colour_of.at(lab[i])));
  }
  Panel p;
  p.title = title;
  p.x_label = proj.x_label;
  p.y_label = proj.y_label;
  p.legend = LegendPlace::Right;
  p.equal_aspect = true;  // both axes are in the same units (latent or principal coordinates)
  p.series.push_back(std::move(points));
  for (const auto& [k, c] : colour_of) {
    Series entry;  // a legend entry only
    entry.line = false;
    entry.marker_radius = 4.0;
    entry.color = categorical_color(c);
    entry.name = k >= 0 && k < static_cast<int64_t>(class_names.size()) ? class_names[k] : std::to_string(k);
    p.series.push_back(std::move(entry));
  }
  Canvas canvas(kLatentMapWidth, kLatentMapHeight, kWhite);
  draw_panel(canvas, p, 0, 0, kLatentMapWidth, kLatentMapHeight);
  canvas.save_png(png_path);
}

}  // namespace latentkit
