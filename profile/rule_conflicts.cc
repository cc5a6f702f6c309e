// RuleDatabase's conflict warnings (rule_database.h): the pairs of a
// syscall's rules that match one input with different actions, what
// sysfence answers there and what libseccomp's database and program answer.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "policy/operators.h"
#include "policy/overlap.h"
#include "profile/libseccomp_bounds.h"
#include "profile/libseccomp_tree.h"
#include "profile/rule_database.h"
#include "syscalls/table.h"

namespace sysfence::profile {

namespace {

bool matches(const policy::Rule& r, const std::array<uint64_t, 6>& args) {
  for (const auto& c : r.conditions)
    if (c.index >= 6 || !policy::condition_holds(c, args[c.index])) return false;
  return true;
}

Action most_restrictive_at(const std::vector<policy::Rule>& rules, const std::vector<bool>& use,
                           const std::array<uint64_t, 6>& args, Action fallback) {
  std::optional<Action> best;
  for (size_t i = 0; i < rules.size(); ++i) {
    if (use[i] && matches(rules[i], args) && (!best || more_restrictive(rules[i].action, *best)))
      best = rules[i].action;
  }
  return best.value_or(fallback);
}

// The indices of `rules`, most restrictive action first, in rule order among
// equally restrictive ones.
std::vector<size_t> by_restrictiveness(const std::vector<policy::Rule>& rules) {
  std::vector<size_t> order(rules.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return more_restrictive(rules[x].action, rules[y].action); });
  return order;
}

// most_restrictive_at(rules, use, args, fallback), with `order` =
// by_restrictiveness(rules): the first rule in that order that matches is
// the most restrictive match (the earliest among equally restrictive ones,
// as the rule-order scan keeps), found without reading the rest.
Action most_restrictive_at(const std::vector<policy::Rule>& rules, const std::vector<size_t>& order,
                           const std::vector<bool>& use, const std::array<uint64_t, 6>& args, Action fallback) {
  for (const size_t i : order)
    if (use[i] && matches(rules[i], args)) return rules[i].action;
  return fallback;
}

}  // namespace

namespace {

// The pairs `pairs` of indices below `n`, sorted: by the later index, then
// stably by the earlier one, two counting passes (the pairs come grouped by
// action, a comparison sort of a few thousand of them cost more than finding
// their conflicts).
void sort_pairs(std::vector<std::pair<size_t, size_t>>& pairs, size_t n) {
  std::vector<std::pair<size_t, size_t>> by_later(pairs.size());
  std::vector<size_t> start(n + 1);
  auto counting_pass = [&](const std::vector<std::pair<size_t, size_t>>& in, bool earlier,
                           std::vector<std::pair<size_t, size_t>>& out) {
    std::fill(start.begin(), start.end(), 0);
    for (const auto& p : in) ++start[(earlier ? p.first : p.second) + 1];
    for (size_t i = 1; i < start.size(); ++i) start[i] += start[i - 1];
    for (const auto& p : in) out[start[earlier ? p.first : p.second]++] = p;
  };
  counting_pass(pairs, false, by_later);
  counting_pass(by_later, true, pairs);
}

// The pairs of rules (earlier, later) whose actions differ, the first
// kMaxPairs of them by action groups (`capped` set past that), sorted.
std::vector<std::pair<size_t, size_t>> conflict_candidates(const std::vector<policy::Rule>& rules, bool& capped) {
  // Only rules with different actions can conflict. Grouping the rules by
  // action first keeps a syscall named by a quarter of a million entries of
  // one action free, and every pair looked at counts against kMaxPairs, so
  // the check is bounded whatever the profile.
  std::map<uint32_t, std::vector<size_t>> by_action;
  for (size_t i = 0; i < rules.size(); ++i) by_action[encode(rules[i].action)].push_back(i);
  std::vector<std::pair<size_t, size_t>> candidates;
  for (auto g = by_action.begin(); g != by_action.end() && !capped; ++g) {
    for (auto h = std::next(g); h != by_action.end() && !capped; ++h) {
      for (size_t x : g->second) {
        for (size_t y : h->second) {
          if (candidates.size() >= RuleDatabase::kMaxPairs) {
            capped = true;
            break;
          }
          candidates.emplace_back(std::min(x, y), std::max(x, y));
        }
        if (capped) break;
      }
    }
  }
  sort_pairs(candidates, rules.size());
  return candidates;
}

}  // namespace

