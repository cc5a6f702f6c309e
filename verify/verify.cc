#include "verify/verify.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "policy/overlap.h"
#include "syscalls/table.h"
#include "verify/describe.h"
#include "verify/policy_dag.h"
#include "verify/symbolic.h"

namespace sysfence::verify {

namespace {

constexpr unsigned kNrWord = kOffsetNr / 4;
constexpr unsigned kArchWord = kOffsetArch / 4;
constexpr unsigned kFirstArgWord = kOffsetArgs / 4;

// Whether the region constrains only arch and nr: every argument alike.
bool region_ignores_arguments(const Mismatch& m) {
  if (!m.region_known) return false;
  for (unsigned w = 0; w < kWordCount; ++w)
    if (w != kNrWord && w != kArchWord && !m.region[w].unconstrained()) return false;
  return true;
}

// The numbers of the counterexample's ABI the filter is asked about: every
// syscall of its table below the ENOSYS stub (a sample missed the few a
// short allowlist allows, and took its filter for one that reads no number).
std::vector<uint32_t> table_numbers(const policy::ArchPolicy& arch) {
  std::vector<uint32_t> out;
  for (const syscalls::Syscall& e : syscalls::table(arch.arch).entries()) {
    if (arch.enosys_above && e.nr > *arch.enosys_above) continue;
    out.push_back(e.nr);
  }
  return out;
}

// What classify computes once per filter, per ABI or per syscall, for all
// the counterexamples of one proof. Per ABI, not per arch word: x86_64 and
// x32 share AUDIT_ARCH_X86_64, and their tables differ.
struct ClassifyMemo {
  // Per ABI: table_numbers.
  std::map<syscalls::ArchId, std::vector<uint32_t>> numbers;
  // Per ABI: whether the filter tells numbers apart for some arguments
  // (answers_every_number_alike's).
  std::map<syscalls::ArchId, bool> reads_number;
  // Per ABI: lacks_arch's answer.
  std::map<syscalls::ArchId, bool> lacking_arch;
  // Per ABI and input with its number cleared: whether the filter answers it
  // alike over every number of the ABI's table (and with what), so that the
  // counterexamples that share their other words (most: arguments 0) run
  // the table once.
  std::map<std::pair<syscalls::ArchId, SeccompWords>, std::optional<Action>> alike;
  // Per ABI and syscall number: rules_overlap_with_different_actions.
  std::map<std::pair<const policy::ArchPolicy*, uint32_t>, bool> overlapping;

