#include "latentkit/viz/canvas.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "latentkit/error.h"
#include "latentkit/util/atomic_file.h"
#include "latentkit/viz/font.h"
#include "latentkit/viz/image_grid.h"

namespace latentkit {
namespace {

constexpr int kMaxCanvasSide = 16384;

// Distance from (px, py) to the segment (x0, y0)-(x1, y1).
double canvas_segment_distance(double px, double py, double x0, double y0, double x1, double y1) {
  const double dx = x1 - x0, dy = y1 - y0;
  const double len2 = dx * dx + dy * dy;
  double t = len2 > 0 ? ((px - x0) * dx + (py - y0) * dy) / len2 : 0.0;
  t = std::clamp(t, 0.0, 1.0);
  const double ex = px - (x0 + t * dx), ey = py - (y0 + t * dy);
  return std::sqrt(ex * ex + ey * ey);
}

}  // namespace

Canvas::Canvas(int width, int height, Color background)
    : width_(width), height_(height), cx1_(width), cy1_(height) {
  if (width < 1 || height < 1 || width > kMaxCanvasSide || height > kMaxCanvasSide)
    fail("canvas", "size " + std::to_string(width) + "x" + std::to_string(height) +
                       " is outside [1, " + std::to_string(kMaxCanvasSide) + "]");
  rgb_.resize(static_cast<size_t>(width) * height * 3);
  fill(background);
}

Color Canvas::pixel(int x, int y) const {
  const size_t i = (static_cast<size_t>(y) * width_ + x) * 3;
  return Color{rgb_.at(i), rgb_.at(i + 1), rgb_.at(i + 2)};
}

void Canvas::fill(Color c) {
  for (size_t i = 0; i < rgb_.size(); i += 3) {
    rgb_[i] = c.r;
    rgb_[i + 1] = c.g;
    rgb_[i + 2] = c.b;
  }
}

void Canvas::blend(int x, int y, Color c, double alpha) {
  if (!inside(x, y) || !(alpha > 0)) return;
  alpha = std::min(alpha, 1.0);
  uint8_t* p = rgb_.data() + (static_cast<size_t>(y) * width_ + x) * 3;
  const uint8_t src[3] = {c.r, c.g, c.b};
  for (int k = 0; k < 3; ++k)
    p[k] = static_cast<uint8_t>(std::lround(p[k] + alpha * (src[k] - p[k])));
}

void Canvas::fill_rect(int x0, int y0, int x1, int y1, Color c, double alpha) {
  for (int y = std::max(0, y0); y < std::min(height_, y1); ++y)
    for (int x = std::max(0, x0); x < std::min(width_, x1); ++x) blend(x, y, c, alpha);
}

void Canvas::rect(int x0, int y0, int x1, int y1, Color c, int thickness) {
  fill_rect(x0, y0, x1, y0 + thickness, c);
  fill_rect(x0, y1 - thickness, x1, y1, c);
  fill_rect(x0, y0, x0 + thickness, y1, c);
  fill_rect(x1 - thickness, y0, x1, y1, c);
}

void Canvas::line(double x0, double y0, double x1, double y1, Color c, double width) {
  polyline({{x0, y0}, {x1, y1}}, c, width);
}

void Canvas::polyline(const std::vector<std::pair<double, double>>& points, Color c, double width) {
  // A pixel's coverage is its best over the segments, so that joints are not painted twice.
  const double half = width / 2.0;
  std::vector<float> cover(static_cast<size_t>(width_) * height_, 0.0f);
  int xmin = width_, xmax = -1, ymin = height_, ymax = -1;
  for (size_t i = 0; i < points.size(); ++i) {
    const auto [x0, y0] = points[i];
    const auto [x1, y1] = i + 1 < points.size() ? points[i + 1] : points[i];
    if (!std::isfinite(x0) || !std::isfinite(y0) || !std::isfinite(x1) || !std::isfinite(y1)) continue;
    if (i + 1 == points.size() && points.size() > 1) break;  // the last point ends a segment
    const int xa = std::max(0, static_cast<int>(std::floor(std::min(x0, x1) - half - 1)));
    const int xb = std::min(width_ - 1, static_cast<int>(std::ceil(std::max(x0, x1) + half + 1)));
    const int ya = std::max(0, static_cast<int>(std::floor(std::min(y0, y1) - half - 1)));
    const int yb = std::min(height_ - 1, static_cast<int>(std::ceil(std::max(y0, y1) + half + 1)));
    for (int y = ya; y <= yb; ++y)
      for (int x = xa; x <= xb; ++x) {
        const double d = canvas_segment_distance(x + 0.5, y + 0.5, x0, y0, x1, y1);
        float& cv = cover[static_cast<size_t>(y) * width_ + x];
        cv = std::max(cv, static_cast<float>(std::clamp(half + 0.5 - d, 0.0, 1.0)));
      }
    xmin = std::min(xmin, xa), xmax = std::max(xmax, xb);
    ymin = std::min(ymin, ya), ymax = std::max(ymax, yb);
  }
  for (int y = ymin; y <= ymax; ++y)
    for (int x = xmin; x <= xmax; ++x) blend(x, y, c, cover[static_cast<size_t>(y) * width_ + x]);
}

void Canvas::circle(double cx, double cy, double r, Color c, double alpha) {
  if (!std::isfinite(cx) || !std::isfinite(cy)) return;
  for (int y = std::max(0, static_cast<int>(std::floor(cy - r - 1)));
       y <= std::min(height_ - 1, static_cast<int>(std::ceil(cy + r + 1))); ++y)
    for (int x = std::max(0, static_cast<int>(std::floor(cx - r - 1)));
         x <= std::min(width_ - 1, static_cast<int>(std::ceil(cx + r + 1))); ++x) {
      const double d = std::hypot(x + 0.5 - cx, y + 0.5 - cy);
      blend(x, y, c, alpha * std::clamp(r + 0.5 - d, 0.0, 1.0));
    }
}

void Canvas::blit(const uint8_t* pixels, int w, int h, int channels, int x, int y, int scale) {
  if (channels != 1 && channels != 3) fail("canvas blit", "channels must be 1 or 3");
  for (int r = 0; r < h * scale; ++r)
    for (int col = 0; col < w * scale; ++col) {
      const int px = x + col, py = y + r;
      if (!inside(px, py)) continue;
      const uint8_t* s = pixels + (static_cast<size_t>(r / scale) * w + col / scale) * channels;
      uint8_t* d = rgb_.data() + (static_cast<size_t>(py) * width_ + px) * 3;
      for (int k = 0; k < 3; ++k) d[k] = s[channels == 3 ? k : 0];
    }
}

std::pair<int, int> Canvas::text_size(const std::string& s, double size) {
  const TextMask m = Font::standard().render(s, size);
  return {m.width, m.height};
}

void Canvas::text(const std::string& s, double x, double y, double size, Color c, HAlign h,
                  VAlign v, bool vertical) {
  const TextMask m = Font::standard().render(s, size);
  const int bw = vertical ? m.height : m.width;  // the (turned) box
  const int bh = vertical ? m.width : m.height;
  const double left = h == HAlign::Left ? x : h == HAlign::Center ? x - bw / 2.0 : x - bw;
  const double top = v == VAlign::Top ? y : v == VAlign::Middle ? y - bh / 2.0 : y - bh;
  const int ox = static_cast<int>(std::lround(left)), oy = static_cast<int>(std::lround(top));
  for (int r = 0; r < bh; ++r)
    for (int col = 0; col < bw; ++col) {
      // Turned anticlockwise: box pixel (col, r) shows mask row `col`, mask column width-1-r.
      const unsigned char a = vertical ? m.at(col, m.width - 1 - r) : m.at(r, col);
      if (a) blend(ox + col, oy + r, c, a / 255.0);
    }
}

void Canvas::clip(int x0, int y0, int x1, int y1) {
  cx0_ = std::clamp(x0, 0, width_);
  cy0_ = std::clamp(y0, 0, height_);
  cx1_ = std::clamp(x1, cx0_, width_);
  cy1_ = std::clamp(y1, cy0_, height_);
}

std::vector<unsigned char> Canvas::png() const {
  // A picture without colour (a manifold, an interpolation) is a third of the size as grey.
  std::vector<uint8_t> grey(static_cast<size_t>(width_) * height_);
  for (size_t i = 0; i < grey.size(); ++i) {
    const uint8_t* p = rgb_.data() + 3 * i;
    if (p[0] != p[1] || p[0] != p[2]) return encode_png(rgb_.data(), width_, height_, 3);
    grey[i] = p[0];
  }
  return encode_png(grey.data(), width_, height_, 1);
}

void Canvas::save_png(const std::string& path) const {
  const std::vector<unsigned char> bytes = png();
  write_file_atomic(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace latentkit
