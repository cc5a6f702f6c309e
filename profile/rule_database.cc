#include "profile/rule_database.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "policy/cover.h"
#include "policy/operators.h"
#include "policy/overlap.h"
#include "profile/libseccomp_bounds.h"
#include "profile/libseccomp_tree.h"
#include "syscalls/table.h"

namespace sysfence::profile {

namespace {

// A rule's conditions as libseccomp's tree holds them: in argument order,
// each operand as compared (low word only where the width is 32 bits, the
// MASKED_EQ datum masked).
std::vector<policy::ArgCondition> chain_of(const policy::Rule& r) {
  std::vector<policy::ArgCondition> chain = r.conditions;
  for (auto& c : chain) {
    if (c.op == policy::CmpOp::kMaskedEq) c.value_two = policy::masked_datum(c.value, c.value_two);
    else c.value_two = 0;
    if (c.width == policy::ArgWidth::k32) {
      c.value &= 0xffffffffU;
      c.value_two &= 0xffffffffU;
    }
  }
  // Profiles mostly list a rule's conditions by argument already: no sort
  // (and no scratch buffer for it) then.
  const auto by_index = [](const auto& x, const auto& y) { return x.index < y.index; };
  if (!std::is_sorted(chain.begin(), chain.end(), by_index)) std::stable_sort(chain.begin(), chain.end(), by_index);
  return chain;
}

bool strict_prefix(const std::vector<policy::ArgCondition>& shorter, const std::vector<policy::ArgCondition>& longer) {
  return shorter.size() < longer.size() && std::equal(shorter.begin(), shorter.end(), longer.begin());
}

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

// libseccomp_database for more than kMaxModelledRules conditional rules, in
// linear time: the first unconditional rule wins and replaces the
// conditional ones before it; what the tree makes of the conditional rules
// kept is not modelled.
DatabaseResult unconditional_only(const std::vector<policy::Rule>& rules) {
  DatabaseResult out;
  out.fates.assign(rules.size(), DatabaseFate::kKept);
  out.too_many = true;
  std::vector<size_t> conditional;
  for (size_t i = 0; i < rules.size(); ++i) {
    if (!rules[i].conditions.empty()) {
      conditional.push_back(i);
      continue;
    }
    for (size_t k : conditional) out.fates[k] = DatabaseFate::kReplaced;
    for (size_t j = i + 1; j < rules.size(); ++j) out.fates[j] = DatabaseFate::kAfterUnconditional;
    return out;
  }
  for (size_t k : conditional)
    if (rules[k].action != rules[conditional.front()].action) out.tree_order_decides = true;
  return out;
}

}  // namespace

namespace {

// The fates of the rules as pairs of them decide them (equal conditions,
// prefixes, unconditional rules), and whether the tree's order matters.
DatabaseResult pairwise_database(const std::vector<policy::Rule>& rules) {
  DatabaseResult out;
  out.fates.assign(rules.size(), DatabaseFate::kKept);
  std::vector<std::vector<policy::ArgCondition>> chains(rules.size());
  std::vector<size_t> kept;  // conditional rules kept so far
  bool unconditional = false;
  size_t pairs = 0;
  for (size_t i = 0; i < rules.size(); ++i) {
    const policy::Rule& r = rules[i];
    if (unconditional) {
      out.fates[i] = DatabaseFate::kAfterUnconditional;
      continue;
    }
    if (r.conditions.empty()) {
      unconditional = true;
      for (size_t k : kept) out.fates[k] = DatabaseFate::kReplaced;
      kept.clear();
      continue;
    }
    chains[i] = chain_of(r);
    bool dropped = false;
    // The kept rules stay in place, in order, but those this one replaces.
    size_t still = 0;
    for (const size_t k : kept) {
      const auto& ck = chains[k];
      // Equal chains and prefixes begin with the same comparison: most pairs
      // of argument-heavy rules differ there (166 rules of one syscall cost
      // 1.3M instructions compared whole and re-listed per rule, 0.3M so).
      if (ck.front() != chains[i].front()) {
        kept[still++] = k;
        continue;
      }
      if (!dropped && ck == chains[i]) {
        if (rules[k].action != r.action) {
          out.refused = {k, i};
          return out;
        }
        out.fates[i] = DatabaseFate::kDuplicate;
        dropped = true;
      } else if (!dropped && strict_prefix(ck, chains[i])) {
        out.fates[i] = DatabaseFate::kExtendsEarlier;
        dropped = true;
      } else if (strict_prefix(chains[i], ck)) {
        if (rules[k].action != r.action) {
          out.refused = {k, i};
          out.prefix = true;
          return out;
        }
        out.fates[k] = DatabaseFate::kReplaced;
        continue;
      }
      kept[still++] = k;
    }
    kept.resize(still);
    if (dropped) continue;
    // What is left to the tree: a conditional rule meeting a kept one with
    // another action. libseccomp orders their comparisons in its tree, or
    // refuses the later rule where the two share a node (on the 64-bit ABIs
    // every range comparison of one argument shares the high-word test) -
    // even if an unconditional rule replaces both later.
    for (size_t k : kept) {
      if (out.tree_order_decides || pairs >= RuleDatabase::kMaxPairs) break;
      if (rules[k].action == r.action) continue;
      ++pairs;
      if (policy::common_input(rules[k].conditions, r.conditions)) out.tree_order_decides = true;
    }
    kept.push_back(i);
  }
  return out;
}

// Whether libseccomp's tree order can answer otherwise than the rules' own
// conditions say: conditional rules with different actions before the first
// unconditional rule (which ends the tree's part in the answer). Rules of
// one action go to with_one_action_tree.
bool tree_matters(const std::vector<policy::Rule>& rules) {
  std::optional<uint32_t> first;
  for (const policy::Rule& r : rules) {
    if (r.conditions.empty()) return false;
    if (!first) first = encode(r.action);
    else if (*first != encode(r.action)) return true;
  }
  return false;
}

// Whether libseccomp's tree for the rules can give a level two nodes: no
// unconditional rule (which leaves no tree) and two conditional ones (one
// rule's chain has one node per level, so its program cannot compare a
// stale word).
bool has_conditional_levels(const std::vector<policy::Rule>& rules) {
  return rules.size() >= 2 &&
         std::none_of(rules.begin(), rules.end(), [](const policy::Rule& r) { return r.conditions.empty(); });
}

}  // namespace

namespace {

// Where libseccomp's tree is beyond the model: > and >= rules of one
// argument are small enough to be modelled level by level, fall-throughs
// included; otherwise the result says it is not modelled.
DatabaseResult without_tree_model(DatabaseResult out, const std::vector<policy::Rule>& rules) {
  if (out.tree_order_decides && !out.refused && one_argument_lower_bounds(rules)) {
    std::vector<policy::Rule> kept;
    for (size_t k = 0; k < rules.size(); ++k)
      if (out.fates[k] == DatabaseFate::kKept) kept.push_back(rules[k]);
    out.tree = tree_as_disjoint_rules(std::move(kept));
    return out;
  }
  out.tree_unmodelled = true;
  return out;
}

// Where the tree model refuses a rule: its refusal (a shared node) replaces
// the pairwise one when they differ.
DatabaseResult refused_by_tree(DatabaseResult out, std::pair<size_t, size_t> refused) {
  if (out.refused != refused) {
    out.refused = refused;
    out.prefix = false;
    out.shared_node = true;
  }
  return out;
}

// libseccomp_database's result where libseccomp's answer is wanted for the
// inputs of warnings only: its program (or, where that is not modelled, the
// disjoint rules of > and >= comparisons of one argument).
DatabaseResult with_program(DatabaseResult out, const std::vector<policy::Rule>& rules, unsigned word_bits) {
  auto program = libseccomp_program(rules, word_bits, kWarningTreeSteps);
  if (!program) return without_tree_model(std::move(out), rules);
  if (program->refused) return refused_by_tree(std::move(out), *program->refused);
  out.refused.reset();
  out.program = std::move(program);
  return out;
}

// Conditional rules of one action: libseccomp's program answers what they
// say, unless its tree merges their chains into paths that match other
// inputs (a failed test of one rule falls through into another rule's
// sub-tree: read TRAP if a4 == 0 && a1 > 1 and TRAP if a1 > 3 && (a2 & 5) ==
// 0 traps read(0, 2, 0, 0, 1)) or it compares a stale accumulator somewhere.
// Its paths are read back then, and where the read-back is past the model's
// bounds the result says so. Where they match what the rules match, the
// rules stay as written: the same answers in fewer tests.
DatabaseResult with_one_action_tree(DatabaseResult out, const std::vector<policy::Rule>& rules, unsigned word_bits) {
  const auto tree = libseccomp_tree(rules, word_bits);
  if (!tree) {
    out.tree_unmodelled = true;
    return out;
  }
  if (tree->refused) return out;
  if (!tree->stale) {
    const auto same = policy::match_same_inputs(rules, tree->rules, kMaxCoverSteps);
    if (same && *same) return out;
    // Undecided within the budget: the paths are the filter's answer anyway.
    out.merged = same.has_value();
  }
  out.tree = tree->rules;
  out.stale = tree->stale;
  return out;
}

}  // namespace

DatabaseResult libseccomp_database(const std::vector<policy::Rule>& rules, unsigned word_bits, bool stale_needed) {
  const auto conditional = static_cast<size_t>(
      std::count_if(rules.begin(), rules.end(), [](const policy::Rule& r) { return !r.conditions.empty(); }));
  if (conditional > kMaxModelledRules) return unconditional_only(rules);
  DatabaseResult out = pairwise_database(rules);
  if (!tree_matters(rules)) {
    if (!stale_needed || out.refused || !has_conditional_levels(rules)) return out;
    return with_one_action_tree(std::move(out), rules, word_bits);
  }
  if (!stale_needed) return with_program(std::move(out), rules, word_bits);
  const auto tree = libseccomp_tree(rules, word_bits);
  if (!tree) return without_tree_model(std::move(out), rules);
  if (tree->refused) return refused_by_tree(std::move(out), *tree->refused);
  out.refused.reset();
  out.tree = tree->rules;
  out.stale = tree->stale;
  return out;
}

namespace {

// A MASKED_EQ whose mask has no bit in the compared word(s) holds for every
// argument; libseccomp writes no test for it (db.c, _db_arg_cmp_need_lo/_hi),
// so a rule with nothing else is unconditional there, with all that follows
// (the first unconditional rule wins).
bool tests_nothing(const policy::ArgCondition& c) {
  if (c.op != policy::CmpOp::kMaskedEq) return false;
  return c.width == policy::ArgWidth::k32 ? (c.value & 0xffffffffU) == 0 : c.value == 0;
}

// Where libseccomp's database is asked for but its answer for a syscall
// is not modelled: what the filter does instead (a note, and a warning:
// Resolution::unmodelled_combination).
std::optional<std::string> unmodelled_message(const DatabaseResult& db, std::string_view source,
                                              std::string_view who) {
  if (db.too_many)
    return fmt::format(
        "{}: {} has more than {} conditional rules: sysfence models libseccomp's rule database for them only as far "
        "as unconditional rules go; among the conditional ones the most restrictive is taken",
        source, who, kMaxModelledRules);
  if (db.tree_unmodelled && !db.tree_order_decides)
    return fmt::format(
        "{}: libseccomp's filter for the conditional rules of {} is beyond the bounds of sysfence's model of it "
        "(conditions compared at other widths than libseccomp's, ordered comparisons of a masked word splitting into "
        "too many pieces, or a tree too large); sysfence does not model that: the rules are taken as written, and "
        "libseccomp's filter may answer otherwise",
        source, who);
  if (db.tree_order_decides)
    return fmt::format(
        "{}: conditional rules of {} overlap with different actions; libseccomp decides between them by the order of "
        "its rule tree, or refuses the profile where their comparisons share a tree node (EEXIST), which sysfence "
        "does not model: the most restrictive of them is taken",
        source, who);
  return std::nullopt;
}

}  // namespace

Expected<std::vector<policy::Rule>> RuleDatabase::combine(syscalls::ArchId abi, uint32_t nr,
                                                          std::vector<policy::Rule> rules,
                                                          const std::vector<policy::Rule>* as_written) {
  if (rules.size() < 2) return rules;
  if (mode_ == RuleCombination::kLibseccompDatabase)
    for (policy::Rule& r : rules) std::erase_if(r.conditions, tests_nothing);
  // sysfence's own semantics needs the database's model only for the
  // message of a conflict: report_conflicts builds it when it finds one.
  std::optional<DatabaseResult> modelled;
  report_conflicts(abi, nr, rules, as_written, modelled);
  if (mode_ == RuleCombination::kMostRestrictive) return rules;
  const DatabaseResult& db = database(abi, rules, modelled);
  const auto name = syscalls::table(abi).name(nr);
  const std::string who =
      fmt::format("{} ({})", name ? std::string(*name) : fmt::format("nr {}", nr), syscalls::arch(abi).name);
  if (db.refused) {
    const auto [first, second] = *db.refused;
    return fail(fmt::format(
        "{} and {} give {} {} with different actions ({}, {}): libseccomp refuses the later rule (EEXIST), so runc "
        "would refuse the profile",
        where(rules[first].source.entry), where(rules[second].source.entry), who,
        db.shared_node ? "comparisons that share a node of libseccomp's rule tree"
        : db.prefix    ? "conditions where the later ones are a prefix of the earlier ones"
                       : "the same conditions",
        to_string(rules[first].action), to_string(rules[second].action)));
  }
  if (db.tree && db.stale)
    notes.push_back(fmt::format(
        "{}: libseccomp 2.5.4's filter for the conditional rules of {} compares, on some inputs, another argument "
        "word than the rule names (after a failed comparison it reuses the word still loaded); sysfence follows the "
        "filter, so those inputs get what the filter answers, not what the rules say",
        p_.source, who));
  if (db.tree && db.merged)
    notes.push_back(fmt::format(
        "{}: libseccomp 2.5.4's filter for the conditional rules of {} matches other inputs than the rules do (its "
        "rule tree merges their conditions: a failed test of one rule falls through into another rule's tests); "
        "sysfence follows the filter, so those inputs get what the filter answers, not what the rules say",
        p_.source, who));
  if (db.tree) return *db.tree;
  if (std::optional<std::string> gap = unmodelled_message(db, p_.source, who)) {
    notes.push_back(*gap);
    unmodelled.push_back(std::move(*gap));
  }
  std::vector<policy::Rule> kept;
  for (size_t i = 0; i < rules.size(); ++i)
    if (db.fates[i] == DatabaseFate::kKept) kept.push_back(std::move(rules[i]));
  return kept;
}

const DatabaseResult& RuleDatabase::database(syscalls::ArchId abi, const std::vector<policy::Rule>& rules,
                                             std::optional<DatabaseResult>& modelled) const {
  if (!modelled)
    modelled = libseccomp_database(rules, syscalls::arch(abi).word_bits, mode_ == RuleCombination::kLibseccompDatabase);
  return *modelled;
}

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
