#pragma once
// Line and scatter charts on the canvas: axes with nice ticks and tick labels, a title, axis
// labels and a legend; several panels (small multiples) can share one picture.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "latentkit/viz/canvas.h"

namespace latentkit {

// The i-th colour of a categorical palette of 10 distinguishable colours (Tableau 10); i >= 10
// cycles through it.
Color categorical_color(int i);

struct Series {
  std::string name;              // legend entry; empty: not in the legend
  std::vector<double> x, y;      // same length; non-finite points are skipped
  Color color = kBlack;
  bool line = true;              // join the points in order
  double line_width = 2.0;
  double marker_radius = 0.0;    // > 0: a disc at every point
  double marker_alpha = 1.0;     // opacity of the discs (below 1 shows the density of a cloud)
  std::vector<Color> point_colors;  // when not empty: each point's disc colour (one per point)
};

// Inside: in the corner of the plot area that hides the least data (top right when it ties);
// Right: beside the plot area, outside it.
enum class LegendPlace { None, Inside, Right };

struct Panel {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  LegendPlace legend = LegendPlace::Inside;
  // Axis ranges; unset: nice ticks around the data.
  std::optional<std::pair<double, double>> x_range, y_range;
  bool x_integer_ticks = false;  // ticks on whole numbers only (epochs)
  bool equal_aspect = false;     // one unit is as long on both axes (latent maps)
};

// Draws a panel inside the rectangle [x, x + w) × [y, y + h) of the canvas.
void draw_panel(Canvas& canvas, const Panel& panel, int x, int y, int w, int h);

// One picture of panels in a grid of `columns` (the last row may be short), each
// panel_width × panel_height pixels, under an optional overall title.
Canvas render_panels(const std::vector<Panel>& panels, int columns, int panel_width,
                     int panel_height, const std::string& title = "");

}  // namespace latentkit
