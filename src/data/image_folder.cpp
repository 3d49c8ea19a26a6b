// read_image_folder and its parts: listing a folder of PNG/JPEG files, decoding them with
// stb_image, and fitting each to one channel count and size.
#include "latentkit/data/image_folder.h"

#include <stb/stb_image.h>  // implementation lives in Debian's libstb.so

#include <torch/nn/functional/upsampling.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <memory>

#include "latentkit/data/file_bytes.h"
#include "latentkit/error.h"
#include "latentkit/util/input_file.h"

namespace latentkit {

namespace fs = std::filesystem;

namespace {

constexpr int64_t kMaxSide = 4096;

// "32" or "32x48" -> its numbers, each in 1..kMaxSide; {} when the text is not of that form.
std::vector<int64_t> parse_sides(const std::string& text, char separator) {
  std::vector<int64_t> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(separator, start), text.size());
    const std::string part = text.substr(start, end - start);
    if (part.empty() || part.size() > 5 ||
        !std::all_of(part.begin(), part.end(), [](unsigned char ch) { return std::isdigit(ch); }))
      return {};
    out.push_back(std::stoll(part));
    start = end + 1;
  }
  return out;
}

bool hidden(const fs::path& p) { return p.filename().string().rfind('.', 0) == 0; }

// What a folder holds, sorted by name: its image files and its (non-hidden) subfolders.
struct Listing {
  std::vector<fs::path> images, folders;
};

Listing list_folder(const fs::path& dir) {
  std::error_code ec;
  const auto status = fs::status(dir, ec);
  if (status.type() == fs::file_type::not_found) fail(dir.string(), "no such folder");
  if (status.type() != fs::file_type::directory) fail(dir.string(), "is not a folder");
  Listing l;
  fs::directory_iterator it(dir, ec);
  if (ec) fail(dir.string(), "cannot be listed (" + ec.message() + ")");
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) fail(dir.string(), "cannot be listed (" + ec.message() + ")");
    const fs::path p = it->path();
    if (hidden(p)) continue;
    std::error_code type_ec;
    if (it->is_directory(type_ec))
      l.folders.push_back(p);
    else if (is_image_file_name(p.filename().string()))
      l.images.push_back(p);  // a FIFO or a dangling link by an image's name: its reader names it
  }
  std::sort(l.images.begin(), l.images.end());
  std::sort(l.folders.begin(), l.folders.end());
  return l;
}

// One part of a folder (the whole of it, or its train/ or test/): the files and their labels,
// -1 for an unlabelled part.
struct Part {
  std::vector<fs::path> files;
  std::vector<int64_t> labels;
};

// The class names of a part: its subfolders when it has them (then it must hold no loose
// images), else none.
std::vector<std::string> part_classes(const fs::path& dir) {
  const Listing l = list_folder(dir);
  if (l.folders.empty()) return {};
  if (!l.images.empty())
    fail(l.images.front().string(),
         "is an image beside class folders (" + l.folders.front().filename().string() +
             "/...) in " + dir.string() + ": put every image in a class folder, or none");
  std::vector<std::string> names;
  for (const auto& f : l.folders) names.push_back(f.filename().string());
  return names;
}

// The files of a part with the labels of `classes` (the sorted union over the parts).
Part list_part(const fs::path& dir, const std::vector<std::string>& classes) {
  const Listing l = list_folder(dir);
  Part part;
  if (l.folders.empty()) {
    if (l.images.empty()) fail(dir.string(), "holds no PNG or JPEG images (.png, .jpg, .jpeg)");
    part.files = l.images;
    part.labels.assign(l.images.size(), -1);
    return part;
  }
  for (const auto& folder : l.folders) {
    const Listing inside = list_folder(folder);
    if (inside.images.empty())
      fail(folder.string(), "is a class folder that holds no PNG or JPEG images (.png, .jpg, .jpeg)");
    const int64_t label = std::lower_bound(classes.begin(), classes.end(),
                                           folder.filename().string()) - classes.begin();
    for (const auto& f : inside.images) {
      part.files.push_back(f);
      part.labels.push_back(label);
    }
  }
  return part;
}

struct Layout {
  bool has_split = false;
  std::vector<std::string> classes;
};

Layout find_layout(const fs::path& dir) {
  const Listing top = list_folder(dir);
  Layout layout;
  const bool train = std::count(top.folders.begin(), top.folders.end(), dir / "train") > 0;
  const bool test = std::count(top.folders.begin(), top.folders.end(), dir / "test") > 0;
  if (train != test)
    fail(dir.string(), std::string("has a ") + (train ? "train" : "test") + "/ folder but no " +
                           (train ? "test" : "train") +
                           "/ beside it: give both splits, or put the class folders in " +
                           dir.string() + " itself");
  layout.has_split = train && test;
  if (layout.has_split) {
    const std::vector<std::string> train_classes = part_classes(dir / "train");
    const std::vector<std::string> test_classes = part_classes(dir / "test");
    if (train_classes.empty() != test_classes.empty())
      fail(dir.string(), std::string("has class folders in ") +
                             (train_classes.empty() ? "test/" : "train/") + " but loose images in " +
                             (train_classes.empty() ? "train/" : "test/"));
    layout.classes = train_classes;
    for (const auto& name : test_classes)
      if (!std::count(layout.classes.begin(), layout.classes.end(), name))
        layout.classes.push_back(name);
    std::sort(layout.classes.begin(), layout.classes.end());
  } else {
    layout.classes = part_classes(dir);
  }
  return layout;
}

