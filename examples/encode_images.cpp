// Encodes a file of images with a trained run and writes the codes as CSV.
//   encode_images RUN IMAGES OUT.csv
// IMAGES: an IDX file (plain or .gz, e.g. t10k-images-idx3-ubyte.gz) or a .npy of uint8 images.
#include <latentkit/latentkit.h>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s RUN IMAGES OUT.csv\n", argv[0]);
    return 2;
  }
  try {
    latentkit::TrainedModel run = latentkit::TrainedModel::open(argv[1]);
    const std::string images_path = argv[2];
    const bool npy = images_path.size() > 4 && images_path.substr(images_path.size() - 4) == ".npy";
    torch::Tensor images = npy ? latentkit::read_npy(images_path)    // [N, D] or [N, C, H, W]
                               : latentkit::read_idx(images_path);   // uint8 [N, 28, 28]
    torch::Tensor codes = run.encode(images);                        // [N, L] float32
    std::vector<std::string> columns;
    for (int64_t j = 0; j < codes.size(1); ++j) columns.push_back("z" + std::to_string(j));
    latentkit::write_csv(argv[3], columns, codes);
    std::printf("encoded %lld images with %s into %lld dimensions: %s\n",
                static_cast<long long>(codes.size(0)), run.kind().c_str(),
                static_cast<long long>(codes.size(1)), argv[3]);
  } catch (const latentkit::InputError& e) {  // a bad file or run: one line, exit 2
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  return 0;
}
