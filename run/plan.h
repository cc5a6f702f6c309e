// Turning `sysfence run`'s profile flags into the filter to install: load,
// resolve for this machine (native arch + the profile's sub-arches, the
// process's capability bounding set, the running kernel; each overridable),
// compile, and collect the seccomp(2) flags.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "bpf/insn.h"
#include "policy/policy.h"

namespace sysfence::run {

// The name that selects "no filter" (Docker's seccomp=unconfined).
inline constexpr std::string_view kUnconfined = "unconfined";

// What --profile / --security-opt selected: "default", "unconfined" or a
// path. A file literally named like a keyword is reached as "./default".
struct ProfileChoice {
  std::string profile = "default";
  bool unconfined() const { return profile == kUnconfined; }
};

// One --security-opt value, Docker's spellings: "seccomp=PATH",
// "seccomp:PATH" (the seed's), "seccomp=unconfined". "no-new-privileges"
// (also ":true" / "=true") is accepted and returns nullopt: sysfence always
// sets no_new_privs, which is what it asks for. Anything else is an error
// naming the option.
Expected<std::optional<ProfileChoice>> parse_security_opt(std::string_view value);

struct FilterRequest {
  std::string profile = "default";       // "default" or a path (not "unconfined")
  std::optional<std::string> caps;       // --caps LIST; nullopt: the bounding set
  std::optional<std::string> kernel;     // --kernel X.Y; nullopt: uname
  std::optional<std::string> arg_width;  // --arg-width abi|64; nullopt: abi
  std::optional<std::string> bad_arch;   // --bad-arch ACTION; nullopt: kill-process
  std::optional<std::string> semantics;  // --semantics sysfence|runc|libseccomp
  bool log = false;                      // --log: SECCOMP_FILTER_FLAG_LOG
  bool tsync = false;                    // --tsync: SECCOMP_FILTER_FLAG_TSYNC
};

struct FilterPlan {
  std::string source;     // the profile as named in messages
  policy::Policy policy;  // what the filter decides: the specification
  bpf::Program program;   // compile(policy)
  uint32_t flags = 0;     // SECCOMP_FILTER_FLAG_*: the profile's "flags" plus --log / --tsync
  // Some decision is USER_NOTIF (SCMP_ACT_NOTIFY): the filter needs a
  // listener, which goes to listener_path (required then, as runc requires it).
  bool uses_notify = false;
  std::string listener_path;
  std::string listener_metadata;
  // Things the user may want to know (flags dropped, ...); not errors.
  std::vector<std::string> notes;
  // Resolution warnings (profile::Warning messages).
  std::vector<std::string> warnings;
};

// Errors (all "sysfence's own failure" for run): unreadable or invalid
// profile, bad --caps / --kernel, resolution or compilation failure, an
// unknown flag in the profile, NOTIFY without listenerPath.
Expected<FilterPlan> plan_filter(const FilterRequest& request);

// Every action the policy can decide: rules, defaults, bad-arch, ENOSYS.
bool policy_uses(const policy::Policy& policy, ActionKind kind);

}  // namespace sysfence::run
