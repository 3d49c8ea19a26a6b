#pragma once
// Folders of PNG and JPEG files as image sets (`--data images:DIR`), decoded by stb_image.
//
// Layouts, like torchvision's ImageFolder:
//   DIR/train/<class>/*.png and DIR/test/<class>/*.png   the folder's own split, labelled
//   DIR/train/*.png and DIR/test/*.png                   the folder's own split, unlabelled
//   DIR/<class>/*.png                                    labelled; split by seed
//   DIR/*.png                                            unlabelled; split by seed
// Classes are the sorted names of the class folders (label 0 is the first). Files are read in
// sorted order; names ending in .png, .jpg or .jpeg (any case) are images, other files and
// hidden entries are ignored. The set has 3 channels when any image has colour (RGB, RGBA),
// else 1; alpha is dropped, grey images are repeated into three channels in a colour set.
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "latentkit/data/dataset.h"

namespace latentkit {

// Target size of every image: resized to cover it (aspect kept) and centre-cropped.
// 0 x 0 keeps the images' own size, which must then be the same for all.
struct ImageSize {
  int64_t height = 0;
  int64_t width = 0;
  bool keep() const { return height == 0; }
};

// "H" (square) or "HxW", 1..4096 each; "" keeps the size. Throws InputError naming `where`.
ImageSize parse_image_size(const std::string& text, const std::string& where);
// "C,H,W" with C in 1..4 and H, W in 1..4096. Throws InputError naming `where`.
ImageShape parse_image_shape(const std::string& text, const std::string& where);
// What is wrong with such a text ("" when nothing is; an empty --image-shape is valid): the
// checks of the data options' table.
std::string image_size_problem(const std::string& text);
std::string image_shape_problem(const std::string& text);

struct ImageFolder {
  torch::Tensor train_x, test_x;     // [N, C*H*W] float32 pixel levels 0..255, C,H,W order
  torch::Tensor train_y, test_y;     // [N] int64, undefined for an unlabelled folder
  bool has_split = false;            // the folder had train/ and test/ (test_x then defined)
  ImageShape shape;
  std::vector<std::string> classes;  // by label; empty when unlabelled
};

// Reads a folder in one of the layouts above. Without has_split, everything is in train_x/y.
// Throws InputError("<file or folder>: <problem>"): a missing or empty folder, a class folder
// without images, a file stb_image cannot decode, sizes that differ while `size` keeps them,
// a train/ without test/.
ImageFolder read_image_folder(const std::string& dir, ImageSize size);

// The class names of a folder (as read_image_folder finds them), or empty when the folder is
// unlabelled or cannot be read: for pictures and exports, which show labels as numbers then.
std::vector<std::string> image_folder_classes(const std::string& dir);

// One image file -> [H, W, C] uint8 with its own channel count (1 grey, 2 grey+alpha, 3 RGB,
// 4 RGBA). Throws InputError naming the file when it cannot be read or decoded.
torch::Tensor decode_image_file(const std::string& path);

// image: [H, W, C] uint8 -> [channels, size.height, size.width] uint8 (or its own size when
// `size` keeps it): channel conversion, then resize to cover (bilinear, antialiased) and crop.
torch::Tensor fit_image(const torch::Tensor& image, int64_t channels, ImageSize size);

// The image files directly in `dir`, sorted by name. Throws InputError naming the folder when it
// is missing, unreadable or holds no image files.
std::vector<std::string> image_files_in(const std::string& dir);

// True for names ending in .png, .jpg or .jpeg, in any case.
bool is_image_file_name(const std::string& name);

}  // namespace latentkit
