// Local ranks for `train --nproc` (see local_launcher.h).
#include "latentkit/dist/local_launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "latentkit/error.h"

namespace latentkit {

namespace {

volatile std::sig_atomic_t g_forward = 0;
extern "C" void remember_signal(int sig) { g_forward = sig; }

// A TCP port free on 127.0.0.1 now (the kernel's choice for port 0).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) fail("--nproc", "cannot open a socket to find a free port");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  if (port == 0) fail("--nproc", "cannot find a free local port for the group's store");
  return port;
}

int status_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

int run_local_ranks(int nproc, const std::vector<std::string>& args, std::chrono::milliseconds grace) {
  const std::string port = std::to_string(free_port());
  const std::string world = std::to_string(nproc);
  std::vector<pid_t> pids;
  std::fflush(nullptr);
  for (int r = 0; r < nproc; ++r) {
    const pid_t pid = ::fork();
    if (pid < 0) fail("--nproc", "cannot start rank " + std::to_string(r) + ": " + std::strerror(errno));
    if (pid == 0) {
      // Its own process group: a Ctrl-C at the terminal reaches the launcher, which passes it on
      // once, instead of every rank at the same time as the launcher's copy (a second signal
      // would stop a rank at once).
      ::setpgid(0, 0);
      const std::string rank = std::to_string(r);
      ::setenv("RANK", rank.c_str(), 1);
      ::setenv("LOCAL_RANK", rank.c_str(), 1);
      ::setenv("GROUP_RANK", "0", 1);
      ::setenv("WORLD_SIZE", world.c_str(), 1);
      ::setenv("LOCAL_WORLD_SIZE", world.c_str(), 1);
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", port.c_str(), 1);
      ::setenv("TORCHELASTIC_RESTART_COUNT", "0", 1);
      ::unsetenv("TORCHELASTIC_USE_AGENT_STORE");
      std::vector<char*> argv;
      std::string self = "/proc/self/exe";
      argv.push_back(self.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv("/proc/self/exe", argv.data());
      std::fprintf(stderr, "latentkit: error: --nproc: cannot start rank %d: %s\n", r, std::strerror(errno));
      std::_Exit(2);
    }
    pids.push_back(pid);
  }
  auto old_int = std::signal(SIGINT, remember_signal);
  auto old_term = std::signal(SIGTERM, remember_signal);
  int result = 0;
  bool forwarded = false;
  size_t running = pids.size();
  std::vector<bool> done(pids.size(), false);
  auto deadline = std::chrono::steady_clock::time_point::max();
  bool terminated = false;
  while (running > 0) {
    if (g_forward && !forwarded) {
      for (size_t i = 0; i < pids.size(); ++i)
        if (!done[i]) ::kill(pids[i], g_forward);
      forwarded = true;
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      for (size_t i = 0; i < pids.size(); ++i)
        if (pids[i] == pid && !done[i]) {
          done[i] = true;
          --running;
          const int code = status_code(status);
          if (code != 0 && result == 0) {
            result = code;
            deadline = std::chrono::steady_clock::now() + grace;
          }
        }
      continue;
    }
    if (!terminated && std::chrono::steady_clock::now() > deadline) {
      for (size_t i = 0; i < pids.size(); ++i)
        if (!done[i]) ::kill(pids[i], SIGKILL);
      terminated = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  return result;
}

}  // namespace latentkit
