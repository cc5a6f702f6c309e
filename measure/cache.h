// The kernel's seccomp action cache (Linux 5.11+, kernel/seccomp.c). When a
// filter is installed, the kernel emulates it for every syscall number of the
// native and compat ABIs knowing only `nr` and `arch` (seccomp_is_const_allow);
// numbers whose result is then a constant SECCOMP_RET_ALLOW are answered from
// a bitmap without running any filter. The compiler guarantees that every
// argument-free ALLOW is cacheable (compiler/compile.h); this checks it.
// Machine level: works on any program.
#pragma once

#include <cstdint>
#include <span>

#include "bpf/insn.h"
#include "syscalls/arch.h"

namespace sysfence::measure {

// The kernel's emulation, rule for rule: `ld [0]` / `ld [4]` load nr / arch
// (any other load gives up), `ja` and `jeq/jge/jgt/jset` with a constant
// follow the known value, `and` with a constant masks it, `ret k` answers
// "cached" exactly when k == SECCOMP_RET_ALLOW (0x7fff0000); every other
// instruction, and running off the end, gives up.
bool kernel_caches_allow(std::span<const bpf::Insn> prog, uint32_t arch, uint32_t nr);

// Whether a kernel keeps an action cache for this ABI at all: ABIs that are
// SECCOMP_ARCH_NATIVE or SECCOMP_ARCH_COMPAT of some kernel (arch/*/include/
// asm/seccomp.h). MIPS defines neither, and x32 numbers (bit 30) lie outside
// the x86_64 bitmap.
bool abi_has_action_cache(syscalls::ArchId abi);

// The kernel sizes the bitmaps by NR_syscalls (a few hundred); numbers from
// here on (ARM's private 0x0f0000 calls, biased ABIs) are never cached.
inline constexpr uint32_t kActionCacheLimit = 1024;

}  // namespace sysfence::measure
