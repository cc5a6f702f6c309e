// Pass 3: argument subtrees (compile.h lists the passes).
//
// What one syscall number does when its rules read arguments, as a canonical
// value (RuleSet), and the compilation of a RuleSet into word tests.
//
// A 64-bit condition on args[i] is decided by at most two 32-bit words: the
// high word first, which settles the condition or leaves a 32-bit test on the
// low word (hi > v.hi: `>` holds; hi == v.hi: lo > v.lo decides; ...).
// ArgWidth::k32 conditions only ever test the low word. MASKED_EQ splits into
// independent halves ((hi & m.hi) == d.hi and (lo & m.lo) == d.lo).
//
// Compilation picks the next word to test (a condition of the most
// restrictive rule still undecided, high word before low word), and decides
// every condition of every rule on that word at once: the word's domain is
// cut at the constants compared against it, each piece gives a smaller
// RuleSet, and tree.h's optimal tree (the one pass 4 builds over numbers)
// chooses the comparisons (so "arg0 is one of 0, 8, 0x20000" is a `jeq`
// chain, not a chain of loads). MASKED_EQ halves are single tests: `jset`
// when the datum is 0 or the mask is one bit, `jeq` when the mask is all
// ones, else `and` + `jeq`. Identical RuleSets reached on different paths
// compile once (memoized), and the graph shares identical tests.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "base/seccomp.h"
#include "compiler/graph.h"
#include "compiler/tree.h"
#include "policy/policy.h"

namespace sysfence::compiler {

// A condition part-way decided. `hi` set: the whole 64-bit condition is still
// open (the high word comes next). Otherwise only the low-word test remains:
// `op` on the low word against the low 32 bits of `value` (MASKED_EQ: mask
// `value`, datum `datum`).
struct OpenCondition {
  uint8_t arg = 0;
  bool hi = false;
  policy::CmpOp op = policy::CmpOp::kEq;
  uint64_t value = 0;
  uint64_t datum = 0;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>.
  friend auto operator<=>(const OpenCondition&, const OpenCondition&) = default;
};

struct OpenRule {
  Action action;
  std::vector<OpenCondition> conditions;  // all open, sorted; never empty in a RuleSet
  friend bool operator==(const OpenRule&, const OpenRule&) = default;
};

// The canonical meaning of "rules, else `otherwise`": rules sorted most
// restrictive first (base/seccomp.h order), conditions sorted, decided
// conditions removed, rules that can no longer change the outcome removed.
// Empty `rules` = the constant `otherwise` (no argument is read).
struct RuleSet {
  std::vector<OpenRule> rules;
  Action otherwise;

  bool constant() const { return rules.empty(); }
  friend bool operator==(const RuleSet&, const RuleSet&) = default;
};
bool operator<(const RuleSet& a, const RuleSet& b);

// The RuleSet of a syscall's rules with `fallback` when none matches.
RuleSet rule_set(std::span<const policy::Rule> rules, Action fallback);

// The outcome of a RuleSet for concrete arguments (the same meaning as
// policy::evaluate for one syscall; tests use it).
Action decide(const RuleSet& s, const std::array<uint64_t, 6>& args);

class ArgCompiler {
 public:
  ArgCompiler(Graph& graph, Endian endian, TreeOptions tree, size_t max_states = kMaxStates,
              size_t max_steps = kMaxSteps, size_t max_held = kMaxHeld)
      : g_(graph), endian_(endian), tree_(tree), max_states_(max_states), max_steps_(max_steps), max_held_(max_held) {}

  // The subtree for `s`, entered with A holding `a_holds` (a seccomp_data
  // word offset) or something unknown.
  Edge compile(const RuleSet& s, std::optional<uint32_t> a_holds);

  // Rules with many conditions on many arguments can need exponentially many
  // decision states. Past `max_states` (default kMaxStates) the compiler
  // stops expanding (the edges it then returns are placeholders) and
  // overflowed() says so: such a filter could not fit the kernel's 4096
  // instructions anyway.
  static constexpr size_t kMaxStates = size_t{1} << 14;
  size_t max_states() const { return max_states_; }
  bool overflowed() const { return overflowed_ != Limit::kNone; }

  // Few states can still be huge: 10,000 rules on one syscall make states of
  // thousands of rules each, and splitting one word visits every rule once
  // per piece. So the rules and conditions visited (steps: over the
  // compiler's life, charged before a split allocates its pieces) and those
  // held (memoized states and the pieces of the splits in progress: the
  // memory in use) are bounded too: time and memory stay bounded whatever
  // the profile, and overflow_reason() says which limit stopped it. README
  // "Limits" gives what the defaults cost at worst.
  static constexpr size_t kMaxSteps = size_t{1} << 26;
  static constexpr size_t kMaxHeld = size_t{1} << 22;
  enum class Limit : uint8_t { kNone, kStates, kSteps, kHeld };
  Limit overflow_reason() const { return overflowed_; }
  size_t max_steps() const { return max_steps_; }
  size_t max_held() const { return max_held_; }
  size_t steps() const { return steps_; }
  size_t held() const { return held_; }  // by the memoized states, once compile() returned

 private:
  Edge build(const RuleSet& s, std::optional<uint32_t> a_holds);
  Edge interval_split(const RuleSet& s, uint8_t arg, bool hi, std::optional<uint32_t> a_holds);
  Edge masked_test(const RuleSet& s, const OpenCondition& test, std::optional<uint32_t> a_holds);
  uint32_t word(uint8_t arg, bool hi) const;

  Graph& g_;
  Endian endian_;
  TreeOptions tree_;
  // Adds to steps_ (held_): false, and overflowed_ set, past the limit.
  bool charge_steps(size_t n);
  bool charge_held(size_t n);

  size_t max_states_;
  size_t max_steps_;
  size_t max_held_;
  size_t steps_ = 0;
  size_t held_ = 0;
  std::map<std::pair<RuleSet, std::optional<uint32_t>>, Edge> memo_;
  Limit overflowed_ = Limit::kNone;
};

}  // namespace sysfence::compiler