std::string size_text(int64_t h, int64_t w) { return std::to_string(h) + "x" + std::to_string(w); }

// The files of a part -> uint8 [N, C, H, W] at one size; every image fitted to 1 channel or 3.
torch::Tensor read_part(const Part& part, ImageSize size, ImageShape& shape, std::string& first) {
  std::vector<torch::Tensor> images;
  images.reserve(part.files.size());
  bool colour = shape.channels == 3;
  for (const auto& file : part.files) {
    const torch::Tensor img = decode_image_file(file.string());  // [H, W, c]
    if (size.keep()) {
      if (first.empty()) {
        first = file.string();
        shape.height = img.size(0);
        shape.width = img.size(1);
      } else if (img.size(0) != shape.height || img.size(1) != shape.width) {
        fail(file.string(), "is " + size_text(img.size(0), img.size(1)) + " (height x width) but " +
                                first + " is " + size_text(shape.height, shape.width) +
                                ": pass --image-size H[xW] to resize them all");
      }
    }
    const int64_t channels = img.size(2) >= 3 ? 3 : 1;
    colour = colour || channels == 3;
    images.push_back(fit_image(img, channels, size));
  }
  if (colour)
    for (auto& img : images)
      if (img.size(0) == 1) img = img.expand({3, img.size(1), img.size(2)});
  shape.channels = colour ? 3 : 1;
  return torch::stack(images);
}

torch::Tensor labels_of(const Part& part) {
  if (part.labels.empty() || part.labels.front() < 0) return {};
  return torch::tensor(part.labels, torch::kInt64);
}

}  // namespace

bool is_image_file_name(const std::string& name) {
  std::string ext = fs::path(name).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char ch) { return char(std::tolower(ch)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

std::string image_size_problem(const std::string& text) {
  if (text.empty()) return "";
  const std::vector<int64_t> sides = parse_sides(text, 'x');
  if (sides.empty() || sides.size() > 2 ||
      std::any_of(sides.begin(), sides.end(), [](int64_t s) { return s < 1 || s > kMaxSide; }))
    return "expected H or HxW with sides 1.." + std::to_string(kMaxSide) +
           " (e.g. 32 or 64x48), got '" + text + "'";
  return "";
}

std::string image_shape_problem(const std::string& text) {
  if (text.empty()) return "";
  const std::vector<int64_t> v = parse_sides(text, ',');
  if (v.size() != 3 || v[0] < 1 || v[0] > 4 || v[1] < 1 || v[1] > kMaxSide || v[2] < 1 ||
      v[2] > kMaxSide)
    return "expected C,H,W with 1..4 channels and sides 1.." + std::to_string(kMaxSide) +
           " (e.g. 3,32,32), got '" + text + "'";
  return "";
}

ImageSize parse_image_size(const std::string& text, const std::string& where) {
  const std::string problem = image_size_problem(text);
  if (!problem.empty()) fail(where, problem);
  if (text.empty()) return {};
  const std::vector<int64_t> sides = parse_sides(text, 'x');
  return ImageSize{sides[0], sides.size() == 2 ? sides[1] : sides[0]};
}

ImageShape parse_image_shape(const std::string& text, const std::string& where) {
  const std::string problem = text.empty() ? "expected C,H,W (e.g. 3,32,32), got ''" : image_shape_problem(text);
  if (!problem.empty()) fail(where, problem);
  const std::vector<int64_t> v = parse_sides(text, ',');
  return ImageShape{v[0], v[1], v[2]};
}

static torch::Tensor decode_image_bytes(const std::string& path) {
  const std::string bytes = read_input_file(path);
  if (bytes.size() > size_t(INT32_MAX)) fail(path, "is too large for an image (over 2 GiB)");
  // stb_image also reads PNM, BMP, GIF, PSD, TGA, HDR and PIC, with less care (a PGM header of
  // "P5 555555 0" decodes to an image of height 0): only what the docs promise gets to it.
  const bool png = bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0;
  const bool jpeg = bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
                    static_cast<unsigned char>(bytes[1]) == 0xD8 && static_cast<unsigned char>(bytes[2]) == 0xFF;
  if (!png && !jpeg) fail(path, "is not a PNG or JPEG image (its first bytes are neither's signature)");
  int w = 0, h = 0, c = 0;
  if (!stbi_info_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), int(bytes.size()),
                             &w, &h, &c))
    fail(path, std::string("is not a readable PNG or JPEG image (") + stbi_failure_reason() + ")");
  if (int64_t(w) * h > int64_t(kMaxSide) * kMaxSide * 4)
    fail(path, "is " + size_text(h, w) + " pixels, larger than latentkit reads (" +
                   size_text(2 * kMaxSide, 2 * kMaxSide) + ")");
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), int(bytes.size()), &w,
                            &h, &c, 0),
      stbi_image_free);
  if (!pixels)
    fail(path, std::string("is not a readable PNG or JPEG image (") + stbi_failure_reason() + ")");
  if (w < 1 || h < 1 || c < 1) fail(path, "is an image of " + size_text(h, w) + " pixels");
  return torch::from_blob(pixels.get(), {h, w, c}, torch::kUInt8).clone();
}

