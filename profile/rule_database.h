// Several rules for one syscall: how they combine (RuleCombination), and
// where the profile is ambiguous because implementations combine them
// differently.
//
// libseccomp's rule database (src/db.c, what runc, Docker and Podman load),
// as far as it is modelled here, in the order the rules are added:
//  - the first unconditional rule of a syscall wins, whatever its action;
//    later rules for the syscall, conditional or not, are dropped;
//  - an unconditional rule replaces the conditional rules added before it;
//  - a conditional rule whose conditions (in argument order, the chain of
//    its tree) extend those of an earlier rule is dropped: the earlier, shorter
//    rule already decides every input it matches;
//  - a conditional rule whose conditions are those of earlier rules, or a
//    prefix of them, replaces them when their actions are its own, and is
//    refused (EEXIST) otherwise — runc then refuses the whole profile.
// Conditional rules that overlap otherwise are merged by libseccomp's tree in
// its own order of comparisons, or refused where their comparisons share a
// tree node. Modelled exactly where every rule of the syscall is one > or >=
// comparison of one and the same argument: the larger bound is tested first
// (equal bounds in the order added) and the first that holds decides; on the
// 64-bit ABIs bounds with one high word share the high-word test, whose
// action libseccomp picks by its own rule (tree_as_disjoint_rules). Those
// rules become disjoint policy rules. Elsewhere sysfence keeps the most
// restrictive answer and says so (RuleDatabase::notes). Rules of one action
// become the tree's paths where those match other inputs than the rules
// (chains merged) or compare a stale word.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/expected.h"
#include "policy/policy.h"
#include "profile/libseccomp_tree.h"
#include "profile/profile.h"
#include "profile/resolve.h"

namespace sysfence::profile {

// What libseccomp's database does with one rule of a syscall.
enum class DatabaseFate : uint8_t {
  kKept,
  kAfterUnconditional,  // dropped: an earlier unconditional rule decides
  kReplaced,            // dropped: a later unconditional or shorter rule took its place
  kDuplicate,           // dropped: an earlier rule has its conditions and action
  kExtendsEarlier,      // dropped: an earlier rule's conditions are a prefix of its own
};

struct DatabaseResult {
  std::vector<DatabaseFate> fates;  // index-aligned with the input rules
  // libseccomp refuses the rule at refused->second (EEXIST) because of the
  // earlier rule refused->first; `prefix`: the later one's conditions are a
  // prefix of the earlier one's (not equal).
  std::optional<std::pair<size_t, size_t>> refused;
  bool prefix = false;
  // The refusal comes from two comparisons sharing a node of the tree (other
  // than equal conditions or a prefix).
  bool shared_node = false;
  // Conditional rules that overlap with different actions, neither dropping
  // the other: libseccomp's tree order decides between them, or it refuses
  // the later one where their comparisons share a node; not modelled.
  bool tree_order_decides = false;
  // The tree model (libseccomp_tree.h) did not apply: widths other than
  // libseccomp's, or beyond its bounds (libseccomp_codegen.h's included).
  bool tree_unmodelled = false;
  // Where the tree's answer is modelled: disjoint rules giving what
  // libseccomp's program answers, to use instead of the kept ones (where its
  // order decides between actions, or its program compares a stale word).
  std::optional<std::vector<policy::Rule>> tree;
  // libseccomp's program for the rules compares, on some inputs, another
  // word than the one a rule names (a stale accumulator); `tree` follows it.
  bool stale = false;
  // libseccomp's program for rules of one action matches other inputs than
  // the rules (its tree merges their chains); `tree` follows it.
  bool merged = false;
  // stale_needed false (a warning's answer only): libseccomp's program, to
  // run on the inputs a warning names, where `tree` would be its paths.
  std::optional<LibseccompProgram> program;
  // More conditional rules than kMaxModelledRules: only the unconditional
  // rules' effect is modelled, and tree_order_decides says so.
  bool too_many = false;
};

// The conditional rules of one syscall libseccomp_database compares pairwise;
// beyond them (hostile profiles: no such filter fits the kernel's 4096
// instructions anyway) the comparison would cost quadratic time.
inline constexpr size_t kMaxModelledRules = 4096;
inline constexpr size_t kWarningTreeSteps = 5'000;
// The steps allowed to tell whether libseccomp's paths for rules of one
// action match what the rules match (policy::match_same_inputs); past them
// the paths are taken, which is the filter's answer either way.
inline constexpr size_t kMaxCoverSteps = 100'000;
// The steps of those questions in one resolution together: a profile of
// hundreds of syscalls with rules of one action each (their answer read
// back either way) spent 36 s in them, at 100,000 steps each.
inline constexpr size_t kMaxCoverStepsTotal = 2'000'000;
// The budget of a conflict warning's second try at libseccomp's program
// (RuleDatabase::libseccomp_view), once per syscall with a conflict: the
// first try's budget left a fifth of the conflicts of overlapping argument
// rules unanswered, this one none of 2117 on 100 random profiles.
inline constexpr size_t kWarningProgramSteps = 500'000;

// `rules`: one syscall's rules on one ABI, in the order they are added.
// `word_bits`: the ABI's (Arch::word_bits), which decides how libseccomp
// splits a comparison into word tests. `stale_needed`: whether rules that
// agree on their action are modelled too, for the stale accumulator of
// libseccomp's program (what the filter answers under libseccomp's
// semantics); sysfence's own semantics only warns about rules that
// disagree: it skips that model (it costs most on argument-heavy rules),
// builds the program of rules that disagree without reading back its paths
// (`program` instead of `tree`: a warning needs the answer for one input),
// and bounds it to kWarningTreeSteps (past it the warning names
// libseccomp's tree order without its answer).
// `cover_steps`: where given, what is left of a budget of match_same_inputs'
// steps shared with other syscalls (charged what this one takes).
DatabaseResult libseccomp_database(const std::vector<policy::Rule>& rules, unsigned word_bits = 64,
                                   bool stale_needed = true, size_t* cover_steps = nullptr);

// A MASKED_EQ whose mask has no bit in the compared word(s) holds for every
// argument; libseccomp writes no test for it (db.c, _db_arg_cmp_need_lo/_hi),
// so a rule with nothing else is unconditional there, with all that follows
// (the first unconditional rule wins).
bool tests_nothing(const policy::ArgCondition& c);

// What the two rules of a refusal (`db.refused`) have in common, for its
// message: "the same conditions", a prefix, or a shared tree node.
std::string_view refusal_kind(const DatabaseResult& db);

// Per resolution: combines each syscall's rules as `mode` says and collects
// the conflict warnings (one per pair of entries, the first kMaxReports per
// syscall; at most kMaxPairs pairs are compared per syscall).
class RuleDatabase {
 public:
  static constexpr size_t kMaxPairs = 4096;
  static constexpr size_t kMaxReports = 100;

