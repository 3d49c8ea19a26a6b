#include "latentkit/train/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "latentkit/error.h"

namespace latentkit {

namespace {

// The pid the holder wrote into the lock file, or "" when it cannot be read.
std::string holder_pid(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return "";
  std::string s(buf, static_cast<size_t>(n));
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.find_first_not_of("0123456789") == std::string::npos ? s : "";
}

// A lock descriptor a launcher handed down for `path`, adopted when it is still the lock of that
// very file (the variable may have leaked into an unrelated process); -1 otherwise.
int inherited(const std::string& path) {
  const char* text = std::getenv(RunLock::kEnvironment);
  if (!text) return -1;
  char* end = nullptr;
  const long fd = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || fd < 0 || fd > 1 << 20) return -1;
  struct stat held {}, named {};
  if (::fstat(static_cast<int>(fd), &held) != 0 || ::stat(path.c_str(), &named) != 0) return -1;
  if (held.st_dev != named.st_dev || held.st_ino != named.st_ino) return -1;
  // The same open file description: flock succeeds at once when the launcher holds it.
  if (::flock(static_cast<int>(fd), LOCK_EX | LOCK_NB) != 0) return -1;
  ::unsetenv(RunLock::kEnvironment);
  ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
  return static_cast<int>(fd);
}

}  // namespace

RunLock RunLock::acquire(const std::string& dir) {
  RunLock lock;
  lock.path_ = dir + "/" + kFileName;
  if ((lock.fd_ = inherited(lock.path_)) >= 0) return lock;
  lock.fd_ = ::open(lock.path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock.fd_ < 0)
    fail(dir, std::string("cannot write into the run directory: ") + std::strerror(errno));
  if (::flock(lock.fd_, LOCK_EX | LOCK_NB) != 0) {
    const int why = errno;
    const std::string pid = holder_pid(lock.fd_);
    ::close(lock.fd_);
    lock.fd_ = -1;
    if (why != EWOULDBLOCK)
      fail(lock.path_, std::string("cannot lock the run directory: ") + std::strerror(why));
    fail(dir, "is in use: another training writes into it (" +
                  (pid.empty() ? std::string("pid unknown") : "pid " + pid) +
                  "); wait for it to end or choose another --out");
  }
  // The holder's pid, for the message above. The lock, not this text, is what excludes.
  const std::string text = std::to_string(::getpid()) + "\n";
  if (::ftruncate(lock.fd_, 0) != 0 ||
      ::pwrite(lock.fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    const std::string why = std::strerror(errno);
    lock.release();
    fail(dir, "cannot write into the run directory: " + why);
  }
  return lock;
}

void RunLock::pass_down() {
  if (fd_ < 0) return;
  ::fcntl(fd_, F_SETFD, 0);
  ::setenv(kEnvironment, std::to_string(fd_).c_str(), 1);
}

void RunLock::release() {
  if (fd_ < 0) return;
  ::close(fd_);  // closing the last descriptor of the open file releases the flock
  fd_ = -1;
}

RunLock::~RunLock() { release(); }

RunLock::RunLock(RunLock&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

RunLock& RunLock::operator=(RunLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

}  // namespace latentkit
