#include "pipeline/target_kernel.h"

#include <fmt/format.h>

#include <map>
#include <optional>

#include "syscalls/filter_support.h"

namespace sysfence::pipeline {

syscalls::KernelVersion first_kernel_with(ActionKind kind) {
  // include/uapi/linux/seccomp.h: SECCOMP_RET_KILL, _TRAP, _ERRNO, _TRACE and
  // _ALLOW came with filter mode (3.5); _KILL_PROCESS ("seccomp: Implement
  // SECCOMP_RET_KILL_PROCESS action") and _LOG ("seccomp: Action to log
  // before allowing") in 4.14; _USER_NOTIF ("seccomp: add a return code to
  // trap to userspace") in 5.0.
  switch (kind) {
    case ActionKind::kKillProcess:
    case ActionKind::kLog: return {4, 14, 0};
    case ActionKind::kUserNotif: return {5, 0, 0};
    case ActionKind::kKillThread:
    case ActionKind::kTrap:
    case ActionKind::kErrno:
    case ActionKind::kTrace:
    case ActionKind::kAllow: return {3, 5, 0};
  }
  return {3, 5, 0};
}

std::string_view profile_spelling(ActionKind kind) {
  switch (kind) {
    case ActionKind::kKillProcess: return "SCMP_ACT_KILL_PROCESS";
    case ActionKind::kKillThread: return "SCMP_ACT_KILL_THREAD";
    case ActionKind::kTrap: return "SCMP_ACT_TRAP";
    case ActionKind::kErrno: return "SCMP_ACT_ERRNO";
    case ActionKind::kUserNotif: return "SCMP_ACT_NOTIFY";
    case ActionKind::kTrace: return "SCMP_ACT_TRACE";
    case ActionKind::kLog: return "SCMP_ACT_LOG";
    case ActionKind::kAllow: return "SCMP_ACT_ALLOW";
  }
  return "SCMP_ACT_KILL_PROCESS";
}

std::string_view flag_spelling(ActionKind kind) {
  switch (kind) {
    case ActionKind::kKillProcess: return "kill-process";
    case ActionKind::kKillThread: return "kill-thread";
    case ActionKind::kTrap: return "trap";
    case ActionKind::kErrno: return "errno";
    case ActionKind::kUserNotif: return "user-notif";
    case ActionKind::kTrace: return "trace";
    case ActionKind::kLog: return "log";
    case ActionKind::kAllow: return "allow";
  }
  return "kill-process";
}

namespace {

bool knows(syscalls::KernelVersion kernel, Action a) {
  // A value outside the uapi list is no action of any kernel; the profile
  // readers never produce one, and the pass leaves it as it is.
  return !a.known() || kernel >= first_kernel_with(a.kind);
}

// "SCMP_ACT_ERRNO(1)": the profile spelling with the data that matters.
std::string spell(Action a) {
  const bool show_data = a.kind == ActionKind::kErrno || a.kind == ActionKind::kTrace || a.data != 0;
  return show_data ? fmt::format("{}({})", profile_spelling(a.kind), a.data) : std::string(profile_spelling(a.kind));
}

// The mapping the message suggests: the nearest action every kernel with
// filter mode knows.
std::string_view suggested_target(ActionKind kind) {
  switch (kind) {
    case ActionKind::kLog: return "allow";
    case ActionKind::kUserNotif: return "errno";
    default: return "kill-thread";
  }
}

std::string lacking(Action a, syscalls::KernelVersion kernel) {
  return fmt::format("{} needs Linux {}; the target kernel is {} (use --downgrade-actions {}={} to map it)", spell(a),
                     syscalls::to_string(first_kernel_with(a.kind)), syscalls::to_string(kernel), flag_spelling(a.kind),
                     suggested_target(a.kind));
}

std::string where(const policy::SourceRef& src) {
  if (src.line != 0) return fmt::format("{}:{}", src.file, src.line);
  return fmt::format("{}: syscalls[{}]", src.file, src.entry);
}

using Mapping = std::map<ActionKind, Action>;

// The downgrades the target needs; an error for one whose result it lacks.
Expected<Mapping> needed_downgrades(syscalls::KernelVersion kernel, const TargetOptions& options,
                                    TargetReport& report) {
  Mapping mapping;
  for (const Downgrade& d : options.downgrades) {
    if (kernel >= first_kernel_with(d.from)) {
      report.notes.push_back(fmt::format("--downgrade-actions {}: not needed, Linux {} knows {}", flag_spelling(d.from),
                                         syscalls::to_string(kernel), profile_spelling(d.from)));
      continue;
    }
    if (!knows(kernel, d.to)) {
      return fail(fmt::format("--downgrade-actions maps {} to {}, which needs Linux {}; the target kernel is {}",
                              profile_spelling(d.from), spell(d.to), syscalls::to_string(first_kernel_with(d.to.kind)),
                              syscalls::to_string(kernel)));
    }
    mapping[d.from] = d.to;
  }
  return mapping;
}

// The rule (lowest profile line first) whose action the target lacks and no
// downgrade maps.
const policy::Rule* first_unmapped_rule(const policy::Policy& policy, syscalls::KernelVersion kernel,
                                        const Mapping& mapping) {
  const policy::Rule* first = nullptr;
  for (const policy::ArchPolicy& ap : policy.arches) {
    for (const auto& [nr, rules] : ap.rules) {
      for (const policy::Rule& r : rules) {
        if (knows(kernel, r.action) || mapping.contains(r.action.kind)) continue;
        if (first == nullptr ||
            std::pair(r.source.line, r.source.entry) < std::pair(first->source.line, first->source.entry)) {
          first = &r;
        }
      }
    }
  }
  return first;
}

// A kernel lets ALLOW and LOG through to the syscall table, which answers
// ENOSYS for a syscall it does not have.
bool reaches_the_kernel(Action a) { return a.kind == ActionKind::kAllow || a.kind == ActionKind::kLog; }

// Whether the profile's answer for `nr` could be other than ALLOW/LOG.
bool may_deny(const policy::ArchPolicy& ap, uint32_t nr) {
  auto it = ap.rules.find(nr);
  if (it == ap.rules.end()) {
    if (ap.enosys_above && nr > *ap.enosys_above) return false;  // already ENOSYS
    return !reaches_the_kernel(ap.default_action);
  }
  bool unconditional = false;
  for (const policy::Rule& r : it->second) {
    if (!reaches_the_kernel(r.action)) return true;
    unconditional = unconditional || r.conditions.empty();
  }
  // Conditional rules only: the default answers when none holds.
  return !unconditional && !reaches_the_kernel(ap.default_action);
}

// The syscalls the target lacks answer ENOSYS (see the header).
void answer_enosys_for_newer(policy::Policy& policy, syscalls::KernelVersion kernel, TargetReport& report) {
  for (policy::ArchPolicy& ap : policy.arches) {
    std::string list;
    for (const syscalls::Syscall& s : syscalls::table(ap.arch).entries()) {
      if (!s.since.known() || s.since <= kernel || !may_deny(ap, s.nr)) continue;
      policy::SourceRef source;
      source.file = fmt::format("the target kernel {} (it lacks {}, which came with Linux {})",
                                syscalls::to_string(kernel), s.name, syscalls::to_string(s.since));
      ap.rules[s.nr] = {policy::Rule{.action = Action::Errno(ap.enosys_errno), .conditions = {}, .source = source}};
      list += fmt::format("{}{} ({})", list.empty() ? "" : ", ", s.name, syscalls::to_string(s.since));
    }
    if (list.empty()) continue;
    const std::string_view abi = syscalls::arch(ap.arch).name;
    report.newer_syscalls.push_back(fmt::format("{}: {}", abi, list));
    report.notes.push_back(fmt::format("{}: newer than the target kernel {}, answered ENOSYS as it would: {}", abi,
                                       syscalls::to_string(kernel), list));
  }
}

}  // namespace

Expected<TargetReport> apply_target_kernel(policy::Policy& policy, syscalls::KernelVersion kernel,
                                           const TargetOptions& options, std::string_view default_action_at) {
  TargetReport report;
  if (kernel < first_kernel_with(ActionKind::kAllow)) {
    return fail(fmt::format("the target kernel {} has no seccomp filters (they came with Linux 3.5)",
                            syscalls::to_string(kernel)));
  }
  for (const policy::ArchPolicy& ap : policy.arches) {
    const syscalls::FilterSupport& support = syscalls::filter_support(ap.arch);
    if (support.since.known() && kernel < support.since) {
      return fail(fmt::format("{} needs Linux {} for seccomp filters; the target kernel is {}",
                              syscalls::arch(ap.arch).name, syscalls::to_string(support.since),
                              syscalls::to_string(kernel)));
    }
  }
  auto mapping = needed_downgrades(kernel, options, report);
  if (!mapping) return fail(mapping.error().message);

  for (const policy::ArchPolicy& ap : policy.arches) {
    if (!knows(kernel, ap.default_action) && !mapping->contains(ap.default_action.kind)) {
      return fail(fmt::format("{}: defaultAction {}", default_action_at, lacking(ap.default_action, kernel)));
    }
  }
  if (const policy::Rule* r = first_unmapped_rule(policy, kernel, *mapping)) {
    return fail(fmt::format("{}: {}", where(r->source), lacking(r->action, kernel)));
  }
  const bool quiet_bad_arch = !options.bad_arch_chosen && policy.bad_arch_action == Action::KillProcess() &&
                              !mapping->contains(ActionKind::kKillProcess);
  if (!knows(kernel, policy.bad_arch_action) && quiet_bad_arch) {
    policy.bad_arch_action = Action::KillThread();
    report.notes.push_back(fmt::format(
        "the bad-arch action is SCMP_ACT_KILL_THREAD: the default, SCMP_ACT_KILL_PROCESS, needs Linux 4.14 and "
        "the target kernel is {}",
        syscalls::to_string(kernel)));
  } else if (!knows(kernel, policy.bad_arch_action) && !mapping->contains(policy.bad_arch_action.kind)) {
    return fail(fmt::format("the bad-arch action {}", lacking(policy.bad_arch_action, kernel)));
  }

  std::map<ActionKind, bool> used;
  const auto map_action = [&](Action& a) {
    if (knows(kernel, a)) return;
    used[a.kind] = true;
    a = mapping->at(a.kind);
  };
  map_action(policy.bad_arch_action);
  for (policy::ArchPolicy& ap : policy.arches) {
    map_action(ap.default_action);
    for (auto& [nr, rules] : ap.rules) {
      for (policy::Rule& r : rules) map_action(r.action);
    }
  }
  for (const auto& [from, to] : *mapping) {
    const std::string change = fmt::format("{} -> {}", profile_spelling(from), spell(to));
    if (!used.contains(from)) {
      report.notes.push_back(
          fmt::format("--downgrade-actions {}: the policy has no {}", flag_spelling(from), profile_spelling(from)));
      continue;
    }
    report.applied.push_back(change);
    report.notes.push_back(fmt::format("{}: the target kernel {} lacks {} (Linux {})", change,
                                       syscalls::to_string(kernel), profile_spelling(from),
                                       syscalls::to_string(first_kernel_with(from))));
  }
  if (options.newer_syscalls_enosys) answer_enosys_for_newer(policy, kernel, report);
  return report;
}

}  // namespace sysfence::pipeline
