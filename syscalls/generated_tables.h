// Generated-table registry: includes every syscalls/generated/<abi>.inc and
// lists the tables in ArchId order. Internal to the syscalls package.
#pragma once

#include <array>
#include <cstdint>

#include "syscalls/table.h"

namespace sysfence::syscalls::generated {

#include "syscalls/generated/x86_64.inc"
#include "syscalls/generated/x32.inc"
#include "syscalls/generated/i386.inc"
#include "syscalls/generated/aarch64.inc"
#include "syscalls/generated/arm.inc"
#include "syscalls/generated/riscv64.inc"
#include "syscalls/generated/riscv32.inc"
#include "syscalls/generated/ppc64le.inc"
#include "syscalls/generated/ppc64.inc"
#include "syscalls/generated/ppc.inc"
#include "syscalls/generated/s390x.inc"
#include "syscalls/generated/s390.inc"
#include "syscalls/generated/mips.inc"
#include "syscalls/generated/mipsel.inc"
#include "syscalls/generated/mips64.inc"
#include "syscalls/generated/mips64el.inc"
#include "syscalls/generated/mips64n32.inc"
#include "syscalls/generated/mipsel64n32.inc"
#include "syscalls/generated/loongarch64.inc"
#include "syscalls/generated/parisc.inc"
#include "syscalls/generated/parisc64.inc"
#include "syscalls/generated/m68k.inc"
#include "syscalls/generated/sh.inc"
#include "syscalls/generated/sheb.inc"
#include "syscalls/generated/csky.inc"
#include "syscalls/generated/xtensa.inc"

// In ArchId order (checked by a static_assert in table.cc).
inline constexpr std::array<Table, kArchCount> kTables{{
    Table(ArchId::kX86_64, abi_x86_64::kEntries, abi_x86_64::kByName, abi_x86_64::kAliases),
    Table(ArchId::kX32, abi_x32::kEntries, abi_x32::kByName, abi_x32::kAliases),
    Table(ArchId::kI386, abi_i386::kEntries, abi_i386::kByName, abi_i386::kAliases),
    Table(ArchId::kAarch64, abi_aarch64::kEntries, abi_aarch64::kByName, abi_aarch64::kAliases),
    Table(ArchId::kArm, abi_arm::kEntries, abi_arm::kByName, abi_arm::kAliases),
    Table(ArchId::kRiscv64, abi_riscv64::kEntries, abi_riscv64::kByName, abi_riscv64::kAliases),
    Table(ArchId::kRiscv32, abi_riscv32::kEntries, abi_riscv32::kByName, abi_riscv32::kAliases),
    Table(ArchId::kPpc64le, abi_ppc64le::kEntries, abi_ppc64le::kByName, abi_ppc64le::kAliases),
    Table(ArchId::kPpc64, abi_ppc64::kEntries, abi_ppc64::kByName, abi_ppc64::kAliases),
    Table(ArchId::kPpc, abi_ppc::kEntries, abi_ppc::kByName, abi_ppc::kAliases),
    Table(ArchId::kS390x, abi_s390x::kEntries, abi_s390x::kByName, abi_s390x::kAliases),
    Table(ArchId::kS390, abi_s390::kEntries, abi_s390::kByName, abi_s390::kAliases),
    Table(ArchId::kMips, abi_mips::kEntries, abi_mips::kByName, abi_mips::kAliases),
    Table(ArchId::kMipsel, abi_mipsel::kEntries, abi_mipsel::kByName, abi_mipsel::kAliases),
    Table(ArchId::kMips64, abi_mips64::kEntries, abi_mips64::kByName, abi_mips64::kAliases),
    Table(ArchId::kMips64el, abi_mips64el::kEntries, abi_mips64el::kByName, abi_mips64el::kAliases),
    Table(ArchId::kMips64n32, abi_mips64n32::kEntries, abi_mips64n32::kByName, abi_mips64n32::kAliases),
    Table(ArchId::kMipsel64n32, abi_mipsel64n32::kEntries, abi_mipsel64n32::kByName, abi_mipsel64n32::kAliases),
    Table(ArchId::kLoongarch64, abi_loongarch64::kEntries, abi_loongarch64::kByName, abi_loongarch64::kAliases),
    Table(ArchId::kParisc, abi_parisc::kEntries, abi_parisc::kByName, abi_parisc::kAliases),
    Table(ArchId::kParisc64, abi_parisc64::kEntries, abi_parisc64::kByName, abi_parisc64::kAliases),
    Table(ArchId::kM68k, abi_m68k::kEntries, abi_m68k::kByName, abi_m68k::kAliases),
    Table(ArchId::kSh, abi_sh::kEntries, abi_sh::kByName, abi_sh::kAliases),
    Table(ArchId::kSheb, abi_sheb::kEntries, abi_sheb::kByName, abi_sheb::kAliases),
    Table(ArchId::kCsky, abi_csky::kEntries, abi_csky::kByName, abi_csky::kAliases),
    Table(ArchId::kXtensa, abi_xtensa::kEntries, abi_xtensa::kByName, abi_xtensa::kAliases),
}};

}  // namespace sysfence::syscalls::generated
