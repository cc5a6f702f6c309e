#include "run/plan.h"

#include <fmt/format.h>

#include "bpf/install.h"
#include "run/host.h"

namespace sysfence::run {

Expected<std::optional<ProfileChoice>> parse_security_opt(std::string_view value) {
  for (std::string_view prefix : {"seccomp=", "seccomp:"}) {
    if (value.starts_with(prefix)) {
      const std::string_view path = value.substr(prefix.size());
      if (path.empty()) return fail(fmt::format("--security-opt {}: the profile path is empty", value));
      return std::optional<ProfileChoice>(ProfileChoice{std::string(path)});
    }
  }
  if (value == "no-new-privileges" || value == "no-new-privileges:true" || value == "no-new-privileges=true") {
    return std::optional<ProfileChoice>();
  }
  return fail(
      fmt::format("--security-opt \"{}\": sysfence run understands seccomp=PATH, seccomp:PATH, "
                  "seccomp=unconfined and no-new-privileges",
                  value));
}

bool policy_uses(const policy::Policy& policy, ActionKind kind) {
  if (policy.bad_arch_action.kind == kind) return true;
  for (const policy::ArchPolicy& ap : policy.arches) {
    if (ap.default_action.kind == kind) return true;
    if (kind == ActionKind::kErrno && ap.enosys_above) return true;
    for (const auto& [nr, rules] : ap.rules) {
      for (const policy::Rule& r : rules) {
        if (r.action.kind == kind) return true;
      }
    }
  }
  return false;
}

Expected<FilterPlan> plan_filter(const FilterRequest& request) {
  pipeline::Request build;
  build.profile = request.profile;
  build.read = request.read;
  build.resolve = request.resolve;
  build.target = request.target;
  if (request.bounding_caps) {
    auto caps = bounding_caps();
    if (!caps) return fail("cannot read the capability bounding set: " + caps.error().message);
    build.resolve.caps = std::move(*caps);
  }
  // Compiled, not proved: it is the same chain's output that `compile`
  // proves before writing it.
  build.last = pipeline::Stage::kCompile;
  auto built = pipeline::run(build);
  if (!built) {
    // The compiler's messages do not name the profile.
    if (built.error().stage == pipeline::Stage::kCompile) {
      return fail(fmt::format("{}: {}", request.profile, built.error().message));
    }
    return fail(built.error().message);
  }
  FilterPlan plan;
  const profile::Profile& doc = built->profile;
  const profile::Resolution* resolution = &built->resolution;
  plan.source = doc.source;
  plan.policy = std::move(built->resolution.policy);
  plan.program = std::move(built->compiled->program);
  plan.diagnostics = std::move(built->diagnostics);

  for (const std::string& f : resolution->flags) {
    auto bits = bpf::parse_flags(f);
    if (!bits) return fail(fmt::format("{}: flags: {}", plan.source, bits.error().message));
    plan.flags |= *bits;
  }
  if (request.log) plan.flags |= bpf::kFlagLog;
  if (request.tsync) plan.flags |= bpf::kFlagTsync;

  plan.uses_notify = policy_uses(plan.policy, ActionKind::kUserNotif);
  plan.listener_path = resolution->listener_path;
  plan.listener_metadata = doc.listener_metadata;
  if (plan.uses_notify && plan.listener_path.empty()) {
    return fail(
        fmt::format("{}: SCMP_ACT_NOTIFY needs a listenerPath (the unix socket of the agent that "
                    "answers the notifications)",
                    plan.source));
  }
  if (!plan.uses_notify) {
    if (!plan.listener_path.empty()) {
      plan.notes.push_back(fmt::format("{}: listenerPath is ignored: no rule uses SCMP_ACT_NOTIFY", plan.source));
      plan.listener_path.clear();
    }
    if (plan.flags & bpf::kFlagWaitKillableRecv) {
      // The kernel rejects WAIT_KILLABLE_RECV without a listener.
      plan.flags &= ~bpf::kFlagWaitKillableRecv;
      plan.notes.push_back(fmt::format(
          "{}: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is dropped: no rule uses SCMP_ACT_NOTIFY", plan.source));
    }
  }
  return plan;
}

}  // namespace sysfence::run
