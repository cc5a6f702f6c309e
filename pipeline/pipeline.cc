#include "pipeline/pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "base/text.h"
#include "compiler/tree.h"
#include "profile/load.h"
#include "syscalls/arch.h"
#include "syscalls/table.h"

namespace sysfence::pipeline {

Expected<profile::ReadResult> load(const Request& request) {
  if (request.text) return profile::read_profile(*request.text, request.profile, request.read);
  return profile::load_profile(request.profile, request.read);
}

Expected<profile::Resolution> resolve(const profile::Profile& profile, const profile::ResolveOptions& options) {
  return profile::resolve(profile, options);
}

Expected<void> restrict_abis(policy::Policy& policy, std::span<const syscalls::ArchId> keep) {
  if (keep.empty()) return {};
  return compiler::restrict_abis(policy, keep);
}

Expected<compiler::Compiled> compile(const policy::Policy& policy, const compiler::CompileOptions& options) {
  return compiler::compile(policy, options);
}

namespace {

// The proof walks the policy's decision diagram path by path, each path as
// long as a syscall's chain of argument rules: past a few thousand rules on
// one syscall (hostile profiles; no filter sysfence builds gets there, since
// their argument rules alone would pass the kernel's 4096 instructions) the
// walk's cost is unbounded, so it is refused up front.
constexpr size_t kMaxProvedRules = 4096;

// A rule's identity for the proof: repeated rules (the same action and
// conditions) cost it nothing.
using RuleKey = std::pair<uint32_t, std::vector<std::tuple<uint8_t, policy::CmpOp, uint64_t, uint64_t, int>>>;

size_t distinct_conditional_rules(std::span<const policy::Rule> rules) {
  std::set<RuleKey> distinct;
  for (const policy::Rule& r : rules) {
    if (r.conditions.empty()) continue;
    RuleKey key{encode(r.action), {}};
    for (const policy::ArgCondition& c : r.conditions)
      key.second.emplace_back(c.index, c.op, c.value, c.value_two, static_cast<int>(c.width));
    distinct.insert(std::move(key));
    if (distinct.size() > kMaxProvedRules) break;
  }
  return distinct.size();
}

}  // namespace

Expected<void> provable(const policy::Policy& policy) {
  for (const policy::ArchPolicy& ap : policy.arches) {
    for (const auto& [nr, rules] : ap.rules) {
      if (rules.size() <= kMaxProvedRules || distinct_conditional_rules(rules) <= kMaxProvedRules) continue;
      const auto name = syscalls::table(ap.arch).name(nr);
      return fail(fmt::format(
          "{} ({}) has more than {} distinct rules with argument conditions, the most sysfence proves a filter "
          "against (the proof's cost grows with them); no filter for them fits the kernel's 4096 instructions "
          "unless most are redundant: merge them",
          name ? std::string(*name) : fmt::format("syscall {}", nr), syscalls::arch(ap.arch).name, kMaxProvedRules));
    }
  }
  return {};
}

Expected<verify::Verification> prove(const bpf::Program& program, const policy::Policy& policy,
                                     const verify::EquivOptions& options) {
  if (auto ok = provable(policy); !ok) return fail(ok.error().message);
  return verify::prove_equivalent(program, policy, options);
}

Expected<verify::Verification> prove_stack(std::vector<bpf::Program> stack, std::vector<std::string> names,
                                           const policy::Policy& policy, const verify::EquivOptions& options) {
  if (auto ok = provable(policy); !ok) return fail(ok.error().message);
  auto procedure = verify::StackProcedure::create(std::move(stack), std::move(names));
  if (!procedure) return fail(procedure.error().message);
  return verify::prove_stack_equivalent(*procedure, policy, options);
}

std::vector<std::string> warning_messages(const profile::Resolution& resolution) {
  std::vector<std::string> out;
  out.reserve(resolution.warnings.size());
  for (const profile::Warning& w : resolution.warnings) out.push_back(w.message);
  // A filter that cannot answer as the combination asked for says so where
  // its answers are read (sim, the raw and text outputs), not only in JSON.
  for (const std::string& n : resolution.unmodelled_combination) out.push_back(n);
  for (const std::string& n : resolution.number_load_lost) out.push_back(n);
  return out;
}

std::vector<std::pair<size_t, size_t>> counting_lines(const profile::Resolution& resolution) {
  std::vector<std::pair<size_t, size_t>> out;
  for (size_t i = 0; i < resolution.warnings.size(); ++i)
    if (resolution.warnings[i].stands_for != 1) out.emplace_back(i, resolution.warnings[i].stands_for);
  return out;
}

Expected<Result, Failure> run(const Request& request) {
  Diagnostics diagnostics;
  const auto failed = [&diagnostics](Stage stage, const Error& error) {
    return Unexpected<Failure>{Failure{stage, error.message, std::move(diagnostics)}};
  };

  auto loaded = pipeline::load(request);
  if (!loaded) return failed(Stage::kLoad, loaded.error());
  diagnostics.strict_findings = std::move(loaded->strict_findings);
  Result result;
  result.profile = std::move(loaded->profile);
  if (request.last == Stage::kLoad) {
    result.diagnostics = std::move(diagnostics);
    return result;
  }

  auto resolution = pipeline::resolve(result.profile, request.resolve);
  if (!resolution) return failed(Stage::kResolve, resolution.error());
  diagnostics.warnings = warning_messages(*resolution);
  diagnostics.counting_lines = counting_lines(*resolution);
  result.resolution = std::move(*resolution);
  const profile::SourcePos& at = result.profile.default_action_pos;
  const std::string default_action_at =
      at.line != 0 ? fmt::format("{}:{}:{}", result.profile.source, at.line, at.col) : result.profile.source;
  auto target = apply_target_kernel(result.resolution.policy, request.resolve.kernel, request.target, default_action_at);
  if (!target) return failed(Stage::kTargetKernel, target.error());
  for (std::string& note : target->notes) result.resolution.notes.push_back(std::move(note));
  result.downgrades = std::move(target->applied);
  result.newer_syscalls = std::move(target->newer_syscalls);

  if (request.last >= Stage::kRestrictAbis) {
    auto kept = pipeline::restrict_abis(result.resolution.policy, request.keep_abis);
    if (!kept) return failed(Stage::kRestrictAbis, kept.error());
  }
  if (request.last >= Stage::kCompile) {
    auto compiled = pipeline::compile(result.resolution.policy, request.compile);
    if (!compiled) return failed(Stage::kCompile, compiled.error());
    result.compiled = std::move(*compiled);
  }
  if (request.last >= Stage::kProve) {
    // The proof needs none of the compiler's scratch tables: its peak
    // (usually the run's) should not hold them as well.
    compiler::release_tree_tables();
    auto proof = pipeline::prove(result.compiled->program, result.resolution.policy, request.prove);
    if (!proof) return failed(Stage::kProve, proof.error());
    result.proof = std::move(*proof);
  }
  result.diagnostics = std::move(diagnostics);
  return result;
}

namespace {

// How many warnings the lines from `shown` on stand for: one each, except
// a line that itself counts warnings the resolver did not list (300 unknown
// names are 256 warnings and one counting 44: past 256, 44 more, not 1).
size_t unlisted_count(const Diagnostics& diagnostics, size_t shown) {
  size_t count = diagnostics.warnings.size() - shown;
  for (const auto& [index, stands_for] : diagnostics.counting_lines)
    if (index >= shown && index < diagnostics.warnings.size()) count += stands_for - 1;
  return count;
}

// Calls `line(prefix, message)` for every diagnostic in the order they are
// printed: the --strict findings, then at most `max_warnings` warnings and,
// past them, one message counting the rest.
template <typename LineFn>
void for_each_diagnostic(const Diagnostics& diagnostics, size_t max_warnings, LineFn&& line) {
  for (const std::string& f : diagnostics.strict_findings) line(std::string_view("sysfence: warning: "), f);
  const size_t shown = std::min(diagnostics.warnings.size(), max_warnings);
  for (size_t i = 0; i < shown; ++i) line(std::string_view("sysfence: warning: "), diagnostics.warnings[i]);
  if (shown < diagnostics.warnings.size())
    line(std::string_view("sysfence: warning: "), fmt::format("{} more warnings are not listed (only the first {} are)",
                                                              unlisted_count(diagnostics, shown), shown));
}

}  // namespace

std::vector<std::string> diagnostic_lines(const Diagnostics& diagnostics) {
  std::vector<std::string> out;
  out.reserve(diagnostics.strict_findings.size() + diagnostics.warnings.size());
  for_each_diagnostic(diagnostics, diagnostics.warnings.size(), [&out](std::string_view prefix,
                                                                       const std::string& message) {
    std::string& line = out.emplace_back();
    line.reserve(prefix.size() + message.size());
    line += prefix;
    append_one_line(line, message);
  });
  return out;
}

std::string diagnostic_text(const Diagnostics& diagnostics) {
  // A terminal's worth: 110,000 entries with one too-wide constant each
  // printed 110,000 warnings (the reader's findings stop at 256 alike).
  size_t size = 0;
  for_each_diagnostic(diagnostics, kMaxWarningLines, [&size](std::string_view prefix, const std::string& message) {
    size += prefix.size() + message.size() + 1;
  });
  std::string out;
  out.reserve(size);
  for_each_diagnostic(diagnostics, kMaxWarningLines, [&out](std::string_view prefix, const std::string& message) {
    out += prefix;
    append_one_line(out, message);
    out += '\n';
  });
  return out;
}

}  // namespace sysfence::pipeline
