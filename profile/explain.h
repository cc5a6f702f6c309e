// `sysfence explain`: which rule decides a syscall, and why — written for a
// person. The text names the ABI and number, the decision (with the argument
// conditions when it depends on them), every profile entry that names the
// syscall with what became of it (applied, dropped by includes/excludes and
// why, redundant with the default action), and, when the syscall is blocked,
// the reason from Docker's profile documentation.
#pragma once

#include <string>
#include <string_view>

#include "base/expected.h"
#include "policy/policy.h"
#include "profile/profile.h"
#include "profile/resolve.h"

namespace sysfence::profile {

// One condition in words: "arg0 == 8 (PER_LINUX32)",
// "(arg0 & 0x7e020000) == 0 (none of CLONE_NEWNS|...|CLONE_NEWNET set)".
// `syscall` selects the symbolic names (personality, socket, clone, unshare).
std::string describe_condition(std::string_view syscall, const policy::ArgCondition& c);

// "ALLOW", "ERRNO(1) EPERM", "KILL_THREAD", ... with the errno's name on `arch`.
std::string describe_action(Action a, syscalls::ArchId arch);

// `syscall` is a name or a number (decimal or 0x-hex) on opts.native (or,
// for a name the native ABI lacks, the first ABI of the filter that has it).
// Errors: an unknown name (with the nearest known one) or number.
Expected<std::string> explain_syscall(const Profile& profile, const Resolution& res, const ResolveOptions& opts,
                                      std::string_view syscall);

}  // namespace sysfence::profile
