// Linux errno names and numbers, per architecture family.
//
// containers-common profiles name errnos ("errno": "EPERM"), and runc's
// ENOSYS stub and the EPERM default use the host's numbers. Most ABIs share
// the asm-generic numbers; MIPS and PA-RISC have their own table and PowerPC
// differs in EDEADLOCK. The table is generated from the kernel UAPI headers
// (tools/gen_errno_table.py -> errno_table.inc).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "syscalls/arch.h"

namespace sysfence::profile {

struct ErrnoName {
  std::string_view name;
  uint16_t number;
};

enum class ErrnoFamily : uint8_t { kGeneric, kMips, kParisc, kPowerpc };

ErrnoFamily errno_family(syscalls::ArchId arch);
// Every name of one family, sorted by name.
std::span<const ErrnoName> errno_names(ErrnoFamily family);

// "EPERM" -> 1 on `arch`; nullopt when the name is unknown there.
std::optional<uint16_t> errno_number(std::string_view name, syscalls::ArchId arch);
// True when some family knows the name (the reader's check; the number is
// resolved per architecture later).
bool is_errno_name(std::string_view name);
// 38 -> "ENOSYS" on x86_64. Aliases (EWOULDBLOCK, EDEADLOCK where it equals
// EDEADLK) are never returned.
std::optional<std::string_view> errno_name(uint16_t number, syscalls::ArchId arch);

// The numbers runc uses: EPERM for an ERRNO/TRACE action without errnoRet,
// ENOSYS for its stub.
uint16_t eperm(syscalls::ArchId arch);
uint16_t enosys(syscalls::ArchId arch);

}  // namespace sysfence::profile
