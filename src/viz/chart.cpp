#include "latentkit/viz/chart.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "latentkit/error.h"
#include "latentkit/viz/ticks.h"

namespace latentkit {
namespace {

constexpr double kChartTitleSize = 17;
constexpr double kChartLabelSize = 14;
constexpr double kChartTickSize = 12;
constexpr double kChartLegendSize = 13;
constexpr Color kChartAxisColor{60, 60, 60};
constexpr Color kChartGridColor{232, 232, 232};
constexpr Color kChartTextColor{20, 20, 20};

// The data's extent along one coordinate, over every finite value of every series.
std::pair<double, double> chart_extent(const Panel& p, bool x_axis) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const Series& s : p.series) {
    const auto& v = x_axis ? s.x : s.y;
    for (size_t i = 0; i < v.size() && i < s.x.size() && i < s.y.size(); ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) lo = std::min(lo, v[i]), hi = std::max(hi, v[i]);
  }
  if (lo > hi) return {0.0, 1.0};
  return {lo, hi};
}

Ticks chart_axis_ticks(const Panel& p, bool x_axis, int target) {
  const auto& fixed = x_axis ? p.x_range : p.y_range;
  auto [lo, hi] = fixed ? *fixed : chart_extent(p, x_axis);
  if (!fixed) {  // a margin, so that no point sits on the frame
    const double pad = 0.03 * (hi - lo);
    lo -= pad;
    hi += pad;
  }
  Ticks t = nice_ticks(lo, hi, target);
  if (x_axis && p.x_integer_ticks && t.step < 1) {  // whole numbers only
    t.step = 1;
    t.lo = std::floor(t.lo);
    t.hi = std::ceil(t.hi);
    t.values.clear();
    for (double v = t.lo; v <= t.hi + 0.5; v += 1) t.values.push_back(v);
  }
  if (fixed) {  // keep the range asked for; show only the ticks inside it
    t.lo = fixed->first;
    t.hi = fixed->second;
    std::vector<double> inside;
    for (double v : t.values)
      if (v >= t.lo - 1e-9 * t.step && v <= t.hi + 1e-9 * t.step) inside.push_back(v);
    t.values = inside;
  }
  return t;
}

// Widens the ticks' range (keeping its centre) so that it spans `span` data units.
void chart_widen(Ticks& t, double span) {
  const double mid = (t.lo + t.hi) / 2;
  t.lo = mid - span / 2;
  t.hi = mid + span / 2;
  std::vector<double> inside;
  for (double k = std::ceil(t.lo / t.step - 1e-9); k * t.step <= t.hi + 1e-9 * t.step; k += 1)
    inside.push_back(k * t.step);
  t.values = inside;
}

std::vector<const Series*> chart_legend_entries(const Panel& p) {
  std::vector<const Series*> out;
  for (const Series& s : p.series)
    if (!s.name.empty()) out.push_back(&s);
  return out;
}

// Appends the points, and for lines samples every 3 pixels along each segment, to `out`.
void chart_sample_path(const std::vector<std::pair<double, double>>& pts, bool line,
                       std::vector<std::pair<double, double>>& out) {
  for (size_t i = 0; i < pts.size(); ++i) {
    out.push_back(pts[i]);
    if (!line || i + 1 == pts.size()) continue;
    const double dx = pts[i + 1].first - pts[i].first, dy = pts[i + 1].second - pts[i].second;
    const int n = static_cast<int>(std::hypot(dx, dy) / 3);
    for (int k = 1; k < n; ++k) out.emplace_back(pts[i].first + dx * k / n, pts[i].second + dy * k / n);
  }
}

int64_t chart_points_inside(const std::vector<std::pair<double, double>>& pts, int x0, int y0, int x1, int y1) {
  int64_t n = 0;
  for (const auto& [x, y] : pts) n += x >= x0 && x < x1 && y >= y0 && y < y1;
  return n;
}

