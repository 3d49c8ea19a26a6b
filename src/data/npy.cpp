// NumPy .npy files: "\x93NUMPY", a version (1.0: 2-byte header length; 2.0/3.0: 4-byte), then a
// Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (N, D), } padded with
// spaces and '\n', then the raw array. Only what latentkit exchanges is supported: 2-D arrays
// of little-endian float32/float64 or uint8.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "latentkit/data/file_bytes.h"
#include "latentkit/data/loaders.h"
#include "latentkit/error.h"
#include "latentkit/util/atomic_file.h"

namespace latentkit {
namespace {

constexpr std::string_view kMagic("\x93NUMPY", 6);

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
};

// A parser for the one dict literal numpy writes; anything else is reported as malformed.
class HeaderParser {
 public:
  HeaderParser(const std::string& path, std::string_view text) : path_(path), s_(text) {}

  NpyHeader parse() {
    NpyHeader h;
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{');
    while (!peek('}')) {
      const std::string key = string_literal();
      expect(':');
      if (key == "descr") {
        if (peek('['))
          fail(path_, "unsupported dtype: a structured array (expected '<f4' or '<f8')");
        h.descr = string_literal();
        have_descr = true;
      } else if (key == "fortran_order") {
        h.fortran_order = boolean();
        have_order = true;
      } else if (key == "shape") {
        h.shape = tuple();
        have_shape = true;
      } else {
        malformed("unexpected key '" + key + "'");
      }
      if (!peek('}')) expect(',');
    }
    if (!have_descr || !have_order || !have_shape)
      malformed("missing 'descr', 'fortran_order' or 'shape'");
    return h;
  }

 private:
  [[noreturn]] void malformed(const std::string& why) {
    fail(path_, "malformed .npy header (" + why + "): " + std::string(s_));
  }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n')) ++i_;
  }
  bool peek(char c) {
    skip_ws();
    return i_ < s_.size() && s_[i_] == c;
  }
  void expect(char c) {
    if (!peek(c)) malformed(std::string("expected '") + c + "'");
    ++i_;
  }
  std::string string_literal() {
    skip_ws();
    if (i_ >= s_.size() || (s_[i_] != '\'' && s_[i_] != '"')) malformed("expected a string");
    const char quote = s_[i_++];
    const size_t end = s_.find(quote, i_);
    if (end == std::string_view::npos) malformed("unterminated string");
    std::string out(s_.substr(i_, end - i_));
    i_ = end + 1;
    return out;
  }
  bool boolean() {
    skip_ws();
    for (auto [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
      const size_t n = std::strlen(word);
      if (s_.substr(i_, n) == word) {
        i_ += n;
        return value;
      }
    }
    malformed("expected True or False");
  }
  std::vector<int64_t> tuple() {
    std::vector<int64_t> out;
    expect('(');
    while (!peek(')')) {
      skip_ws();
      int64_t v = 0;
      size_t digits = 0;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
        if (v > (std::numeric_limits<int64_t>::max() - 9) / 10) malformed("dimension too large");
        v = v * 10 + (s_[i_++] - '0');
        ++digits;
      }
      if (digits == 0) malformed("expected a dimension");
      if (i_ < s_.size() && s_[i_] == 'L') ++i_;  // Python 2 longs: (3L, 4L)
      out.push_back(v);
      if (!peek(')')) expect(',');
    }
    ++i_;
    return out;
  }

  const std::string& path_;
  std::string_view s_;
  size_t i_ = 0;
};

uint64_t le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int k = n - 1; k >= 0; --k) v = v << 8 | p[k];
  return v;
}

}  // namespace

