// Whether two rules of one syscall can match the same input, exactly: a rule
// is a conjunction of per-argument conditions, so two rules overlap iff, for
// every argument, the values both rules' conditions on it accept have one in
// common. Each operator accepts an interval (LT, LE, GE, GT, EQ), an interval
// minus a point (NE) or a masked set (MASKED_EQ), so that question has an
// exact answer in a few word operations per condition.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "policy/policy.h"

namespace sysfence::policy {

// Six argument values every condition of `a` and of `b` holds for (an
// argument no condition names is 0), or nullopt when no input matches both.
// Each condition is read with its own width (condition_holds); the witness
// satisfies condition_holds for all of them.
std::optional<std::array<uint64_t, 6>> common_input(std::span<const ArgCondition> a, std::span<const ArgCondition> b);

// The values a rule's equalities pin its arguments to: two rules that pin
// one argument to different values never match one input, which a few word
// comparisons tell, where common_input builds both rules' value sets. For
// searches over many pairs of rules (the conflict warnings), before
// common_input; it answers "disjoint" only where common_input finds no input.
class PinnedValues {
 public:
  explicit PinnedValues(std::span<const ArgCondition> conditions);
  // Whether some argument is pinned to different values by the two.
  bool excludes(const PinnedValues& other) const;

 private:
  // Per argument: pinned (an EQ condition on it), the value's low word (what
  // either width compares), and its high word where a 64-bit EQ pins it.
  std::array<bool, 6> pinned_{};
  std::array<bool, 6> wide_{};
  std::array<uint32_t, 6> low_{};
  std::array<uint32_t, 6> high_{};
};

// A conjunction of conditions built one condition at a time, for searches
// that extend it step by step and ask at every step whether some input still
// satisfies it: each step costs its own conditions, not the whole
// conjunction's again. witness() is common_input(the conditions added, in
// order, {}).
class Conjunction {
 public:
  Conjunction();

  void add(const ArgCondition& c);
  // Whether every argument in `indices` (bit i: argument i) has a value all
  // of its conditions accept, and no condition names an argument above 5.
  // The conjunction is satisfiable iff that holds for all six arguments
  // (each argument's conditions are independent of the others').
  bool satisfiable(unsigned indices = 0x3f) const;
  std::optional<std::array<uint64_t, 6>> witness() const;

 private:
  // What the conditions on one argument accept, in one width (its low 32
  // bits or all 64): lo <= x <= hi, x & mask == datum, x not in `excluded`.
  struct ValueSet {
    uint64_t max = ~uint64_t{0};
    uint64_t lo = 0;
    uint64_t hi = ~uint64_t{0};
    uint64_t mask = 0;
    uint64_t datum = 0;
    bool empty = false;
    std::vector<uint64_t> excluded;

    void restrict(CmpOp op, uint64_t v, uint64_t d);
    std::optional<uint64_t> next_masked(uint64_t t) const;
    std::optional<uint64_t> any() const;
  };
  static std::optional<uint64_t> solve_both(const ValueSet& wide, const ValueSet& low);
  std::optional<uint64_t> value(size_t index) const;

  std::array<ValueSet, 6> wide_;  // per argument: its 64-bit conditions
  std::array<ValueSet, 6> low_;   // per argument: its low-word conditions
  std::array<bool, 6> any_wide_{};
  std::array<bool, 6> any_low_{};
  bool bad_index_ = false;
};

}  // namespace sysfence::policy
