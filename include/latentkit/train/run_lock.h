#pragma once
// The lock that makes one process at a time the writer of a run directory: an advisory flock(2)
// on "<dir>/.lock", held for the life of the RunLock (normally the process). The kernel drops it
// when the process ends, however it ends, so a crash never leaves a run locked. The file keeps
// the holder's pid, which a second writer names when it is refused.
//
// A launcher that starts the writer as a child (`train --nproc`) takes the lock itself and hands
// it down: pass_down() keeps the descriptor open across exec and names it in the environment,
// and the child's acquire() adopts that descriptor instead of contending with its parent.
#include <string>

namespace latentkit {

class RunLock {
 public:
  RunLock() = default;
  // Takes the lock of `dir` (which must exist) at once or throws InputError naming the directory
  // and the holder's pid. An unwritable directory is reported the same way, as one line.
  static RunLock acquire(const std::string& dir);
  ~RunLock();
  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&& other) noexcept;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  bool held() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }
  // Children exec'd after this inherit the lock; the one that calls acquire() on the same
  // directory adopts it.
  void pass_down();
  // Gives the lock up now (the file stays: removing it would let two writers lock two files).
  void release();

  static constexpr const char* kFileName = ".lock";
  static constexpr const char* kEnvironment = "LATENTKIT_RUN_LOCK_FD";

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace latentkit
