#pragma once
// An RGB raster for the pictures (charts, latent maps, image grids with labels), drawn in
// process so that a picture needs no external program, its bytes are deterministic and tests
// can check it pixel by pixel. Coordinates are in pixels, x rightwards and y downwards; pixel
// (x, y) covers [x, x + 1) × [y, y + 1), so its centre is (x + 0.5, y + 0.5). Shapes are
// anti-aliased by their coverage of each pixel's centre neighbourhood.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace latentkit {

struct Color {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Color& o) const { return r == o.r && g == o.g && b == o.b; }
  bool operator!=(const Color& o) const { return !(*this == o); }
};

inline constexpr Color kWhite{255, 255, 255};
inline constexpr Color kBlack{0, 0, 0};

enum class HAlign { Left, Center, Right };
enum class VAlign { Top, Middle, Bottom };

class Canvas {
 public:
  // Throws InputError for a size outside [1, 16384].
  Canvas(int width, int height, Color background = kWhite);

  int width() const { return width_; }
  int height() const { return height_; }
  Color pixel(int x, int y) const;              // x in [0, width), y in [0, height)
  const std::vector<uint8_t>& rgb() const { return rgb_; }  // height × width × 3, row-major

  void fill(Color c);
  // Pixels x0 <= x < x1, y0 <= y < y1 (clipped to the canvas), painted with opacity `alpha`.
  void fill_rect(int x0, int y0, int x1, int y1, Color c, double alpha = 1.0);
  // The outline of that rectangle, `thickness` pixels inside it.
  void rect(int x0, int y0, int x1, int y1, Color c, int thickness = 1);
  // A segment of the given width with round ends: a pixel gets the colour in proportion to how
  // far its centre lies inside the stroke (within half a pixel of its edge).
  void line(double x0, double y0, double x1, double y1, Color c, double width = 1.0);
  void polyline(const std::vector<std::pair<double, double>>& points, Color c, double width = 1.0);
  // A filled disc of radius r, anti-aliased on its rim, painted with opacity `alpha`.
  void circle(double cx, double cy, double r, Color c, double alpha = 1.0);
  // An image of w × h pixels with 1 (grey) or 3 (RGB) interleaved channels, each pixel drawn as
  // a scale × scale block with its top-left corner at (x, y); clipped to the canvas.
  void blit(const uint8_t* pixels, int w, int h, int channels, int x, int y, int scale = 1);
  // One line of UTF-8 text whose line height is `size` pixels, aligned at (x, y): horizontally
  // by `h` and vertically by `v` (Top: the top of the line box, Middle its centre, Bottom its
  // bottom). `vertical` turns it 90° anticlockwise (reading upwards, as a y-axis label); the
  // alignments then refer to the turned box.
  void text(const std::string& s, double x, double y, double size, Color c,
            HAlign h = HAlign::Left, VAlign v = VAlign::Top, bool vertical = false);
  // The width and height in pixels of that line of text, unturned.
  static std::pair<int, int> text_size(const std::string& s, double size);

  // Restricts every later drawing to the pixels x0 <= x < x1, y0 <= y < y1; unclip() lifts it.
  void clip(int x0, int y0, int x1, int y1);
  void unclip() { clip(0, 0, width_, height_); }

  // PNG bytes: RGB, or 1-channel grey when every pixel is grey (the same picture, smaller).
  std::vector<unsigned char> png() const;
  void save_png(const std::string& path) const;  // atomic (temporary file, then rename)

 private:
  void blend(int x, int y, Color c, double alpha);

  bool inside(int x, int y) const { return x >= cx0_ && y >= cy0_ && x < cx1_ && y < cy1_; }

  int width_, height_;
  int cx0_ = 0, cy0_ = 0, cx1_, cy1_;  // the clip rectangle
  std::vector<uint8_t> rgb_;
};

}  // namespace latentkit
