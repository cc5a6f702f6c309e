// The compat ABIs a 64-bit kernel also accepts (i386 through int 0x80 on
// x86_64, AArch32 on aarch64, ...), and which syscall of the host ABI each
// compat syscall performs: the same name, or the compat ABI's own spelling of
// it (chown32 for chown, clock_settime64 for clock_settime, _llseek for
// lseek, open for openat where the host has no open). A hand-kept fact table;
// compat.cc names the kernel sources. Every name in it exists in the
// generated tables (checked by test/syscalls/compat_test).
//
// Usage:
//   for (const CompatAbi& c : compat_abis_of(ArchId::kX86_64)) ...
//   compat_counterparts(ArchId::kX86_64, "chown", ArchId::kI386)  // chown, chown32
//   native_twin(ArchId::kI386, "stime", ArchId::kX86_64)          // settimeofday
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "syscalls/arch.h"

namespace sysfence::syscalls {

// One compat ABI of a host ABI: what a process on a `host` kernel can also
// issue syscalls as, when the kernel is built with `config`.
struct CompatAbi {
  ArchId host;
  ArchId compat;
  std::string_view entry;   // how a program gets there: "int 0x80", "AArch32 EL0"
  std::string_view config;  // "IA32_EMULATION"
  std::string_view source;  // where the option is declared: "arch/x86/Kconfig"
};

// Every pair, hosts in ArchId order.
std::span<const CompatAbi> compat_abis();
// The compat ABIs of `host` (empty for ABIs without any).
std::vector<const CompatAbi*> compat_abis_of(ArchId host);
// The pair (host, compat); nullptr when `compat` is not a compat ABI of `host`.
const CompatAbi* compat_abi(ArchId host, ArchId compat);

// The syscall of `host` that syscall `name` of `compat` performs: `name`
// itself when the host has it, else the host's syscall its spelling stands
// for (chown32 -> chown; on aarch64 chmod -> fchmodat). nullopt when the host
// has no such syscall (arm's cacheflush, mips o32's syscall) or `name` is a
// multiplexer (socketcall, ipc: see syscalls/multiplex.h).
std::optional<std::string_view> native_twin(ArchId compat, std::string_view name, ArchId host);

// The older spellings native_twin follows where the host lacks the name
// ({"open", "openat"}, {"stime", "settimeofday"}, ...): exposed so that a
// test can check every name against the tables.
struct CompatSpelling {
  std::string_view compat;
  std::string_view native;
};
std::span<const CompatSpelling> compat_spellings();

// Every syscall of `compat` whose native twin on `host` is `native_name`
// (the same name first, then in table order).
std::vector<std::string_view> compat_counterparts(ArchId host, std::string_view native_name, ArchId compat);

// Whether compat syscall `compat_name` takes the arguments of host syscall
// `native_name` in the same order: the same name, or a width variant of it
// (chown32, clock_settime64, futex_time64, fadvise64_64). Older spellings
// (open for openat, fork for clone) take other arguments, so a host rule's
// argument conditions say nothing about them.
bool same_arguments(std::string_view compat_name, std::string_view native_name);

// False for an entry of `compat`'s table that a kernel of its host answers
// ENOSYS whatever the filter says: numbers reserved for calls that were
// never implemented or were removed (break, afs_syscall, _sysctl), and
// calls the host kernel does not offer in compat mode (i386 vm86 under a
// 64-bit kernel).
bool compat_implemented(ArchId compat, std::string_view name);

}  // namespace sysfence::syscalls