// What libseccomp does with rules[i] and rules[j] (`w.witness` matches
// both in sysfence's reading), for the warning `w`: sets its libseccomp
// fields and returns why (empty when there is nothing to say). `kept`: the
// rules the database keeps, built the first time it is needed.
std::string_view RuleDatabase::libseccomp_answer(const LibseccompView& view, const std::vector<size_t>& order, size_t i,
                                                 size_t j, Warning& w, std::vector<bool>& kept) const {
  const DatabaseResult& db = view.db;
  const std::vector<policy::Rule>& rules = view.rules;
  const auto& witness = w.witness;
  if (db.refused) {
    w.libseccomp_refuses = true;
    return db.shared_node ? "EEXIST: comparisons of two rules with different actions share a node of its rule tree"
                          : "EEXIST: a rule with conditions equal to, or a prefix of, an earlier rule's and another "
                            "action";
  }
  // At libseccomp's widths the witness may match neither rule: its filter
  // then answers the default action.
  bool neither = false;
  if (db.program) {
    const auto answering = db.program->answer(witness);
    neither = !answering;
    w.libseccomp = answering ? rules[*answering].action : default_action_;
  } else if (db.tree) {
    neither =
        std::none_of(db.tree->begin(), db.tree->end(), [&](const policy::Rule& r) { return matches(r, witness); });
    w.libseccomp = most_restrictive_at(*db.tree, std::vector<bool>(db.tree->size(), true), witness, default_action_);
  } else if (db.tree_order_decides || db.tree_unmodelled) {
    // Never sysfence's own answer in libseccomp's name.
    w.libseccomp_unmodelled = true;
    return {};
  } else {
    if (kept.empty()) {
      kept.resize(rules.size());
      for (size_t k = 0; k < rules.size(); ++k) kept[k] = db.fates[k] == DatabaseFate::kKept;
    }
    neither = std::none_of(rules.begin(), rules.end(), [&](const policy::Rule& r) { return matches(r, witness); });
    w.libseccomp = most_restrictive_at(rules, order, kept, witness, default_action_);
  }
  if (neither)
    return view.widened ? "compared at libseccomp's widths (all 64 bits on a 64-bit ABI), no rule matches this input: "
                          "the default action"
                        : "its filter matches no rule for this input: the default action";
  if (db.fates[j] == DatabaseFate::kAfterUnconditional || db.fates[i] == DatabaseFate::kAfterUnconditional)
    return "its first unconditional rule for a syscall wins";
  if (db.fates[i] == DatabaseFate::kReplaced) return "the later rule replaces the earlier one";
  if (db.fates[j] == DatabaseFate::kExtendsEarlier)
    return "the earlier rule's conditions are a prefix of the later one's, which is dropped";
  if (db.tree || db.program)
    return "the first path of its rule tree that matches decides: the higher argument first, == before < before "
           ">, the larger > bound and the smaller < bound first, equal word tests shared";
  return {};
}

RuleDatabase::LibseccompView RuleDatabase::libseccomp_view(syscalls::ArchId abi, const std::vector<policy::Rule>& rules,
                                                           const std::vector<policy::Rule>* as_written,
                                                           std::optional<DatabaseResult>& modelled) const {
  // libseccomp compares every condition at its own width for the ABI (all 64
  // bits of the value resolve keeps, on the 64-bit ABIs): its filter does not
  // depend on --arg-width, which only says how sysfence compares.
  const unsigned word_bits = syscalls::arch(abi).word_bits;
  const policy::ArgWidth width = word_bits <= 32 ? policy::ArgWidth::k32 : policy::ArgWidth::k64;
  LibseccompView view;
  view.rules = as_written != nullptr ? *as_written : rules;
  // Constants libseccomp compares that sysfence decided otherwise: not the
  // rules' own reading, even where the widths agree.
  view.widened = as_written != nullptr;
  for (policy::Rule& r : view.rules) {
    for (policy::ArgCondition& c : r.conditions) {
      view.widened = view.widened || c.width != width;
      c.width = width;
    }
    std::erase_if(r.conditions, tests_nothing);
  }
  // Under libseccomp's combination at its widths the compile's model is
  // that view already (its tree read back into rules where it fits).
  if (!view.widened && mode_ == RuleCombination::kLibseccompDatabase) view.db = database(abi, rules, modelled);
  else view.db = libseccomp_database(view.rules, word_bits, false);
  if (view.db.refused || view.db.program || view.db.tree || view.db.too_many) return view;
  // Where the tree's paths are beyond what can be read back, or past the
  // first try's budget (or its rules agree but for unconditional ones), its
  // program still answers single inputs, which is all a warning needs.
  const size_t budget =
      mode_ == RuleCombination::kLibseccompDatabase ? kMaxTreeSteps : std::min(kMaxTreeSteps, kWarningProgramSteps);
  auto program = libseccomp_program(view.rules, word_bits, budget);
  if (!program) return view;
  if (program->refused) {
    view.db.refused = program->refused;
    view.db.prefix = false;
    view.db.shared_node = true;
    return view;
  }
  view.db.program = std::move(program);
  view.db.tree_unmodelled = false;
  return view;
}

