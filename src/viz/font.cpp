#include "latentkit/viz/font.h"

#include <stb/stb_truetype.h>  // implementation lives in Debian's libstb.so

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb/stb_easy_font.h>  // header-only (static functions)
#pragma GCC diagnostic pop

namespace latentkit {
namespace {

// UTF-8 -> code points; malformed bytes become U+FFFD.
std::vector<int> font_decode_utf8(const std::string& s) {
  std::vector<int> out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    int extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : -1;
    if (extra < 0 || i + extra > s.size() - 1) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    int cp = extra == 0 ? c : c & (0x3F >> extra);
    bool ok = true;
    for (int k = 1; k <= extra; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      ok = ok && (d >> 6) == 0x2;
      cp = (cp << 6) | (d & 0x3F);
    }
    out.push_back(ok ? cp : 0xFFFD);
    i += ok ? extra + 1 : 1;
  }
  return out;
}

// Coverage of the pixel interval [p, p + 1) by the interval [a, b).
double font_overlap(double a, double b, int p) {
  return std::max(0.0, std::min(b, p + 1.0) - std::max(a, static_cast<double>(p)));
}

}  // namespace

Font::Font(const std::string& ttf_path) {
  std::ifstream in(ttf_path, std::ios::binary);
  if (!in) return;
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  stbtt_fontinfo info;
  if (bytes.empty() || !stbtt_InitFont(&info, bytes.data(), stbtt_GetFontOffsetForIndex(bytes.data(), 0)))
    return;
  ttf_ = std::move(bytes);
}

const Font& Font::standard() {
  static const Font font(kDejaVuSansPath);
  return font;
}

TextMask Font::render(const std::string& text, double size) const {
  return truetype() ? render_truetype(text, size) : render_builtin(text, size);
}

TextMask Font::render_truetype(const std::string& text, double size) const {
  stbtt_fontinfo info;
  stbtt_InitFont(&info, ttf_.data(), stbtt_GetFontOffsetForIndex(ttf_.data(), 0));
  const float scale = stbtt_ScaleForPixelHeight(&info, static_cast<float>(size));
  int ascent = 0, descent = 0, gap = 0;
  stbtt_GetFontVMetrics(&info, &ascent, &descent, &gap);
  const std::vector<int> cps = font_decode_utf8(text);

  // Pen positions first, to size the mask.
  std::vector<float> pen(cps.size() + 1, 0.0f);
  for (size_t i = 0; i < cps.size(); ++i) {
    int advance = 0, bearing = 0;
    stbtt_GetCodepointHMetrics(&info, cps[i], &advance, &bearing);
    float kern = i + 1 < cps.size() ? stbtt_GetCodepointKernAdvance(&info, cps[i], cps[i + 1]) : 0;
    pen[i + 1] = pen[i] + (advance + kern) * scale;
  }
  TextMask m;
  m.baseline = static_cast<int>(std::ceil(ascent * scale));
  m.height = m.baseline + static_cast<int>(std::ceil(-descent * scale)) + 1;
  m.width = std::max(1, static_cast<int>(std::ceil(pen.back())) + 1);
  m.alpha.assign(static_cast<size_t>(m.width) * m.height, 0);
  for (size_t i = 0; i < cps.size(); ++i) {
    const float x = pen[i];
    const int ix = static_cast<int>(std::floor(x));
    int w = 0, h = 0, xoff = 0, yoff = 0;
    unsigned char* glyph = stbtt_GetCodepointBitmapSubpixel(&info, scale, scale, x - ix, 0.0f,
                                                            cps[i], &w, &h, &xoff, &yoff);
    if (!glyph) continue;
    for (int r = 0; r < h; ++r)
      for (int c = 0; c < w; ++c) {
        const int row = m.baseline + yoff + r, col = ix + xoff + c;
        if (row < 0 || row >= m.height || col < 0 || col >= m.width) continue;
        unsigned char& a = m.alpha[static_cast<size_t>(row) * m.width + col];
        a = std::max(a, glyph[r * w + c]);  // neighbouring glyphs may overlap by a pixel
      }
    stbtt_FreeBitmap(glyph, nullptr);
  }
  return m;
}

TextMask Font::render_builtin(const std::string& text, double size) const {
  // stb_easy_font draws on a 12-unit line (capitals 7 units tall, baseline at 7, descenders to
  // 10) out of axis-aligned quads; scaled so that the line is `size` pixels tall.
  std::string ascii;
  for (int cp : font_decode_utf8(text)) ascii += cp >= 32 && cp < 127 ? static_cast<char>(cp) : '?';
  const double s = size / 12.0;
  TextMask m;
  m.baseline = static_cast<int>(std::ceil(8.0 * s));
  m.height = static_cast<int>(std::ceil(12.0 * s)) + 1;
  m.width = std::max(1, static_cast<int>(std::ceil(stb_easy_font_width(ascii.data()) * s)) + 1);
  m.alpha.assign(static_cast<size_t>(m.width) * m.height, 0);
  std::vector<float> vertices(ascii.size() * 270 * 4 + 64);  // 16 bytes per vertex
  const int quads = stb_easy_font_print(0.0f, 1.0f, ascii.data(), nullptr, vertices.data(),
                                        static_cast<int>(vertices.size() * sizeof(float)));
  for (int q = 0; q < quads; ++q) {
    const float* v = vertices.data() + q * 16;  // 4 vertices of (x, y, z, colour)
    const double x0 = v[0] * s, y0 = v[1] * s, x1 = v[8] * s, y1 = v[9] * s;
    for (int row = std::max(0, static_cast<int>(y0)); row < std::min(m.height, static_cast<int>(std::ceil(y1))); ++row)
      for (int col = std::max(0, static_cast<int>(x0)); col < std::min(m.width, static_cast<int>(std::ceil(x1))); ++col) {
        const double cover = font_overlap(x0, x1, col) * font_overlap(y0, y1, row);
        unsigned char& a = m.alpha[static_cast<size_t>(row) * m.width + col];
        a = static_cast<unsigned char>(std::min(255.0, a + 255.0 * cover));
      }
  }
  return m;
}

}  // namespace latentkit
