// The canonical form of what one syscall number does when its rules read
// arguments (RuleSet), and the steps that keep it canonical as the argument
// compiler (args.h) decides conditions word by word.
//
// A 64-bit condition on args[i] is decided by at most two 32-bit words: the
// high word first, which settles the condition or leaves a 32-bit test on the
// low word (hi > v.hi: `>` holds; hi == v.hi: lo > v.lo decides; ...).
// ArgWidth::k32 conditions only ever test the low word. MASKED_EQ splits into
// independent halves ((hi & m.hi) == d.hi and (lo & m.lo) == d.lo).
#pragma once

#include <algorithm>
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/seccomp.h"
#include "compiler/graph.h"
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

// The conditions of one rule: nearly always a few (at most one per argument
// word in the profiles seen), held inline, so that the many copies of rules
// a diagram's states make do not each allocate; more go to the heap.
class Conditions {
 public:
  static constexpr size_t kInline = 4;
  using iterator = OpenCondition*;
  using const_iterator = const OpenCondition*;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  OpenCondition* begin() { return size_ <= kInline ? inline_.data() : spilled_.data(); }
  OpenCondition* end() { return begin() + size_; }
  const OpenCondition* begin() const { return size_ <= kInline ? inline_.data() : spilled_.data(); }
  const OpenCondition* end() const { return begin() + size_; }
  OpenCondition& operator[](size_t i) { return begin()[i]; }
  const OpenCondition& operator[](size_t i) const { return begin()[i]; }
  const OpenCondition& front() const { return *begin(); }
  void reserve(size_t n) {
    if (n > kInline) spilled_.reserve(n);
  }
  void push_back(const OpenCondition& c) {
    if (size_ < kInline) {
      inline_[size_++] = c;
      return;
    }
    push_back_spilled(c);
  }
  // Drops [first, end()).
  void erase(const OpenCondition* first, const OpenCondition* last);

  friend bool operator==(const Conditions& a, const Conditions& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }
  friend bool operator<(const Conditions& a, const Conditions& b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  void push_back_spilled(const OpenCondition& c);

  uint32_t size_ = 0;
  std::array<OpenCondition, kInline> inline_{};
  std::vector<OpenCondition> spilled_;  // all of them, past kInline
};

struct OpenRule {
  Action action;
  Conditions conditions;  // all open, sorted; never empty in a RuleSet
  friend bool operator==(const OpenRule&, const OpenRule&) = default;
};

// No continuation: a RuleSet whose rules all fail returns `otherwise`.
inline constexpr NodeId kNoTail = ~NodeId{0};

// The canonical meaning of "rules, else `otherwise`": rules sorted most
// restrictive first (base/seccomp.h order), conditions sorted, decided
// conditions removed, rules that can no longer change the outcome removed.
// Empty `rules` = the constant `otherwise` (no argument is read).
// A segment of a chain (see compile_rules) continues at graph node `tail`
// instead of returning `otherwise` when no rule matches.
struct RuleSet {
  std::vector<OpenRule> rules;
  Action otherwise;
  NodeId tail = kNoTail;

  bool constant() const { return rules.empty(); }
  friend bool operator==(const RuleSet&, const RuleSet&) = default;
};
bool operator<(const RuleSet& a, const RuleSet& b);

// The RuleSet of a syscall's rules with `fallback` when none matches.
RuleSet rule_set(std::span<const policy::Rule> rules, Action fallback);

// What rules without conditions decide (the most restrictive of them;
// `fallback` when there are none); nullopt when some rule has conditions.
// rule_set's RuleSet is then constant with this outcome: the case of most
// syscalls of a profile, which partition takes without building one.
// Inline: partition calls it for every number a profile names.
inline std::optional<Action> unconditional_outcome(std::span<const policy::Rule> rules, Action fallback) {
  if (rules.empty()) return fallback;
  if (!rules.front().conditions.empty()) return std::nullopt;
  Action a = rules.front().action;
  for (const policy::Rule& r : rules.subspan(1)) {
    if (!r.conditions.empty()) return std::nullopt;
    if (more_restrictive(r.action, a)) a = r.action;
  }
  return a;
}

// The outcome of a RuleSet for concrete arguments (the same meaning as
// policy::evaluate for one syscall; tests use it).
Action decide(const RuleSet& s, const std::array<uint64_t, 6>& args);

// The canonical form's steps, which the argument compiler applies as it
// decides conditions.

inline uint32_t hi32(uint64_t v) { return static_cast<uint32_t>(v >> 32); }
inline uint32_t lo32(uint64_t v) { return static_cast<uint32_t>(v); }

enum class Truth : uint8_t { kTrue, kFalse, kOpen };

// Decides what can be decided without reading anything; may turn a high-word
// condition into its low-word remainder (MASKED_EQ with a zero high mask).
// The datum of a MASKED_EQ condition is already masked (rule_set).
Truth simplify(OpenCondition& c);

// The high word of the argument is `h`: what is left of an (interval-type)
// high-word condition.
Truth resolve_hi(OpenCondition& c, uint32_t h);

// Rules whose conditions have been simplified (kTrue ones removed, rules with
// a kFalse one dropped) -> canonical RuleSet, continuing at `tail` if set.
RuleSet normalize(std::vector<OpenRule> rules, Action fallback, NodeId tail);

size_t condition_count(const RuleSet& s);

// -1, 0, 1: the order RuleSet's operator< gives actions.
int compare_action(const Action& a, const Action& b);

}  // namespace sysfence::compiler
