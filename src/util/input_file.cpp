// Regular files only, sized before allocation: see input_file.h.
#include "latentkit/util/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <new>

#include "latentkit/error.h"
#include "latentkit/util/memory_budget.h"

namespace latentkit {

namespace {

// Why a file of mode `mode` is not read; "" for a regular file.
std::string type_problem(mode_t mode) {
  if (S_ISREG(mode)) return "";
  if (S_ISDIR(mode)) return "is a directory, expected a file";
  if (S_ISFIFO(mode)) return "is a FIFO (named pipe), not a regular file";
  if (S_ISCHR(mode)) return "is a character device, not a regular file";
  if (S_ISBLK(mode)) return "is a block device, not a regular file";
  if (S_ISSOCK(mode)) return "is a socket, not a regular file";
  return "is not a regular file";
}

[[noreturn]] void open_failed(const std::string& path, int err) {
  if (err == ENOENT) fail(path, "no such file");
  if (err == ENOTDIR) fail(path, "no such file (a part of the path is not a directory)");
  if (err == ENXIO) fail(path, "is a socket, not a regular file");
  fail(path, std::string("cannot open: ") + std::strerror(err));
}

class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

void require_regular_file(const std::string& path) {
  // stat, not open: opening a device can have effects, and opening a FIFO blocks.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) open_failed(path, errno);
  const std::string problem = type_problem(st.st_mode);
  if (!problem.empty()) fail(path, problem);
}

std::string read_regular_file(const std::string& path, uint64_t max_bytes) {
  require_regular_file(path);
  // O_NONBLOCK: should the path have become a FIFO since the stat, open() returns at once and
  // fstat below refuses it.
  Descriptor fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) open_failed(path, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) fail(path, std::string("cannot read: ") + std::strerror(errno));
  const std::string problem = type_problem(st.st_mode);
  if (!problem.empty()) fail(path, problem);
  const uint64_t size = uint64_t(st.st_size);
  if (size > max_bytes)
    fail(path, "is " + byte_size_text(double(size)) + ", more than the " + byte_size_text(double(max_bytes)) +
                   " such a file may have");
  require_memory(path, "reading this " + byte_size_text(double(size)) + " file", double(size));
  std::string bytes;
  try {
    bytes.resize(size);
  } catch (const std::bad_alloc&) {
    fail(path, "not enough memory to read its " + byte_size_text(double(size)));
  }
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd.get(), bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(path, std::string("read error: ") + std::strerror(errno));
    if (n == 0) fail(path, "changed while being read (it is shorter than when it was opened)");
    got += size_t(n);
  }
  return bytes;
}

void rethrow_reading_error(const std::string& path) {
  const std::exception_ptr error = std::current_exception();
  const std::string asked = allocation_failure(error);
  if (!asked.empty())
    fail(path, "not enough memory to read it" + (asked == "?" ? std::string() : " (an allocation of " + asked + " failed)"));
  try {
    std::rethrow_exception(error);
  } catch (const std::filesystem::filesystem_error& e) {
    fail(path, e.code().message());
  }
}

}  // namespace latentkit
