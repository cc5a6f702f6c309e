#include "audit/finding.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace sysfence::audit {

namespace {
constexpr std::array<std::string_view, 5> kNames = {"info", "low", "medium", "high", "critical"};

constexpr CheckInfo kChecks[] = {
    {check::kArchUnchecked, "a decision depends on the syscall number where the architecture is not fixed"},
    {check::kX32, "x32 syscall numbers reach ALLOW although the same x86_64 syscalls are denied"},
    {check::kArgWidth, "a 64-bit comparison of an argument the kernel reads as 32 bits lets a call through"},
    {check::kConstantWidth, "a profile constant is wider than the argument the kernel reads"},
    {check::kMaskedDatum, "a MASKED_EQ datum has bits its mask drops"},
    {check::kRuleConflict,
     "two entries match one input with different actions (libseccomp may combine them otherwise)"},
    {check::kErrnoRange,
     "an errno above 4095 (the kernel clamps it; libseccomp refuses the profile), or an errnoRet above 16 bits"},
    {check::kFilterValue, "an includes/excludes capability or arch that never matches (a typo)"},
    {check::kMultiplexBypass, "socketcall(2)/ipc(2) reach a socket or SysV IPC call without its argument conditions"},
    {check::kUnknownSyscall, "a syscall name no ABI has"},
    {check::kDefaultAllow, "syscalls the filter does not name are allowed"},
    {check::kSeedBlocked, "a syscall Docker's documented table blocks is allowed"},
    {check::kPtrace, "ptrace is allowed"},
    {check::kPersonality, "a persona other than Docker's safe ones is allowed"},
    {check::kUnshare, "unshare with CLONE_NEW* flags is allowed"},
    {check::kCloneNamespaces, "clone with CLONE_NEW* flags, or clone3, is allowed"},
    {check::kNoEnosys, "syscalls newer than the filter are not answered ENOSYS"},
    {check::kInstructionPointer, "a decision depends on the instruction pointer"},
    {check::kUnreachable, "instructions no input runs"},
    {check::kUndefinedAction, "a ret of a value that selects no action (the kernel kills the process)"},
    {check::kIncomplete, "paths outside the symbolic fragment or over the path budget: findings may be missing"},
    {check::kAbiNotHandled, "--arch names an ABI the filter does not tell syscalls apart on"},
    {check::kSiblingRoute, "a syscall is denied while a sibling reaching the same kernel operation is allowed"},
    {check::kIoUring, "io_uring is allowed: the operations submitted through a ring bypass the filter"},
    {check::kCompatRoute, "a compat ABI (i386 through int 0x80, arm, ...) allows what the host ABI denies"},
    {check::kCompatOnly, "syscalls only a compat ABI has are allowed there"},
    {check::kKernelExempt, "a call the target kernel runs no filter for is denied: the answer is never applied"},
};
}  // namespace

std::span<const CheckInfo> all_checks() { return kChecks; }

std::string_view to_string(Severity s) { return kNames[static_cast<size_t>(s)]; }

std::optional<Severity> parse_severity(std::string_view s) {
  for (size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == s) return static_cast<Severity>(i);
  return std::nullopt;
}

void sort_findings(std::vector<Finding>& findings) {
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    if (a.severity != b.severity) return a.severity > b.severity;
    if (a.check != b.check) return a.check < b.check;
    return a.message < b.message;
  });
}

bool has_finding_at_or_above(const Report& report, Severity threshold) {
  return std::any_of(report.findings.begin(), report.findings.end(),
                     [&](const Finding& f) { return f.severity >= threshold; });
}

std::string format_report(const Report& report) {
  std::string out;
  for (const std::string& s : report.scope) out += fmt::format("audited {}\n", s);
  if (!report.scope.empty()) out += "\n";
  std::array<size_t, kNames.size()> counts{};
  for (const Finding& f : report.findings) {
    ++counts[static_cast<size_t>(f.severity)];
    std::string label(to_string(f.severity));
    for (char& c : label) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out += fmt::format("{:<9} {:<19} {}", label, f.check, f.message);
    if (!f.where.empty()) out += fmt::format(" [{}]", f.where);
    out += "\n";
    if (!f.fix.empty()) out += fmt::format("{:<9} {:<19} fix: {}\n", "", "", f.fix);
  }
  if (report.findings.empty()) {
    out += "no findings\n";
    return out;
  }
  std::string summary;
  for (size_t i = kNames.size(); i-- > 0;) {
    if (counts[i] == 0) continue;
    summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ", counts[i], kNames[i]);
  }
  out += fmt::format("{} finding{}: {}\n", report.findings.size(), report.findings.size() == 1 ? "" : "s", summary);
  return out;
}

}  // namespace sysfence::audit
