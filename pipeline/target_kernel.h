// The target kernel pass: the resolved policy made right for the kernel the
// filter will be installed on (`--kernel X.Y`), which need not be the one
// sysfence runs on. A kernel treats a return value whose action it does not
// know as KILL_PROCESS (kernel/seccomp.c, the default branch of
// __seccomp_filter), so a profile whose defaultAction is SCMP_ACT_LOG kills
// every process on a 3.18 kernel. Every action of the policy (rules, the
// default actions, the bad-arch action) must be one the target knows, or be
// mapped to one by an explicit downgrade.
//
// Usage:
//   TargetOptions target{.downgrades = {{ActionKind::kLog, Action::Allow()}}};
//   auto report = apply_target_kernel(policy, {3, 18}, target, "p.json");
//   if (!report) return error(report.error().message);
//   notes.insert(notes.end(), report->notes.begin(), report->notes.end());
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "base/seccomp.h"
#include "policy/policy.h"
#include "syscalls/table.h"

namespace sysfence::pipeline {

// The first kernel whose seccomp knows the action
// (include/uapi/linux/seccomp.h): filter mode with KILL, TRAP, ERRNO, TRACE
// and ALLOW arrived in 3.5; KILL_PROCESS and LOG in 4.14; USER_NOTIF in 5.0.
syscalls::KernelVersion first_kernel_with(ActionKind kind);

// "SCMP_ACT_LOG": how a profile spells the action kind.
std::string_view profile_spelling(ActionKind kind);
// "log", "kill-process", "user-notif": how --downgrade-actions spells it.
std::string_view flag_spelling(ActionKind kind);

// Every action of kind `from` becomes `to`, when the target lacks `from`.
struct Downgrade {
  ActionKind from = ActionKind::kLog;
  Action to = Action::Allow();
  friend bool operator==(const Downgrade&, const Downgrade&) = default;
};

struct TargetOptions {
  std::vector<Downgrade> downgrades;
  // False: the bad-arch action is sysfence's default (KILL_PROCESS), which
  // quietly becomes KILL_THREAD on a target older than 4.14 (with a note),
  // since the user did not ask for it. True: it is checked like any other.
  bool bad_arch_chosen = false;
  // Syscalls newer than the target answer ENOSYS (below). For the filters
  // sysfence writes for another machine (`compile --kernel`); off where a
  // filter is checked against the profile as written (verify, audit), where
  // another tool's filter could never match it.
  bool newer_syscalls_enosys = false;
};

struct TargetReport {
  // For Resolution::notes: the bad-arch default taken down, each mapping
  // applied, each mapping the target did not need.
  std::vector<std::string> notes;
  // The mappings applied, "SCMP_ACT_LOG -> SCMP_ACT_ALLOW", for the output's
  // header.
  std::vector<std::string> applied;
  // Per ABI, the syscalls newer than the target kernel whose answer became
  // ERRNO(ENOSYS): "arm: clone3 (5.3), openat2 (5.6)".
  std::vector<std::string> newer_syscalls;
};

// Maps and checks every action of `policy` for `kernel`. Error: the first
// action the target lacks and no downgrade maps (the default action first,
// then the rules by profile line):
//   "p.json:7: SCMP_ACT_LOG needs Linux 4.14; the target kernel is 3.18 (use
//   --downgrade-actions log=allow to map it)"
// a downgrade to an action the target lacks as well, a target older
// than 3.5, which has no filter mode at all, and an ABI whose arch got
// seccomp filters later than the target (syscalls/filter_support.h).
// `default_action_at` says where the default action is written ("p.json:2:20",
// or the document's name where it has no position), for its message.
//
// With options.newer_syscalls_enosys, syscalls newer than the target (their
// first kernel in the ABI's table) answer as that kernel would, ENOSYS, instead of what the profile says:
// a denial or a kill of a syscall the kernel does not have would only break
// a C library probing for it. ALLOW and LOG stay as they are (the kernel
// itself answers ENOSYS after the filter lets the call through).
Expected<TargetReport> apply_target_kernel(policy::Policy& policy, syscalls::KernelVersion kernel,
                                           const TargetOptions& options, std::string_view default_action_at);

}  // namespace sysfence::pipeline
