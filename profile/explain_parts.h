// The parts `sysfence explain` (profile/explain.cc) is written from that live
// in their own files: words for values, sources and verdicts
// (profile/explain_words.cc) and the sections on the same syscall on other
// ABIs and through the multiplexers (profile/explain_abis.cc). Internal to
// profile/: not part of the explain library's interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "policy/policy.h"
#include "profile/explain.h"
#include "profile/profile.h"
#include "profile/resolve.h"

namespace sysfence::profile::explain_parts {

// A syscall number as given: decimal or 0x-hex; nullopt for anything else.
std::optional<uint64_t> parse_number(std::string_view s);

// Whether no ABI of the filter knows the name `syscall` (a name, not a number).
bool absent_from_filter(const policy::Policy& policy, std::string_view syscall);

// The syscall explained, as the filter sees it: the ABI the number belongs
// to, its number there, its name (empty when that ABI has no such syscall)
// and the filter's answer.
struct Subject {
  const policy::ArchPolicy* primary = nullptr;  // the ABI's rules; null when the filter lacks the ABI
  syscalls::ArchId abi = syscalls::ArchId::kX86_64;
  uint32_t nr = 0;
  std::string name;
  // A number given for x86_64 (or x32) that AUDIT_ARCH_X86_64's filter
  // gives to the other of the two: 0x40000000 on x86_64 is x32's read.
  bool routed = false;
  SyscallVerdict verdict;
};

// A name on opts.native (or the first ABI of the filter that has it), a
// number on opts.native as policy::evaluate routes it. Errors: an unknown
// name (with the nearest known one), a number wider than 32 bits, a native
// ABI the filter does not cover.
Expected<Subject> find_subject(const policy::Policy& policy, const ResolveOptions& opts, std::string_view syscall);

// For a routed subject, which numbers AUDIT_ARCH_X86_64's filter gives its
// ABI: "0x40000000..0xfffffffe (from __X32_SYSCALL_BIT up) are x32's".
std::string route_text(const Subject& s);

// "8", "131072 (0x20000)"; with a note: "8 (PER_LINUX32)", "131072 (0x20000, UNAME26)".
std::string number(uint64_t v, std::string_view note = {});

// Where profile entry `index` is: "FILE:LINE (syscalls[INDEX])".
std::string where(const Profile& p, const ProfileSyscall& e, size_t index);

// Where a rule came from, and whether it was applied to a multiplexer.
std::string rule_source(const policy::SourceRef& s);

// A verdict in one line: the action and what decides it.
std::string one_line(const SyscallVerdict& v, syscalls::ArchId arch);

// How the other ABIs of the filter answer the same syscall name.
std::string other_abis_text(const policy::Policy& policy, const policy::ArchPolicy* primary, std::string_view name);

// What a program of each compat ABI of the host gets for the same syscall.
std::string compat_abis_text(const policy::Policy& policy, const policy::ArchPolicy& primary, std::string_view name);

// A socket/IPC call on an ABI that multiplexes it, through socketcall/ipc.
std::string multiplexer_text(const Profile& profile, const Resolution& res, const policy::ArchPolicy& primary,
                             std::string_view name);

}  // namespace sysfence::profile::explain_parts
