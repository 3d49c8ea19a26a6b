// Zip structure checks of a checkpoint (see checkpoint_archive.h). Little-endian fields, as
// APPNOTE.TXT lays them out; only what torch.save and torch::pickle_save write is accepted.
#include "latentkit/train/checkpoint_archive.h"

#include <cstdint>
#include <cstring>

#include "latentkit/error.h"

namespace latentkit {

namespace {

constexpr uint32_t kLocal = 0x04034b50, kCentral = 0x02014b50, kEnd = 0x06054b50, kEnd64 = 0x06064b50,
                   kLocator64 = 0x07064b50;
constexpr uint64_t kMaxPickle = 64ull << 20;  // the pickle holds metadata; tensors are records
constexpr uint64_t kMaxEntries = 1u << 20;

class Reader {
 public:
  Reader(const std::string& path, std::string_view bytes) : path_(path), b_(bytes) {}

  [[noreturn]] void bad(const std::string& why) const {
    fail(path_, "not a readable checkpoint (" + why + ")");
  }
  uint64_t le(uint64_t at, int n) const {
    if (at > b_.size() || uint64_t(n) > b_.size() - at) bad("a zip record runs past the end of the file");
    uint64_t v = 0;
    for (int k = n - 1; k >= 0; --k) v = v << 8 | uint8_t(b_[at + uint64_t(k)]);
    return v;
  }
  std::string_view text(uint64_t at, uint64_t n) const {
    if (at > b_.size() || n > b_.size() - at) bad("a zip record runs past the end of the file");
    return b_.substr(at, n);
  }
  uint64_t size() const { return b_.size(); }

 private:
  const std::string& path_;
  std::string_view b_;
};

struct Directory {
  uint64_t entries, offset, size, end;  // end: where the directory must stop
};

Directory find_directory(const Reader& r) {
  if (r.size() < 22) r.bad("too short for a zip archive");
  // The end record is the last 22 bytes plus a comment of up to 65535 bytes.
  const uint64_t lowest = r.size() > 22 + 65535 ? r.size() - 22 - 65535 : 0;
  for (uint64_t at = r.size() - 22 + 1; at-- > lowest;) {
    if (r.le(at, 4) != kEnd || at + 22 + r.le(at + 20, 2) != r.size()) continue;
    Directory d{r.le(at + 10, 2), r.le(at + 16, 4), r.le(at + 12, 4), at};
    if (d.entries == 0xffff || d.offset == 0xffffffff || d.size == 0xffffffff) {
      // zip64: a locator just before the end record points at the zip64 end record.
      if (at < 20 || r.le(at - 20, 4) != kLocator64) r.bad("zip64 sizes without a zip64 locator");
      const uint64_t end64 = r.le(at - 20 + 8, 8);
      if (end64 >= at - 20 || r.le(end64, 4) != kEnd64) r.bad("a zip64 end record outside the file");
      d = Directory{r.le(end64 + 32, 8), r.le(end64 + 48, 8), r.le(end64 + 40, 8), end64};
    } else if (at >= 20 && r.le(at - 20, 4) == kLocator64) {
      d.end = r.le(at - 20 + 8, 8);  // the zip64 end record follows the directory
    }
    if (d.offset > d.end || d.size > d.end - d.offset) r.bad("its zip directory lies outside the file");
    if (d.entries == 0 || d.entries > kMaxEntries) r.bad(std::to_string(d.entries) + " zip entries");
    return d;
  }
  r.bad("no zip end-of-directory record: truncated, or not a checkpoint");
}

// A central entry's sizes and local offset, widened from its zip64 extra field where saturated.
void widen(const Reader& r, uint64_t extra, uint64_t extra_len, uint64_t& size, uint64_t& csize, uint64_t& local) {
  for (uint64_t at = extra; at + 4 <= extra + extra_len;) {
    const uint64_t id = r.le(at, 2), len = r.le(at + 2, 2);
    if (at + 4 + len > extra + extra_len) r.bad("a zip extra field runs past its entry");
    if (id == 0x0001) {
      uint64_t p = at + 4;
      for (uint64_t* field : {&size, &csize, &local})
        if (*field == 0xffffffff) {
          if (p + 8 > at + 4 + len) r.bad("a short zip64 extra field");
          *field = r.le(p, 8);
          p += 8;
        }
    }
    at += 4 + len;
  }
}

}  // namespace

void check_checkpoint_archive(const std::string& path, std::string_view bytes) {
  const Reader r(path, bytes);
  const Directory d = find_directory(r);
  std::string folder;
  bool pickle = false, version = false;
  uint64_t at = d.offset;
  for (uint64_t i = 0; i < d.entries; ++i) {
    if (at + 46 > d.offset + d.size || r.le(at, 4) != kCentral) r.bad("a damaged zip directory");
    const uint64_t method = r.le(at + 10, 2), name_len = r.le(at + 28, 2), extra_len = r.le(at + 30, 2),
                   comment_len = r.le(at + 32, 2);
    uint64_t csize = r.le(at + 20, 4), size = r.le(at + 24, 4), local = r.le(at + 42, 4);
    if (at + 46 + name_len + extra_len + comment_len > d.offset + d.size) r.bad("a damaged zip directory");
    const std::string name(r.text(at + 46, name_len));
    widen(r, at + 46 + name_len, extra_len, size, csize, local);
    if (method != 0 || csize != size) r.bad("record '" + name + "' is compressed; checkpoints store them");
    // The local header and the data lie before the directory.
    if (local > d.offset || d.offset - local < 30 || r.le(local, 4) != kLocal)
      r.bad("record '" + name + "' has no local header where the directory says");
    const uint64_t data = local + 30 + r.le(local + 26, 2) + r.le(local + 28, 2);
    if (data > d.offset || size > d.offset - data) r.bad("record '" + name + "' runs past its place in the file");
    const size_t slash = name.find('/');
    if (slash == std::string::npos || slash == 0) r.bad("record '" + name + "' is outside the archive's folder");
    if (folder.empty()) folder = name.substr(0, slash);
    if (name.compare(0, slash, folder) != 0 || name.size() == slash + 1 || name[slash] != '/')
      r.bad("records of more than one folder ('" + folder + "', '" + name + "')");
    const std::string rest = name.substr(slash + 1);
    if (rest == "data.pkl") {
      if (size > kMaxPickle) r.bad("its pickle is " + std::to_string(size) + " bytes");
      pickle = true;
    }
    version = version || rest == "version" || rest == ".data/version";
    at += 46 + name_len + extra_len + comment_len;
  }
  if (!pickle) r.bad("no data.pkl record");
  if (!version) r.bad("no version record");
}

}  // namespace latentkit
