#include "latentkit/viz/manifold.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "latentkit/error.h"
#include "latentkit/eval/batched.h"
#include "latentkit/viz/canvas.h"

namespace latentkit {
namespace {

constexpr double kManifoldTitleSize = 17;
constexpr double kManifoldLabelSize = 15;
constexpr double kManifoldTickSize = 12;
constexpr Color kManifoldText{20, 20, 20};
constexpr int kManifoldTargetSide = 640;  // images are scaled up by whole factors towards this

std::string manifold_tick(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", std::abs(v) < 5e-3 ? 0.0 : v);
  return buf;
}

uint8_t manifold_byte(float v) {
  if (!(v > 0.0f)) return 0;
  if (v >= 1.0f) return 255;
  return static_cast<uint8_t>(std::lround(v * 255.0));
}

}  // namespace

double normal_quantile(double p) {
  if (std::isnan(p) || p < 0 || p > 1) return std::numeric_limits<double>::quiet_NaN();
  if (p == 0) return -std::numeric_limits<double>::infinity();
  if (p == 1) return std::numeric_limits<double>::infinity();
  // P. J. Acklam's approximation (relative error below 1.15e-9).
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01,  -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  const double low = 0.02425;
  double x;
  if (p < low) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - low) {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // One Halley step on f(x) = Φ(x) - p.
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

std::vector<double> manifold_coordinates(int64_t n) {
  if (n < 1) fail("manifold", "grid size must be >= 1, got " + std::to_string(n));
  std::vector<double> out(n);
  for (int64_t i = 0; i < n; ++i) out[i] = normal_quantile((i + 0.5) / static_cast<double>(n));
  return out;
}

torch::Tensor manifold_codes(int64_t n) {
  const std::vector<double> coords = manifold_coordinates(n);
  torch::Tensor z = torch::empty({n * n, 2}, torch::kFloat32);
  auto acc = z.accessor<float, 2>();
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < n; ++c) {
      acc[r * n + c][0] = static_cast<float>(coords[c]);
      acc[r * n + c][1] = static_cast<float>(coords[n - 1 - r]);
    }
  return z;
}

void write_manifold(const torch::Tensor& images, const std::vector<int64_t>& image_shape,
                    int64_t n, const std::string& title, const std::string& png_path) {
  if (image_shape.size() != 3 || (image_shape[0] != 1 && image_shape[0] != 3))
    fail("manifold", "image shape must be {C, H, W} with C = 1 or 3");
  const int64_t ch = image_shape[0], h = image_shape[1], w = image_shape[2];
  if (!images.defined() || images.dim() != 2 || images.size(0) != n * n || images.size(1) != ch * h * w)
    fail("manifold", "images must be [" + std::to_string(n * n) + ", " + std::to_string(ch * h * w) + "]");
  const std::vector<double> coords = manifold_coordinates(n);
  const int scale = static_cast<int>(std::max<int64_t>(1, kManifoldTargetSide / (n * std::max(h, w))));
  const int cw = static_cast<int>(w) * scale, chh = static_cast<int>(h) * scale;

  // Labels every k-th row and column so that tick labels do not touch.
  int tick_w = 0;
  for (double v : coords) tick_w = std::max(tick_w, Canvas::text_size(manifold_tick(v), kManifoldTickSize).first);
  const int tick_h = Canvas::text_size("0", kManifoldTickSize).second;
  const int kx = std::max(1, (tick_w + 8 + cw - 1) / cw);
  const int ky = std::max(1, (tick_h + 4 + chh - 1) / chh);

  const int left = 12 + static_cast<int>(kManifoldLabelSize) + 10 + tick_w + 10;
  const int top = title.empty() ? 14 : static_cast<int>(kManifoldTitleSize) + 26;
  const int grid_w = cw * static_cast<int>(n), grid_h = chh * static_cast<int>(n);
  const int bottom_margin = 10 + tick_h + 10 + static_cast<int>(kManifoldLabelSize) + 14;
  Canvas canvas(left + grid_w + 24, top + grid_h + bottom_margin, kWhite);
  if (!title.empty())
    canvas.text(title, left + grid_w / 2.0, 10, kManifoldTitleSize, kManifoldText, HAlign::Center, VAlign::Top);

  const torch::Tensor cpu = images.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  const float* src = cpu.data_ptr<float>();
  std::vector<uint8_t> tile(static_cast<size_t>(h * w * ch));
  for (int64_t i = 0; i < n * n; ++i) {
    const float* img = src + i * ch * h * w;
    for (int64_t p = 0; p < h * w; ++p)
      for (int64_t k = 0; k < ch; ++k) tile[p * ch + k] = manifold_byte(img[k * h * w + p]);
    canvas.blit(tile.data(), static_cast<int>(w), static_cast<int>(h), static_cast<int>(ch),
                left + static_cast<int>(i % n) * cw, top + static_cast<int>(i / n) * chh, scale);
  }
  canvas.rect(left - 1, top - 1, left + grid_w + 1, top + grid_h + 1, Color{60, 60, 60});

  // Column c shows z1 = coords[c]; row r shows z2 = coords[n-1-r]. Ticks mark the cell centres.
  const Color axis{60, 60, 60};
  for (int64_t c = (n - 1) % kx / 2; c < n; c += kx) {
    const int x = left + static_cast<int>(c) * cw + cw / 2;
    canvas.fill_rect(x, top + grid_h + 1, x + 1, top + grid_h + 6, axis);
    canvas.text(manifold_tick(coords[c]), x + 0.5, top + grid_h + 8, kManifoldTickSize, kManifoldText,
                HAlign::Center, VAlign::Top);
  }
  for (int64_t r = (n - 1) % ky / 2; r < n; r += ky) {
    const int y = top + static_cast<int>(r) * chh + chh / 2;
    canvas.fill_rect(left - 6, y, left - 1, y + 1, axis);
    canvas.text(manifold_tick(coords[n - 1 - r]), left - 9, y + 0.5, kManifoldTickSize, kManifoldText,
                HAlign::Right, VAlign::Middle);
  }
  canvas.text("z1", left + grid_w / 2.0, canvas.height() - 8, kManifoldLabelSize, kManifoldText,
              HAlign::Center, VAlign::Bottom);
  canvas.text("z2", 10, top + grid_h / 2.0, kManifoldLabelSize, kManifoldText, HAlign::Left,
              VAlign::Middle, true);
  canvas.save_png(png_path);
}

void write_model_manifold(Model& model, const Preprocessor& preprocess,
                          const std::vector<int64_t>& image_shape, int64_t n,
                          const std::string& title, const std::string& png_path) {
  if (model.latent_dim() != 2)
    fail("manifold", "needs a model with a 2-D latent; this " + model.config().kind + " has " +
                         std::to_string(model.latent_dim()) + " latent dimensions");
  if (image_shape.size() != 3) fail("manifold", "needs an image model; this one is tabular");
  if (n < 1 || n > 100) fail("manifold", "grid size must be in [1, 100], got " + std::to_string(n));
  const torch::Device device = model.parameters().empty() ? torch::Device(torch::kCPU) : model.parameters()[0].device();
  const torch::Tensor x = decode_batched(model, manifold_codes(n).to(device));
  const torch::Tensor pixels = preprocess.invert(x.detach().cpu().to(torch::kFloat32)) / 255.0;
  write_manifold(pixels, image_shape, n, title, png_path);
}

}  // namespace latentkit
