#include "run/plan.h"

#include <fmt/format.h>

#include "bpf/install.h"
#include "compiler/compile.h"
#include "profile/load.h"
#include "profile/resolve.h"
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
  FilterPlan plan;
  auto loaded = profile::load_profile(request.profile);
  if (!loaded) return fail(loaded.error().message);
  const profile::Profile& doc = loaded->profile;
  plan.source = doc.source;

  profile::ResolveFlags flags;
  flags.caps = request.caps;
  flags.kernel = request.kernel;
  flags.arg_width = request.arg_width;
  flags.bad_arch = request.bad_arch;
  flags.semantics = request.semantics;
  auto options = profile::make_resolve_options(flags);
  if (!options) return fail(options.error().message);
  if (!request.caps) {
    // Docker matches includes/excludes "caps" against the container's
    // bounding set; here the container is this process.
    auto caps = bounding_caps();
    if (!caps) return fail("cannot read the capability bounding set: " + caps.error().message);
    options->caps = std::move(*caps);
  }

  auto resolution = profile::resolve(doc, *options);
  if (!resolution) return fail(resolution.error().message);
  plan.policy = std::move(resolution->policy);
  for (const profile::Warning& w : resolution->warnings) plan.warnings.push_back(w.message);

  auto compiled = compiler::compile(plan.policy, compiler::CompileOptions{});
  if (!compiled) return fail(fmt::format("{}: {}", plan.source, compiled.error().message));
  plan.program = std::move(compiled->program);

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
