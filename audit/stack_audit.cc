#include "audit/stack_audit.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <utility>

#include "bpf/stack.h"
#include "syscalls/arch.h"

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

bool is_structural_check(std::string_view check) {
  return check == check::kUnreachable || check == check::kUndefinedAction || check == check::kIncomplete ||
         check == check::kAbiNotHandled || check == check::kInstructionPointer;
}

Expected<Report> audit_stack(std::span<const bpf::Program> stack, std::span<const std::string> names,
                             const ProgramAuditOptions& options) {
  if (names.size() != stack.size()) return fail("a filter stack needs one name per filter");
  auto interp = bpf::StackInterpreter::create(stack);
  std::vector<Report> reports;  // newest first, the order the kernel runs them
  for (size_t k = stack.size(); k-- > 0;) {
    auto report = audit_program(stack[k], options);
    if (!report) return fail(fmt::format("{}: {}", names[k], report.error().message));
    reports.push_back(std::move(*report));
  }
  if (!interp) return fail(interp.error().message);  // unreachable: each filter validated above
  // A semantic finding without demonstrating inputs (a default that allows)
  // holds for the stack only when every filter has such a finding of that
  // check; the newest filter's is shown.
  const auto in_every_filter = [&reports](std::string_view check) {
    for (const Report& r : reports) {
      bool found = false;
      for (const Finding& f : r.findings) found = found || (f.check == check && f.inputs.empty());
      if (!found) return false;
    }
    return true;
  };
  Report out;
  size_t dropped = 0;
  std::set<std::pair<std::string_view, std::string>> seen;  // one copy of what several filters show
  // Newest first, so that of the copies several filters show the newest
  // filter's is kept; each is named by its kernel index, its position.
  for (size_t k = 0; k < reports.size(); ++k) {
    const size_t position = stack.size() - 1 - k;
    const std::string filter = fmt::format("filter {} ({})", position, names[position]);
    for (const std::string& s : reports[k].scope) out.scope.push_back(fmt::format("{}: {}", filter, s));
    for (Finding& f : reports[k].findings) {
      const bool structural = is_structural_check(f.check);
      if (!structural) {
        const bool holds = f.inputs.empty() ? in_every_filter(f.check) : stack_confirms(*interp, position, f);
        if (!holds) {
          ++dropped;
          continue;
        }
        const std::string key =
            f.inputs.empty() ? std::string() : fmt::format("{}:{}", f.inputs[0].nr, f.inputs[0].arch);
        if (!seen.insert({f.check, key}).second) continue;
      }
      f.where = f.where.empty() ? filter : fmt::format("{}: {}", filter, f.where);
      out.findings.push_back(std::move(f));
    }
  }
  out.scope.push_back(fmt::format(
      "stack: {} filters (filter 0 is the oldest); ways through confirmed on the whole stack ({} shown by one filter "
      "but not by the stack left out); an issue no single filter demonstrates is not searched for",
      stack.size(), dropped));
  sort_findings(out.findings);
  return out;
}

}  // namespace sysfence::audit