torch::Tensor decode_image_file(const std::string& path) {
  return reading(path, [&] { return decode_image_bytes(path); });
}

torch::Tensor fit_image(const torch::Tensor& image, int64_t channels, ImageSize size) {
  TORCH_CHECK(image.dim() == 3 && image.scalar_type() == torch::kUInt8, "fit_image: [H, W, C] uint8");
  const int64_t h = image.size(0), w = image.size(1), c = image.size(2);
  torch::Tensor chw = image.permute({2, 0, 1});                    // [c, H, W]
  if (c == 2 || c == 4) chw = chw.narrow(0, 0, c - 1);              // alpha dropped
  torch::Tensor f = chw.to(torch::kFloat32);
  if (channels == 3 && f.size(0) == 1) f = f.expand({3, h, w});
  if (channels == 1 && f.size(0) == 3)  // ITU-R BT.601 luma, as PIL's convert("L")
    f = (f[0] * 0.299 + f[1] * 0.587 + f[2] * 0.114).unsqueeze(0);
  if (!size.keep() && (h != size.height || w != size.width)) {
    const double scale = std::max(double(size.height) / h, double(size.width) / w);
    const int64_t rh = std::max<int64_t>(size.height, std::llround(h * scale));
    const int64_t rw = std::max<int64_t>(size.width, std::llround(w * scale));
    namespace F = torch::nn::functional;
    f = F::interpolate(f.unsqueeze(0), F::InterpolateFuncOptions()
                                           .size(std::vector<int64_t>{rh, rw})
                                           .mode(torch::kBilinear)
                                           .align_corners(false)
                                           .antialias(rh < h || rw < w))
            .squeeze(0);
    f = f.narrow(1, (rh - size.height) / 2, size.height).narrow(2, (rw - size.width) / 2, size.width);
  }
  return f.round().clamp(0, 255).to(torch::kUInt8).contiguous();
}

static ImageFolder read_folder(const std::string& dir_text, ImageSize size) {
  const fs::path dir(dir_text);
  const Layout layout = find_layout(dir);
  ImageFolder out;
  out.has_split = layout.has_split;
  out.classes = layout.classes;
  out.shape = ImageShape{1, size.height, size.width};
  std::string first;  // the image whose size the others must have (size.keep())
  const auto to_rows = [](const torch::Tensor& nchw) {
    return nchw.reshape({nchw.size(0), -1}).to(torch::kFloat32);
  };
  if (!layout.has_split) {
    const Part all = list_part(dir, layout.classes);
    out.train_x = to_rows(read_part(all, size, out.shape, first));
    out.train_y = labels_of(all);
    return out;
  }
  const Part train = list_part(dir / "train", layout.classes);
  const Part test = list_part(dir / "test", layout.classes);
  torch::Tensor train_images = read_part(train, size, out.shape, first);
  const bool train_colour = out.shape.channels == 3;
  torch::Tensor test_images = read_part(test, size, out.shape, first);
  if (out.shape.channels == 3 && !train_colour) train_images = train_images.expand({-1, 3, -1, -1});
  out.train_x = to_rows(train_images);
  out.test_x = to_rows(test_images);
  out.train_y = labels_of(train);
  out.test_y = labels_of(test);
  return out;
}

// Many large images may not fit together: the folder is named when their tensor cannot be had.
ImageFolder read_image_folder(const std::string& dir, ImageSize size) {
  return reading(dir, [&] { return read_folder(dir, size); });
}

std::vector<std::string> image_files_in(const std::string& dir) {
  const Listing l = list_folder(fs::path(dir));
  if (l.images.empty()) fail(dir, "holds no PNG or JPEG images (.png, .jpg, .jpeg)");
  std::vector<std::string> files;
  for (const auto& f : l.images) files.push_back(f.string());
  return files;
}

std::vector<std::string> image_folder_classes(const std::string& dir) {
  try {
    return find_layout(fs::path(dir)).classes;
  } catch (const std::exception&) {
    return {};
  }
}

}  // namespace latentkit