void RuleDatabase::report_conflicts(syscalls::ArchId abi, uint32_t nr, const std::vector<policy::Rule>& rules,
                                    const std::vector<policy::Rule>* as_written,
                                    std::optional<DatabaseResult>& modelled) {
  // Rules of one action never conflict (and leave nothing to cap): the
  // common case costs one pass.
  const uint32_t first_action = encode(rules.front().action);
  if (std::all_of(rules.begin(), rules.end(), [&](const policy::Rule& r) { return encode(r.action) == first_action; }))
    return;
  size_t reports = 0;
  bool capped = false;
  std::vector<bool> all;               // every rule: built for the first conflict
  std::vector<bool> kept;              // the rules libseccomp keeps: likewise
  std::vector<size_t> order;           // by_restrictiveness(rules): likewise
  std::optional<LibseccompView> view;  // likewise
  std::vector<std::pair<size_t, size_t>> candidates = conflict_candidates(rules, capped);
  // Most pairs of argument-heavy rules pin some argument to different
  // values: told apart in a few comparisons each instead of common_input.
  std::vector<policy::PinnedValues> pinned;
  pinned.reserve(rules.size());
  for (const policy::Rule& r : rules) pinned.emplace_back(r.conditions);
  for (const auto& [i, j] : candidates) {
    const policy::Rule& a = rules[i];
    const policy::Rule& b = rules[j];
    if (a.source.entry == b.source.entry) continue;
    if (reported_.contains({a.source.entry, b.source.entry})) continue;
    if (reports >= kMaxReports) {
      capped = true;
      break;
    }
    if (pinned[i].excludes(pinned[j])) continue;
    auto witness = policy::common_input(a.conditions, b.conditions);
    if (!witness) continue;
    if (!view) view = libseccomp_view(abi, rules, as_written, modelled);
    if (view->widened) {
      // An input both rules match in both readings, where there is one: both
      // answers are then about rules that match.
      std::vector<policy::ArgCondition> both_a = a.conditions;
      std::vector<policy::ArgCondition> both_b = b.conditions;
      both_a.insert(both_a.end(), view->rules[i].conditions.begin(), view->rules[i].conditions.end());
      both_b.insert(both_b.end(), view->rules[j].conditions.begin(), view->rules[j].conditions.end());
      if (const auto shared = policy::common_input(both_a, both_b)) witness = shared;
    }
    reported_.insert({a.source.entry, b.source.entry});
    ++reports;
    // The resolution's first conflict: room for as many as this syscall can
    // report (regrowing to 100 warnings moved 127 of them, 51k instructions).
    if (warnings.capacity() == 0) warnings.reserve(std::min(candidates.size(), kMaxReports));
    Warning& w = warnings.emplace_back();
    w.kind = WarningKind::kRuleConflict;
    w.rule = a.source;
    w.pos = p_.syscalls[a.source.entry].pos;
    w.other = b.source;
    w.other_pos = p_.syscalls[b.source.entry].pos;
    const auto name = syscalls::table(abi).name(nr);
    w.syscall = name ? std::string(*name) : fmt::format("nr {}", nr);
    w.arches = {abi};
    w.witness = *witness;
    // Neither rule matching is impossible here: the fallback is unused.
    if (all.empty()) {
      all.assign(rules.size(), true);
      order = by_restrictiveness(rules);
    }
    w.most_restrictive = most_restrictive_at(rules, order, all, *witness, a.action);
    const std::string_view why = libseccomp_answer(*view, order, i, j, w, kept);
    w.message = conflict_message(w, a, b, why);
  }
  if (capped)
    notes.push_back(fmt::format(
        "{}: {} ({}) has more rules than sysfence compares for conflicts: the first {} pairs or {} conflicts are "
        "reported",
        p_.source, rules.empty() ? "" : std::string(syscalls::table(abi).name(nr).value_or("?")),
        syscalls::arch(abi).name, kMaxPairs, kMaxReports));
}


}  // namespace sysfence::profile
