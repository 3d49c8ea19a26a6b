#include "latentkit/viz/interpolation.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "latentkit/error.h"
#include "latentkit/eval/batched.h"
#include "latentkit/viz/canvas.h"

namespace latentkit {
namespace {

constexpr double kPathTitleSize = 17;
constexpr double kPathLabelSize = 15;
constexpr double kPathCaptionSize = 12;
constexpr Color kPathText{20, 20, 20};
constexpr int kPathGap = 18;  // between an input and the row it starts or ends

void check_path_ends(const torch::Tensor& z0, const torch::Tensor& z1, int64_t steps) {
  if (!z0.defined() || !z1.defined() || z0.dim() != 1 || z1.dim() != 1 || z0.size(0) != z1.size(0))
    fail("interpolation", "the two codes must be vectors [L] of the same length");
  if (steps < 2) fail("interpolation", "steps must be >= 2, got " + std::to_string(steps));
}

// t_k = k / (steps - 1) as a [steps, 1] float64 column.
torch::Tensor path_times(int64_t steps, const torch::Device& device) {
  return torch::linspace(0.0, 1.0, steps, torch::TensorOptions().dtype(torch::kFloat64).device(device))
      .unsqueeze(1);
}

std::vector<std::string> path_caption_lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

uint8_t path_byte(float v) {
  if (!(v > 0.0f)) return 0;
  if (v >= 1.0f) return 255;
  return static_cast<uint8_t>(std::lround(v * 255.0));
}

// Draws image i of `images` ([K, C*H*W], channel-major) at (x, y), scaled.
void path_draw_image(Canvas& canvas, const torch::Tensor& images, int64_t i,
                     const std::vector<int64_t>& shape, int x, int y, int scale) {
  const int64_t ch = shape[0], h = shape[1], w = shape[2];
  const float* img = images.data_ptr<float>() + i * ch * h * w;
  std::vector<uint8_t> tile(static_cast<size_t>(ch * h * w));
  for (int64_t p = 0; p < h * w; ++p)
    for (int64_t k = 0; k < ch; ++k) tile[p * ch + k] = path_byte(img[k * h * w + p]);
  canvas.blit(tile.data(), static_cast<int>(w), static_cast<int>(h), static_cast<int>(ch), x, y, scale);
}

}  // namespace

torch::Tensor linear_path(const torch::Tensor& z0, const torch::Tensor& z1, int64_t steps) {
  check_path_ends(z0, z1, steps);
  const torch::Tensor a = z0.to(torch::kFloat64), b = z1.to(torch::kFloat64);
  const torch::Tensor t = path_times(steps, z0.device());
  return (a.unsqueeze(0) + t * (b - a).unsqueeze(0)).to(z0.scalar_type());
}

torch::Tensor slerp_path(const torch::Tensor& z0, const torch::Tensor& z1, int64_t steps) {
  check_path_ends(z0, z1, steps);
  const torch::Tensor a = z0.to(torch::kFloat64), b = z1.to(torch::kFloat64);
  const double na = a.norm().item<double>(), nb = b.norm().item<double>();
  if (na == 0 || nb == 0) return linear_path(z0, z1, steps);
  const double cos_omega = std::clamp((a * b).sum().item<double>() / (na * nb), -1.0, 1.0);
  const double omega = std::acos(cos_omega);
  const double sin_omega = std::sin(omega);
  if (sin_omega < 1e-6) return linear_path(z0, z1, steps);
  const torch::Tensor t = path_times(steps, z0.device());
  const torch::Tensor wa = torch::sin((1 - t) * omega) / sin_omega;  // [steps, 1]
  const torch::Tensor wb = torch::sin(t * omega) / sin_omega;
  return (wa * a.unsqueeze(0) + wb * b.unsqueeze(0)).to(z0.scalar_type());
}

void write_interpolation(const torch::Tensor& inputs, const std::vector<std::string>& input_captions,
                         const std::vector<ImageRow>& rows, const std::vector<int64_t>& image_shape,
                         const std::string& title, const std::string& png_path) {
  if (image_shape.size() != 3 || (image_shape[0] != 1 && image_shape[0] != 3))
    fail("interpolation", "image shape must be {C, H, W} with C = 1 or 3");
  const int64_t d = image_shape[0] * image_shape[1] * image_shape[2];
  if (!inputs.defined() || inputs.dim() != 2 || inputs.size(0) != 2 || inputs.size(1) != d)
    fail("interpolation", "inputs must be [2, " + std::to_string(d) + "]");
  if (input_captions.size() != 2) fail("interpolation", "needs one caption per input");
  if (rows.empty()) fail("interpolation", "no rows to draw");
  const int64_t k = rows[0].images.defined() ? rows[0].images.size(0) : 0;
  for (const ImageRow& r : rows)
    if (!r.images.defined() || r.images.dim() != 2 || r.images.size(0) != k || r.images.size(1) != d || k < 1)
      fail("interpolation", "every row must be [K, " + std::to_string(d) + "] with the same K >= 1");

  const int h = static_cast<int>(image_shape[1]), w = static_cast<int>(image_shape[2]);
  const int scale = std::max(1, 64 / std::max(h, w));
  const int cw = w * scale, chh = h * scale, pad = 4;
  int label_w = 0;
  for (const ImageRow& r : rows) label_w = std::max(label_w, Canvas::text_size(r.label, kPathLabelSize).first);
  size_t caption_lines = 1;
  for (const auto& c : input_captions) caption_lines = std::max(caption_lines, path_caption_lines(c).size());
  const int line_h = Canvas::text_size("Ag", kPathCaptionSize).second;

  const int left = 14 + label_w + 14;
  const int row_w = static_cast<int>(k) * (cw + pad) - pad;
  const int top = (title.empty() ? 12 : static_cast<int>(kPathTitleSize) + 26) +
                  static_cast<int>(caption_lines) * line_h + 6;
  const int width = left + cw + kPathGap + row_w + kPathGap + cw + 14;
  const int height = top + static_cast<int>(rows.size()) * (chh + pad) - pad + line_h + 20;
  Canvas canvas(width, height, kWhite);
  if (!title.empty())
    canvas.text(title, width / 2.0, 10, kPathTitleSize, kPathText, HAlign::Center, VAlign::Top);

  const torch::Tensor in = inputs.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  const int in_x[2] = {left, left + cw + kPathGap + row_w + kPathGap};
  const int rows_h = static_cast<int>(rows.size()) * (chh + pad) - pad;
  for (int e = 0; e < 2; ++e) {
    const auto lines = path_caption_lines(input_captions[e]);
    for (size_t l = 0; l < lines.size(); ++l)
      canvas.text(lines[l], in_x[e] + cw / 2.0, top - 6.0 - static_cast<double>(lines.size() - l) * line_h,
                  kPathCaptionSize, kPathText, HAlign::Center, VAlign::Top);
    // The inputs stand once, centred on the rows' height.
    path_draw_image(canvas, in, e, image_shape, in_x[e], top + (rows_h - chh) / 2, scale);
  }
  const int row_x = left + cw + kPathGap;
  for (size_t r = 0; r < rows.size(); ++r) {
    const torch::Tensor imgs = rows[r].images.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    const int y = top + static_cast<int>(r) * (chh + pad);
    canvas.text(rows[r].label, left - 14, y + chh / 2.0, kPathLabelSize, kPathText, HAlign::Right, VAlign::Middle);
    for (int64_t i = 0; i < k; ++i)
      path_draw_image(canvas, imgs, i, image_shape, row_x + static_cast<int>(i) * (cw + pad), y, scale);
  }
  // The path's parameter under its ends.
  const int ty = top + rows_h + 6;
  canvas.text("t = 0", row_x + cw / 2.0, ty, kPathCaptionSize, kPathText, HAlign::Center, VAlign::Top);
  canvas.text("t = 1", row_x + row_w - cw / 2.0, ty, kPathCaptionSize, kPathText, HAlign::Center, VAlign::Top);
  canvas.save_png(png_path);
}

void write_model_interpolation(Model& model, const Preprocessor& preprocess,
                               const std::vector<int64_t>& image_shape, const torch::Tensor& x,
                               const torch::Tensor& y, const std::vector<std::string>& input_captions,
                               int64_t steps, const std::string& title, const std::string& png_path) {
  if (image_shape.size() != 3) fail("interpolation", "needs an image model; this one is tabular");
  if (!x.defined() || x.dim() != 2 || x.size(0) != 2) fail("interpolation", "needs two inputs [2, D]");
  const torch::Tensor z = encode_batched(model, x, y);  // [2, L]
  const torch::Tensor path_y = y.defined() ? y.narrow(0, 0, 1).expand({steps}).contiguous() : torch::Tensor();
  const auto to_pixels = [&](const torch::Tensor& m) {
    return preprocess.invert(m.detach().cpu().to(torch::kFloat32)) / 255.0;
  };
  std::vector<ImageRow> rows;
  rows.push_back({"linear", to_pixels(decode_batched(model, linear_path(z[0], z[1], steps), path_y))});
  rows.push_back({"spherical", to_pixels(decode_batched(model, slerp_path(z[0], z[1], steps), path_y))});
  write_interpolation(to_pixels(x), input_captions, rows, image_shape, title, png_path);
}

}  // namespace latentkit