  RuleDatabase(const Profile& profile, RuleCombination mode) : p_(profile), mode_(mode) {}

  // `rules` in profile order -> the rules of the policy. Fails where
  // libseccomp refuses (kLibseccompDatabase only). `as_written`: the rules
  // as the profile writes them, index-aligned with `rules`, where sysfence
  // reads some condition otherwise (--arg-width abi's decided conditions):
  // libseccomp's answers in the conflict warnings are about those.
  Expected<std::vector<policy::Rule>> combine(syscalls::ArchId abi, uint32_t nr, std::vector<policy::Rule> rules,
                                              const std::vector<policy::Rule>* as_written = nullptr);

  // The profile's default action: libseccomp's filter answers it where
  // none of a syscall's rules matches at libseccomp's widths.
  void set_default_action(Action action) { default_action_ = action; }

  std::vector<Warning> warnings;
  std::vector<std::string> notes;
  // The notes that say libseccomp's database is not modelled for a syscall
  // (Resolution::unmodelled_combination), also in `notes`.
  std::vector<std::string> unmodelled;
  // The syscalls whose rules became libseccomp's program's paths
  // (Resolution::filter_paths).
  std::vector<std::pair<syscalls::ArchId, uint32_t>> followed;

 private:
  // What libseccomp makes of one syscall's rules, for the conflict warnings:
  // the rules at libseccomp's own widths and their database (its program
  // where modelled).
  struct LibseccompView {
    std::vector<policy::Rule> rules;
    bool widened = false;  // some condition's width differs from the rules'
    DatabaseResult db;
  };
  // `as_written`: as in combine.
  LibseccompView libseccomp_view(syscalls::ArchId abi, const std::vector<policy::Rule>& rules,
                                 const std::vector<policy::Rule>* as_written,
                                 std::optional<DatabaseResult>& modelled) const;
  // libseccomp_database of `rules`, computed into `modelled` the first time
  // it is asked for.
  const DatabaseResult& database(syscalls::ArchId abi, const std::vector<policy::Rule>& rules,
                                 std::optional<DatabaseResult>& modelled) const;
  void report_conflicts(syscalls::ArchId abi, uint32_t nr, const std::vector<policy::Rule>& rules,
                        const std::vector<policy::Rule>* as_written, std::optional<DatabaseResult>& modelled);
  std::string_view libseccomp_answer(const LibseccompView& view, const std::vector<size_t>& order, size_t i, size_t j,
                                     Warning& w, std::vector<bool>& kept) const;
  // The warnings' text, in conflict_text.cc: the message of conflict `w`
  // between rules `a` and `b`, its other fields set.
  std::string conflict_message(const Warning& w, const policy::Rule& a, const policy::Rule& b,
                               std::string_view libseccomp_why);
  // to_string(action), formatted the first time an action is named: a
  // profile's warnings name a few actions hundreds of times.
  const std::string& action_text(Action action);
  // "FILE:LINE:COL: syscalls[ENTRY]", the position of profile entry `entry`.
  void append_where(std::string& out, uint32_t entry) const;
  std::string where(uint32_t entry) const;

  const Profile& p_;
  RuleCombination mode_;
  Action default_action_ = Action::KillThread();
  // What is left of kMaxCoverStepsTotal for this resolution (spent by
  // database(), which is const as a memo of the rules' model is).
  mutable size_t cover_steps_left_ = kMaxCoverStepsTotal;
  std::set<std::pair<uint32_t, uint32_t>> reported_;
  // action_text's, by kind, unknown bits and data.
  std::unordered_map<uint64_t, std::string> action_texts_;
};

}  // namespace sysfence::profile
