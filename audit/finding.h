// What `sysfence audit` reports: findings with a severity, the evidence in
// one line, where it is (an instruction, a profile rule) and a one-line fix.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/seccomp.h"

namespace sysfence::audit {

// Ordered: a threshold selects every finding at or above it.
enum class Severity : uint8_t { kInfo, kLow, kMedium, kHigh, kCritical };

std::string_view to_string(Severity s);  // "info", "low", "medium", "high", "critical"
std::optional<Severity> parse_severity(std::string_view s);

// Stable check identifiers (the first column of the report; tests and
// scripts match on them).
namespace check {
inline constexpr std::string_view kArchUnchecked = "arch-unchecked";
inline constexpr std::string_view kX32 = "x32";
inline constexpr std::string_view kArgWidth = "arg-width";
inline constexpr std::string_view kConstantWidth = "constant-width";
inline constexpr std::string_view kMaskedDatum = "masked-datum";
inline constexpr std::string_view kUnknownSyscall = "unknown-syscall";
inline constexpr std::string_view kRuleConflict = "rule-conflict";
inline constexpr std::string_view kErrnoRange = "errno-range";
inline constexpr std::string_view kFilterValue = "filter-value";
inline constexpr std::string_view kDefaultAllow = "default-allow";
inline constexpr std::string_view kSeedBlocked = "seed-blocked";
inline constexpr std::string_view kPtrace = "ptrace";
inline constexpr std::string_view kPersonality = "personality";
inline constexpr std::string_view kUnshare = "unshare";
inline constexpr std::string_view kCloneNamespaces = "clone-namespaces";
inline constexpr std::string_view kNoEnosys = "no-enosys";
inline constexpr std::string_view kInstructionPointer = "instruction-pointer";
inline constexpr std::string_view kUnreachable = "unreachable";
inline constexpr std::string_view kUndefinedAction = "undefined-action";
inline constexpr std::string_view kIncomplete = "incomplete";
inline constexpr std::string_view kAbiNotHandled = "abi-not-handled";
inline constexpr std::string_view kMultiplexBypass = "multiplex-bypass";
inline constexpr std::string_view kSiblingRoute = "sibling-route";
inline constexpr std::string_view kIoUring = "io-uring";
inline constexpr std::string_view kCompatRoute = "compat-route";
inline constexpr std::string_view kCompatOnly = "compat-only";
inline constexpr std::string_view kKernelExempt = "kernel-exempt";
}  // namespace check

// Every check id with one line on what it finds (SARIF's rules[]).
struct CheckInfo {
  std::string_view id;
  std::string_view description;
};
std::span<const CheckInfo> all_checks();

// A position in the profile: the entry (or condition) a finding is about.
struct SourceLocation {
  std::string file;  // as the user named the profile ("default" for the built-in)
  uint32_t line = 0;
  uint32_t col = 0;  // 0 when unknown
  friend bool operator==(const SourceLocation&, const SourceLocation&) = default;
};

struct Finding {
  std::string_view check;  // one of check::k*
  Severity severity = Severity::kInfo;
  std::string message;  // what is wrong, with the concrete evidence
  std::string fix;      // one line
  std::string where;    // "instruction 12", "default:482 (syscalls[12])"; may be empty
  // Concrete seccomp_data that demonstrate the finding (the filter answers
  // the first as the message says; arg-width adds the clean counterpart the
  // kernel cannot tell apart from it). Empty for findings about the program
  // text (unreachable code) or the profile alone.
  std::vector<SeccompData> inputs;
  // The profile position behind the finding (profile audits): the rule that
  // decides inputs[0], the entry a warning is about, or the profile itself.
  std::optional<SourceLocation> location = std::nullopt;

  friend bool operator==(const Finding&, const Finding&) = default;
};

struct Report {
  std::vector<Finding> findings;  // most severe first (sort_findings)
  // What was examined: "program: 57 instructions, 312 paths; ABIs: x86_64, x32, i386".
  std::vector<std::string> scope;
};

// Most severe first; within a severity, by check id, then message (stable,
// so the report does not depend on the order the checks ran in).
void sort_findings(std::vector<Finding>& findings);

// Whether any finding is at or above `threshold`.
bool has_finding_at_or_above(const Report& report, Severity threshold);

// The text report:
//   HIGH      arg-width  socket on x86_64: ... [instruction 57; default:482 (syscalls[12])]
//             fix: ...
// then one summary line ("3 findings: 1 high, 2 low" or "no findings").
std::string format_report(const Report& report);

}  // namespace sysfence::audit
