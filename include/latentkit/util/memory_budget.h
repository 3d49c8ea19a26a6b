#pragma once
// What this machine can hold: flags and file headers that ask for more memory than there is are
// refused before any work starts, with one line naming them, instead of failing deep inside an
// allocation (LibTorch's "[enforce fail at alloc_cpu.cpp]" text, or an OOM kill later).
#include <cstdint>
#include <exception>
#include <string>

namespace latentkit {

// Memory this process may use, in bytes: the physical memory (sysconf), or the cgroup's limit
// where that is lower (containers). UINT64_MAX when neither can be told.
uint64_t memory_limit_bytes();

// "1.5 GB", "812 MB", "4 KB", "17 bytes": sizes in messages (powers of 1024).
std::string byte_size_text(double bytes);

// Throws InputError "<where>: <what> needs about <bytes>, more than this machine's memory
// (<limit>)" when bytes exceed the memory limit. `bytes` is a double so that estimates
// (parameter counts times widths) cannot overflow on their way here.
void require_memory(const std::string& where, const std::string& what, double bytes);

// The bytes an allocation failure asked for, as text ("12 GB"), when `error` is one
// (std::bad_alloc, or LibTorch's "can't allocate memory" c10::Error); "" when it is not an
// allocation failure. "?" when it is one but the size is not known.
std::string allocation_failure(const std::exception_ptr& error);

}  // namespace latentkit
