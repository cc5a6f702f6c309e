// Architecture (seccomp ABI) descriptors: every ABI the kernel's seccomp
// filter can report through seccomp_data.arch, with the facts a filter needs.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/expected.h"
#include "base/seccomp.h"

namespace sysfence::syscalls {

// One per seccomp ABI. Order is stable (used as an index).
enum class ArchId : uint8_t {
  kX86_64,
  kX32,
  kI386,
  kAarch64,
  kArm,
  kRiscv64,
  kRiscv32,
  kPpc64le,
  kPpc64,
  kPpc,
  kS390x,
  kS390,
  kMips,
  kMipsel,
  kMips64,
  kMips64el,
  kMips64n32,
  kMipsel64n32,
  kLoongarch64,
  kParisc,
  kParisc64,
  kM68k,
  kSh,
  kSheb,
  kCsky,
  kXtensa,
};
inline constexpr int kArchCount = 26;

struct Arch {
  ArchId id;
  std::string_view name;       // short name: "x86_64", "aarch64", "mipsel64n32"
  std::string_view scmp_name;  // libseccomp / Docker: "SCMP_ARCH_X86_64"
  std::string_view go_name;    // Go / Docker native spelling: "amd64", "arm64", "mips64le"
  uint32_t audit_arch;         // what seccomp_data.arch carries for this ABI
  // 32 or 64: the ABI's register/long width as libseccomp and Docker see it.
  // The ILP32 ABIs on 64-bit hardware (x32, MIPS n32) count as 32 here even
  // though the kernel hands their full 64-bit registers to the filter.
  unsigned word_bits;
  Endian endian;
  // Added to the table's syscall number to get seccomp_data.nr:
  // x32 0x40000000, MIPS o32 4000, n64 5000, n32 6000, else 0.
  uint32_t nr_bias;
  // Derived from the generated tables at compile time: the ABI's table has a
  // socketcall(2) / ipc(2) multiplexer entry.
  bool has_socketcall;
  bool has_ipc;
};

// All descriptors, in ArchId order.
std::span<const Arch> all_arches();
const Arch& arch(ArchId id);

// Accepts the short name, the SCMP_ARCH_* name, the Go name and common
// aliases ("x86", "i686", "arm64", "loong64", "mipsle", ...), case-sensitive
// as Docker is. nullptr when unknown.
const Arch* find_arch(std::string_view spelling);

// Every spelling find_arch accepts for `id` (short, SCMP, Go, then aliases;
// no duplicates, and no spelling belongs to two ABIs).
std::span<const std::string_view> arch_spellings(ArchId id);

// The ABI a spelling find_arch refuses still names unmistakably: any letter
// case, and an SCMP_ARCH_ prefix on a short, Go or alias spelling
// ("SCMP_ARCH_AMD64", "SCMP_ARCH_ARM64", "SCMP_ARCH_I386", "AMD64"). For
// suggestions only: Docker accepts none of these. nullptr when none.
const Arch* find_arch_by_alias(std::string_view spelling);

// The accepted spelling (or "native") closest to `spelling` by edit distance,
// ignoring case; ties go to the earlier ABI.
std::string_view nearest_arch_spelling(std::string_view spelling);

// Like find_arch, plus "native". The error message suggests the ABI's short
// name when find_arch_by_alias knows the spelling, else the nearest
// spelling: `unknown architecture "aarch46" (did you mean "aarch64"?)`.
Expected<const Arch*> parse_arch(std::string_view spelling);

// The ABI this binary runs as (x86_64 on x86_64 hosts, ...).
const Arch& native_arch();

// The ABIs Docker/moby treat as sub-architectures of `a` when no archMap is
// given (x86_64 -> x86, x32; aarch64 -> arm; mips64 -> mips, mips64n32; ...),
// excluding `a` itself. This is moby's built-in archMap (the one its default
// profile carries): x86_64, aarch64, the four 64-bit MIPS ABIs and s390x have
// sub-arches; riscv64, loongarch64, ppc64/ppc64le and the rest have none
// (moby does not pair ppc64 with 32-bit ppc).
std::span<const ArchId> default_sub_arches(ArchId a);

}  // namespace sysfence::syscalls
