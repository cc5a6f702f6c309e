// Turning `sysfence run`'s profile choice into the filter to install: load,
// resolve for this machine (native arch + the profile's sub-arches, Docker's
// default capabilities or the process's own, the running kernel; each overridable),
// compile (pipeline::run), and collect the seccomp(2) flags.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "bpf/insn.h"
#include "pipeline/pipeline.h"
#include "pipeline/target_kernel.h"
#include "policy/policy.h"
#include "profile/reader.h"
#include "profile/resolve.h"

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
// "seccomp:PATH" (older Docker documentation's), "seccomp=unconfined",
// "no-new-privileges" (alone, or "=BOOL" / ":BOOL" with Go's ParseBool
// spellings: true, false, 1, 0, t, f, ...). Anything else is an error naming
// the option.
struct SecurityOpt {
  std::optional<ProfileChoice> seccomp;
  std::optional<bool> no_new_privileges;
};
Expected<SecurityOpt> parse_security_opt(std::string_view value);

struct FilterRequest {
  std::string profile = "default";  // "default" or a path (not "unconfined")
  profile::ReadOptions read;        // strict: unknown fields are an error
  // Native arch, capabilities, kernel, ... (the CLI fills in this machine's).
  profile::ResolveOptions resolve;
  // How actions resolve.kernel lacks are mapped (--downgrade-actions).
  pipeline::TargetOptions target;
  // Resolve with this process's effective capabilities instead of
  // resolve.caps (--caps current): the process is then the container.
  bool current_caps = false;
  // The name of resolve.caps in the note that says the filter is not
  // resolved for the process's own set.
  std::string caps_label = "docker-default";
  // The capabilities were chosen (--caps): the user knows which set the
  // filter is for, so no note says it.
  bool caps_chosen = false;
  bool log = false;    // SECCOMP_FILTER_FLAG_LOG
  bool tsync = false;  // SECCOMP_FILTER_FLAG_TSYNC
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
  // Strict findings and resolution warnings, for the user.
  pipeline::Diagnostics diagnostics;
};

// Errors (all "sysfence's own failure" for run): unreadable or invalid
// profile, unreadable capabilities (--caps current), resolution or compilation failure, an
// unknown flag in the profile, NOTIFY without listenerPath. When the
// capabilities resolved for were not chosen and differ from the process's
// effective set in a capability the profile's includes/excludes name, a
// note says so.
Expected<FilterPlan> plan_filter(const FilterRequest& request);

// The note for a profile resolved for `resolved` while the process has
// `process`, naming the capabilities that differ among those the profile's
// includes/excludes test; nullopt when none does.
std::optional<std::string> caps_note(const profile::Profile& profile, const profile::CapSet& resolved,
                                     const profile::CapSet& process, std::string_view label);

// Every action the policy can decide: rules, defaults, bad-arch, ENOSYS.
bool policy_uses(const policy::Policy& policy, ActionKind kind);

}  // namespace sysfence::run
