#include "latentkit/viz/loss_curves.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "latentkit/error.h"
#include "latentkit/util/atomic_file.h"
#include "latentkit/viz/chart.h"

namespace latentkit {
namespace {

constexpr int kCurvePanelWidth = 440;
constexpr int kCurvePanelHeight = 310;

// A term's value in one split of an epoch line; NaN when absent or not a number.
double curve_term(const nlohmann::json& line, const char* split, const std::string& term) {
  const auto s = line.find(split);
  if (s == line.end() || !s->is_object()) return std::numeric_limits<double>::quiet_NaN();
  const auto v = s->find(term);
  return v != s->end() && v->is_number() ? v->get<double>() : std::numeric_limits<double>::quiet_NaN();
}

bool curve_any_finite(const std::vector<double>& v) {
  for (double d : v)
    if (std::isfinite(d)) return true;
  return false;
}

}  // namespace

void write_loss_curves(const std::string& metrics_path, const std::string& png_path,
                       const std::string& title) {
  std::istringstream in(read_file(metrics_path));
  std::vector<nlohmann::json> epochs;
  std::string text;
  for (int number = 1; std::getline(in, text); ++number) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("epoch") || !j["epoch"].is_number())
      fail(metrics_path, "line " + std::to_string(number) + ": not a JSON object with an \"epoch\"");
    epochs.push_back(std::move(j));
  }
  if (epochs.empty()) fail(metrics_path, "no epochs recorded");

  std::set<std::string> terms;
  for (const auto& e : epochs)
    for (const char* split : {"train", "test"})
      if (e.contains(split) && e[split].is_object())
        for (const auto& [name, v] : e[split].items())
          if (v.is_number()) terms.insert(name);
  std::vector<std::string> order;
  if (terms.count("loss")) order.push_back("loss");
  for (const auto& t : terms)
    if (t != "loss") order.push_back(t);
  if (order.empty()) fail(metrics_path, "no loss terms recorded");

  std::vector<double> x;
  for (const auto& e : epochs) x.push_back(e["epoch"].get<double>());
  std::vector<Panel> panels;
  for (const auto& term : order) {
    Panel p;
    p.title = term;
    p.x_label = "epoch";
    p.y_label = term;
    p.x_integer_ticks = true;
    p.x_range = std::make_pair(x.front() - 0.5, x.back() + 0.5);  // the epochs, half a step apart from the frame
    const char* splits[2] = {"train", "test"};
    for (int k = 0; k < 2; ++k) {
      Series s;
      s.name = splits[k];
      s.color = categorical_color(k);
      s.x = x;
      for (const auto& e : epochs) s.y.push_back(curve_term(e, splits[k], term));
      s.marker_radius = 3.0;
      if (curve_any_finite(s.y)) p.series.push_back(std::move(s));
    }
    panels.push_back(std::move(p));
  }
  const int columns = panels.size() <= 4 ? std::min<int>(2, panels.size()) : 3;
  render_panels(panels, columns, kCurvePanelWidth, kCurvePanelHeight, title).save_png(png_path);
}

}  // namespace latentkit
