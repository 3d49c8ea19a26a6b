// Canvas primitives checked pixel by pixel, against the geometry each one is defined by.
#include "latentkit/viz/canvas.h"

#include <gtest/gtest.h>
#include <stb/stb_image.h>  // implementation lives in Debian's libstb.so

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "latentkit/error.h"
#include "latentkit/viz/font.h"

namespace canvas_test {

using latentkit::Canvas;
using latentkit::Color;
using latentkit::HAlign;
using latentkit::VAlign;

constexpr Color kRed{255, 0, 0};

bool is_white(const Canvas& c, int x, int y) { return c.pixel(x, y) == latentkit::kWhite; }

// The bounding box of the non-white pixels: {x0, y0, x1, y1} (exclusive ends); x0 = -1 if none.
std::array<int, 4> ink_box(const Canvas& c) {
  std::array<int, 4> b{-1, -1, -1, -1};
  for (int y = 0; y < c.height(); ++y)
    for (int x = 0; x < c.width(); ++x)
      if (!is_white(c, x, y)) {
        if (b[0] < 0) b = {x, y, x + 1, y + 1};
        b = {std::min(b[0], x), std::min(b[1], y), std::max(b[2], x + 1), std::max(b[3], y + 1)};
      }
  return b;
}

TEST(CanvasTest, FillRectPaintsExactlyItsPixels) {
  Canvas c(12, 9);
  c.fill_rect(2, 3, 5, 7, kRed);
  for (int y = 0; y < 9; ++y)
    for (int x = 0; x < 12; ++x) {
      const bool in = x >= 2 && x < 5 && y >= 3 && y < 7;
      EXPECT_EQ(c.pixel(x, y), in ? kRed : latentkit::kWhite) << x << "," << y;
    }
  c.fill_rect(-5, -5, 100, 1, latentkit::kBlack);  // clipped to the canvas
  for (int x = 0; x < 12; ++x) EXPECT_EQ(c.pixel(x, 0), latentkit::kBlack);
  EXPECT_TRUE(is_white(c, 0, 1));
}

TEST(CanvasTest, HalfTransparentFillBlendsHalfway) {
  Canvas c(2, 2, Color{0, 0, 0});
  c.fill_rect(0, 0, 1, 1, Color{200, 100, 50}, 0.5);
  EXPECT_EQ(c.pixel(0, 0), (Color{100, 50, 25}));
  EXPECT_EQ(c.pixel(1, 1), (Color{0, 0, 0}));
}

TEST(CanvasTest, HorizontalLineCoversItsRowWithHalfCoveredEnds) {
  Canvas c(20, 10);
  c.line(2, 4.5, 17, 4.5, latentkit::kBlack, 1.0);
  for (int x = 2; x <= 16; ++x) EXPECT_EQ(c.pixel(x, 4), latentkit::kBlack) << x;
  // Centres half a pixel beyond the round ends are half covered: 255 - 0.5 * 255 -> 128.
  EXPECT_EQ(c.pixel(1, 4).r, 128);
  EXPECT_EQ(c.pixel(17, 4).r, 128);
  for (int x = 0; x < 20; ++x) {
    EXPECT_TRUE(is_white(c, x, 3)) << x;
    EXPECT_TRUE(is_white(c, x, 5)) << x;
  }
}

TEST(CanvasTest, WideLineCoversWidthRows) {
  Canvas c(20, 12);
  c.line(3, 5.5, 16, 5.5, kRed, 3.0);
  for (int x = 4; x <= 15; ++x)
    for (int y = 0; y < 12; ++y) EXPECT_EQ(c.pixel(x, y), y >= 4 && y <= 6 ? kRed : latentkit::kWhite) << x << "," << y;
}

TEST(CanvasTest, DiagonalLineInkLiesNearTheSegment) {
  Canvas c(40, 40);
  c.line(5, 5, 35, 30, latentkit::kBlack, 2.0);
  double ink = 0;
  for (int y = 0; y < 40; ++y)
    for (int x = 0; x < 40; ++x) {
      const double cover = (255 - c.pixel(x, y).r) / 255.0;
      ink += cover;
      if (cover > 0) {  // distance of the pixel centre to the infinite line through the ends
        const double d = std::abs(25.0 * (x + 0.5 - 5) - 30.0 * (y + 0.5 - 5)) / std::hypot(30.0, 25.0);
        EXPECT_LE(d, 1.5 + 1e-9) << x << "," << y;
      }
    }
  // The stroke's area: length × width plus the two half-disc caps.
  const double area = std::hypot(30.0, 25.0) * 2.0 + M_PI * 1.0;
  EXPECT_NEAR(ink, area, 0.05 * area);
}

TEST(CanvasTest, CircleCoversItsDiscAndItsArea) {
  Canvas c(30, 30);
  const double r = 6.0;
  c.circle(15, 14, r, latentkit::kBlack);
  double ink = 0;
  for (int y = 0; y < 30; ++y)
    for (int x = 0; x < 30; ++x) {
      const double d = std::hypot(x + 0.5 - 15, y + 0.5 - 14);
      if (d <= r - 0.5) {
        EXPECT_EQ(c.pixel(x, y), latentkit::kBlack) << x << "," << y;
      }
      if (d >= r + 0.5) {
        EXPECT_TRUE(is_white(c, x, y)) << x << "," << y;
      }
      ink += (255 - c.pixel(x, y).r) / 255.0;
    }
  EXPECT_NEAR(ink, M_PI * r * r, 0.02 * M_PI * r * r);
}

TEST(CanvasTest, BlitScalesGreyAndRgbImagesByWholeFactors) {
  Canvas c(10, 10);
  const uint8_t grey[4] = {0, 85, 170, 255};  // 2 × 2
  c.blit(grey, 2, 2, 1, 1, 2, 3);
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 10; ++x) {
      if (x >= 1 && x < 7 && y >= 2 && y < 8) {
        const uint8_t v = grey[((y - 2) / 3) * 2 + (x - 1) / 3];
        EXPECT_EQ(c.pixel(x, y), (Color{v, v, v})) << x << "," << y;
      } else {
        EXPECT_TRUE(is_white(c, x, y)) << x << "," << y;
      }
    }
  const uint8_t rgb[6] = {10, 20, 30, 40, 50, 60};  // 2 × 1
  c.blit(rgb, 2, 1, 3, 8, 9, 1);
  EXPECT_EQ(c.pixel(8, 9), (Color{10, 20, 30}));
  EXPECT_EQ(c.pixel(9, 9), (Color{40, 50, 60}));
}

