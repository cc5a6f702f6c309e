// `sysfence explain`: which rule decides a syscall, and why — written for a
// person. The text names the ABI and number, the decision (with the argument
// conditions when it depends on them), every profile entry that names the
// syscall with what became of it (applied, dropped by includes/excludes and
// why, redundant with the default action), and, when the syscall is blocked,
// the reason from Docker's profile documentation.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

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

// The decision for syscall number `nr` of one ABI: a constant action (from
// the most restrictive unconditional rule, the default action or runc's
// ENOSYS stub), or one that depends on the arguments through `deciding`.
struct SyscallVerdict {
  bool constant = true;
  Action action;                              // when constant; else the "otherwise" action
  std::vector<const policy::Rule*> deciding;  // conditional rules that can change the answer
  const policy::Rule* floor = nullptr;        // the most restrictive unconditional rule
  // kBadArch: the number belongs to an ABI the filter does not have (an x32
  // number on x86_64 without x32), so bad_arch_action answers.
  enum class Why { kRule, kDefault, kEnosys, kBadArch } why = Why::kDefault;
  const policy::ArchPolicy* stub = nullptr;  // for kEnosys: the ABI whose threshold answered
};
// `nr` on `ap`, where `ap` owns the number and its own ENOSYS threshold applies.
SyscallVerdict syscall_verdict(const policy::ArchPolicy& ap, uint32_t nr);

// What the filter answers for seccomp_data.nr `nr` under the AUDIT_ARCH of
// `abi`, routed as policy::evaluate routes it: under AUDIT_ARCH_X86_64
// (x86_64 and x32) the number's owner (policy::x86_64_number_owner) decides
// and runc's stub goes by bit 30 (policy::enosys_owner_x86_64), so
// 0x40000000 given for x86_64 is x32's read.
SyscallVerdict filter_verdict(const policy::Policy& policy, syscalls::ArchId abi, uint32_t nr);

// The syscalls that reach the same kernel operation as `name`
// (syscalls/siblings.h) and the decision for each on `ap`'s ABI, with a
// warning when `name` is denied while a sibling is not; empty when `name`
// has no family or `ap`'s ABI lacks it.
std::string siblings_text(const policy::ArchPolicy& ap, std::string_view name);

// `syscall` is a name or a number (decimal or 0x-hex) on opts.native (or,
// for a name the native ABI lacks, the first ABI of the filter that has it).
// Errors: an unknown name (with the nearest known one) or number.
Expected<std::string> explain_syscall(const Profile& profile, const Resolution& res, const ResolveOptions& opts,
                                      std::string_view syscall);

// The same as data (`explain --format json`, docs/json.md): {"query",
// "syscall", "abi", "nr", "in_filter", "decision": {"constant", "action",
// "description", "why", "rules": [...]} or null, "other_abis": [...], "text":
// the explanation above}. Errors as explain_syscall.
Expected<boost::json::object> explain_json(const Profile& profile, const Resolution& res, const ResolveOptions& opts,
                                           std::string_view syscall);

}  // namespace sysfence::profile
