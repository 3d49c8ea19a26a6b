// NumPy .npy files: "\x93NUMPY", a version (1.0: 2-byte header length; 2.0/3.0: 4-byte), then a
// Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (N, D), } padded with
// spaces and '\n', then the raw array. Only what latentkit exchanges is supported: arrays of rank
// 1 to 4 of little-endian numbers (uint8, int8, int16, uint16, int32, uint32, int64, float32,
// float64).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "latentkit/data/file_bytes.h"
#include "latentkit/data/loaders.h"
#include "latentkit/error.h"
#include "latentkit/util/atomic_file.h"
#include "latentkit/util/input_file.h"

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
          fail(path_, "unsupported dtype: a structured array (expected numbers, e.g. '<f4')");
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

// A dtype latentkit reads: its size, and the tensor type it is read into.
struct Dtype {
  size_t size;
  torch::ScalarType type;
};

// numpy's descr -> Dtype; one-byte types may say '|', '<' or '=' (byte order is moot).
std::optional<Dtype> dtype_of(const std::string& descr) {
  if (descr.size() != 3 || (descr[0] != '<' && descr[0] != '|' && descr[0] != '=')) return {};
  const std::string t = descr.substr(1);
  if (t == "u1") return Dtype{1, torch::kUInt8};
  if (t == "i1") return Dtype{1, torch::kInt8};
  if (descr[0] == '|') return {};  // wider types need a byte order
  if (t == "i2") return Dtype{2, torch::kInt16};
  if (t == "u2") return Dtype{2, torch::kInt32};
  if (t == "i4") return Dtype{4, torch::kInt32};
  if (t == "u4") return Dtype{4, torch::kInt64};
  if (t == "i8") return Dtype{8, torch::kInt64};
  if (t == "f4") return Dtype{4, torch::kFloat32};
  if (t == "f8") return Dtype{8, torch::kFloat32};
  return {};
}

// n elements of `descr` at data -> out (a contiguous tensor of dtype_of(descr)->type).
void decode(const std::string& path, const std::string& descr, const uint8_t* data, int64_t n,
            torch::Tensor& out) {
  const std::string t = descr.substr(1);
  static_assert(sizeof(float) == 4 && sizeof(double) == 8, "IEEE floats expected");
  // Raw copies assume a little-endian host, like the '<' in the dtypes accepted.
  if (t == "f8") {
    float* o = out.data_ptr<float>();
    for (int64_t i = 0; i < n; ++i) {
      double v;
      std::memcpy(&v, data + 8 * i, 8);
      if (std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max())
        fail(path, "value " + std::to_string(v) + " is outside the float32 range");
      o[i] = float(v);
    }
  } else if (t == "u2") {
    int32_t* o = out.data_ptr<int32_t>();
    for (int64_t i = 0; i < n; ++i) o[i] = int32_t(le(data + 2 * i, 2));
  } else if (t == "u4") {
    int64_t* o = out.data_ptr<int64_t>();
    for (int64_t i = 0; i < n; ++i) o[i] = int64_t(le(data + 4 * i, 4));
  } else if (n > 0) {
    std::memcpy(out.data_ptr(), data, size_t(n) * out.element_size());
  }
}

// Position of flat index i in an array of `shape`, for error messages: "[1, 0, 2]".
std::string index_text(int64_t i, const std::vector<int64_t>& shape) {
  std::vector<int64_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = i % shape[d];
    i /= shape[d];
  }
  std::string s = "[";
  for (size_t d = 0; d < idx.size(); ++d) s += (d ? ", " : "") + std::to_string(idx[d]);
  return s + "]";
}

}  // namespace

// -> the stored shape in C order whatever the file's order; uint8, int8, int16, int32, int64 or
// float32 (float64 is narrowed, uint16 and uint32 widened).
static torch::Tensor parse_npy_file(const std::string& path) {
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

  const std::optional<Dtype> dtype = dtype_of(h.descr);
  if (!dtype)
    fail(path, "unsupported dtype '" + h.descr +
                   "' (expected little-endian numbers: '<f4', '<f8', '|u1', '|i1', '<i2', '<u2', "
                   "'<i4', '<u4' or '<i8')");
  if (h.shape.empty() || h.shape.size() > 4)
    fail(path, "rank " + std::to_string(h.shape.size()) + ", expected an array of rank 1 to 4");
  const uint64_t found = bytes.size() - data_start;
  // Absurd shapes would overflow the product; no file can back them anyway.
  uint64_t expected = dtype->size;
  bool too_large = false;
  for (int64_t d : h.shape) {
    if (d != 0 && expected > (uint64_t(1) << 62) / uint64_t(d)) too_large = true;
    else expected *= uint64_t(d);
  }
  if (too_large)
    fail(path, "truncated: the header declares more data than the " + std::to_string(found) +
                   " bytes that follow");
  if (found < expected)
    fail(path, "truncated: expected " + std::to_string(expected) + " bytes of data, found " +
                   std::to_string(found));
  if (found > expected)
    fail(path, std::to_string(found - expected) + " bytes of trailing garbage after the data");

  // Fortran order stores the transpose contiguously: read the reversed shape, then permute back.
  std::vector<int64_t> stored = h.shape;
  if (h.fortran_order) std::reverse(stored.begin(), stored.end());
  torch::Tensor x = torch::empty(stored, dtype->type);
  decode(path, h.descr, p + data_start, x.numel(), x);
  if (h.fortran_order) {
    std::vector<int64_t> back(stored.size());
    for (size_t d = 0; d < back.size(); ++d) back[d] = int64_t(back.size() - 1 - d);
    x = x.permute(back).contiguous();
  }

  if (x.scalar_type() == torch::kFloat32) {
    const float* v = x.data_ptr<float>();
    for (int64_t i = 0; i < x.numel(); ++i)
      if (!std::isfinite(v[i])) {
        const std::string where =
            h.shape.size() == 2 ? "row " + std::to_string(i / h.shape[1]) + ", column " +
                                      std::to_string(i % h.shape[1]) + " (0-based)"
                                : "element " + index_text(i, h.shape);
        fail(path, std::string(std::isnan(v[i]) ? "NaN" : "infinite value") + " at " + where);
      }
  }
  return x;
}

// The header's shape is checked against the file's size before the array is allocated; the
// conversions (Fortran order, float64) allocate again, reported against the file if they fail.
torch::Tensor read_npy_array(const std::string& path) {
  return reading(path, [&] { return parse_npy_file(path); });
}

// -> [N, D] float32
torch::Tensor read_npy(const std::string& path) {
  const torch::Tensor x = read_npy_array(path);
  if (x.dim() != 2) fail(path, "rank " + std::to_string(x.dim()) + ", expected a 2-D array");
  return x.to(torch::kFloat32);
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
