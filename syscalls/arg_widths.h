// How many argument registers the kernel reads for each syscall of each ABI,
// and how many bits of each. Generated from the kernel's own definitions by
// tools/gen_arg_widths.py (syscalls/generated/arg_widths/, never
// hand-edited; the rules and their kernel evidence are in that tool).
//
// Why: seccomp_data carries six 64-bit argument words, but the kernel reads
// `int family` of socket(2) as 32 bits. A filter that compares all 64 bits
// of such an argument can be bypassed by setting the high word
// (socket(0x1_0000_0026, ...) is AF_ALG to the kernel). A filter that wants
// to match what the kernel does compares only the bits the kernel reads.
//
// What "bits" means: the width of the parameter's declared type at the
// syscall entry point (SYSCALL_DEFINE / COMPAT_SYSCALL_DEFINE / arch entry),
// i.e. what the entry wrapper keeps of the register: 16 (umode_t,
// old_uid_t), 31 (pointers of s390 compat tasks), 32 or 64. The body may
// narrow a value further (x86_64 mmap reads `unsigned long fd` and later
// uses it as an int); such narrowing is not tracked.
// On 32-bit ABIs every register is 32 bits to the kernel, but seccomp_data
// may still hold a non-zero high word (int $0x80 from a 64-bit x86 task,
// sign extension of MIPS o32 on 64-bit kernels): compare the low word only.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "syscalls/arch.h"

namespace sysfence::syscalls {

// One argument register.
struct ArgWidth {
  std::string_view name;  // parameter name in the definition; "(pad)" for an
                          // alignment register; "pos.lo"/"pos.hi" for the
                          // halves of a 64-bit value on a 32-bit ABI
  std::string_view type;  // declared type without __user: "const char *"
  uint8_t bits;           // bits of the register the kernel reads
};

// Invariants (checked by test/arg_widths): count <= 6; args[i].bits is 16,
// 31, 32 or 64 for i < count and the entry is {} beyond; !implemented or
// !known implies count == 0; on 32-bit ABIs every bits <= 32.
struct ArgInfo {
  uint32_t nr;              // as seccomp_data.nr carries it (bias included)
  std::string_view name;    // as the syscall table spells it
  std::string_view entry;   // kernel entry point ("sys_read",
                            // "compat_sys_ioctl"; "a -> b" when an arch
                            // alias or asm trampoline leads to b); "-"
                            // when the table has none
  std::string_view source;  // where the definition is, "fs/read_write.c:720"
  bool implemented;         // false: sys_ni_syscall / no entry point: the
                            // kernel returns ENOSYS and reads no argument
  bool known;               // false: newer than the kernel sources the data
                            // was derived from; nothing is known about the
                            // arguments beyond register_bits()
  bool beyond_six;          // the entry point takes more than six
                            // registers; seccomp sees only the first six
  uint8_t count;            // argument registers the kernel reads, 0..6
  std::array<ArgWidth, 6> args;

  // Bits the kernel reads of argument i; 0 when it does not read it.
  unsigned bits(unsigned i) const { return i < count ? args[i].bits : 0; }
  // Whether the kernel ignores the high word of argument i (reads <= 32
  // bits of it). False for an argument it does not read.
  bool low_word_only(unsigned i) const { return i < count && args[i].bits <= 32; }
};

// The entry for syscall number `nr` (seccomp_data.nr, bias included).
// nullopt when the ABI's table has no such number.
std::optional<ArgInfo> arg_info(ArchId arch, uint32_t nr);
// arg_info(arch, nr)->bits(index) where that entry is known and reads the
// argument; nullopt otherwise (no such number, an entry newer than the
// sources, an argument it does not read). Without unpacking the entry: the
// resolver asks it once per condition, name and ABI.
std::optional<unsigned> known_arg_bits(ArchId arch, uint32_t nr, unsigned index);
// By name; aliases the syscall table knows are resolved.
std::optional<ArgInfo> arg_info(ArchId arch, std::string_view name);
// Every entry of an ABI, sorted by number.
std::span<const ArgInfo> arg_infos(ArchId arch);

// The widest argument register the kernel reads on this ABI: 64 on the
// 64-bit ABIs (x32 and MIPS n32 included: their registers are 64-bit), 32
// on every 32-bit ABI. The bound for syscalls whose entry is not known.
unsigned register_bits(ArchId arch);

}  // namespace sysfence::syscalls
