#include "audit/profile_audit.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "audit/program_audit.h"
#include "compiler/compile.h"
#include "policy/operators.h"
#include "syscalls/multiplex.h"
#include "syscalls/table.h"

namespace sysfence::audit {

namespace {

bool permissive(Action a) { return a.kind == ActionKind::kAllow || a.kind == ActionKind::kLog; }

Finding warning_finding_text(const profile::Warning& w) {
  // Line 0: no place in the profile (the bad-arch action is a flag's).
  const std::string where = w.rule.line == 0
                                ? std::string("the command line")
                                : fmt::format("rule {}:{} (syscalls[{}])", w.rule.file, w.rule.line, w.rule.entry);
  switch (w.kind) {
    case profile::WarningKind::kWidth:
      return Finding{check::kConstantWidth,
                     Severity::kMedium,
                     w.message,
                     fmt::format("write the constant as the {}-bit value the kernel reads", w.bits),
                     where,
                     {}};
    case profile::WarningKind::kMaskedDatum:
      // The filter does what Docker's does; the profile just says more than
      // it means, which hides what the rule really tests.
      return Finding{check::kMaskedDatum,
                     Severity::kLow,
                     w.message,
                     fmt::format("use datum & mask: valueTwo {:#x}", policy::masked_datum(w.mask, w.datum)),
                     where,
                     {}};
    case profile::WarningKind::kUnknownName:
      return Finding{check::kUnknownSyscall,
                     Severity::kLow,
                     w.message,
                     w.suggestion.empty() ? std::string("remove the name, or spell it as the kernel does")
                                          : fmt::format("spell it {}", w.suggestion),
                     where,
                     {}};
    case profile::WarningKind::kRuleConflict:
      // Docker, runc and Podman (libseccomp) may enforce another action than
      // sysfence for the same profile: the profile is ambiguous.
      return Finding{check::kRuleConflict,
                     Severity::kMedium,
                     w.message,
                     "make the two entries disjoint (add conditions) or give them one action",
                     fmt::format("{} and rule {}:{} (syscalls[{}])", where, w.other.file, w.other.line, w.other.entry),
                     {}};
    case profile::WarningKind::kErrnoRange:
      return Finding{check::kErrnoRange, Severity::kMedium, w.message, "use an errno of at most 4095", where, {}};
    case profile::WarningKind::kFilterValue:
      // An excludes value that never matches leaves the entry in force where
      // its author meant to lift it; an includes one only loses the entry.
      return Finding{check::kFilterValue,
                     w.message.find("excludes.") != std::string::npos ? Severity::kMedium : Severity::kLow,
                     w.message,
                     "spell the capability CAP_* as the kernel does, the arch as moby does (amd64, arm64, x86, ...)",
                     where,
                     {}};
  }
  return Finding{};
}

Finding warning_finding(const profile::Warning& w) {
  Finding f = warning_finding_text(w);
  if (w.pos.line == 0 && w.rule.line == 0) return f;  // a flag's, not the profile's
  f.location =
      SourceLocation{w.rule.file, w.pos.line != 0 ? w.pos.line : w.rule.line, w.pos.line != 0 ? w.pos.col : w.rule.col};
  return f;
}

// Where the profile writes its defaultAction (the seccomp object when it
// writes none).
SourceLocation default_action_location(const profile::Profile& profile) {
  const profile::SourcePos at = profile.default_action_pos.line != 0 ? profile.default_action_pos : profile.pos;
  return SourceLocation{profile.source, at.line, at.col};
}

// The profile rule that decides a finding's example input, or its
// defaultAction where no rule does.
void locate_by_input(Finding& f, const profile::Profile& profile, const policy::Policy& policy) {
  if (f.location || f.inputs.empty()) return;
  const policy::Decision d = policy::evaluate(policy, f.inputs.front());
  if (d.rule != nullptr && d.rule->source.line != 0)
    f.location = SourceLocation{d.rule->source.file, d.rule->source.line, d.rule->source.col};
  else if (d.rule == nullptr && d.arch != nullptr && !d.enosys && d.action == d.arch->default_action)
    f.location = default_action_location(profile);
}

// The strictest answer syscall `nr` of `ap` can get: its rules' actions and,
// unless an unconditional rule covers every call, the default action.
Action strictest_answer(const policy::ArchPolicy& ap, uint32_t nr) {
  Action strictest = Action::Allow();
  bool covered = false;
  if (auto it = ap.rules.find(nr); it != ap.rules.end()) {
    for (const policy::Rule& r : it->second) {
      if (more_restrictive(r.action, strictest)) strictest = r.action;
      covered = covered || r.conditions.empty();
    }
  }
  if (!covered && more_restrictive(ap.default_action, strictest)) strictest = ap.default_action;
  return strictest;
}

// A rule with argument conditions on a socket/IPC call that the ABI's
// multiplexer reaches without them (profile/multiplex.h): medium when the
// multiplexer lets through more than the direct call ever does (the
// conditions can be bypassed), info otherwise.
Finding multiplex_finding(const profile::Profile& profile, const profile::Resolution& resolution,
                          const profile::MultiplexGap& gap, syscalls::ArchId abi) {
  const profile::ProfileSyscall& e = profile.syscalls[gap.entry];
  const std::string where = fmt::format("rule {}:{} (syscalls[{}])", profile.source, e.pos.line, gap.entry);
  const policy::ArchPolicy* ap = resolution.policy.find(abi);
  const auto& arch = syscalls::arch(abi);
  const std::string_view mux = syscalls::multiplexer_name(gap.call->via);
  SeccompData d;
  d.arch = arch.audit_arch;
  d.nr = *syscalls::multiplexer_number(abi, gap.call->via);
  d.args[0] = gap.call->call;
  const Action through = policy::evaluate(resolution.policy, d).action;
  // Without a direct syscall on this ABI the rule decides nothing there:
  // compare with the rule's own action.
  const auto direct = syscalls::table(abi).number(gap.name);
  const Action strictest =
      direct && ap != nullptr ? strictest_answer(*ap, *direct) : resolution.entries[gap.entry].action;
  const bool bypass = more_restrictive(strictest, through);
  std::string message = fmt::format(
      "{}:{}: syscalls[{}]: the argument conditions of this {} rule cannot be checked through {}({}, ...) on {} "
      "(the arguments are in user memory): the filter answers {} for every {} made that way",
      profile.source, e.pos.line, gap.entry, gap.name, mux, gap.call->constant, arch.name, to_string(through),
      gap.name);
  if (!direct) message += fmt::format(", and {} has no syscall of its own there", gap.name);
  if (bypass)
    message += fmt::format("; {} answers {} for some arguments, so they can be bypassed",
                           direct ? gap.name : "the rule", to_string(strictest));
  return Finding{
      check::kMultiplexBypass,
      bypass ? Severity::kMedium : Severity::kInfo,
      std::move(message),
      fmt::format("deny {} on {} unless the workload needs it, or give it its own rules on argument 0", mux, arch.name),
      where,
      {d},
      SourceLocation{profile.source, e.pos.line, e.pos.col}};
}

}  // namespace

Expected<Report> audit_profile(const profile::Profile& profile, const profile::Resolution& resolution,
                               const ProfileAuditOptions& options) {
  const policy::Policy& policy = resolution.policy;
  auto compiled = compiler::compile(policy, compiler::CompileOptions{});
  if (!compiled) return fail(fmt::format("{}: {}", profile.source, compiled.error().message));

  ProgramAuditOptions po;
  po.arch = options.native;
  po.intent = &policy;
  po.skip_default_check = true;  // answered from the profile below
  po.max_paths = options.max_paths;
  po.max_work = options.max_work;
  po.kernel = options.kernel;
  auto explorer = verify::PathExplorer::create(compiled->program);
  if (!explorer) return fail(fmt::format("{}: the compiled program: {}", profile.source, explorer.error().message));
  Report report = audit_program(*explorer, po);

  std::vector<syscalls::ArchId> abis;
  for (const auto& ap : policy.arches) abis.push_back(ap.arch);
  report.scope.insert(
      report.scope.begin(),
      fmt::format("profile {}: resolved for {} ({}), arguments compared {}; compiled to {}", profile.source,
                  options.native != nullptr ? options.native->name : "?", compiler::abi_names(abis),
                  options.arg_width == profile::ArgWidthMode::kAbi ? "as the kernel reads them (--arg-width=abi)"
                                                                   : "on all 64 bits (--arg-width=64)",
                  compiled->program.size() == 1 ? std::string("1 instruction")
                                                : fmt::format("{} instructions", compiled->program.size())));

  // What the profile says but cannot mean: constants wider than the
  // argument, MASKED_EQ datum bits the mask drops, names no ABI has.
  for (Finding& f : report.findings) locate_by_input(f, profile, policy);
  // The one seed-blocked finding without an input lists what the default
  // action allows: the defaultAction is where it comes from.
  for (Finding& f : report.findings)
    if (f.check == check::kSeedBlocked && f.inputs.empty() && !f.location) f.location = default_action_location(profile);
  for (const profile::Warning& w : resolution.warnings) report.findings.push_back(warning_finding(w));

  // Conditional rules on socket/IPC calls that socketcall/ipc bypass.
  for (const profile::MultiplexGap& gap : resolution.multiplex_gaps)
    for (syscalls::ArchId abi : gap.arches) report.findings.push_back(multiplex_finding(profile, resolution, gap, abi));

  // The default action, straight from the profile.
  std::vector<std::string> allowing;
  for (const auto& ap : policy.arches)
    if (permissive(ap.default_action)) allowing.push_back(fmt::format("{}", syscalls::arch(ap.arch).name));
  if (!allowing.empty()) {
    std::string list;
    for (const auto& a : allowing) list += (list.empty() ? "" : ", ") + a;
    report.findings.push_back(Finding{
        check::kDefaultAllow,
        Severity::kHigh,
        fmt::format("the defaultAction is {}: every syscall the profile does not name is allowed, including ones "
                    "added in later kernels ({})",
                    to_string(policy.arches.front().default_action), list),
        "set defaultAction to SCMP_ACT_ERRNO and allow the syscalls the workload needs",
        fmt::format("{}: defaultAction", profile.source),
        {},
        default_action_location(profile)});
  }
  sort_findings(report.findings);
  return report;
}

}  // namespace sysfence::audit
