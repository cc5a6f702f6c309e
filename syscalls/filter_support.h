// The first kernel release in which each ABI can install seccomp filters
// (its arch selects HAVE_ARCH_SECCOMP_FILTER), for `--kernel` targets older
// than that: such a kernel refuses SECCOMP_MODE_FILTER with EINVAL, so
// compiling for it is an error rather than a filter that never installs.
//
// Usage:
//   const FilterSupport& s = filter_support(ArchId::kAarch64);
//   if (s.since.known() && kernel < s.since) error(s.source);
#pragma once

#include <string_view>

#include "syscalls/arch.h"
#include "syscalls/table.h"

namespace sysfence::syscalls {

struct FilterSupport {
  // {0, 0, 0} when the sources consulted do not tell: not checked.
  KernelVersion since;
  // Where the version comes from, for the reader who doubts it.
  std::string_view source;
};

const FilterSupport& filter_support(ArchId id);

}  // namespace sysfence::syscalls
