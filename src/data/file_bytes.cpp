#include "latentkit/data/file_bytes.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <new>

#include "latentkit/error.h"
#include "latentkit/util/input_file.h"
#include "latentkit/util/memory_budget.h"

namespace latentkit {

// One read into a buffer of the file's size (read_file streams through an ostringstream, several
// times slower on a 26 MB MNIST archive), of regular files only.
std::string read_input_file(const std::string& path) { return read_regular_file(path); }

bool is_gzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0x1f &&
         static_cast<uint8_t>(bytes[1]) == 0x8b;
}

std::string gunzip(const std::string& path, std::string_view in) {
  z_stream zs{};
  // 16 + MAX_WBITS: expect a gzip wrapper (header and CRC checked by zlib).
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
    throw std::runtime_error("zlib: inflateInit2 failed");
  std::unique_ptr<z_stream, int (*)(z_streamp)> guard(&zs, inflateEnd);

  // The gzip trailer stores the uncompressed size mod 2^32: a good first guess for the buffer,
  // so a 47 MB MNIST file is not grown by repeated doubling. A truncated file ends in arbitrary
  // bytes, so the trailer is trusted only up to 16x the input: never a 4 GB allocation.
  size_t guess = in.size() * 4;
  if (in.size() >= 18) {
    const auto* t = reinterpret_cast<const uint8_t*>(in.data() + in.size() - 4);
    const size_t isize =
        uint32_t(t[0]) | uint32_t(t[1]) << 8 | uint32_t(t[2]) << 16 | uint32_t(t[3]) << 24;
    if (isize <= in.size() * 16) guess = isize;
  }
  std::string out(std::max<size_t>(guess, 1 << 16), '\0');
  size_t consumed = 0, produced = 0;
  for (;;) {
    if (produced == out.size()) {
      // A small file can expand to any size (a "gzip bomb"): refused once the data would not
      // fit in memory, before the allocation that would fail.
      require_memory(path, "its decompressed data (over " + byte_size_text(double(produced)) + ")",
                     double(out.size()) * 2);
      out.resize(out.size() * 2);
    }
    const size_t in_chunk = std::min<size_t>(in.size() - consumed, UINT_MAX);
    const size_t out_chunk = std::min<size_t>(out.size() - produced, UINT_MAX);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + consumed));
    zs.avail_in = static_cast<uInt>(in_chunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(out_chunk);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    consumed += in_chunk - zs.avail_in;
    produced += out_chunk - zs.avail_out;
    if (rc == Z_STREAM_END) {
      const std::string_view rest = in.substr(consumed);
      if (rest.empty()) break;
      if (is_gzip(rest)) {  // another member: gzip allows concatenation
        inflateReset(&zs);
        continue;
      }
      fail(path, std::to_string(rest.size()) + " bytes of trailing garbage after the gzip data");
    }
    if (rc == Z_MEM_ERROR) throw std::bad_alloc();
    if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_STREAM_ERROR)
      fail(path, std::string("corrupt gzip data: ") + (zs.msg ? zs.msg : "invalid stream"));
    // Z_OK / Z_BUF_ERROR: inflate stopped because input or output ran out. Output space left
    // with all input consumed means the stream ended before its end marker.
    if (consumed == in.size() && zs.avail_out != 0)
      fail(path, "truncated gzip data: the compressed stream ends early");
  }
  out.resize(produced);
  return out;
}

}  // namespace latentkit