TEST(CanvasTest, ClipRestrictsDrawing) {
  Canvas c(10, 10);
  c.clip(2, 2, 5, 5);
  c.fill_rect(0, 0, 10, 10, kRed);
  c.unclip();
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 10; ++x)
      EXPECT_EQ(c.pixel(x, y), x >= 2 && x < 5 && y >= 2 && y < 5 ? kRed : latentkit::kWhite);
}

TEST(CanvasTest, TextLiesInsideItsAlignedBox) {
  const auto [w, h] = Canvas::text_size("Loss 12", 18);
  EXPECT_GT(w, 30);
  EXPECT_GE(h, 18);
  Canvas c(200, 80);
  c.text("Loss 12", 150, 60, 18, latentkit::kBlack, HAlign::Right, VAlign::Bottom);
  const auto b = ink_box(c);
  ASSERT_GE(b[0], 0) << "no ink";
  EXPECT_GE(b[0], 150 - w);
  EXPECT_LE(b[2], 150);
  EXPECT_GE(b[1], 60 - h);
  EXPECT_LE(b[3], 60);
  EXPECT_GT(b[2] - b[0], w / 2);  // the ink spans most of the advance
  Canvas centred(200, 80);
  centred.text("Loss 12", 100, 40, 18, latentkit::kBlack, HAlign::Center, VAlign::Middle);
  const auto m = ink_box(centred);
  EXPECT_NEAR((m[0] + m[2]) / 2.0, 100, 3);
  EXPECT_NEAR((m[1] + m[3]) / 2.0, 40, 4);
}

TEST(CanvasTest, VerticalTextIsTheHorizontalTextTurnedAnticlockwise) {
  const auto [w, h] = Canvas::text_size("epoch", 16);
  Canvas flat(w, h), turned(h, w);
  flat.text("epoch", 0, 0, 16, latentkit::kBlack);
  turned.text("epoch", 0, 0, 16, latentkit::kBlack, HAlign::Left, VAlign::Top, true);
  int ink = 0;
  for (int r = 0; r < h; ++r)
    for (int col = 0; col < w; ++col) {
      // (col, r) of the flat text goes to (r, w - 1 - col): its right end at the top.
      EXPECT_EQ(flat.pixel(col, r), turned.pixel(r, w - 1 - col)) << col << "," << r;
      ink += !is_white(flat, col, r);
    }
  EXPECT_GT(ink, 20);
}

TEST(CanvasTest, BuiltInFontDrawsWhenTheFontFileIsMissing) {
  const latentkit::Font missing("/nonexistent/font.ttf");
  EXPECT_FALSE(missing.truetype());
  const latentkit::TextMask m = missing.render("AB 9", 24);
  EXPECT_GE(m.height, 24);
  EXPECT_GT(m.width, 30);
  int ink = 0;
  for (unsigned char a : m.alpha) ink += a > 128;
  EXPECT_GT(ink, 40);
  // Capitals stand on the baseline: no ink of "AB" below it.
  const latentkit::TextMask caps = missing.render("AB", 24);
  for (int r = caps.baseline + 1; r < caps.height; ++r)
    for (int col = 0; col < caps.width; ++col) EXPECT_EQ(caps.at(r, col), 0) << r << "," << col;
  if (std::filesystem::exists(latentkit::kDejaVuSansPath)) {
    EXPECT_TRUE(latentkit::Font::standard().truetype());
  }
}

TEST(CanvasTest, PngDecodesToTheSamePixels) {
  Canvas c(7, 5);
  c.fill_rect(1, 1, 4, 3, Color{12, 200, 99});
  c.circle(5, 3, 1.2, Color{0, 0, 255});
  const auto bytes = c.png();
  int w = 0, h = 0, ch = 0;
  unsigned char* data = stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &ch, 0);
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(w, 7);
  EXPECT_EQ(h, 5);
  EXPECT_EQ(ch, 3);
  EXPECT_TRUE(std::equal(c.rgb().begin(), c.rgb().end(), data));
  stbi_image_free(data);
}

TEST(CanvasTest, GreyPicturesAreWrittenAsGreyPngs) {
  Canvas c(6, 4);
  c.fill_rect(0, 0, 3, 2, Color{90, 90, 90});
  const auto bytes = c.png();
  int w = 0, h = 0, ch = 0;
  unsigned char* data = stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &ch, 0);
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(ch, 1);
  for (int i = 0; i < w * h; ++i) EXPECT_EQ(data[i], c.rgb()[3 * i]) << i;
  stbi_image_free(data);
}

TEST(CanvasTest, RefusesAnEmptyCanvas) {
  EXPECT_THROW(Canvas(0, 10), latentkit::InputError);
  EXPECT_THROW(Canvas(10, 100000), latentkit::InputError);
}

}  // namespace canvas_test
