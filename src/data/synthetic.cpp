// Toy 2-D densities. Drawn with std::mt19937_64 and our own uniform/normal transforms (both fully
// specified), so a seed gives the same points on every platform and LibTorch version, and the
// global torch generator is left untouched.
#include "latentkit/data/synthetic.h"

#include <cmath>
#include <random>

#include "latentkit/error.h"

namespace latentkit {
namespace {

constexpr double kPi = 3.14159265358979323846;

class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  double uniform() { return double(gen_() >> 11) * 0x1.0p-53; }  // [0, 1)
  double normal() {                                              // Box-Muller, one of the pair
    const double u1 = 1.0 - uniform();                           // (0, 1]: log() stays finite
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
  }
  int64_t index(int64_t n) { return std::min<int64_t>(int64_t(uniform() * double(n)), n - 1); }

 private:
  std::mt19937_64 gen_;
};

// Each sampler writes one point and returns its component.
using Sampler = int64_t (*)(Rng&, float* xy);

// Two interleaved half circles of radius 1 (sklearn's make_moons): the upper one centred at
// (0, 0), the lower one at (1, 0.5); Gaussian noise of std 0.05.
int64_t moon(Rng& rng, float* xy) {
  const int64_t c = rng.index(2);
  const double t = kPi * rng.uniform();
  const double x = c == 0 ? std::cos(t) : 1.0 - std::cos(t);
  const double y = c == 0 ? std::sin(t) : 0.5 - std::sin(t);
  xy[0] = float(x + 0.05 * rng.normal());
  xy[1] = float(y + 0.05 * rng.normal());
  return c;
}

// Four concentric circles of radii 0.75, 1.5, 2.25, 3; a ring is picked with probability
// proportional to its radius so the density along every ring is the same. Noise std 0.08.
int64_t ring(Rng& rng, float* xy) {
  const double u = rng.uniform() * 10.0;  // 1 + 2 + 3 + 4
  const int64_t c = u < 1 ? 0 : u < 3 ? 1 : u < 6 ? 2 : 3;
  const double r = 0.75 * double(c + 1);
  const double t = 2.0 * kPi * rng.uniform();
  xy[0] = float(r * std::cos(t) + 0.08 * rng.normal());
  xy[1] = float(r * std::sin(t) + 0.08 * rng.normal());
  return c;
}

// Eight Gaussians of std 0.15 centred on the circle of radius 2, at angles k * 45 degrees.
int64_t gaussian8(Rng& rng, float* xy) {
  const int64_t c = rng.index(8);
  const double a = 2.0 * kPi * double(c) / 8.0;
  xy[0] = float(2.0 * std::cos(a) + 0.15 * rng.normal());
  xy[1] = float(2.0 * std::sin(a) + 0.15 * rng.normal());
  return c;
}

// Uniform over the 8 dark squares of a 4x4 board on [-2, 2]^2 (cells (i, j) with i + j even);
// the component is the square's index, row-major among the dark ones.
int64_t checker(Rng& rng, float* xy) {
  const int64_t c = rng.index(8);
  const int64_t row = c / 2;                  // 2 dark squares per row
  const int64_t col = 2 * (c % 2) + row % 2;  // shifted by one on odd rows
  xy[0] = float(-2.0 + double(col) + rng.uniform());
  xy[1] = float(-2.0 + double(row) + rng.uniform());
  return c;
}

Sampler sampler(const std::string& name) {
  if (name == "moons") return moon;
  if (name == "rings") return ring;
  if (name == "8gaussians") return gaussian8;
  if (name == "checkerboard") return checker;
  std::string valid;
  for (const auto& n : synthetic_names()) valid += (valid.empty() ? "" : ", ") + n;
  fail(name, "unknown synthetic set (valid: " + valid + ")");
}

}  // namespace

const std::vector<std::string>& synthetic_names() {
  static const std::vector<std::string> names = {"moons", "rings", "8gaussians", "checkerboard"};
  return names;
}

// -> x: [n, 2] float32, labels: [n] int64
torch::Tensor make_synthetic(const std::string& name, int64_t n, uint64_t seed,
                             torch::Tensor* labels) {
  const Sampler draw = sampler(name);
  if (n <= 0) fail(name, "the number of points must be positive, got " + std::to_string(n));
  Rng rng(seed);
  torch::Tensor x = torch::empty({n, 2}, torch::kFloat32);
  torch::Tensor y = torch::empty({n}, torch::kInt64);
  float* px = x.data_ptr<float>();
  int64_t* py = y.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) py[i] = draw(rng, px + 2 * i);
  if (labels) *labels = y;
  return x;
}

}  // namespace latentkit
