// IDX reader (the MNIST format): a 4-byte magic 0x00 0x00 <type> <ndims>, ndims big-endian
// uint32 sizes, then the elements big-endian in row-major order.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "latentkit/data/file_bytes.h"
#include "latentkit/data/loaders.h"
#include "latentkit/error.h"
#include "latentkit/util/input_file.h"

namespace latentkit {
namespace {

std::string hex(uint32_t v, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%0*X", digits, v);
  return buf;
}

uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

uint64_t be64(const uint8_t* p) { return uint64_t(be32(p)) << 32 | be32(p + 4); }

// Bytes per element for an IDX type code, 0 for an unknown code.
size_t element_size(uint8_t type) {
  switch (type) {
    case 0x08:
    case 0x09:
      return 1;  // ubyte, sbyte
    case 0x0B:
      return 2;  // short
    case 0x0C:
    case 0x0D:
      return 4;  // int, float
    case 0x0E:
      return 8;  // double
    default:
      return 0;
  }
}

// "[i, j, k]" for a flat row-major index, so an error can point at the bad element.
std::string index_string(int64_t flat, const std::vector<int64_t>& dims) {
  std::vector<int64_t> idx(dims.size());
  for (size_t d = dims.size(); d-- > 0;) {
    idx[d] = flat % dims[d];
    flat /= dims[d];
  }
  std::string s = "[";
  for (size_t d = 0; d < idx.size(); ++d) s += (d ? ", " : "") + std::to_string(idx[d]);
  return s + "]";
}

// Decodes n big-endian elements of a non-ubyte type into float32. data: n * element_size bytes.
void decode_to_float(const std::string& path, uint8_t type, const uint8_t* data, int64_t n,
                     const std::vector<int64_t>& dims, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    switch (type) {
      case 0x09:
        out[i] = float(int8_t(data[i]));
        break;
      case 0x0B:
        out[i] = float(int16_t(uint16_t(data[2 * i]) << 8 | data[2 * i + 1]));
        break;
      case 0x0C:
        out[i] = float(int32_t(be32(data + 4 * i)));
        break;
      case 0x0D: {
        const uint32_t bits = be32(data + 4 * i);
        std::memcpy(&out[i], &bits, 4);
        break;
      }
      case 0x0E: {
        const uint64_t bits = be64(data + 8 * i);
        double v;
        std::memcpy(&v, &bits, 8);
        if (std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max())
          fail(path, "value " + std::to_string(v) + " at element " + index_string(i, dims) +
                         " is outside the float32 range");
        out[i] = float(v);
        break;
      }
    }
    if (!std::isfinite(out[i]))
      fail(path, std::string(std::isnan(out[i]) ? "NaN" : "infinite value") + " at element " +
                     index_string(i, dims));
  }
}

}  // namespace

// -> [d0, d1, ...] uint8 for ubyte files, float32 otherwise.
static torch::Tensor parse_idx_file(const std::string& path) {
  std::string bytes = read_input_file(path);
  if (is_gzip(bytes)) bytes = gunzip(path, bytes);
  if (bytes.size() < 4)
    fail(path,
         "truncated: " + std::to_string(bytes.size()) + " bytes, too short for an IDX header");
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const uint32_t magic = be32(p);
  if (p[0] != 0 || p[1] != 0)
    fail(path, "wrong magic number " + hex(magic, 8) + " (not an IDX file)");
  const uint8_t type = p[2];
  const size_t elem = element_size(type);
  if (elem == 0)
    fail(path, "wrong magic number " + hex(magic, 8) + ": unknown element type " + hex(type, 2) +
                   " (expected 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E)");
  const size_t ndims = p[3];
  if (ndims == 0) fail(path, "wrong magic number " + hex(magic, 8) + ": zero dimensions");
  const size_t header = 4 + 4 * ndims;
  if (bytes.size() < header)
    fail(path, "truncated: the header declares " + std::to_string(ndims) +
                   " dimensions but the file ends after " + std::to_string(bytes.size()) +
                   " bytes");

  std::vector<int64_t> dims(ndims);
  // Sizes are up to 2^32-1 each; cap the product well below overflow. Anything that large
  // cannot be backed by the file anyway, so it is reported as truncation.
  const uint64_t cap = uint64_t(1) << 62;
  uint64_t expected = elem;
  bool too_large = false;
  for (size_t d = 0; d < ndims; ++d) {
    dims[d] = be32(p + 4 + 4 * d);
    if (dims[d] != 0 && expected > cap / uint64_t(dims[d]))
      too_large = true;
    else
      expected *= uint64_t(dims[d]);
  }
  const uint64_t found = bytes.size() - header;
  if (too_large) fail(path, "truncated: the header declares more data than any file can hold");
  if (found < expected)
    fail(path, "truncated: expected " + std::to_string(expected) + " bytes of data, found " +
                   std::to_string(found));
  if (found > expected)
    fail(path, std::to_string(found - expected) + " bytes of trailing garbage after the " +
                   std::to_string(expected) + " bytes of data the header declares");

  const uint8_t* data = p + header;
  const int64_t n = int64_t(expected / elem);
  if (type == 0x08) {
    auto t = torch::empty(dims, torch::kUInt8);
    if (n > 0) std::memcpy(t.data_ptr<uint8_t>(), data, size_t(n));
    return t;
  }
  auto t = torch::empty(dims, torch::kFloat32);
  decode_to_float(path, type, data, n, dims, t.data_ptr<float>());
  return t;
}

// The file's size bounds every allocation but gzip's output and the float copy: failures of those
// are reported against the file.
torch::Tensor read_idx(const std::string& path) {
  return reading(path, [&] { return parse_idx_file(path); });
}

}  // namespace latentkit