// Draws the legend's swatches and names with its top-left corner at (x, y).
void chart_draw_legend(Canvas& c, const std::vector<const Series*>& entries, int x, int y,
                       int w, int row_h) {
  c.fill_rect(x, y, x + w, y + row_h * static_cast<int>(entries.size()) + 8, kWhite, 0.85);
  c.rect(x, y, x + w, y + row_h * static_cast<int>(entries.size()) + 8, Color{200, 200, 200});
  for (size_t i = 0; i < entries.size(); ++i) {
    const Series& s = *entries[i];
    const double cy = y + 4 + row_h * (i + 0.5);
    if (s.line) c.line(x + 6, cy, x + 26, cy, s.color, s.line_width);
    if (s.marker_radius > 0 || !s.line) c.circle(x + 16, cy, std::max(3.5, s.marker_radius), s.color);
    c.text(s.name, x + 32, cy, kChartLegendSize, kChartTextColor, HAlign::Left, VAlign::Middle);
  }
}

}  // namespace

Color categorical_color(int i) {
  static const Color palette[10] = {
      {31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},  {148, 103, 189},
      {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};
  return palette[((i % 10) + 10) % 10];
}

void draw_panel(Canvas& c, const Panel& p, int x, int y, int w, int h) {
  const auto entries = chart_legend_entries(p);
  const int row_h = static_cast<int>(kChartLegendSize) + 6;
  int legend_w = 0;
  for (const Series* s : entries) legend_w = std::max(legend_w, Canvas::text_size(s->name, kChartLegendSize).first);
  legend_w += 40;

  // Margins: title above; y label, tick labels left; tick labels, x label below.
  const int top = y + (p.title.empty() ? 10 : static_cast<int>(kChartTitleSize) + 16);
  const int bottom = y + h - static_cast<int>(kChartTickSize + 10) - (p.x_label.empty() ? 4 : static_cast<int>(kChartLabelSize) + 12);
  int right = x + w - 14;
  if (p.legend == LegendPlace::Right && !entries.empty()) right -= legend_w + 12;
  Ticks ty = chart_axis_ticks(p, false, std::max(2, (bottom - top) / 60));
  int tick_w = 0;
  for (double v : ty.values) tick_w = std::max(tick_w, Canvas::text_size(tick_label(v, ty.step), kChartTickSize).first);
  const int left = x + 10 + (p.y_label.empty() ? 0 : static_cast<int>(kChartLabelSize) + 10) + tick_w + 8;
  if (right - left < 20 || bottom - top < 20) fail("chart", "panel too small for its labels");
  Ticks tx = chart_axis_ticks(p, true, std::max(2, (right - left) / 90));
  if (p.equal_aspect) {  // the same number of pixels per unit on both axes
    const double per_x = (right - left) / (tx.hi - tx.lo), per_y = (bottom - top) / (ty.hi - ty.lo);
    if (per_x > per_y) chart_widen(tx, (right - left) / per_y);
    else chart_widen(ty, (bottom - top) / per_x);
  }
  const auto px = [&](double v) { return left + (v - tx.lo) / (tx.hi - tx.lo) * (right - left); };
  const auto py = [&](double v) { return bottom - (v - ty.lo) / (ty.hi - ty.lo) * (bottom - top); };

  if (!p.title.empty())
    c.text(p.title, (left + right) / 2.0, y + 8, kChartTitleSize, kChartTextColor, HAlign::Center, VAlign::Top);
  // Grid lines and tick labels.
  for (double v : tx.values) {
    const int gx = static_cast<int>(std::lround(px(v)));
    c.fill_rect(gx, top, gx + 1, bottom, kChartGridColor);
    c.fill_rect(gx, bottom, gx + 1, bottom + 5, kChartAxisColor);
    c.text(tick_label(v, tx.step), gx + 0.5, bottom + 7, kChartTickSize, kChartTextColor, HAlign::Center, VAlign::Top);
  }
  for (double v : ty.values) {
    const int gy = static_cast<int>(std::lround(py(v)));
    c.fill_rect(left, gy, right, gy + 1, kChartGridColor);
    c.fill_rect(left - 5, gy, left, gy + 1, kChartAxisColor);
    c.text(tick_label(v, ty.step), left - 8, gy + 0.5, kChartTickSize, kChartTextColor, HAlign::Right, VAlign::Middle);
  }
  if (!p.x_label.empty())
    c.text(p.x_label, (left + right) / 2.0, y + h - 6, kChartLabelSize, kChartTextColor, HAlign::Center, VAlign::Bottom);
  if (!p.y_label.empty())
    c.text(p.y_label, x + 8, (top + bottom) / 2.0, kChartLabelSize, kChartTextColor, HAlign::Left, VAlign::Middle, true);

  // The data, clipped to the plot area.
  std::vector<std::pair<double, double>> series_pixels;  // where the data lies, for the legend
  c.clip(left, top, right, bottom);
  for (const Series& s : p.series) {
    std::vector<std::pair<double, double>> pts;
    std::vector<Color> colors;
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) {
        pts.emplace_back(px(s.x[i]), py(s.y[i]));
        colors.push_back(i < s.point_colors.size() ? s.point_colors[i] : s.color);
      }
    if (s.line && pts.size() > 1) c.polyline(pts, s.color, s.line_width);
    chart_sample_path(pts, s.line, series_pixels);
    if (s.marker_radius > 0)
      for (size_t i = 0; i < pts.size(); ++i)
        c.circle(pts[i].first, pts[i].second, s.marker_radius, colors[i], s.marker_alpha);
  }
  c.unclip();
  c.rect(left - 1, top - 1, right + 1, bottom + 1, kChartAxisColor);

  if (entries.empty() || p.legend == LegendPlace::None) return;
  const int legend_h = row_h * static_cast<int>(entries.size()) + 8;
  if (p.legend == LegendPlace::Right) {
    chart_draw_legend(c, entries, right + 12, std::max(top, (top + bottom - legend_h) / 2), legend_w, row_h);
    return;
  }
  // Corners in order of preference: top right, top left, bottom right, bottom left.
  const int xs[2] = {right - legend_w - 8, left + 8}, ys[2] = {top + 8, bottom - legend_h - 8};
  int best_x = xs[0], best_y = ys[0];
  int64_t best_hidden = -1;
  for (int ky : {0, 1})
    for (int kx : {0, 1}) {
      const int64_t hidden = chart_points_inside(series_pixels, xs[kx] - 4, ys[ky] - 4,
                                                 xs[kx] + legend_w + 4, ys[ky] + legend_h + 4);
      if (best_hidden < 0 || hidden < best_hidden) best_hidden = hidden, best_x = xs[kx], best_y = ys[ky];
    }
  chart_draw_legend(c, entries, best_x, best_y, legend_w, row_h);
}

Canvas render_panels(const std::vector<Panel>& panels, int columns, int panel_width,
                     int panel_height, const std::string& title) {
  if (panels.empty()) fail("chart", "no panels to draw");
  columns = std::max(1, std::min(columns, static_cast<int>(panels.size())));
  const int rows = (static_cast<int>(panels.size()) + columns - 1) / columns;
  const int head = title.empty() ? 0 : static_cast<int>(kChartTitleSize) + 22;
  Canvas canvas(columns * panel_width, rows * panel_height + head, kWhite);
  if (!title.empty())
    canvas.text(title, canvas.width() / 2.0, 10, kChartTitleSize + 2, kChartTextColor, HAlign::Center, VAlign::Top);
  for (size_t i = 0; i < panels.size(); ++i)
    draw_panel(canvas, panels[i], static_cast<int>(i % columns) * panel_width,
               head + static_cast<int>(i / columns) * panel_height, panel_width, panel_height);
  return canvas;
}

}  // namespace latentkit
