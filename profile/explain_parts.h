// The parts `sysfence explain` (profile/explain.cc) is written from that live
// in their own files: words for values, sources and verdicts
// (profile/explain_words.cc) and the sections on the same syscall on other
// ABIs and through the multiplexers (profile/explain_abis.cc). Internal to
// profile/: not part of the explain library's interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "policy/policy.h"
#include "profile/explain.h"
#include "profile/profile.h"
#include "profile/resolve.h"

namespace sysfence::profile::explain_parts {

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