// -> [N, D] float32 in C order whatever the file's order.
torch::Tensor read_npy(const std::string& path) {
  const std::string bytes = read_input_file(path);
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  if (bytes.compare(0, kMagic.size(), kMagic) != 0)
    fail(path, "bad magic: not a .npy file (it does not start with \"\\x93NUMPY\")");
  if (bytes.size() < 10) fail(path, "truncated: the file ends inside the .npy header");
  const int major = p[6], minor = p[7];
  if (major < 1 || major > 3 || minor != 0)
    fail(path, "unsupported .npy version " + std::to_string(major) + "." + std::to_string(minor) +
                   " (expected 1.0, 2.0 or 3.0)");
  const size_t len_bytes = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + len_bytes) fail(path, "truncated: the file ends inside the .npy header");
  const size_t header_len = size_t(le(p + 8, int(len_bytes)));
  const size_t data_start = 8 + len_bytes + header_len;
  if (bytes.size() < data_start) fail(path, "truncated: the file ends inside the .npy header");
  const NpyHeader h =
      HeaderParser(path, std::string_view(bytes).substr(8 + len_bytes, header_len)).parse();

  size_t elem = 0;
  if (h.descr == "<f4")
    elem = 4;
  else if (h.descr == "<f8")
    elem = 8;
  else if (h.descr == "|u1" || h.descr == "<u1")
    elem = 1;
  else
    fail(path, "unsupported dtype '" + h.descr + "' (expected '<f4', '<f8' or '|u1')");
  if (h.shape.size() != 2)
    fail(path, "rank " + std::to_string(h.shape.size()) + ", expected a 2-D array");
  const int64_t rows = h.shape[0], cols = h.shape[1];
  const uint64_t found = bytes.size() - data_start;
  // Absurd shapes would overflow rows * cols * elem; no file can back them anyway.
  if (rows != 0 && cols != 0 && uint64_t(cols) > (uint64_t(1) << 62) / elem / uint64_t(rows))
    fail(path, "truncated: the header declares shape (" + std::to_string(rows) + ", " +
                   std::to_string(cols) + ") but only " + std::to_string(found) +
                   " bytes of data follow");
  const uint64_t expected = uint64_t(rows) * uint64_t(cols) * elem;
  if (found < expected)
    fail(path, "truncated: expected " + std::to_string(expected) + " bytes of data, found " +
                   std::to_string(found));
  if (found > expected)
    fail(path, std::to_string(found - expected) + " bytes of trailing garbage after the data");

  // Fortran order stores the transpose contiguously: read [D, N], then transpose.
  const std::vector<int64_t> stored =
      h.fortran_order ? std::vector<int64_t>{cols, rows} : std::vector<int64_t>{rows, cols};
  torch::Tensor x = torch::empty(stored, torch::kFloat32);
  float* out = x.data_ptr<float>();
  const uint8_t* data = p + data_start;
  const int64_t n = rows * cols;
  static_assert(sizeof(float) == 4 && sizeof(double) == 8, "IEEE floats expected");
  // Raw copies assume a little-endian host, like the '<' in the dtypes accepted.
  if (elem == 4) {
    if (n > 0) std::memcpy(out, data, size_t(n) * 4);
  } else if (elem == 8) {
    for (int64_t i = 0; i < n; ++i) {
      double v;
      std::memcpy(&v, data + 8 * i, 8);
      if (std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max())
        fail(path, "value " + std::to_string(v) + " is outside the float32 range");
      out[i] = float(v);
    }
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = float(data[i]);
  }
  if (h.fortran_order) x = x.t().contiguous();

  const float* v = x.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(v[i]))
      fail(path, std::string(std::isnan(v[i]) ? "NaN" : "infinite value") + " at row " +
                     std::to_string(i / cols) + ", column " + std::to_string(i % cols) +
                     " (0-based)");
  return x;
}

// x: [N, D] -> a version 1.0 file of '<f4', its data 64-byte aligned as numpy itself writes.
void write_npy(const std::string& path, const torch::Tensor& x) {
  if (x.dim() != 2) throw std::invalid_argument("write_npy: x must be 2-D");
  const torch::Tensor v = x.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                     std::to_string(v.size(0)) + ", " + std::to_string(v.size(1)) + "), }";
  // 10 bytes of magic, version and length, then the dict, spaces, and a final '\n'.
  const size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  const size_t header_len = dict.size();
  std::string out(kMagic);
  out += '\x01';
  out += '\x00';
  out += char(header_len & 0xff);
  out += char(header_len >> 8);
  out += dict;
  out.append(reinterpret_cast<const char*>(v.data_ptr<float>()), size_t(v.numel()) * 4);
  write_file_atomic(path, out);
}

}  // namespace latentkit
