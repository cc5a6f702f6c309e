#include "profile/rule_database.h"

#include <fmt/format.h>

#include <algorithm>

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
DatabaseResult with_one_action_tree(DatabaseResult out, const std::vector<policy::Rule>& rules, unsigned word_bits,
                                   size_t* cover_steps) {
  const auto tree = libseccomp_tree(rules, word_bits);
  if (!tree) {
    out.tree_unmodelled = true;
    return out;
  }
  if (tree->refused) return out;
  if (!tree->stale) {
    size_t steps = std::min(kMaxCoverSteps, cover_steps != nullptr ? *cover_steps : kMaxCoverSteps);
    const size_t given = steps;
    const auto same = policy::match_same_inputs_charged(rules, tree->rules, steps);
    if (cover_steps != nullptr) *cover_steps -= given - steps;
    if (same && *same) return out;
    // Undecided within the budget: the paths are the filter's answer anyway.
    out.merged = same.has_value();
  }
  out.tree = tree->rules;
  out.stale = tree->stale;
  return out;
}

}  // namespace

DatabaseResult libseccomp_database(const std::vector<policy::Rule>& rules, unsigned word_bits, bool stale_needed,
                                   size_t* cover_steps) {
  const auto conditional = static_cast<size_t>(
      std::count_if(rules.begin(), rules.end(), [](const policy::Rule& r) { return !r.conditions.empty(); }));
  if (conditional > kMaxModelledRules) return unconditional_only(rules);
  DatabaseResult out = pairwise_database(rules);
  if (!tree_matters(rules)) {
    if (!stale_needed || out.refused || !has_conditional_levels(rules)) return out;
    return with_one_action_tree(std::move(out), rules, word_bits, cover_steps);
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

std::string_view refusal_kind(const DatabaseResult& db) {
  return db.shared_node ? "comparisons that share a node of libseccomp's rule tree"
         : db.prefix    ? "conditions where the later ones are a prefix of the earlier ones"
                        : "the same conditions";
}

bool tests_nothing(const policy::ArgCondition& c) {
  if (c.op != policy::CmpOp::kMaskedEq) return false;
  return c.width == policy::ArgWidth::k32 ? (c.value & 0xffffffffU) == 0 : c.value == 0;
}

namespace {

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
        refusal_kind(db), to_string(rules[first].action), to_string(rules[second].action)));
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
  if (db.tree && (db.stale || db.merged)) followed.emplace_back(abi, nr);
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
    modelled = libseccomp_database(rules, syscalls::arch(abi).word_bits, mode_ == RuleCombination::kLibseccompDatabase,
                                   &cover_steps_left_);
  return *modelled;
}

}  // namespace sysfence::profile
