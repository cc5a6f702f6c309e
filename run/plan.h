// Turning `sysfence run`'s profile choice into the filter to install: load,
// resolve for this machine (native arch + the profile's sub-arches, the
// process's capability bounding set, the running kernel; each overridable),
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
// "seccomp:PATH" (older Docker documentation's), "seccomp=unconfined". "no-new-privileges"
// (also ":true" / "=true") is accepted and returns nullopt: sysfence always
// sets no_new_privs, which is what it asks for. Anything else is an error
// naming the option.
Expected<std::optional<ProfileChoice>> parse_security_opt(std::string_view value);

struct FilterRequest {
  std::string profile = "default";  // "default" or a path (not "unconfined")
  profile::ReadOptions read;        // strict: unknown fields are an error
  // Native arch, capabilities, kernel, ... (the CLI fills in this machine's).
  profile::ResolveOptions resolve;
  // How actions resolve.kernel lacks are mapped (--downgrade-actions).
  pipeline::TargetOptions target;
  // Resolve with this process's capability bounding set instead of
  // resolve.caps: Docker matches includes/excludes "caps" against the
  // container's bounding set, and here the container is this process.
  bool bounding_caps = false;
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
// profile, an unreadable bounding set, resolution or compilation failure, an
// unknown flag in the profile, NOTIFY without listenerPath.
Expected<FilterPlan> plan_filter(const FilterRequest& request);

// Every action the policy can decide: rules, defaults, bad-arch, ENOSYS.
bool policy_uses(const policy::Policy& policy, ActionKind kind);

}  // namespace sysfence::run
