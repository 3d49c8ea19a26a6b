// Draws images from a trained model's prior and writes them as a PNG grid.
//   sample_images RUN OUT.png [N] [SEED]
#include <latentkit/latentkit.h>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  if (argc < 3 || argc > 5) {
    std::fprintf(stderr, "usage: %s RUN OUT.png [N] [SEED]\n", argv[0]);
    return 2;
  }
  try {
    const int64_t n = argc > 3 ? std::stoll(argv[3]) : 64;
    const uint64_t seed = argc > 4 ? std::stoull(argv[4]) : 1;
    latentkit::TrainedModel run = latentkit::TrainedModel::open(argv[1]);
    if (run.image_shape().empty()) {
      std::fprintf(stderr, "error: %s: not an image model\n", argv[1]);
      return 2;
    }
    torch::Tensor raw = run.sample(n, seed);                   // [n, D] pixel levels 0..255
    latentkit::write_image_grid(argv[2], raw / 255.0, run.image_shape(), /*columns=*/8);
    torch::Tensor images = run.to_images(raw);                 // uint8 [n, C, H, W], for a program's own use
    std::printf("wrote %lld samples of %s (%lldx%lldx%lld) to %s\n", static_cast<long long>(n),
                run.kind().c_str(), static_cast<long long>(images.size(1)),
                static_cast<long long>(images.size(2)), static_cast<long long>(images.size(3)), argv[2]);
  } catch (const latentkit::InputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const std::logic_error&) {  // std::stoll / std::stoull
    std::fprintf(stderr, "error: N and SEED must be non-negative integers\n");
    return 2;
  }
  return 0;
}
