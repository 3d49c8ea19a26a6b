#pragma once
// Text rasterised to coverage masks for the canvas. DejaVu Sans (Debian's fonts-dejavu-core)
// is drawn through stb_truetype; when the font file cannot be read, stb_easy_font's built-in
// strokes are scaled up instead, so a picture never fails for lack of a font.
#include <string>
#include <vector>

namespace latentkit {

// Where Debian's fonts-dejavu-core installs the font used for every picture.
inline constexpr const char* kDejaVuSansPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

// A line of text as coverage: alpha is height × width bytes (0: background, 255: ink), row-major.
// `baseline` is the row of the text's baseline; width is the advance of the whole line.
struct TextMask {
  int width = 0;
  int height = 0;
  int baseline = 0;
  std::vector<unsigned char> alpha;
  unsigned char at(int row, int col) const { return alpha[static_cast<size_t>(row) * width + col]; }
};

class Font {
 public:
  // Loads a TrueType font; when `ttf_path` cannot be read or parsed, the font is the built-in
  // stroke font (truetype() is then false).
  explicit Font(const std::string& ttf_path);
  // The font the canvas uses: DejaVu Sans, or the built-in one where it is missing. Loaded once.
  static const Font& standard();

  bool truetype() const { return !ttf_.empty(); }
  // `text` is UTF-8 (the built-in font draws only ASCII; other characters become '?').
  // `size` is the line height in pixels (ascender to descender).
  TextMask render(const std::string& text, double size) const;

 private:
  TextMask render_truetype(const std::string& text, double size) const;
  TextMask render_builtin(const std::string& text, double size) const;

  std::vector<unsigned char> ttf_;  // the font file's bytes, empty for the built-in font
};

}  // namespace latentkit
