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
  unsigned word_bits;          // 32 or 64: the width of a syscall argument register
  Endian endian;
  // Added to the table's syscall number to get seccomp_data.nr:
  // x32 0x40000000, MIPS o32 4000, n64 5000, n32 6000, else 0.
  uint32_t nr_bias;
  bool has_socketcall;  // socketcall(2) multiplexer exists
  bool has_ipc;         // ipc(2) multiplexer exists
};

// All descriptors, in ArchId order.
std::span<const Arch> all_arches();
const Arch& arch(ArchId id);

// Accepts the short name, the SCMP_ARCH_* name, the Go name and common
// aliases ("x86", "i686", "arm64", "loong64", "mipsle", ...), case-sensitive
// as Docker is. nullptr when unknown.
const Arch* find_arch(std::string_view spelling);

// Like find_arch, plus "native". The error message suggests the nearest
// spelling: `unknown architecture "aarch46" (did you mean "aarch64"?)`.
Expected<const Arch*> parse_arch(std::string_view spelling);

// The ABI this binary runs as (x86_64 on x86_64 hosts, ...).
const Arch& native_arch();

// The ABIs Docker/moby treat as sub-architectures of `a` when no archMap is
// given (x86_64 -> x86, x32; aarch64 -> arm; mips64 -> mips, mips64n32; ...),
// excluding `a` itself.
std::span<const ArchId> default_sub_arches(ArchId a);

}  // namespace sysfence::syscalls
