#include "run/plan.h"

#include <fmt/format.h>

#include "bpf/install.h"
#include "run/host.h"

namespace sysfence::run {

namespace {

// Go's strconv.ParseBool, which Docker applies to no-new-privileges=VALUE.
std::optional<bool> parse_go_bool(std::string_view v) {
  for (std::string_view t : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (v == t) return true;
  }
  for (std::string_view f : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (v == f) return false;
  }
  return std::nullopt;
}

}  // namespace

Expected<SecurityOpt> parse_security_opt(std::string_view value) {
  SecurityOpt out;
  for (std::string_view prefix : {"seccomp=", "seccomp:"}) {
    if (value.starts_with(prefix)) {
      const std::string_view path = value.substr(prefix.size());
      if (path.empty()) return fail(fmt::format("--security-opt {}: the profile path is empty", value));
      out.seccomp = ProfileChoice{std::string(path)};
      return out;
    }
  }
  constexpr std::string_view kNnp = "no-new-privileges";
  if (value == kNnp) {
    out.no_new_privileges = true;
    return out;
  }
  if (value.starts_with(kNnp) && (value[kNnp.size()] == '=' || value[kNnp.size()] == ':')) {
    auto b = parse_go_bool(value.substr(kNnp.size() + 1));
    if (!b) return fail(fmt::format("--security-opt \"{}\": no-new-privileges takes true or false", value));
    out.no_new_privileges = *b;
    return out;
  }
  return fail(
      fmt::format("--security-opt \"{}\": sysfence run understands seccomp=PATH, seccomp:PATH, "
                  "seccomp=unconfined and no-new-privileges[=true|false]",
                  value));
}

std::optional<std::string> caps_note(const profile::Profile& profile, const profile::CapSet& resolved,
                                     const profile::CapSet& process, std::string_view label) {
  // Only the capabilities the profile tests can change the filter.
  profile::CapSet only_here;
  profile::CapSet only_in_filter;
  auto check = [&](const std::vector<std::string>& caps) {
    for (const std::string& cap : caps) {
      if (process.contains(cap) && !resolved.contains(cap)) only_here.insert(cap);
      if (!process.contains(cap) && resolved.contains(cap)) only_in_filter.insert(cap);
    }
  };
  for (const profile::ProfileSyscall& entry : profile.syscalls) {
    check(entry.includes.caps);
    check(entry.excludes.caps);
  }
  if (only_here.empty() && only_in_filter.empty()) return std::nullopt;
  auto join = [](const profile::CapSet& caps) {
    std::string out;
    for (const std::string& cap : caps) out += (out.empty() ? "" : ",") + cap;
    return out;
  };
  std::string differ;
  if (!only_here.empty()) differ = fmt::format("this process has {} and the filter's set has not", join(only_here));
  if (!only_in_filter.empty()) {
    differ += fmt::format("{}the filter's set has {} and this process has not", differ.empty() ? "" : "; ",
                          join(only_in_filter));
  }
  return fmt::format(
      "the profile is resolved for the capabilities {}, not for this process's own ({}); --caps current "
      "resolves it for this process's own capabilities",
      label, differ);
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
  auto process_caps = effective_caps();
  if (request.current_caps) {
    if (!process_caps) return fail("cannot read this process's capabilities: " + process_caps.error().message);
    build.resolve.caps = *process_caps;
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
  if (process_caps && !request.current_caps && !request.caps_chosen) {
    if (auto note = caps_note(doc, build.resolve.caps, *process_caps, request.caps_label)) {
      plan.notes.push_back(std::move(*note));
    }
  }

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
