#include "audit/stack_audit.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <utility>

#include "bpf/stack.h"
#include "syscalls/arch.h"
#include "verify/paths.h"
#include "verify/stack.h"

namespace sysfence::audit {

namespace {

// The word layout of an input: its ABI's byte order (the audit built the
// input from it), little-endian for arch values no ABI has.
SeccompWords words_of(const SeccompData& d) {
  for (const syscalls::Arch& a : syscalls::all_arches()) {
    if (a.audit_arch == d.arch) return to_words(d, a.endian);
  }
  return to_words(d, Endian::kLittle);
}

// Whether the stack answers every demonstrating input as filter `position`
// alone does, so that the finding holds for the stack too.
bool stack_confirms(const bpf::StackInterpreter& stack, size_t position, const Finding& f) {
  return std::ranges::all_of(f.inputs, [&](const SeccompData& d) {
    const SeccompWords w = words_of(d);
    return decode(stack.run(w).ret) == decode(stack.filter(position).run(w).ret);
  });
}

}  // namespace

namespace {

// Each filter, validated and ready for its own-code walk.
Expected<std::vector<verify::PathExplorer>> explorers_of(std::span<const bpf::Program> stack,
                                                         std::span<const std::string> names) {
  std::vector<verify::PathExplorer> out;
  for (size_t k = 0; k < stack.size(); ++k) {
    auto x = verify::PathExplorer::create(stack[k]);
    if (!x) return fail(fmt::format("{}: {}", names[k], x.error().message));
    out.push_back(std::move(*x));
  }
  return out;
}

}  // namespace

Expected<Report> audit_stack(std::span<const bpf::Program> stack, std::span<const std::string> names,
                             const ProgramAuditOptions& options) {
  if (names.size() != stack.size()) return fail("a filter stack needs one name per filter");
  auto explorers = explorers_of(stack, names);
  if (!explorers) return fail(explorers.error().message);
  auto procedure = verify::StackProcedure::create(std::vector<bpf::Program>(stack.begin(), stack.end()),
                                                  std::vector<std::string>(names.begin(), names.end()));
  auto interp = bpf::StackInterpreter::create(stack);
  // unreachable: each filter validated above
  if (!procedure) return fail(procedure.error().message);
  if (!interp) return fail(interp.error().message);
  // Every filter's audit reads the ABIs any of them handles, so that the
  // stack's findings are the same whichever filter's audit finds them.
  ProgramAuditOptions on_stack = options;
  on_stack.stack = &*procedure;
  for (const verify::PathExplorer& x : *explorers)
    for (uint32_t a : audited_arches(x, options))
      if (std::find(on_stack.more_arches.begin(), on_stack.more_arches.end(), a) == on_stack.more_arches.end())
        on_stack.more_arches.push_back(a);
  Report out;
  size_t dropped = 0;
  std::set<std::pair<std::string_view, std::string>> seen;  // the stack's findings, once
  // Newest first, the order the kernel runs them; each is named by its
  // kernel index, its position. The newest filter's audit reads what the
  // stack lets through (alike from any filter); the others' only their own
  // code.
  for (size_t position = stack.size(); position-- > 0;) {
    on_stack.own_code_only = position + 1 < stack.size();
    Report report = audit_program((*explorers)[position], on_stack);
    const std::string filter = fmt::format("filter {} ({})", position, names[position]);
    for (const std::string& s : report.scope) out.scope.push_back(fmt::format("{}: {}", filter, s));
    for (Finding& f : report.findings) {
      if (!is_own_code_check(f.check)) {
        // Found on the stack's joint paths: its place already names the
        // deciding filter.
        if (seen.insert({f.check, f.message}).second) out.findings.push_back(std::move(f));
        continue;
      }
      // The number read without the arch: the answer it claims holds for
      // the stack only when the stack answers its example as the filter does.
      if (f.check == check::kArchUnchecked && !stack_confirms(*interp, position, f)) {
        ++dropped;
        continue;
      }
      f.where = f.where.empty() ? filter : fmt::format("{}: {}", filter, f.where);
      out.findings.push_back(std::move(f));
    }
  }
  out.scope.push_back(fmt::format(
      "stack: {} filters (filter 0 is the oldest); what gets through is read on the stack's joint paths (every "
      "filter walked, the answers combined as the kernel does); findings on one filter's code are that filter's "
      "({} that the stack answers otherwise left out)",
      stack.size(), dropped));
  sort_findings(out.findings);
  return out;
}

}  // namespace sysfence::audit
