#include "verify/diff_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <vector>

#include "verify/describe.h"

namespace sysfence::verify {

namespace {

constexpr unsigned kNrWord = kOffsetNr / 4;
constexpr unsigned kArchWord = kOffsetArch / 4;

// Where a region sits: its arch (when one value) and its syscall numbers.
struct Place {
  bool arch_pinned;
  uint32_t arch;
  uint32_t nr_lo;
  uint32_t nr_hi;
  // Single arches first (by value), then regions spanning several; inside
  // an arch, by syscall number.
  friend bool operator<(const Place& x, const Place& y) {
    if (x.arch_pinned != y.arch_pinned) return x.arch_pinned;
    return std::tie(x.arch, x.nr_lo, x.nr_hi) < std::tie(y.arch, y.nr_lo, y.nr_hi);
  }
};

std::string arch_heading(const Mismatch& m) {
  const WordSet& arch = m.region_known ? m.region[kArchWord] : WordSet{};
  if (m.region_known && arch.pinned()) {
    // x32 shares x86_64's value: name the value's ABI, not the nr's.
    for (const auto& a : syscalls::all_arches())
      if (a.audit_arch == *arch.pinned() && a.id != syscalls::ArchId::kX32)
        return fmt::format("arch {} ({:#x})", a.name, *arch.pinned());
    return fmt::format("arch {:#x}", *arch.pinned());
  }
  if (!m.region_known) return "inputs found by testing";
  const std::string d = arch.describe();
  return d.empty() ? "any arch" : fmt::format("arch {}", d);
}

std::string syscall_heading(const Mismatch& m, size_t max_names) {
  if (!m.region_known) return describe_input(m.input);
  const syscalls::Arch* abi = m.region[kArchWord].pinned() ? abi_of(m.input) : nullptr;
  const WordSet& nr = m.region[kNrWord];
  if (abi == nullptr) {
    if (auto p = nr.pinned()) return fmt::format("nr {}", *p);
    return nr.unconstrained() ? "any syscall number" : fmt::format("syscall numbers {}", nr.describe());
  }
  const SyscallsInRegion s = syscalls_in_region(nr, abi, max_names);
  if (s.total == 1 && !s.unknown_numbers) return fmt::format("{} [{}]", s.names[0], abi->name);
  if (s.total == 0 && nr.pinned()) return fmt::format("nr {} (not in the {} table)", *nr.pinned(), abi->name);
  std::string out = nr.unconstrained() ? "any syscall number" : fmt::format("syscall numbers {}", nr.describe());
  if (s.total > 0) {
    out += fmt::format(" — {} {} syscall{}: ", s.total, abi->name, s.total == 1 ? "" : "s");
    for (size_t i = 0; i < s.names.size(); ++i) out += (i ? ", " : "") + s.names[i];
    if (s.total > s.names.size()) out += ", ...";
    if (s.unknown_numbers) out += fmt::format("; also numbers the table does not name (e.g. {})", s.unnamed_example);
  } else {
    out += fmt::format(" — no {} syscall, e.g. {}", abi->name, m.input[kNrWord]);
  }
  return out;
}

// The region's constraints on words other than arch and nr.
std::string conditions(const Mismatch& m) {
  if (!m.region_known) return "";
  std::array<WordSet, kWordCount> rest = m.region;
  rest[kArchWord] = WordSet{};
  rest[kNrWord] = WordSet{};
  const syscalls::Arch* abi = m.region[kArchWord].pinned() ? abi_of(m.input) : nullptr;
  const std::vector<std::string> parts = describe_region(rest, abi);
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? ", " : "") + parts[i];
  return out.empty() ? "any arguments" : out;
}

}  // namespace

std::string format_diff(const EquivResult& r, const DiffReportOptions& o) {
  if (r.verdict == EquivResult::Verdict::kEquivalent)
    return fmt::format("equivalent (proved: {} paths, {} word constraints)\n", r.paths, r.word_constraints);
  std::string out;
  if (r.verdict == EquivResult::Verdict::kUndecided) {
    out += fmt::format("not proved: {}\n", r.not_proved_reason);
    if (r.tested)
      out += fmt::format("testing {} boundary and random inputs found no difference (testing, not a proof)\n",
                         r.tests_run);
  } else {
    std::string how;
    if (r.tested) how = fmt::format(" (found by testing {} inputs; not a complete list)", r.tests_run);
    else if (r.mismatch_limit_reached) how = " (the first ones found; the search stops there)";
    else if (r.proved) how = fmt::format(" (all of them: exhaustive over {} joint paths)", r.paths);
    else how = " (the walk did not finish; there may be more)";
    out += fmt::format("{} and {} differ: {}{} region{}{}\n", o.name_a, o.name_b,
                       r.mismatch_limit_reached ? "at least " : "", r.mismatches.size(),
                       r.mismatches.size() == 1 ? "" : "s", how);
    // Group: arch, then syscall (regions with the same place together).
    std::vector<const Mismatch*> order;
    for (const Mismatch& m : r.mismatches) order.push_back(&m);
    auto place = [](const Mismatch* m) {
      if (!m->region_known) return Place{false, m->input[kArchWord], m->input[kNrWord], m->input[kNrWord]};
      const WordSet& a = m->region[kArchWord];
      const WordSet& n = m->region[kNrWord];
      return Place{a.pinned().has_value(), a.pinned().value_or(a.lo()), n.lo(), n.hi()};
    };
    std::stable_sort(order.begin(), order.end(),
                     [&](const Mismatch* x, const Mismatch* y) { return place(x) < place(y); });
    std::string last_arch;
    std::string last_syscall;
    size_t shown = 0;
    for (const Mismatch* m : order) {
      if (shown++ == o.max_regions) {
        out += fmt::format("... and {} more region(s)\n", r.mismatches.size() - o.max_regions);
        break;
      }
      const std::string arch = arch_heading(*m);
      if (arch != last_arch) {
        out += arch + ":\n";
        last_arch = arch;
        last_syscall.clear();
      }
      const std::string sys = syscall_heading(*m, o.max_syscall_names);
      if (sys != last_syscall) {
        out += fmt::format("  {}\n", sys);
        last_syscall = sys;
      }
      if (m->region_known) out += fmt::format("    when {}\n", conditions(*m));
      out +=
          fmt::format("      {}: {:<14} {}: {}\n", o.name_a, to_string(m->a_action), o.name_b, to_string(m->b_action));
      if (auto why = explain_action_difference(m->a_action, m->b_action); !why.empty())
        out += fmt::format("      ({})\n", why);
      if (o.where_a) out += fmt::format("      {} decided by {}\n", o.name_a, m->a_where);
      if (o.where_b) out += fmt::format("      {} decided by {}\n", o.name_b, m->b_where);
      out += fmt::format("      e.g. {}\n", describe_input(m->input));
    }
  }
  for (const UnsupportedPath& u : r.unsupported)
    out += fmt::format("outside the symbolic fragment ({}): {}\n", u.side == 0 ? o.name_a : o.name_b, u.what);
  for (const std::string& s : r.internal_errors) out += fmt::format("internal error: {}\n", s);
  return out;
}

}  // namespace sysfence::verify
