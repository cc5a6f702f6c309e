#include "audit/profile_audit.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "audit/program_audit.h"
#include "compiler/compile.h"
#include "policy/operators.h"

namespace sysfence::audit {

namespace {

bool permissive(Action a) { return a.kind == ActionKind::kAllow || a.kind == ActionKind::kLog; }

Finding warning_finding(const profile::Warning& w) {
  const std::string where = fmt::format("rule {}:{} (syscalls[{}])", w.rule.file, w.rule.line, w.rule.entry);
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
  }
  return Finding{};
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
  for (const profile::Warning& w : resolution.warnings) report.findings.push_back(warning_finding(w));

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
        {}});
  }
  sort_findings(report.findings);
  return report;
}

}  // namespace sysfence::audit
