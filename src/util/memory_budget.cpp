// Memory limits for range checks, and allocation failures recognised for messages.
#include "latentkit/util/memory_budget.h"

#include <c10/util/Exception.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <new>
#include <string>

#include "latentkit/error.h"

namespace latentkit {

namespace {

// A cgroup's memory limit ("max" or a number of bytes), or UINT64_MAX when there is none.
uint64_t cgroup_limit(const char* file) {
  std::ifstream in(file);
  std::string text;
  if (!(in >> text) || text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
    return UINT64_MAX;
  try {
    return std::stoull(text);
  } catch (const std::exception&) {
    return UINT64_MAX;
  }
}

}  // namespace

uint64_t memory_limit_bytes() {
  static const uint64_t limit = [] {
    uint64_t bytes = UINT64_MAX;
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0) bytes = uint64_t(pages) * uint64_t(page);
    // cgroup v2, then v1 (whose "no limit" is a huge number, harmless under min).
    bytes = std::min(bytes, cgroup_limit("/sys/fs/cgroup/memory.max"));
    bytes = std::min(bytes, cgroup_limit("/sys/fs/cgroup/memory/memory.limit_in_bytes"));
    return bytes;
  }();
  return limit;
}

std::string byte_size_text(double bytes) {
  const char* units[] = {"bytes", "KB", "MB", "GB", "TB", "PB", "EB"};
  int u = 0;
  while (bytes >= 1024 && u < 6) {
    bytes /= 1024;
    ++u;
  }
  char buf[64];
  if (u == 0) std::snprintf(buf, sizeof buf, "%.0f bytes", bytes);
  else if (bytes < 10) std::snprintf(buf, sizeof buf, "%.1f %s", bytes, units[u]);
  else if (bytes < 1e6) std::snprintf(buf, sizeof buf, "%.0f %s", bytes, units[u]);
  else std::snprintf(buf, sizeof buf, "%.3g %s", bytes, units[u]);
  return buf;
}

void require_memory(const std::string& where, const std::string& what, double bytes) {
  const uint64_t limit = memory_limit_bytes();
  if (limit == UINT64_MAX || !(bytes > double(limit))) return;
  fail(where, what + " needs about " + byte_size_text(bytes) + ", more than this machine's memory (" +
                  byte_size_text(double(limit)) + ")");
}

std::string allocation_failure(const std::exception_ptr& error) {
  if (!error) return "";
  try {
    std::rethrow_exception(error);
  } catch (const std::bad_alloc&) {
    return "?";
  } catch (const c10::Error& e) {
    // 1.13's CPU allocator: "[enforce fail at alloc_cpu.cpp:75] ... DefaultCPUAllocator: can't
    // allocate memory: you tried to allocate 12800000000 bytes. Error code 12 ..."; CUDA's:
    // c10::OutOfMemoryError "CUDA out of memory. Tried to allocate 2.00 GiB ...".
    const std::string m = e.what_without_backtrace();
    const bool oom = dynamic_cast<const c10::OutOfMemoryError*>(&e) != nullptr ||
                     m.find("can't allocate memory") != std::string::npos;
    if (!oom) return "";
    std::string lower = m;
    for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
    const std::string tag = "tried to allocate ";
    const size_t at = lower.find(tag);
    if (at == std::string::npos) return "?";
    const std::string rest = m.substr(at + tag.size());
    char* end = nullptr;
    const double n = std::strtod(rest.c_str(), &end);
    if (end == rest.c_str()) return "?";
    if (rest.compare(size_t(end - rest.c_str()), 6, " bytes") == 0) return byte_size_text(n);
    return rest.substr(0, rest.find(" ("));  // "2.00 GiB"
  } catch (...) {
    return "";
  }
  return "";
}

}  // namespace latentkit