  const std::vector<uint32_t>& numbers_of(const policy::ArchPolicy& arch) {
    const auto [it, added] = numbers.try_emplace(arch.arch);
    if (added) it->second = table_numbers(arch);
    return it->second;
  }
};

// An arch value no ABI has: what a filter answers there is its answer for
// an architecture it does not handle.
constexpr uint32_t kForeignArch = 0x0badc0deU;

// Whether the filter answers the counterexample's ABI as it answers a
// foreign arch value, for every syscall of the ABI (the counterexample's
// arguments kept): it does not handle the ABI (a libseccomp filter built
// without it, say), while the profile covers it. Once per arch value.
bool lacks_arch(const Mismatch& m, const Counterexample& c, const Procedure& filter, const policy::ArchPolicy& arch,
                ClassifyMemo& memo) {
  const auto [known, added] = memo.lacking_arch.try_emplace(arch.arch, false);
  if (!added) return known->second;
  const Endian endian = abi_of(m.input) ? abi_of(m.input)->endian : Endian::kLittle;
  SeccompData own = c.data;
  SeccompData foreign = c.data;
  foreign.arch = kForeignArch;
  bool alike = filter.run(to_words(own, endian)) == filter.run(to_words(foreign, endian));
  for (const uint32_t nr : memo.numbers_of(arch)) {
    if (!alike) break;
    own.nr = foreign.nr = nr;
    alike = filter.run(to_words(own, endian)) == filter.run(to_words(foreign, endian));
  }
  known->second = alike;
  return alike;
}

// Whether the filter answers `input` alike whatever its syscall number
// among `numbers`.
bool alike_over_numbers(const Procedure& filter, SeccompWords input, std::span<const uint32_t> numbers) {
  input[kNrWord] = numbers.front();
  const Action first = filter.run(input);
  for (const uint32_t nr : numbers) {
    input[kNrWord] = nr;
    if (filter.run(input) != first) return false;
  }
  return true;
}

// Whether the filter gives the counterexample's answer to every syscall of
// its ABI (those of its table below the ENOSYS stub, the rest of the input
// kept) while the profile answers some of them otherwise, and
// tells no numbers apart for other arguments either (each argument word set
// to each of the first constants the filter compares with): the filter
// does not read the number there. libseccomp 2.5.4 writes that (at
// optimize level 1) for an ABI whose first syscall in its order has only a
// pseudo number there (profile/resolve_number_load.cc): it drops the load
// of the number and compares the arch word. (A filter that allows every number but one, and
// that one for some arguments only, answers the counterexample's arguments
// alike over the numbers too: its other arguments tell it apart.)
// Whether the filter tells the table's numbers apart for some argument word
// set to a constant it compares that word with (at most kVariants of them,
// over `input`).
bool tells_numbers_apart(const Procedure& filter, const SeccompWords& input, std::span<const uint32_t> numbers) {
  constexpr size_t kVariants = 16;
  WordConstants constants;
  filter.collect_constants(constants);
  size_t tried = 0;
  for (unsigned w = kFirstArgWord; w < kWordCount && tried < kVariants; ++w) {
    std::vector<uint32_t> values = constants.per_word[w];
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    for (size_t i = 0; i < values.size() && tried < kVariants; ++i, ++tried) {
      SeccompWords variant = input;
      variant[w] = values[i];
      if (!alike_over_numbers(filter, variant, numbers)) return true;
    }
  }
  return false;
}

bool answers_every_number_alike(const Mismatch& m, const Counterexample& c, const Procedure& filter,
                                const policy::Policy& policy, const policy::Decision& d, ClassifyMemo& classify) {
  const std::vector<uint32_t>& numbers = classify.numbers_of(*d.arch);
  if (numbers.size() < 8) return false;
  const Endian endian = abi_of(m.input) ? abi_of(m.input)->endian : Endian::kLittle;
  SeccompData numberless = c.data;
  numberless.nr = 0;
  const auto [memo, added_memo] = classify.alike.try_emplace(std::pair{d.arch->arch, to_words(numberless, endian)});
  if (added_memo) {
    std::optional<Action> same;
    for (const uint32_t nr : numbers) {
      SeccompData v = c.data;
      v.nr = nr;
      const Action a = filter.run(to_words(v, endian));
      if (!same) same = a;
      if (a != *same) {
        same.reset();
        break;
      }
    }
    memo->second = same;
  }
  // The counterexample's own number too: the one the filter may tell apart.
  if (!memo->second || *memo->second != c.filter_action) return false;
  bool profile_differs = false;
  for (const uint32_t nr : numbers) {
    SeccompData v = c.data;
    v.nr = nr;
    profile_differs = profile_differs || policy::evaluate(policy, v).action != c.policy_action;
  }
  if (!profile_differs) return false;
  // Once per ABI (over the first such counterexample's input and number): a
  // stack of long filters runs each variant over every number of the table.
  const auto [known, added] = classify.reads_number.try_emplace(d.arch->arch, false);
  if (added) {
    std::vector<uint32_t> with_own = numbers;
    with_own.push_back(c.data.nr);
    known->second = tells_numbers_apart(filter, m.input, with_own);
  }
  return !known->second;
}

// The arguments (bit i: argument i) that some rule of `rules` compares at
// 32 bits: the profile reads only their low words there, where a filter
// comparing all 64 bits (libseccomp's on a 64-bit ABI) reads the high word
// too. A rule compared at 64 bits reads what such a filter reads.
unsigned arguments_read_narrow(const policy::RuleList* rules) {
  unsigned narrow = 0;
  if (rules == nullptr) return narrow;
  for (const policy::Rule& r : *rules)
    for (const policy::ArgCondition& a : r.conditions)
      if (a.width == policy::ArgWidth::k32 && a.index < 6) narrow |= 1u << a.index;
  return narrow;
}

// Whether two of `rules` with different actions match some input alike.
// The profile then takes the most restrictive of them (policy::evaluate),
// and a filter's builder may decide otherwise: libseccomp 2.5.4 lets its
// first unconditional rule win and otherwise the order of its rule tree,
// which `--semantics libseccomp` models only in part; where it does not, the
// resolution keeps the overlapping rules and notes it. Past kMaxPairs pairs
// of different actions the answer is no (the cause is then another): the
// check stays bounded whatever the profile, like the resolution's own
// comparison of pairs.
bool rules_overlap_with_different_actions(const policy::RuleList& rules) {
  constexpr size_t kMaxPairs = 4096;
  size_t pairs = 0;
  for (size_t i = 0; i < rules.size(); ++i) {
    for (size_t j = i + 1; j < rules.size(); ++j) {
      if (rules[i].action == rules[j].action) continue;
      if (++pairs > kMaxPairs) return false;
      if (policy::common_input(rules[i].conditions, rules[j].conditions)) return true;
    }
  }
  return false;
}


// Whether the counterexample's difference lives in upper 32 bits of the
// arguments: the same input with them cleared is answered alike by both
// sides. Cleared are the arguments the profile reads at 32 bits for the
// syscall where it has some (the filter reads them whole); where it reads
// every argument whole, all of them (a filter that reads low words only),
// except on a syscall whose rules overlap with different actions
// (`overlapping`): both sides read every argument whole there as far as
// the profile tells, and clearing upper halves agreeing says nothing about
// widths (overlapping rules decided otherwise, or a filter comparing another
// word, agree there as well).
bool differs_in_upper_halves(const Mismatch& m, const Counterexample& c, const Procedure& filter,
                             const policy::Policy& policy, const policy::RuleList* rules,
                             const std::function<bool()>& overlapping) {
  unsigned cleared = arguments_read_narrow(rules);
  if (cleared == 0) {
    if (overlapping()) return false;
    cleared = 0x3f;
  }
  SeccompData low = c.data;
  for (unsigned i = 0; i < 6; ++i)
    if (cleared & (1u << i)) low.args[i] &= 0xffffffffULL;
  if (low == c.data) return false;
  const Endian endian = abi_of(m.input) ? abi_of(m.input)->endian : Endian::kLittle;
  if (filter.run(to_words(low, endian)) != policy::evaluate(policy, low).action) return false;
  // Clearing an upper half also changes the value whole: a filter that
  // ignores the argument altogether (libseccomp's merged tree skipping
  // a4 == 0) agrees there too. Where the low words alone, the upper halves
  // folded into them, make the same difference, it is not one of widths.
  for (const bool ones : {false, true}) {
    SeccompData folded = low;
    for (unsigned i = 0; i < 6; ++i) {
      const uint64_t high = c.data.args[i] >> 32;
      if ((cleared & (1u << i)) != 0 && high != 0) folded.args[i] = ones ? 0xffffffffULL : high;
    }
    if (filter.run(to_words(folded, endian)) == c.filter_action &&
        policy::evaluate(policy, folded).action == c.policy_action)
      return false;
  }
  return true;
}

Cause classify(const Mismatch& m, const Counterexample& c, const Procedure& filter, const policy::Policy& policy,
               ClassifyMemo& memo) {
  const policy::Decision d = policy::evaluate(policy, c.data);
  if (d.arch == nullptr) return Cause::kArch;
  // The policy's ENOSYS answer, or a number above its ABI's threshold that a
  // filter answers ENOSYS where the policy gives the default action.
  const bool above = d.enosys || (d.rule == nullptr && d.arch->enosys_above && c.data.nr > *d.arch->enosys_above);
  const Action enosys = Action::Errno(d.arch->enosys_errno);
  if (above && (c.filter_action == enosys || c.policy_action == enosys)) return Cause::kEnosys;
  if (c.filter_action.kind == c.policy_action.kind) return Cause::kActionData;
  // Before argument-width: clearing the upper halves can make both agree by
  // chance when the filter does not look at the number at all.
  if (answers_every_number_alike(m, c, filter, policy, d, memo))
    return lacks_arch(m, c, filter, *d.arch, memo) ? Cause::kFilterLacksArch : Cause::kNoSyscallNumber;
  const auto found = d.arch->rules.find(c.data.nr);
  const policy::RuleList* rules = found == d.arch->rules.end() ? nullptr : &found->second;
  auto overlapping = [&] {
    if (rules == nullptr) return false;
    const auto [known, added] = memo.overlapping.try_emplace({d.arch, c.data.nr}, false);
    if (added) known->second = rules_overlap_with_different_actions(*rules);
    return known->second;
  };
  if (differs_in_upper_halves(m, c, filter, policy, rules, overlapping)) return Cause::kArgumentWidth;
  if (d.rule != nullptr && c.filter_action == d.arch->default_action && region_ignores_arguments(m))
    return Cause::kUnlistedSyscall;
  if (overlapping()) return Cause::kRuleOverlap;
  if (d.rule == nullptr) return Cause::kDefaultAction;
  return Cause::kOther;
}

// "  26 are syscalls ...: mseal, listmount, ... (and 20 more)", one line a cause.
std::string format_groups(const std::vector<CauseGroup>& groups) {
  constexpr size_t kNamesShown = 8;
  std::string out;
  for (const CauseGroup& g : groups) {
    out += fmt::format("  {} {} {}", g.count, g.count == 1 ? "is" : "are", group_text(g));
    for (size_t k = 0; k < g.syscalls.size() && k < kNamesShown; ++k) out += (k ? ", " : ": ") + g.syscalls[k];
    if (g.syscalls.size() > kNamesShown) out += fmt::format(" and {} more", g.syscalls.size() - kNamesShown);
    out += "\n";
  }
  return out;
}

// " (found by testing N inputs)", or by the satisfiability search, or "".
std::string how_found(const EquivResult& e) {
  if (e.found_by_search)
    return fmt::format(
        " (found by the satisfiability search; the walk ran out of budget and testing {} inputs found "
        "none)",
        e.tests_run);
  return e.tested ? fmt::format(" (found by testing {} inputs)", e.tests_run) : "";
}

}  // namespace

std::string_view cause_id(Cause c) {
  switch (c) {
    case Cause::kArch: return "arch";
    case Cause::kFilterLacksArch: return "filter-lacks-arch";
    case Cause::kActionData: return "action-data";
    case Cause::kNoSyscallNumber: return "no-syscall-number";
    case Cause::kArgumentWidth: return "argument-width";
    case Cause::kUnlistedSyscall: return "unlisted-syscall";
    case Cause::kRuleOverlap: return "rule-overlap";
    case Cause::kEnosys: return "enosys";
    case Cause::kDefaultAction: return "default-action";
    case Cause::kOther: return "other";
  }
  return "other";
}

std::string_view cause_text(Cause c) {
  switch (c) {
    case Cause::kArch: return "for an architecture the profile does not cover (the profile gives its bad-arch action)";
    case Cause::kFilterLacksArch:
      return "on an architecture the profile covers that the filter does not handle: it answers every syscall there "
             "as it answers an arch value no ABI has (its bad-arch action)";
    case Cause::kActionData: return "the same action with other data (errno, trap or trace value)";
    case Cause::kNoSyscallNumber:
      return "answered alike by the filter for every syscall of that architecture, which the profile tells apart "
             "(libseccomp 2.5.4 at optimize level 1 writes no load of the number for an ABI whose first syscall in "
             "its order, the one with the fewest rule nodes, has only a pseudo number there: a socket/IPC call the "
             "ABI multiplexes, or a name it lacks; --semantics libseccomp and runc answer so)";
    case Cause::kArgumentWidth:
      return "decided differently only when an argument's upper 32 bits are set: the filter and the profile compare "
             "it at different widths (see --arg-width, --semantics)";
    case Cause::kUnlistedSyscall:
      return "syscalls the profile lists that the filter leaves to its default action whatever the arguments: the "
             "filter has no rule for them (as a library with no number for a syscall builds it: libseccomp 2.5.4 "
             "knows none added after it)";
    case Cause::kRuleOverlap:
      return "on a syscall whose rules overlap with different actions, where the profile takes the most restrictive "
             "rule that matches and libseccomp 2.5.4 its first unconditional rule or else the order of its rule tree "
             "(whose program may also compare a stale word there): --semantics libseccomp follows that where sysfence "
             "models it; where the resolution notes \"libseccomp decides between them by the order of its rule tree "
             "... which sysfence does not model\", no --semantics or --rule-combination gives its answer";
    case Cause::kEnosys:
      return "syscall numbers above the profile's largest, which one side answers ENOSYS (see --unknown-syscalls)";
    case Cause::kDefaultAction:
      return "inputs the profile leaves to its default action that the filter decides otherwise";
    case Cause::kOther: return "differences in the rules' conditions or actions";
  }
  return "";
}

std::string group_text(const CauseGroup& g) {
  if (!g.stacked) return std::string(cause_text(g.cause));
  std::string text;
  switch (g.cause) {
    case Cause::kNoSyscallNumber:
      text = "answered alike by the stack for every syscall of that architecture, which the profile tells apart";
      break;
    case Cause::kUnlistedSyscall:
      text =
          "syscalls the profile lists that the stack answers with the profile's default action whatever the "
          "arguments";
      break;
    default: text = cause_text(g.cause);
  }
  text += "; decided by ";
  for (size_t k = 0; k < g.deciding_filters.size(); ++k) text += (k ? ", " : "") + g.deciding_filters[k];
  return text;
}

std::vector<CauseGroup> group_by_cause(const Verification& v) {
  std::vector<CauseGroup> groups;
  for (const Counterexample& c : v.counterexamples) {
    auto g = std::find_if(groups.begin(), groups.end(), [&](const CauseGroup& x) { return x.cause == c.cause; });
    if (g == groups.end()) {
      CauseGroup group;
      group.cause = c.cause;
      g = groups.insert(groups.end(), std::move(group));
    }
    ++g->count;
    if (!c.syscall.empty() && std::find(g->syscalls.begin(), g->syscalls.end(), c.syscall) == g->syscalls.end())
      g->syscalls.push_back(c.syscall);
    if (!c.stacked) continue;
    g->stacked = true;
    const std::string decider = c.deciding_filter
                                    ? fmt::format("filter {} ({})", *c.deciding_filter, c.deciding_filter_name)
                                    : std::string("no filter (every filter allows)");
    if (std::find(g->deciding_filters.begin(), g->deciding_filters.end(), decider) == g->deciding_filters.end())
      g->deciding_filters.push_back(decider);
  }
  std::stable_sort(groups.begin(), groups.end(), [](const CauseGroup& a, const CauseGroup& b) {
    return a.count != b.count ? a.count > b.count : a.cause < b.cause;
  });
  return groups;
}

namespace {

// When the diagrams' memoized walk beats the plain walk: a syscall with at
// least this many rules with conditions, on at least two arguments. The
// plain walk's joint paths multiply with the outcomes of rules on different
// arguments (each rule failing on any of its conditions meets every outcome
// of the others); rules on one argument exclude each other and keep it
// linear (Docker's default, whose i386 socketcall has 19 rules on its call
// number: plain 1.9M instructions, diagrams 3.7M). Measured crossover,
// instructions of the proof, plain -> diagrams: 50 allowed + 15 conditions
// on ioctl (9 rules on 4 arguments) 1.23M -> 0.65M, 10 conditions (5 rules)
// 0.32M -> 0.34M; 500 conditions spread over 60 syscalls (at most 8 rules
// on one) 11.9M -> 11.2M, 400 (at most 6) 8.0M -> 8.7M.
constexpr size_t kArgumentHeavyRules = 7;

// Whether the rules of one syscall are argument-heavy (see above).
bool argument_heavy(const policy::RuleList& rules) {
  size_t conditional = 0;
  uint32_t args = 0;  // bit i: some rule tests argument i
  for (const policy::Rule& r : rules) {
    if (r.conditions.empty()) continue;
    ++conditional;
    for (const policy::ArgCondition& c : r.conditions) args |= 1u << c.index;
  }
  return conditional >= kArgumentHeavyRules && std::popcount(args) >= 2;
}

// kFirst for a policy with an argument-heavy syscall, else kNever: which
// walk proves a pair fastest follows from the policy's shape.
EquivOptions::Diagrams diagrams_for(const policy::Policy& policy) {
  for (const policy::ArchPolicy& a : policy.arches) {
    for (const auto& [nr, rules] : a.rules) {
      if (argument_heavy(rules)) return EquivOptions::Diagrams::kFirst;
    }
  }
  return EquivOptions::Diagrams::kNever;
}

// The proof for any filter procedure (a program or a stack).
Verification prove_procedure(const Procedure& filter, const policy::Policy& policy, const EquivOptions& options) {
  const PolicyProcedure spec(policy);
  EquivOptions chosen = options;
  if (chosen.diagrams == EquivOptions::Diagrams::kAuto) chosen.diagrams = diagrams_for(policy);
  Verification v;
  v.equiv = check_equivalent(filter, spec, chosen);
  // The checker confirmed every mismatch with the interpreter and the
  // diagram; the reference evaluator has the last word on the policy side.
  ClassifyMemo memo;
  for (const Mismatch& m : v.equiv.mismatches) {
    Counterexample c;
    c.words = m.input;
    c.data = to_data(m.input);
    c.input = describe_input(m.input);
    c.filter_action = m.a_action;
    c.policy_action = policy::evaluate(policy, c.data).action;
    c.filter_where = m.a_where;
    c.policy_where = m.b_where;
    if (c.policy_action != m.b_action || c.policy_action == c.filter_action) {
      v.equiv.internal_errors.push_back(
          fmt::format("the policy diagram answers {} but policy::evaluate answers {} for {}", to_string(m.b_action),
                      to_string(c.policy_action), c.input));
      continue;
    }
    if (m.region_known) c.region = describe_region(m.region, abi_of(m.input));
    if (const syscalls::Arch* abi = abi_of(m.input))
      if (auto name = syscalls::table(*abi).name(c.data.nr)) c.syscall = std::string(*name);
    c.cause = classify(m, c, filter, policy, memo);
    v.counterexamples.push_back(std::move(c));
  }
  if (v.counterexamples.empty() && v.equiv.verdict == EquivResult::Verdict::kDifferent) {
    // Every reported difference failed confirmation: not a result to trust.
    v.equiv.verdict = EquivResult::Verdict::kUndecided;
    v.equiv.proved = false;
    v.equiv.not_proved_reason = "internal inconsistency between the policy diagram and policy::evaluate";
  }
  if (v.equiv.verdict == EquivResult::Verdict::kEquivalent && !v.equiv.internal_errors.empty()) {
    v.equiv.verdict = EquivResult::Verdict::kUndecided;
    v.equiv.proved = false;
  }
  return v;
}

}  // namespace

Expected<Verification> prove_equivalent(const bpf::Program& program, const policy::Policy& policy,
                                        const EquivOptions& options) {
  auto filter = BpfProcedure::create(program);
  if (!filter) return Unexpected<Error>{filter.error()};
  return prove_procedure(*filter, policy, options);
}

Expected<Verification> prove_stack_equivalent(const StackProcedure& stack, const policy::Policy& policy,
                                              const EquivOptions& options) {
  Verification v = prove_procedure(stack, policy, options);
  for (Counterexample& c : v.counterexamples) {
    c.stacked = true;
    c.deciding_filter = stack.deciding_filter(c.words);
    if (c.deciding_filter) c.deciding_filter_name = stack.name(*c.deciding_filter);
  }
  return v;
}

std::string format_verification(const Verification& v, size_t max_shown) {
  const EquivResult& e = v.equiv;
  std::string out;
  if (e.verdict == EquivResult::Verdict::kEquivalent) {
    if (e.sat_conflicts > 0)
      return fmt::format(
          "equivalent (proved: {} paths, {} word constraints, a satisfiability search of {} conflicts)\n", e.paths,
          e.word_constraints, e.sat_conflicts);
    return fmt::format("equivalent (proved: {} paths, {} word constraints)\n", e.paths, e.word_constraints);
  }
  if (e.verdict == EquivResult::Verdict::kDifferent) {
    const size_t total = v.counterexamples.size();
    const size_t shown = std::min(total, max_shown);
    out += fmt::format("NOT equivalent: {}{} counterexample{}{}", e.mismatch_limit_reached ? "at least " : "", total,
                       total == 1 ? "" : "s", how_found(e));
    if (shown < total) out += fmt::format(", showing {} of {} (--max-counterexamples N shows more)", shown, total);
    out += "\n";
    out += format_groups(group_by_cause(v));
    size_t i = 0;
    for (const Counterexample& c : v.counterexamples) {
      if (i == shown) break;
      out += fmt::format("counterexample {}: {}\n", ++i, c.input);
      out += fmt::format("  filter:  {:<14} {}\n", to_string(c.filter_action), c.filter_where);
      out += fmt::format("  profile: {:<14} {}\n", to_string(c.policy_action), c.policy_where);
      if (auto why = explain_action_difference(c.filter_action, c.policy_action); !why.empty())
        out += fmt::format("  ({})\n", why);
      if (!c.region.empty()) {
        out += "  region:  every input with";
        for (size_t k = 0; k < c.region.size(); ++k) out += (k ? ", " : " ") + c.region[k];
        out += "\n";
      }
    }
  } else {
    out += fmt::format("not proved: {}\n", e.not_proved_reason);
    if (e.tested)
      out += fmt::format("testing {} boundary and random inputs found no difference (testing, not a proof)\n",
                         e.tests_run);
  }
  for (const UnsupportedPath& u : e.unsupported)
    out += fmt::format("  outside the symbolic fragment ({}): {}\n", u.side == 0 ? "filter" : "profile", u.what);
  for (const std::string& s : e.internal_errors) out += fmt::format("  internal error: {}\n", s);
  return out;
}

}  // namespace sysfence::verify
