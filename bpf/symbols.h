// Names the disassembler prints and the assembler reads for constants:
// AUDIT_ARCH values ("ARCH_X86_64") and syscall numbers ("read", or
// "x32:read" when the number belongs to another ABI that reports the same
// AUDIT_ARCH value). Every spelling produced here resolves back to the same
// number through the matching parse function, in the same context: that is
// what makes disassemble -> assemble exact.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/expected.h"
#include "syscalls/arch.h"

namespace sysfence::bpf {

// "ARCH_" + the upper-cased short name of the first ABI (in ArchId order) that
// reports `audit_arch`: 0xc000003e -> "ARCH_X86_64". nullopt when no known ABI
// reports the value.
std::optional<std::string> arch_constant_name(uint32_t audit_arch);

// Accepts "ARCH_" followed by any arch spelling syscalls::find_arch knows,
// case-insensitively ("ARCH_X86_64", "ARCH_I386", "ARCH_X86", "ARCH_ARM64").
std::optional<uint32_t> parse_arch_constant(std::string_view token);

// The ABI whose syscall names and byte order apply at a point where the
// program has established seccomp_data.arch == `known_audit` (nullopt: not
// established). `fallback` (the arch the user named, may be null) wins when
// it reports that same value (x32 over x86_64 when the user asked for x32);
// an established value no known ABI reports gives null (no names).
const syscalls::Arch* naming_arch(std::optional<uint32_t> known_audit, const syscalls::Arch* fallback);

// How to write syscall number `nr` where `ctx` is the naming arch: the plain
// name when ctx's table has it, else (when `qualified` is allowed) "abi:name"
// from another ABI reporting the same AUDIT_ARCH (x86_64 context, x32
// number), else nullopt (print the number). The result always satisfies
// resolve_syscall(result, ctx) == nr.
std::optional<std::string> syscall_spelling(uint32_t nr, const syscalls::Arch* ctx, bool qualified = true);

// "read" in ctx's table, or "abi:read" in that ABI's table. The error message
// has no location (the caller adds it).
Expected<uint32_t> resolve_syscall(std::string_view spelling, const syscalls::Arch* ctx);

}  // namespace sysfence::bpf
