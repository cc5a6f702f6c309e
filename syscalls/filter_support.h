// The first kernel release in which each ABI can install seccomp filters
// (its arch selects HAVE_ARCH_SECCOMP_FILTER), for `--kernel` targets older
// than that: such a kernel refuses SECCOMP_MODE_FILTER with EINVAL, so
// compiling for it is an error rather than a filter that never installs.
//
// Usage:
//   const FilterSupport& s = filter_support(ArchId::kAarch64);
//   if (s.since.known() && kernel < s.since) error(s.source);
#pragma once

#include <cstdint>
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

// A call the kernel lets through without running any seccomp filter
// (kernel/seccomp.c seccomp_uprobe_exception, native ABI only: x32's
// numbers carry bit 30 and are filtered): x86_64's uretprobe since 6.12 (the
// exemption reached the 6.12 stable series; 6.11 filtered it) and uprobe
// since 6.18, which only the uprobe trampolines call. Whatever a filter
// answers there, the call runs (observed on 6.18: uretprobe SIGILL, uprobe
// ENXIO outside a trampoline, both under filters denying them).
struct SeccompExemption {
  std::string_view name;
  KernelVersion since;
};
// The exemption of the call `nr` under `audit_arch`, when `kernel` has it.
const SeccompExemption* seccomp_exemption(uint32_t audit_arch, uint32_t nr, KernelVersion kernel);

}  // namespace sysfence::syscalls
